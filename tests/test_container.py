"""The container files, checked where no container can run (CI has no Docker daemon): the Dockerfile builds the
wheel from files that exist, installs it with the locked packages, runs as a non-root user and has a healthcheck
on /healthz; compose.yaml starts PostgreSQL, two bot workers in webhook mode behind the proxy, whose Caddyfile exists.
`.ci/run` also validates compose.yaml with `docker-compose config`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), as (keyword, arguments)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_dockerfile_installs_the_locked_wheel_and_runs_unprivileged_with_a_healthcheck() -> None:
    steps = instructions()
    copied = [args.split()[0] for keyword, args in steps if keyword == "COPY" and not args.startswith("--from")]
    missing = [path for path in copied if not (ROOT / path).exists()]
    assert not missing, f"COPY of files that are not in the repository: {missing}"
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert "pip wheel" in runs and "--require-hashes -r requirements/run.txt" in runs and "--no-deps" in runs
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the bot must not run as root"
    health = [args for keyword, args in steps if keyword == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    assert ("ENTRYPOINT", '["wijkhulp"]') in steps


def test_compose_runs_postgres_the_bot_in_webhook_mode_and_a_proxy() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "bot1", "bot2", "proxy"}
    for name in ("bot1", "bot2"):  # the YAML merge key gives bot2 all of bot1
        bot = services[name]
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        for variable in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_LISTEN"):
            assert variable in bot["environment"], variable
        assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert bot["environment"]["MULTI_WORKER"] == "true"
        assert "ports" not in bot, "only the proxy is reachable from outside"
    caddyfile = services["proxy"]["volumes"][0].split(":")[0]
    assert (ROOT / caddyfile).exists()
    assert "reverse_proxy bot1:8443 bot2:8443" in (ROOT / caddyfile).read_text(encoding="utf-8")
