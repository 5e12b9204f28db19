"""When an action point's owners are reminded: three days before at 09:00, or the day before for one due sooner."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.actions import remind_moment

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TUESDAY_EVENING = datetime(2026, 12, 15, 19, 30, tzinfo=UTC)  # 20:30 in Amsterdam


@pytest.mark.parametrize(
    ("due", "reminded"),
    [
        (date(2026, 12, 31), datetime(2026, 12, 28, 9, 0, tzinfo=AMSTERDAM)),  # three days before
        (date(2026, 12, 19), datetime(2026, 12, 16, 9, 0, tzinfo=AMSTERDAM)),  # three days before is tomorrow
        (date(2026, 12, 18), datetime(2026, 12, 17, 9, 0, tzinfo=AMSTERDAM)),  # within three days: the day before
        (date(2026, 12, 17), datetime(2026, 12, 16, 9, 0, tzinfo=AMSTERDAM)),
        (date(2026, 12, 16), None),  # the day before is today, when the owners were just told
        (date(2026, 12, 15), None),
    ],
)
def test_reminded_at_nine_three_days_or_one_day_before(due: date, reminded: datetime | None) -> None:
    assert remind_moment(due, TUESDAY_EVENING, AMSTERDAM) == reminded


def test_never_on_the_day_it_is_recorded_even_before_nine() -> None:
    early = datetime(2026, 12, 28, 6, 0, tzinfo=UTC)  # 07:00 on the day three days before
    assert remind_moment(date(2026, 12, 31), early, AMSTERDAM) == datetime(2026, 12, 30, 9, 0, tzinfo=AMSTERDAM)
