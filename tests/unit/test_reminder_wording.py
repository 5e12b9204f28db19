"""How reminders and series are worded: hours as `u` in Dutch, the n-th weekday of the month, the late note."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator
from handlers.meeting_form.preview import offset_words, reminders_label
from handlers.meeting_views import late_note, repeat_label

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NL, EN = Translator("nl", AMSTERDAM), Translator("en", AMSTERDAM)


@pytest.mark.parametrize(
    ("minutes", "dutch", "english"),
    [(7 * 24 * 60, "7 d", "7 d"), (120, "2 u", "2 h"), (90, "90 min", "90 min"), (25 * 60, "25 u", "25 h")],
)
def test_offsets_use_u_for_hours_in_dutch(minutes: int, dutch: str, english: str) -> None:
    assert offset_words(NL, minutes) == dutch
    assert offset_words(EN, minutes) == english


def test_the_reminders_label_reads_as_each_language_writes_it() -> None:
    assert reminders_label(NL, [10080, 1440, 120]) == "7 d, 1 d, 2 u van tevoren"
    assert reminders_label(EN, [10080, 1440, 120]) == "7 d, 1 d, 2 h before"
    assert reminders_label(NL, []) == "geen herinneringen"


def test_monthly_by_weekday_says_every_nth_weekday_of_the_month() -> None:
    second_tuesday, fifth_tuesday = date(2027, 1, 12), date(2027, 3, 30)
    assert repeat_label(NL, "month", second_tuesday) == "Elke 2e dinsdag van de maand"
    assert repeat_label(EN, "month", second_tuesday) == "Every 2nd Tuesday of the month"
    assert repeat_label(NL, "month", date(2027, 1, 5)) == "Elke 1e dinsdag van de maand"
    assert repeat_label(NL, "month", fifth_tuesday) == "Elke laatste dinsdag van de maand"


def test_a_late_note_gives_the_clock_time_only_for_today() -> None:
    due = datetime(2026, 12, 15, 1, 50, tzinfo=UTC)  # 02:50 in Amsterdam
    today = late_note(NL, due, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
    assert today == "(Te laat: de bot kon dit vandaag om 02:50 niet versturen. Excuses.)"
    earlier = late_note(NL, due, datetime(2026, 12, 16, 9, 0, tzinfo=UTC))
    assert "op dinsdag 15 december 2026, 02:50" in earlier
    # Local days, not UTC days: 23:30 UTC on the 14th is already the 15th in Amsterdam.
    assert "vandaag om 00:30" in late_note(NL, datetime(2026, 12, 14, 23, 30, tzinfo=UTC), due)
    assert late_note(EN, due, due) == "(Late: the bot could not send this at 02:50 today. Sorry.)"
