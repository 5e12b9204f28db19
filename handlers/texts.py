"""Shared wording: role names, the privacy notice, the help per role. Every string goes through gettext."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.role_names import role_label as role_label
from bot.services.meetings import may_schedule
from bot.services.text import clean_name, isolated
from db.models import Member, Role
from handlers.commands import in_reader_language

LANGUAGE_NAMES: dict[str, str] = {"nl": "Nederlands", "en": "English"}
HELPING_ROLES = (Role.HUISARTS, Role.DOKTERSASSISTENT, Role.POH_S, Role.POH_GGZ, Role.TRIAGIST, Role.MEDISCH_STUDENT)


def member_name(t: Translator, member: Member) -> str:
    """The name to show, not escaped: a name of only control characters is stored empty and shown as "member 7";
    cleaned again (a name stored before the cleaning got stricter) and isolated if it reads right to left."""
    if member.deleted_at is not None:
        return t.gettext("a former member")
    return isolated(clean_name(member.display_name)) or t.gettext("member {id}").format(id=member.id)


def roles_label(t: Translator, member: Member) -> str:
    """All of a member's roles, in a stable order."""
    return ", ".join(role_label(t, role) for role in Role if role in member.roles)


def privacy_notice(t: Translator) -> str:
    """The short notice shown before someone joins (HTML)."""
    return t.gettext(
        "<b>Privacy</b>\n"
        "Wijkhulp stores your Telegram id and name, your language, your practice and roles, and what you do "
        "in the bot (requests, offers, meetings). Your phone number only if you choose to share it. "
        "Other members of the network see your name and practice when you help.\n"
        "<b>Never put patient data in this chat</b>: no names, dates of birth or BSNs. "
        "The chat is for logistics only."
    )


def help_text(t: Translator, member: Member | None) -> str:
    """What this person can do, by role (HTML), the commands spelled in the reader's language."""
    return in_reader_language(t, _help_lines(t, member))


def _help_lines(t: Translator, member: Member | None) -> str:
    if member is None:
        return (
            t.gettext(
                "<b>Wijkhulp</b> helps GP practices in a wijk cover each other's staff shortages.\n\n"
                "You are not a member yet. You join with an invitation link from the regional coordinator (your "
                "practice manager can ask for one); open it and press Start.\n\n"
                "/taal – language\n/help – this help"
            )
            + "\n"
            + t.gettext("/privacy – what Wijkhulp stores, and why")
        )
    lines = [t.gettext("<b>What you can do</b>")]
    if member.practice is not None and member.has_role(Role.PRAKTIJKMANAGER, Role.HUISARTS):
        lines.append(t.gettext("/verzoek – ask the practices in your wijk for help: a GP, an assistant, a POH"))
        lines.append(t.gettext("/mijnverzoeken – your practice's requests, offers and who fills what"))
    if member.has_role(*HELPING_ROLES):
        lines.append(t.gettext("Requests that fit your role reach you here; one tap offers your help."))
        lines.append(t.gettext("/beschikbaarheid – when and how far you can help; /afwezig 24-12 – a day off"))
        lines.append(t.gettext("/pause 15-12 – no requests until then; /quiethours 21:00-07:00 – quiet hours"))
    lines.append(t.gettext("/bijeenkomsten – your wijk meetings; answer yes, no or maybe"))
    lines.append(t.gettext("/actiepunten – open action points of your practice and wijk"))
    if may_schedule(member) and not member.has_role(Role.COORDINATOR):
        lines.append(t.gettext("/bijeenkomst – plan a meeting of your wijk"))
    lines.append(t.gettext("/profiel – your name, practice, wijk and roles"))
    lines.append(t.gettext("/taal – switch between Nederlands and English"))
    lines.append(t.gettext("/privacy – what is stored about you; /mijngegevens – all of it as a file"))
    lines.append(t.gettext("/verwijdermij – remove your data from Wijkhulp"))
    lines.append(t.gettext("/annuleer – stop what you are doing"))
    lines.append(t.gettext("/help – this help"))
    if member.has_role(Role.COORDINATOR):
        lines.append("")
        lines.append(t.gettext("<b>As coordinator</b>"))
        lines.append(t.gettext("/uitnodiging – make an invitation link for a practice and role"))
        lines.append(t.gettext("/open – requests still open after the last round, urgent ones waiting"))
        lines.append(t.gettext("/audit – who did what in your region (e.g. /audit request)"))
        lines.append(t.gettext("/koppelgroep – in a Telegram group: link it to a wijk (/ontkoppelgroep undoes it)"))
        lines.append(t.gettext("/bijeenkomst – plan a wijk meeting; the organiser sees the answers"))
    lines.append("")
    lines.append(t.gettext("Never put patient data in this chat."))
    return "\n".join(lines)


def where_label(t: Translator, member: Member) -> str:
    """The member's practice and wijk, or the pool or region they belong to (HTML-escaped)."""
    if member.practice is not None:
        return t.gettext("{practice} (wijk {wijk})").format(
            practice=escape(member.practice.name), wijk=escape(member.practice.wijk.name)
        )
    if member.has_role(Role.MEDISCH_STUDENT):
        return t.gettext("student pool of {region}").format(region=escape(member.region.name))
    return t.gettext("region {region}").format(region=escape(member.region.name))
