"""Webhook settings: https only, a secret required, the listen address split into host and port."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, telegram_bot_token="1:x", **values)  # type: ignore[call-arg, arg-type]


def test_polling_is_the_default() -> None:
    assert settings().webhook_url == ""


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"webhook_url": "https://bot.example.org/telegram"}, "webhook_secret is required"),
        ({"webhook_url": "https://bot.example.org/telegram", "webhook_secret": "short"}, "webhook_secret is required"),
        ({"webhook_url": "https://bot.example.org/t", "webhook_secret": "spaces are not allowed here"}, "16-256"),
        ({"webhook_url": "http://bot.example.org/telegram", "webhook_secret": "a" * 32}, "https://"),
        ({"webhook_listen": "8443"}, "webhook_listen"),
    ],
)
def test_an_incomplete_webhook_setting_is_refused_with_its_reason(values: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        settings(**values)


def test_a_complete_webhook_setting() -> None:
    complete = settings(
        webhook_url="https://bot.example.org/telegram", webhook_secret="a" * 32, webhook_listen="0.0.0.0:8080"
    )
    assert complete.webhook_host_port == ("0.0.0.0", 8080)
