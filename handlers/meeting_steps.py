"""Moved: the meeting form is the package handlers/meeting_form/ (its error texts: handlers/meeting_form/errors.py).

Kept only because handlers/meetings.py (edited in parallel) imports `error_text` from here; once that import
points to handlers.meeting_form.errors, delete this module.
"""

from __future__ import annotations

from handlers.meeting_form.errors import error_text

__all__ = ["error_text"]
