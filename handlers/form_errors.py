"""Translated explanations for every way a request's input can be wrong."""

from __future__ import annotations

from html import escape

from bot.i18n import N_, Translator

MESSAGES: dict[str, str] = {
    "unreadable": N_("I can't read “{part}” as a date. Type it like 3-12, 03-12-2026 or di 3 dec."),
    "weekday_mismatch": N_("The weekday does not match the date in “{part}”. Check it and type it again."),
    "past": N_("That date is in the past. Choose today or a later day."),
    "too_far": N_("That is more than 90 days ahead; requests can be posted up to 90 days ahead."),
    "unreadable_time": N_("I can't read those times. Type them like 08:00-12:30."),
    "end_before_start": N_("The end time is before the start time. Type them like 08:00-12:30."),
    "too_short": N_("That is shorter than half an hour. Type a longer range, like 08:00-12:30."),
    "only_control_characters": N_(
        "Nothing of that text can be stored: it holds only control characters. Please type it again."
    ),
    "note_too_long": N_("The note is longer than 500 characters. Please make it shorter."),
    "patient_data": N_(
        "This looks like patient data (a BSN, or a name with a date of birth). Patient data never belongs in "
        "Wijkhulp: the note is for logistics only. Please type it again without."
    ),
    "phone_number": N_(
        "The note seems to hold a phone number. Notes go to many people, so please leave it out: share your own "
        "number in /profiel instead, and whoever helps gets it."
    ),
    "spoed_too_late": N_(
        "Urgent is for today and tomorrow only, and this request has later days. Choose Normal, or ask for today "
        "and tomorrow as urgent and for the later days in a second, normal request."
    ),
    "spoed_days_added": N_(
        "This request is urgent, and urgent is for today and tomorrow only. Add later days in a new, normal "
        "request (/verzoek)."
    ),
    "no_slots": N_("Choose at least one day-part."),
    "too_many_slots": N_("At most 20 day-parts fit in one request; please split it in two."),
    "slot_past": N_("One of the day-parts has already ended. Change the days."),
    "slots_overlap": N_("Two of the times overlap on the same day. Change the days."),
    "not_open": N_("This request is no longer open."),
}


def error_text(t: Translator, code: str, *, part: str | None = None) -> str:
    """The explanation for an error code (HTML-escaped), with a generic one for anything unforeseen."""
    message = MESSAGES.get(code, N_("That did not work. Please try again, or /annuleer to stop."))
    return escape(t.gettext(message).format(part=(part or "")[:60]))
