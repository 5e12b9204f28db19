"""Translations (gettext catalogs compiled by Babel) and locale-aware formatting of dates and times."""

from __future__ import annotations

import gettext
import io
import logging
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import locales
from bot.config import SUPPORTED_LANGUAGES

# The catalogs are a package of their own (package data in a wheel; the folder at the top of a checkout).
LOCALE_DIR = Path(locales.__file__).resolve().parent
DOMAIN = "messages"

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the reader's language is known."""
    return message


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    """Load the compiled catalog, compiling the .po in memory if the .mo is missing."""
    mo_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if mo_path.exists():
        with mo_path.open("rb") as mo_file:
            return gettext.GNUTranslations(mo_file)
    po_path = mo_path.with_suffix(".po")
    log.warning("compiled catalog missing, compiling in memory", extra={"language": language})
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def guess_language(telegram_language_code: str | None, default: str = "nl") -> str:
    """The first guess for a new person: English if Telegram says so, Dutch for anything else."""
    if telegram_language_code and telegram_language_code.lower().startswith("en"):
        return "en"
    if telegram_language_code and telegram_language_code.lower().startswith("nl"):
        return "nl"
    return default


class Translator:
    """Everything one reader needs to see text in their language and time zone."""

    def __init__(self, language: str, zone: ZoneInfo) -> None:
        self.language = language if language in SUPPORTED_LANGUAGES else "nl"
        self.zone = zone
        self._catalog = _catalog(self.language)

    def gettext(self, message: str) -> str:
        """Translate one message."""
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """Translate a message that depends on a count."""
        return self._catalog.ngettext(singular, plural, count)

    def format_moment(self, moment: datetime) -> str:
        """A moment as `zondag 29 maart 2026, 09:30` in the reader's language and the region's zone."""
        pattern = "EEEE d MMMM y, HH:mm"
        return format_datetime(moment, pattern, tzinfo=self.zone, locale=self.language)

    def format_day(self, moment: datetime) -> str:
        """The local date of a moment as `zondag 29 maart 2026`."""
        local = moment.astimezone(self.zone).date()
        return format_date(local, "EEEE d MMMM y", locale=self.language)
