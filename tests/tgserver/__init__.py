"""A fake Telegram Bot API server for end-to-end tests with the real python-telegram-bot client."""

from tests.tgserver.client import SimGroup, SimUser
from tests.tgserver.limits import ManualClock, RateLimitConfig
from tests.tgserver.refusals import Refusal
from tests.tgserver.server import TelegramServer
from tests.tgserver.state import Button, CallbackAnswer, ChatMessage, Command, Document

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
