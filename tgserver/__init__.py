"""A fake Telegram Bot API server for end-to-end tests with the real python-telegram-bot client."""

from tgserver.client import SimGroup, SimUser
from tgserver.limits import ManualClock, RateLimitConfig
from tgserver.refusals import Refusal
from tgserver.server import TelegramServer
from tgserver.state import Button, CallbackAnswer, ChatMessage, Command, Document

__all__ = [
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "Command",
    "Document",
    "ManualClock",
    "RateLimitConfig",
    "Refusal",
    "SimGroup",
    "SimUser",
    "TelegramServer",
]
