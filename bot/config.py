"""Settings from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LANGUAGES: tuple[str, ...] = ("nl", "en")
# https anywhere; plain http only on loopback (the playground, tests), where nothing travels over a network.
PUBLIC_BASE_URL = r"(https://[^\s/?#]+|http://(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?)(/[^\s?#]*)?"


class Settings(BaseSettings):
    """Every setting the bot reads; the README lists them with their defaults."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = Field(default="", repr=False)
    telegram_bot_username: str = ""
    database_url: str = "sqlite:///data/wijkhulp.sqlite3"
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_base_file_url: str = "https://api.telegram.org/file/bot"
    timezone: str = "Europe/Amsterdam"
    default_language: str = "nl"
    log_level: str = "INFO"
    invite_expires_days: int = Field(default=14, ge=1, le=365)
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    # How long a row may stay claimed before another pass takes it over (a worker died mid-send).
    outbox_claim_timeout_seconds: float = Field(default=120.0, gt=0)
    escalation_minutes_spoed: float = Field(default=15.0, gt=0)
    escalation_minutes_normaal: float = Field(default=240.0, gt=0)
    # How often due ladder rounds are started, and finished requests closed (with the daily digest).
    escalation_sweep_seconds: float = Field(default=30.0, gt=0)
    close_sweep_seconds: float = Field(default=60.0, gt=0)
    digest_time: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    meeting_sweep_seconds: float = Field(default=60.0, gt=0)
    # Days after a request (meeting, action point) is over before its free text is erased.
    notes_retention_days: int = Field(default=90, ge=1, le=3650)
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    # Flood slow-down: a person may send this many updates at once, refilled evenly over the window.
    flood_burst: int = Field(default=20, ge=1)
    flood_window_seconds: float = Field(default=30.0, gt=0)
    # Unknown invitation codes tried within the window: by one person, and by everyone together, before further
    # tries are refused until the window has passed.
    code_failures_per_person: int = Field(default=5, ge=1)
    code_failures_overall: int = Field(default=50, ge=1)
    code_failures_window_seconds: float = Field(default=900.0, gt=0)
    # Updates handled at the same time (each chat's and each person's still one after another).
    concurrent_updates: int = Field(default=8, ge=1, le=256)
    # Webhook mode: with WEBHOOK_URL (the public https address Telegram posts to) `run` serves webhooks on
    # WEBHOOK_LISTEN instead of polling; WEBHOOK_SECRET is then required (Telegram sends it back in a header).
    webhook_url: str = ""
    webhook_listen: str = Field(default="127.0.0.1:8443", pattern=r"^[^:\s]+:\d{1,5}$")
    webhook_secret: str = Field(default="", repr=False)
    webhook_max_connections: int = Field(default=10, ge=1, le=100)
    # Several worker processes share the database (PostgreSQL, webhook mode, each behind the same proxy): updates
    # are taken from the inbox by claim, one chat's in order, and conversation state is read per update.
    multi_worker: bool = False
    # The name this process runs as (bot/services/runs.py): with MULTI_WORKER give each worker its own stable name
    # (its replica's), so that after a restart what it had claimed goes out at once; without, the claim timeout.
    worker_name: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._-]*$")
    # The public https address of the bot's web server, for the personal calendar feeds (/profiel); empty: the
    # origin of WEBHOOK_URL, and in polling mode without either there is no feed (nothing would serve it).
    public_base_url: str = ""
    # The playground (`python -m bot playground`, `./dev run` without a token): its page and API, loopback only
    # unless told otherwise, and its own database file, started afresh every time.
    playground_host: str = "127.0.0.1"
    playground_port: int = Field(default=8080, ge=0, le=65535)
    playground_database: str = "data/playground.sqlite3"
    # Tests only: the whole process runs this many seconds ahead (or behind) of the real clock, so that the soak
    # can run at a chosen time of day. Never set in production.
    clock_offset_seconds: float = 0.0

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.webhook_url:
            if not self.webhook_url.startswith("https://"):
                raise ValueError("webhook_url must be an https:// address (Telegram posts only to https)")
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", self.webhook_secret):
                raise ValueError(
                    "webhook_secret is required with webhook_url: 16-256 characters of A-Z, a-z, 0-9, _ and -"
                )
        if self.public_base_url and not re.fullmatch(PUBLIC_BASE_URL, self.public_base_url):
            raise ValueError(
                "public_base_url must be an https:// address without query or fragment "
                "(http:// only on this computer: 127.0.0.1, localhost)"
            )
        if self.multi_worker and not (self.webhook_url and self.database_url.startswith("postgres")):
            raise ValueError("multi_worker needs webhook mode (webhook_url) and PostgreSQL (database_url)")
        return self

    @property
    def calendar_base_url(self) -> str:
        """Where the calendar feeds are reachable from outside: PUBLIC_BASE_URL, else WEBHOOK_URL's origin, else
        "" (no web server: no feed)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return ""

    @property
    def webhook_host_port(self) -> tuple[str, int]:
        """WEBHOOK_LISTEN as host and port."""
        host, port = self.webhook_listen.rsplit(":", 1)
        return host, int(port)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"default_language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone dates and times are shown in."""
        return ZoneInfo(self.timezone)
