"""How meetings and action points look: the card, the answer buttons, the calendar file, the answers summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services.calendars import calendar_event
from bot.services.ics import CalendarEvent, calendar_file, google_calendar_url, outlook_calendar_url
from bot.services.meeting_times import nth_weekday
from bot.services.meetings import Counts, Tally
from db.meetings import ActionPoint, Answer, Audience, Meeting, MeetingOccurrence, OccurrenceStatus
from handlers.callback_data import Action, encode
from handlers.texts import member_name

ANSWER_LABELS: dict[Answer, str] = {Answer.YES: N_("Yes"), Answer.NO: N_("No"), Answer.MAYBE: N_("Maybe")}
AUDIENCE_LABELS: dict[Audience, str] = {
    Audience.ALL: N_("everyone in the wijk"),
    Audience.MANAGERS: N_("practice holders and practice managers"),
}
MAX_NAMES = 30


def when_line(t: Translator, occurrence: MeetingOccurrence) -> str:
    """`dinsdag 24 maart 2026, 19:00–21:00` in the region's zone."""
    start = occurrence.starts_at.astimezone(t.zone)
    end = occurrence.ends_at.astimezone(t.zone)
    return f"{t.format_day(occurrence.starts_at)}, {start:%H:%M}–{end:%H:%M}"


def late_note(t: Translator, due_at: datetime, now: datetime) -> str:
    """Why a reminder comes late: the time it was due, only the clock time when that was today."""
    if due_at.astimezone(t.zone).date() == now.astimezone(t.zone).date():
        note = t.gettext("(Late: the bot could not send this at {time} today. Sorry.)")
        return note.format(time=f"{due_at.astimezone(t.zone):%H:%M}")
    note = t.gettext("(Late: the bot could not send this at {time}. Sorry.)")
    return note.format(time=t.format_moment(due_at))


def where_lines(t: Translator, meeting: Meeting) -> list[str]:
    """Place, link, or both (hybrid)."""
    lines = []
    if meeting.location:
        lines.append(t.gettext("Where: {place}").format(place=escape(meeting.location)))
    if meeting.url:
        lines.append(t.gettext("Online: {url}").format(url=escape(meeting.url)))
    return lines


def wijken_label(t: Translator, meeting: Meeting) -> str:
    """For whom, in a few words."""
    if meeting.whole_region:
        return t.gettext("the whole region")
    return ", ".join(escape(w.name) for w in meeting.wijken)


def card(t: Translator, occurrence: MeetingOccurrence, *, agenda: bool = True) -> str:
    """Title, time, place or link, wijken, the organiser, and the agenda (HTML, every user text escaped); the
    occurrence's meeting must come with its organiser loaded (`load_occurrence_lean`, `load_my_card`)."""
    meeting = occurrence.meeting
    lines = [f"<b>{escape(meeting.title)}</b>", t.gettext("When: {when}").format(when=when_line(t, occurrence))]
    lines += where_lines(t, meeting)
    lines.append(t.gettext("For: {who}").format(who=wijken_label(t, meeting)))
    lines.append(organiser_line(t, meeting))
    if agenda and meeting.agenda:
        lines.append(t.gettext("Agenda:") + "\n" + escape(meeting.agenda))
    return "\n".join(lines)


def organiser_line(t: Translator, meeting: Meeting) -> str:
    """Who planned it and so whom to ask; the regional coordinator for an imported schedule (or an organiser
    who has left)."""
    organiser = meeting.created_by
    if organiser is None or organiser.deleted_at is not None:
        return t.gettext("Questions: ask your regional coordinator.")
    return t.gettext("Organiser: {name}, for your questions").format(name=escape(member_name(t, organiser)))


def answer_label(t: Translator, answer: str | None) -> str:
    """The reader's answer in words."""
    return t.gettext(ANSWER_LABELS[Answer(answer)]) if answer else t.gettext("not answered yet")


def answer_line(t: Translator, answer: str | None) -> str:
    """`Your answer: Yes`."""
    return t.gettext("Your answer: {answer}").format(answer=answer_label(t, answer))


