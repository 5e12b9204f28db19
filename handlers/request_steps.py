"""Moved: the request form is the package handlers/request_form/, and `reply` is in handlers/conversation.py.

Kept only because handlers/actions.py (edited in parallel) imports `reply` from here; once that import points
to handlers.conversation, delete this module.
"""

from __future__ import annotations

from handlers.conversation import reply

__all__ = ["reply"]
