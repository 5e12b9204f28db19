"""Notices: every kind survives the trip through the outbox row, and every kind has a renderer."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.services import notices
from bot.services.notices import (
    KINDS,
    MeetingGroup,
    MeetingReminderDue,
    Notice,
    NoticeError,
    OfferWithdrawn,
    RequestGroup,
)
from handlers.dispatch import RENDERERS

DUE = datetime(2026, 3, 2, 7, 45, 0, 123456, tzinfo=UTC)


def _sample(cls: type[Notice], *, all_fields: bool) -> Notice:
    """A notice of this type with a value in every field (or only in the fields without a default)."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for number, field in enumerate(dataclasses.fields(cls), start=7):
        if field.default is not dataclasses.MISSING and not all_fields:
            continue
        wanted = {t for t in typing.get_args(hints[field.name]) if t is not type(None)} or {hints[field.name]}
        if bool in wanted:
            values[field.name] = True
        elif datetime in wanted:
            values[field.name] = DUE
        elif any(typing.get_origin(t) is tuple for t in wanted):
            values[field.name] = (number, number + 1)
        elif str in wanted:
            values[field.name] = f"word{number}"
        else:
            values[field.name] = number
    return cls(**values)


def _stored(notice: Notice) -> tuple[str, dict[str, Any]]:
    """The row as the database gives it back: kind and params through JSON."""
    return notice.kind, json.loads(json.dumps(notice.to_params()))


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("all_fields", [True, False])
def test_every_kind_round_trips(kind: str, all_fields: bool) -> None:
    notice = _sample(KINDS[kind], all_fields=all_fields)
    stored_kind, params = _stored(notice)
    assert stored_kind == kind
    assert notices.from_row(stored_kind, params) == notice


def test_every_kind_has_a_renderer() -> None:
    assert set(RENDERERS) == set(KINDS.values())
    assert [cls for cls in KINDS.values() if RENDERERS[cls].to_group] == [RequestGroup, MeetingGroup]


def test_kinds_are_todays() -> None:
    # request.status, request.widened, request.cancelled_by, offer.card, action.done, meeting.nudge, meeting.group,
    # meeting.uninvited, monthly_report: what follows
    assert len(KINDS) == 30
    assert {"meeting.reminder", "meeting.nudge", "action.reminder"} == notices.AT_MOST_ONCE_KINDS


def test_stored_form_is_todays() -> None:
    """The params are what rows held before notices had types, so old rows decode and nothing migrates."""
    assert RequestGroup(request_id=1, group_post_id=2).to_params() == {"request_id": 1, "group_post_id": 2}
    assert OfferWithdrawn(request_id=1, offer_id=2, was_accepted=True, slot_ids=(3, 4)).to_params() == {
        "request_id": 1,
        "offer_id": 2,
        "was_accepted": True,
        "slot_ids": [3, 4],
    }
    reminder = {"occurrence_id": 1, "reminder_id": 2, "due_at": DUE.isoformat(), "late": False}
    assert notices.from_row("meeting.reminder", reminder) == MeetingReminderDue(1, 2, DUE)
    assert MeetingReminderDue(1, 2, DUE).to_params() == reminder


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("request.lost", {"request_id": 1}),
        ("request.new", {}),
        ("request.new", {"request_id": "1"}),
        ("request.superseded", {"request_id": 1, "message_id": True}),
        ("offer.withdrawn", {"request_id": 1, "offer_id": 2, "slot_ids": ["3"]}),
        ("meeting.reminder", {"occurrence_id": 1, "reminder_id": 2, "due_at": 5}),
        ("meeting.reminder", {"occurrence_id": 1, "reminder_id": 2, "due_at": "tomorrow"}),
    ],
)
def test_rows_that_do_not_fit_are_refused(kind: str, params: dict[str, Any]) -> None:
    with pytest.raises(NoticeError):
        notices.from_row(kind, params)
