"""Translated explanations for every way a meeting's input can be wrong (also used by the meeting cards)."""

from __future__ import annotations

from html import escape

from bot.i18n import N_, Translator

ERRORS: dict[str, str] = {
    "unreadable": N_("I can't read that as a date. Type it like 24-3, 24-03-2027 or di 24 mrt."),
    "weekday_mismatch": N_("The weekday does not match the date. Check it and type it again."),
    "past": N_("That date is in the past. Choose a later day."),
    "too_far": N_("That is more than 400 days ahead. Choose an earlier day."),
    "unreadable_time": N_("I can't read those times. Type them like 19:00-21:00."),
    "end_before_start": N_("The end time is before the start time. Type them like 19:00-21:00."),
    "too_short": N_("That is shorter than half an hour. Type a longer range, like 19:00-21:00."),
    "in_past": N_("That time has already passed. Choose a later time or day."),
    "only_control_characters": N_(
        "Nothing of that text can be stored: it holds only control characters. Please type it again."
    ),
    "missing_title": N_("Please type a title."),
    "too_long": N_("That is too long. Please make it shorter."),
    "patient_data": N_(
        "This looks like patient data (a BSN, or a name with a date of birth). Meetings are for logistics "
        "only. Please type it again without."
    ),
    "bad_url": N_("That is not a web address. Type a link that starts with https://, or tap No link."),
    "no_place": N_("A meeting needs a place, an online link, or both."),
    "no_wijk": N_("Choose at least one wijk, or the whole region."),
    "bad_reminder": N_("Type reminders like 7d 1d 2h (days, hours, minutes before), or tap a button."),
    "reminder_range": N_("A reminder can be from 1 minute up to 28 days before the meeting."),
    "too_many_reminders": N_("At most 5 reminders, please."),
    "not_scheduled": N_("This meeting date is cancelled or over."),
    "not_allowed": N_("You cannot do that with this meeting."),
    "bad_duration": N_("A meeting lasts from 15 minutes to 12 hours. Type the times again, like 19:00-21:00."),
}


def error_text(t: Translator, code: str) -> str:
    """The explanation for an error code (HTML-escaped)."""
    return escape(t.gettext(ERRORS.get(code, N_("That did not work. Please try again, or /annuleer to stop."))))