def calendar_row(t: Translator, occurrence: MeetingOccurrence) -> list[InlineKeyboardButton]:
    """Add the date to Google Calendar or Outlook in the browser: Android's Google Calendar cannot open an .ics
    from Telegram, and a button is the easiest thing to tap on a phone. None for a cancelled date."""
    if occurrence.status != OccurrenceStatus.SCHEDULED:
        return []
    event = calendar_event(occurrence, uid="", stamp=occurrence.starts_at)  # the links carry no UID
    google = InlineKeyboardButton(t.gettext("➕ Google Calendar"), url=google_calendar_url(event))
    if occurrence.meeting.one_entry:
        # The series from this date on, with its rule; Outlook's link cannot repeat, so it would add one date only.
        series_event = replace(event, rrule=occurrence.meeting.rrule)
        return [InlineKeyboardButton(t.gettext("➕ Google Calendar"), url=google_calendar_url(series_event))]
    return [google, InlineKeyboardButton(t.gettext("➕ Outlook"), url=outlook_calendar_url(event))]


def rsvp_markup(t: Translator, occurrence: MeetingOccurrence, current: str | None) -> InlineKeyboardMarkup:
    """Ja / Nee / Misschien, the current answer ticked (pressing another changes it), and the calendar links."""
    buttons = []
    for answer, label in ANSWER_LABELS.items():
        text = ("✅ " if current == answer else "") + t.gettext(label)
        buttons.append(InlineKeyboardButton(text, callback_data=encode(Action.MEETING_RSVP, occurrence.id, answer)))
    links = calendar_row(t, occurrence)
    return InlineKeyboardMarkup([buttons, links] if links else [buttons])


# The n-th weekday of a month as each language writes it (`2nd`, `2e`); a fifth is said as "the last".
ORDINALS: dict[int, str] = {1: N_("1st"), 2: N_("2nd"), 3: N_("3rd"), 4: N_("4th")}


def repeat_label(t: Translator, value: str, day: date) -> str:
    """A recurrence choice in words; the monthly one names the weekday, e.g. every 2nd Tuesday of the month."""
    if value == "w1":
        return t.gettext("Every week")
    if value in ("w2", "w4"):
        return t.gettext("Every {count} weeks").format(count=value[1:])
    if value == "month":
        weekday = format_date(day, "EEEE", locale=t.language)
        nth = nth_weekday(day)
        if nth == 5:
            return t.gettext("Every last {weekday} of the month").format(weekday=weekday)
        ordinal = t.gettext(ORDINALS[nth])
        return t.gettext("Every {nth} {weekday} of the month").format(nth=ordinal, weekday=weekday)
    return t.gettext("Once")


# The repetitions the planning form offers, as the RRULE each becomes (bot.services.meeting_times).
RULE_CHOICES = {"FREQ=WEEKLY;INTERVAL=1": "w1", "FREQ=WEEKLY;INTERVAL=2": "w2", "FREQ=WEEKLY;INTERVAL=4": "w4"}


def rule_label(t: Translator, meeting: Meeting) -> str:
    """How a meeting repeats, in words (a rule from an imported file that the form does not offer: in general)."""
    rule = meeting.rrule or ""
    if rule.startswith("FREQ=MONTHLY;BYDAY="):
        return repeat_label(t, "month", meeting.start_local.date())
    choice = RULE_CHOICES.get(rule)
    return (
        repeat_label(t, choice, meeting.start_local.date()) if choice else t.gettext("Repeats (see the calendar file)")
    )


# The counts line of an invitee's card starts with this, in every language: an answer edits the pressed message's
# line in place, whatever message it is (an invitation, a reminder, the card).
COUNTS_MARK = "👥 "


def invitee_counts_line(t: Translator, counts: Counts) -> str:
    """For invitees: `👥 Ja 3 · Nee 1 · Misschien 0` (not who: names are for the organiser)."""
    shown = " · ".join(f"{answer_label(t, key)} {counts.get(key, 0)}" for key in Answer)
    return COUNTS_MARK + shown


