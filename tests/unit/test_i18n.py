"""Catalogs are complete; dates are shown in Amsterdam time in the reader's language."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import Translator, guess_language

ROOT = Path(__file__).resolve().parents[2]


def test_catalogs_are_complete() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/catalogs.py", "check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_dutch_and_english_dates_in_amsterdam_time() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    moment = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)  # after the clock change: 09:30 CEST
    assert Translator("nl", zone).format_moment(moment) == "zondag 29 maart 2026, 09:30"
    assert Translator("en", zone).format_moment(moment) == "Sunday 29 March 2026, 09:30"
    winter = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Amsterdam
    assert Translator("nl", zone).format_day(winter) == "woensdag 2 december 2026"


def test_translations_differ_per_language() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    assert Translator("nl", zone).gettext("Yes, join") == "Ja, aanmelden"
    assert Translator("en", zone).gettext("Yes, join") == "Yes, join"


def test_language_guess_is_dutch_for_anything_but_english() -> None:
    assert guess_language("en-GB") == "en"
    assert guess_language("nl") == "nl"
    assert guess_language("de") == "nl"
    assert guess_language(None) == "nl"
