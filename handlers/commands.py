"""The command menus Telegram shows, per language and, for members, per chat."""

from __future__ import annotations

import re

from telegram import BotCommand

from bot.i18n import N_, Translator
from bot.services.meetings import may_schedule
from db.models import Member, Role

# (Dutch command, English command, description). Both spellings work for everyone; the menu shows the
# reader's language.
BASE_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("verzoek", "request", N_("Ask the wijk for help (practice managers, GPs)")),
    ("mijnverzoeken", "myrequests", N_("Your practice's requests and offers")),
    ("beschikbaarheid", "availability", N_("When and how far you can help")),
    ("bijeenkomsten", "meetings", N_("Your wijk meetings and your answers")),
    ("actiepunten", "actions", N_("Open action points of your practice and wijk")),
    ("profiel", "profile", N_("Your name, practice, wijk and roles")),
    ("taal", "language", N_("Nederlands or English")),
    ("privacy", "privacy", N_("What is stored about you, why, and for how long")),
    ("mijngegevens", "mydata", N_("Everything stored about you, as a file")),
    ("verwijdermij", "deleteme", N_("Remove your data from Wijkhulp")),
    ("help", "help", N_("What you can do")),
    ("annuleer", "cancel", N_("Stop what you are doing")),
)
MEETING_COMMAND: tuple[str, str, str] = ("bijeenkomst", "meeting", N_("Plan a wijk meeting"))
COORDINATOR_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("uitnodiging", "invite", N_("Make an invitation link")),
    MEETING_COMMAND,
    ("audit", "audit", N_("Who did what in your region")),
    ("cijfers", "figures", N_("Figures: how the practices help each other")),
)


# Commands that are not in a menu but are named in texts, with their English spelling.
OTHER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("afwezig", "dayoff"),
    ("pauze", "pause"),
    ("stilleuren", "quiethours"),
    ("koppelgroep", "linkgroup"),
    ("ontkoppelgroep", "unlinkgroup"),
)
ENGLISH_NAMES: dict[str, str] = {
    **{nl: en for nl, en, _ in (*BASE_COMMANDS, MEETING_COMMAND, *COORDINATOR_COMMANDS)},
    **dict(OTHER_COMMANDS),
}
_COMMAND = re.compile(r"(?<![\w/])/([a-z]+)\b")


def in_reader_language(t: Translator, text: str) -> str:
    """Commands named in a text spelled in the reader's language: English readers see /request, not /verzoek
    (both work for everyone)."""
    if t.language != "en":
        return text
    return _COMMAND.sub(lambda found: "/" + ENGLISH_NAMES.get(found[1], found[1]), text)


def command_menu(t: Translator, member: Member | None = None) -> list[BotCommand]:
    """The menu in the translator's language; coordinators see their extra commands."""
    entries = list(BASE_COMMANDS)
    if member is not None and member.has_role(Role.COORDINATOR):
        entries += COORDINATOR_COMMANDS
    elif member is not None and may_schedule(member):
        entries.append(MEETING_COMMAND)
    return [BotCommand(nl if t.language == "nl" else en, t.gettext(description)) for nl, en, description in entries]