def with_counts(html_text: str, line: str, mine: str) -> str:
    """The message with its counts line replaced by `line`, or put right above the reader's answer (`mine`) in a
    message sent before counts were shown."""
    lines = html_text.split("\n")
    found = [i for i, existing in enumerate(lines) if existing.startswith(COUNTS_MARK)]
    if found:
        lines[found[-1]] = line
    elif mine in lines:
        lines.insert(lines.index(mine), line)
    return "\n".join(lines)


def invitation(
    t: Translator, occurrence: MeetingOccurrence, answer: str | None, counts: Counts
) -> tuple[str, InlineKeyboardMarkup]:
    """The invitation with the counts so far and the answer buttons (`answer`: the reader's, if any). A series
    gets one invitation for all its dates (and one calendar file with the rule): its buttons answer the first
    date, and each date's reminder asks again."""
    meeting = occurrence.meeting
    head = t.gettext("📅 <b>Invitation</b>")
    if meeting.one_entry:
        head = t.gettext("📅 <b>Invitation to a series</b>: {repeats}").format(repeats=escape(rule_label(t, meeting)))
    lines = [head, card(t, occurrence), "", invitee_counts_line(t, counts), answer_line(t, answer)]
    if meeting.one_entry:
        lines.append(
            t.gettext(
                "Your answer is for this first date; for the later ones you answer in /bijeenkomsten or in the "
                "reminder before each."
            )
        )
    return "\n".join(lines), rsvp_markup(t, occurrence, answer)


def calendar_for(event: CalendarEvent, occurrence_id: int) -> tuple[str, bytes]:
    """The occurrence's .ics file: its UID, its SEQUENCE, REQUEST or CANCEL."""
    return f"wijkbijeenkomst-{occurrence_id}.ics", calendar_file(event)


def answers_summary(t: Translator, tally: Tally) -> str:
    """For the organiser: counts and names per answer (the first MAX_NAMES of each, if the tally has more)."""
    lines = []
    for key, count in tally.counts.items():
        names = [escape(member_name(t, member)) for member in tally.first.get(key, [])[:MAX_NAMES]]
        # Someone who had their data removed (/verwijdermij) still counts for a past date, without a name.
        shown = ", ".join(names) + (" …" if count > MAX_NAMES else "")
        lines.append(f"{answer_label(t, key)} ({count})" + (f": {shown}" if count else ""))
    return "\n".join(lines)


def counts_line(t: Translator, counts: Counts) -> str:
    """`Yes 3 · No 1 · Maybe 0 · not answered yet 5`."""
    return " · ".join(f"{answer_label(t, key)} {count}" for key, count in counts.items())


def owner_label(t: Translator, point: ActionPoint) -> str:
    """The practice, or the person at the practice, who owns the action point."""
    practice = escape(point.owner_practice.name) if point.owner_practice else "?"
    if point.owner_member is not None:
        return t.gettext("{name} ({practice})").format(
            name=escape(member_name(t, point.owner_member)), practice=practice
        )
    return practice


def action_text(t: Translator, point: ActionPoint) -> str:
    """One action point: what, who, by when, from which meeting."""
    due = t.format_day(datetime.combine(point.due_on, datetime.min.time(), t.zone))
    lines = [
        f"• {escape(point.text) or t.gettext('(text erased: it was done long ago)')}",
        t.gettext("Who: {owner}").format(owner=owner_label(t, point)),
        t.gettext("Due: {day}").format(day=due),
        t.gettext("From: {meeting}").format(meeting=escape(point.occurrence.meeting.title)),
    ]
    if point.done_at is not None:
        lines.append(t.gettext("✅ Done on {day}").format(day=t.format_day(point.done_at)))
    return "\n".join(lines)


def done_markup(t: Translator, point: ActionPoint) -> InlineKeyboardMarkup | None:
    """A Done button while the action point is open."""
    if point.done_at is not None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("Mark done"), callback_data=encode(Action.ACTION_DONE, point.id))]]
    )
