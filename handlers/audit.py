"""`/audit` for coordinators: the audit log of their own region, newest first, a page at a time."""

from __future__ import annotations

from html import escape
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_coordinator
from bot.services.audit_log import TOPICS, AuditPage, audit_page, topic_of
from db.models import AuditEntry, Member, Role
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, press
from handlers.texts import role_label

ALL: Final = "all"
ONLY_COORDINATORS: Final = N_("Only a regional coordinator can see this.")
ROLE_CODES: Final = frozenset(role.value for role in Role)
MAX_NAME: Final = 60
# Short phrases for the action codes services record; an unknown code is shown as it is.
ACTION_LABELS: Final[dict[str, str]] = {
    "invite.created": N_("Invitation made"),
    "member.joined": N_("Joined"),
    "member.role_added": N_("Role added"),
    "member.role_removed": N_("Role removed"),
    "coordinator.added": N_("Made coordinator"),
    "member.phone_shared": N_("Phone number shared"),
    "member.phone_removed": N_("Phone number removed"),
    "member.paused": N_("Paused requests"),
    "member.unpaused": N_("Ended pause"),
    "member.exported": N_("Personal data exported"),
    "member.deleted": N_("Personal data removed"),
    "request.posted": N_("Request posted"),
    "request.round": N_("Request asked more widely"),
    "request.days_added": N_("Days added to request"),
    "request.nudged": N_("Wijk asked again"),
    "request.cancelled": N_("Request cancelled"),
    "offer.made": N_("Offer made"),
    "offer.accepted": N_("Offer accepted"),
    "offer.declined": N_("Offer declined"),
    "offer.withdrawn": N_("Offer withdrawn"),
    "meeting.created": N_("Meeting planned"),
    "meeting.moved": N_("Meeting date moved"),
    "meeting.cancelled": N_("Meeting date cancelled"),
    "meeting.cancelled_all": N_("Meeting cancelled (every date)"),
    "meeting.changed": N_("Meeting details changed"),
    "action.created": N_("Action point recorded"),
    "action.done": N_("Action point done"),
    "group.linked": N_("Group linked to wijk"),
    "group.unlinked": N_("Group unlinked"),
}


def short(name: str) -> str:
    """A practice or wijk name cut to fit: ten entries must stay within Telegram's 4096 characters (HTML)."""
    return escape(name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…")


def member_label(t: Translator, member_id: int, members: dict[int, Member]) -> str:
    """A member by id and where they belong; never a name or a phone number (HTML)."""
    member = members.get(member_id)
    if member is None or member.deleted_at is not None:
        where = t.gettext("removed")
    elif member.practice is not None:
        where = short(member.practice.name)
    elif member.has_role(Role.COORDINATOR):
        where = t.gettext("coordinator")
    else:
        where = t.gettext("student pool")
    return t.gettext("member {id} ({where})").format(id=member_id, where=where)


def subject_label(t: Translator, entry: AuditEntry, page: AuditPage) -> str | None:
    """What the entry is about (HTML), or None when it is about the actor alone."""
    kind, number = entry.subject_type, entry.subject_id
    if kind is None or number is None:
        return None
    if kind == "member":
        return member_label(t, number, page.members)
    if kind == "wijk":
        wijk = page.wijken.get(number)
        return short(wijk.name) if wijk else t.gettext("wijk {id}").format(id=number)
    labels = {
        "request": N_("request #{id}"),
        "offer": N_("offer #{id}"),
        "invite": N_("invitation #{id}"),
        "meeting": N_("meeting #{id}"),
        "meeting_occurrence": N_("meeting date #{id}"),
        "action_point": N_("action point #{id}"),
    }
    label = t.gettext(labels[kind]).format(id=number) if kind in labels else f"{escape(kind)} #{number}"
    request_id = entry.details.get("request_id")
    if kind == "offer" and isinstance(request_id, int):
        label += " " + t.gettext("on request #{id}").format(id=request_id)
    return label


def entry_text(t: Translator, entry: AuditEntry, page: AuditPage) -> str:
    """Two lines per entry: when, then what, about what and by whom (HTML)."""
    phrase = t.gettext(ACTION_LABELS[entry.action]) if entry.action in ACTION_LABELS else escape(entry.action)
    role = entry.details.get("role")
    if isinstance(role, str) and role in ROLE_CODES:
        phrase += f" ({role_label(t, role)})"
    parts = [phrase]
    subject = subject_label(t, entry, page)
    if subject is not None:
        parts.append(subject)
    if entry.actor_member_id is not None:
        parts.append(t.gettext("by {who}").format(who=member_label(t, entry.actor_member_id, page.members)))
    else:
        parts.append(t.gettext("by the bot or the command line"))
    return f"<i>{escape(t.format_moment(entry.at))}</i>\n" + " · ".join(parts)


def render(t: Translator, page: AuditPage, topic: str | None) -> tuple[str, InlineKeyboardMarkup | None]:
    """The page's text and its Newer / Older buttons."""
    title = t.gettext("Audit log")
    if topic is not None:
        title += f" – {escape(topic)}"
    number = t.gettext("page {number}").format(number=page.page + 1)
    header = f"<b>{title}</b> ({number})"
    if not page.entries:
        empty = t.gettext("Nothing recorded.") if page.page == 0 else t.gettext("No older entries.")
        body = [empty]
    else:
        body = [entry_text(t, entry, page) for entry in page.entries]
    buttons = []
    code = topic or ALL
    if page.page > 0:
        newer = encode(Action.AUDIT, page.page - 1, code)
        buttons.append(InlineKeyboardButton(t.gettext("‹ Newer"), callback_data=newer))
    if page.has_older:
        older = encode(Action.AUDIT, page.page + 1, code)
        buttons.append(InlineKeyboardButton(t.gettext("Older ›"), callback_data=older))
    return "\n\n".join([header, *body]), InlineKeyboardMarkup([buttons]) if buttons else None


def usage(t: Translator) -> str:
    """How to filter, for a word /audit does not know (HTML)."""
    return escape(
        t.gettext("I don't know that topic. Send /audit for everything, or /audit with one of: {topics}.").format(
            topics=", ".join(TOPICS)
        )
    )


@command("audit", rule=is_coordinator, refusal=ONLY_COORDINATORS)
async def show_audit(said: Said) -> None:
    """The first page of the region's audit log, optionally for one topic."""
    t, args = said.t, said.args
    topic = None
    if args:
        topic = topic_of(args[0][:40]) if len(args) == 1 else None
        if topic is None:
            await said.message.reply_html(usage(t))
            return
    page = await audit_page(said.session, region_id=said.actor.region_id, topic=topic, page=0)
    text, markup = render(t, page, topic)
    await said.message.reply_html(text, reply_markup=markup)


@press(Action.AUDIT, rule=is_coordinator, refusal=ONLY_COORDINATORS)
async def audit_button(press: Press[None]) -> None:
    """Another page; the presser must still be a coordinator of their region."""
    number = press.data.int_arg(0)
    code = press.data.args[1] if len(press.data.args) > 1 else None
    if number is None or (code != ALL and code not in TOPICS):
        await press.refuse(N_("This button no longer works."))
        return
    await press.query.answer()
    topic = None if code == ALL else code
    page = await audit_page(press.session, region_id=press.actor.region_id, topic=topic, page=number)
    text, markup = render(press.t, page, topic)
    await edit_if_changed(press.query, text, markup)


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        show_audit.handler(filters=filters.ChatType.PRIVATE),
        audit_button.handler(),
    ]
