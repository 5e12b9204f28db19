"""What the bot counts, for `GET /metrics` (Prometheus text format) and `GET /healthz` (app/web.py).

Module-level metrics in a registry of our own, as prometheus_client intends: every part of the bot counts into
them without passing anything around. Counts only: no names, no texts, no chat ids in any label.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter("wijkhulp_updates_handled", "Updates handled through to the end.", registry=REGISTRY)
UPDATE_SECONDS = Histogram(
    "wijkhulp_update_seconds",
    "Time to handle one update, its replies included.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
SENDS = Counter(
    "wijkhulp_outbox_sends",
    "Outbox rows by how their try ended: sent, retry (429, 5xx, network), failed, unknown (a reminder's fate), "
    "skipped (no longer worth sending).",
    ["outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "wijkhulp_telegram_429", "429 answers from Telegram, for replies and for the outbox.", ["sender"], registry=REGISTRY
)
SWEEP_SECONDS = Histogram(
    "wijkhulp_sweep_seconds",
    "Duration of each run of a sweep.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60),
    registry=REGISTRY,
)
SWEEP_LAST_SUCCESS = Gauge(
    "wijkhulp_sweep_last_success_timestamp_seconds", "When each sweep last ran to the end.", ["job"], registry=REGISTRY
)
OUTBOX_DUE = Gauge("wijkhulp_outbox_due", "Outbox rows due now and not yet sent.", registry=REGISTRY)
OUTBOX_OLDEST_SECONDS = Gauge(
    "wijkhulp_outbox_oldest_due_seconds", "How long the oldest due row has been waiting.", registry=REGISTRY
)
WEBHOOK_REFUSED = Counter(
    "wijkhulp_webhook_refused", "Webhook requests refused, by reason.", ["reason"], registry=REGISTRY
)

# The last time each sweep ran to the end, for /healthz (the gauge above is the same, as a number).
last_sweeps: dict[str, datetime] = {}


def sweep_done(job: str, at: datetime, seconds: float) -> None:
    """A sweep ran to the end."""
    SWEEP_SECONDS.labels(job).observe(seconds)
    SWEEP_LAST_SUCCESS.labels(job).set(at.timestamp())
    last_sweeps[job] = at
