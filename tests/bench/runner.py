"""The benchmark of "Fast at any size": Wijkhulp and a bare PTB bot side by side on the test server.

`scripts/bench.py` is the command line (`./dev bench`); README "Performance" explains the lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.bench.bots import Bare, FanOut, Wijkhulp, workdir
from tests.bench.ladder import ladder_round
from tests.bench.report import Sizes, national_report
from tests.bench.scenarios import Burst, Steady, help_burst, press_burst, steady
from tests.soak.process import ROOT

TELEGRAM_RATE = 30.0  # messages a second Telegram lets a bot send
FAN_OUT_SLACK = 1.15  # a fan-out of M messages may take 1.15 x M/30 s
STEADY_P95_MS = 100.0
LADDER_MS = 50.0
RSS_MB = 200.0
MEANWHILE_MS = 1000.0
REPORT_MS = 2000.0


@dataclass
class Options:
    """The command line."""

    repeat: int = 3
    help_n: int = 500
    rsvp_n: int = 500
    offer_n: int = 300
    rate: float = 20.0
    steady_seconds: float = 10.0
    bare_rate_limiter: bool = False
    floor: bool = True
    report: str = ""
    workdir: str = ""
    fail_on_target: bool = False
    quick: bool = False
    ladder_members: int = 100_000
    ladder_asked: int = 10
    scale_small: int = 50
    scale_large: int = 5_000
    reminders: int = 10_000
    national: bool = True  # the monthly report at national size (--no-report leaves it out)
    national_practices: int = 5_000
    national_members: int = 50_000
    national_requests: int = 200_000
    national_asked: int = 1_000_000

    @property
    def national_sizes(self) -> Sizes:
        """The country the monthly report line seeds."""
        return Sizes(self.national_practices, self.national_members, self.national_requests, self.national_asked)

    @property
    def members(self) -> int:
        """Members seeded in Wijkhulp (and people on the bare bot's server)."""
        return max(self.help_n, self.rsvp_n, self.offer_n)

    def within(self, updates: int) -> float:
        """How long a burst may take before the run gives up (generous: the bot may be 50x slow)."""
        return 120.0 + 2.0 * updates


QUICK = {
    "help_n": 40,
    "rsvp_n": 40,
    "offer_n": 25,
    "steady_seconds": 3.0,
    "repeat": 1,
    "ladder_members": 2_000,
    "scale_small": 10,
    "scale_large": 300,
    "reminders": 200,
    "national_practices": 250,
    "national_members": 2_500,
    "national_requests": 10_000,
    "national_asked": 50_000,
}


def parse_args(argv: list[str] | None = None) -> Options:
    """argparse into Options; --quick sets small sizes (explicit sizes still win)."""
    top = argparse.ArgumentParser(
        prog="./dev bench",
        description="Run the real Wijkhulp process and a bare python-telegram-bot bot against the test Telegram "
        "server, one after the other, on the same work; print both, the ratio and the targets of 'Fast at any "
        "size'.",
    )
    top.add_argument("--repeat", type=int, help="runs of every scenario; the table shows medians and min-max (3)")
    top.add_argument("--help-n", type=int, help="/help updates queued at once (500)")
    top.add_argument("--rsvp-n", type=int, help="people pressing 'Ja' on a meeting invitation (500)")
    top.add_argument("--offer-n", type=int, help="helpers asked by one request, each pressing 'Ik kan alles' (300)")
    top.add_argument("--rate", type=float, help="/help updates a second in the steady scenario (20)")
    top.add_argument("--steady-seconds", type=float, help="how long the steady scenario runs (10)")
    top.add_argument(
        "--ladder-members",
        type=int,
        help="members in the region for the in-process ladder round (100000; 0 leaves it out)",
    )
    top.add_argument(
        "--scale-small", type=int, help="invitees of the small meeting in the RSVP scale line (50; 0 leaves it out)"
    )
    top.add_argument("--scale-large", type=int, help="invitees of the large one (5000; 0 leaves it out)")
    top.add_argument(
        "--reminders",
        type=int,
        help="people whose meeting reminder falls due at once, measured once (10000, about 6 minutes; 0 leaves it out)",
    )
    top.add_argument(
        "--no-report",
        dest="national",
        action="store_false",
        default=None,
        help="leave out the monthly report of a region at national size (seeding it takes minutes, the first time)",
    )
    top.add_argument("--national-practices", type=int, help="practices in the country, ~200 a region (5000)")
    top.add_argument("--national-members", type=int, help="members in the country (50000)")
    top.add_argument("--national-requests", type=int, help="requests over the year of history (200000)")
    top.add_argument("--national-asked", type=int, help="people asked, request_recipient rows (1000000)")
    top.add_argument("--quick", action="store_true", help="small sizes, one run: a check that it all works")
    top.add_argument(
        "--bare-rate-limiter",
        action="store_true",
        help="give the bare bot PTB's AIORateLimiter too, as Wijkhulp has (30 calls/s to chats)",
    )
    top.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        default=None,
        help="leave out the third bot: the bare one with a database (SQLAlchemy, a read and a write per update)",
    )
    top.add_argument("--report", default="", help="write everything as JSON to this file")
    top.add_argument("--workdir", default="", help="where the database and the bots' logs go (a temp dir)")
    top.add_argument("--fail-on-target", action="store_true", help="exit with status 1 when a target is missed")
    args = top.parse_args(argv)
    values = {k: v for k, v in vars(args).items() if v is not None}
    if args.quick:
        values = {**QUICK, **values}
    options = Options(**values)
    if min(options.repeat, options.help_n, options.rsvp_n, options.offer_n) < 1 or options.rate <= 0:
        top.error("sizes, --repeat and --rate must be positive")
    return options


@dataclass
class Figures:
    """Every measured value, per metric and bot, one per run."""

    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    runs: list[dict[str, object]] = field(default_factory=list)

    def add(self, metric: str, side: str, value: float) -> None:
        """One value."""
        self.values.setdefault(metric, {}).setdefault(side, []).append(value)

    def burst(self, metric: str, side: str, burst: Burst) -> None:
        """Rate and CPU of a burst."""
        self.add(f"{metric} rate", side, burst.per_second)
        self.add(f"{metric} cpu", side, burst.cpu_ms)

    def steady(self, side: str, result: Steady) -> None:
        """Latencies at a steady rate."""
        self.add("steady p50", side, result.p50_ms)
        self.add("steady p95", side, result.p95_ms)
        self.add("steady unanswered", side, result.unanswered)

    def fan_out(self, metric: str, fan_out: FanOut) -> None:
        """A fan-out of Wijkhulp's."""
        self.add(f"{metric} rate", "wijkhulp", fan_out.per_second)
        self.add(f"{metric} 429", "wijkhulp", fan_out.too_many_requests)
        self.add(f"{metric} messages", "wijkhulp", fan_out.messages)


def seen(burst: Burst) -> str:
    """The most common answers, for the progress lines."""
    return "; ".join(f"{count} x {text!r}" for text, count in burst.answers.items())


def refusals(target: Bare | Wijkhulp) -> list[str]:
    """Calls the server refused other than flood-limit 429s: each one means the bench measured something wrong."""
    return [str(r) for r in target.server.refusals if r.error_code != 429]


def told(who: str, what: str, burst: Burst) -> None:
    """A progress line for a burst."""
    say(
        f"{who}: {burst.updates} {what} at {burst.per_second:.1f}/s, {burst.cpu_ms:.1f} ms CPU each, "
        f"busy {100 * burst.busy:.0f}% of the time; {seen(burst)}"
    )


def say(text: str) -> None:
    """Progress on stderr, so that stdout holds the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def run_bare(
    bare: Bare, options: Options, figures: Figures, record: dict[str, object], side: str = "bare"
) -> None:
    """One run of every scenario on the bare bot (the floor, side "floor", skips the steady rate)."""
    users = bare.users
    result = await help_burst(bare, users[: options.help_n], options.within(options.help_n))
    figures.burst("help", side, result)
    record["help"] = asdict(result)
    told(side, "/help", result)
    pressers = users[: options.rsvp_n]
    messages = await bare.buttons(pressers, options.within(len(pressers)))
    result = await press_burst(bare, pressers, messages, "Ja", options.within(len(pressers)))
    figures.burst("rsvp", side, result)
    record["rsvp"] = asdict(result)
    told(side, "presses (answer + edit)", result)
    pressers = users[: options.offer_n]
    messages = await bare.buttons(pressers, options.within(len(pressers)))
    result = await press_burst(bare, pressers, messages, "Ik kan alles", options.within(len(pressers)))
    figures.burst("offer", side, result)
    record["offer"] = asdict(result)
    told(side, "presses (+ a notice)", result)
    if side != "bare":
        return
    calm = await steady(bare, users, options.rate, options.steady_seconds, options.within(len(users)))
    figures.steady("bare", calm)
    record["steady"] = asdict(calm)
    say(f"bare: steady {options.rate:g}/s: p50 {calm.p50_ms:.0f} ms, p95 {calm.p95_ms:.0f} ms")


async def run_wijkhulp(
    bot: Wijkhulp, options: Options, figures: Figures, repeat: int, record: dict[str, object]
) -> None:
    """One run of every scenario on Wijkhulp."""
    users = bot.users
    result = await help_burst(bot, users[: options.help_n], options.within(options.help_n))
    figures.burst("help", "wijkhulp", result)
    record["help"] = asdict(result)
    told("Wijkhulp", "/help", result)
    invited, invitations = await bot.invite(repeat, options.within(4 * len(users)))
    figures.fan_out("invitations", invited)
    record["invitations"] = asdict(invited)
    say(
        f"Wijkhulp: {invited.messages} invitation messages at {invited.per_second:.1f}/s, "
        f"{invited.too_many_requests} x 429"
    )
    pressers = users[: options.rsvp_n]
    result = await press_burst(bot, pressers, invitations[: options.rsvp_n], "Ja", options.within(len(pressers)))
    figures.burst("rsvp", "wijkhulp", result)
    record["rsvp"] = asdict(result)
    told("Wijkhulp", "RSVP presses", result)
    copied, copies = await bot.post_request(repeat, options.within(4 * options.offer_n))
    figures.fan_out("copies", copied)
    record["copies"] = asdict(copied)
    say(f"Wijkhulp: {copied.messages} request copies at {copied.per_second:.1f}/s, {copied.too_many_requests} x 429")
    result = await press_burst(bot, bot.helpers, copies, "Ik kan alles", options.within(len(copies)))
    figures.burst("offer", "wijkhulp", result)
    record["offer"] = asdict(result)
    told("Wijkhulp", "offer presses", result)
    calm = await steady(bot, users, options.rate, options.steady_seconds, options.within(len(users)))
    figures.steady("wijkhulp", calm)
    record["steady"] = asdict(calm)
    say(f"Wijkhulp: steady {options.rate:g}/s: p50 {calm.p50_ms:.0f} ms, p95 {calm.p95_ms:.0f} ms")


async def run_scale(bot: Wijkhulp, options: Options, figures: Figures) -> None:
    """The cost of an RSVP press should not grow with the invitation: the same number of people press on an
    invitation to `scale_small` and on one to `scale_large` (the rest exist only in the database)."""
    small, large = options.scale_small, options.scale_large
    say(f"scale: seeding wijk zuidwest ({small} members) and centrum ({large}, of whom {small} with a chat)")
    people = {
        "small": ("zuidwest", await bot.seed_wijk("zuidwest", small, 0)),
        "large": ("centrum", await bot.seed_wijk("centrum", small, max(0, large - small))),
    }
    within = options.within(4 * small)
    for repeat in range(1, options.repeat + 1):
        for label, (wijk, users) in people.items():
            _fan_out, invitations = await bot.meeting(f"Schaal {label} {repeat}", wijk, users, within, strict=False)
            result = await press_burst(bot, users, invitations, "Ja", within)
            figures.add(f"scale {label} cpu", "wijkhulp", result.cpu_ms)
            told("Wijkhulp", f"RSVP presses on an invitation to {small if label == 'small' else large}", result)


async def run_reminders(bot: Wijkhulp, options: Options, figures: Figures) -> None:
    """`reminders` people in wijk zuidoost, one meeting, every reminder due at once; measured once (it takes
    count/30 seconds of sending at Telegram's pace)."""
    say(f"reminders: seeding wijk zuidoost ({options.reminders} members with a chat)")
    people = await bot.seed_wijk("zuidoost", options.reminders, 0)
    reminded = await bot.reminders("zuidoost", people, 180.0 + 3 * options.reminders / TELEGRAM_RATE)
    figures.fan_out("reminders", reminded.fan_out)
    figures.add("reminders duplicates", "wijkhulp", reminded.duplicates)
    figures.add("help during fan-out", "wijkhulp", reminded.help_ms)
    figures.add("reminders missing", "wijkhulp", reminded.missing)
    figures.add("rss peak", "wijkhulp", reminded.peak_rss_mb)
    figures.add("rss", "wijkhulp", reminded.rss_mb)
    say(
        f"Wijkhulp: {reminded.fan_out.messages} reminders at {reminded.fan_out.per_second:.1f}/s, "
        f"{reminded.fan_out.too_many_requests} x 429, {reminded.duplicates} duplicates, {reminded.missing} missing; "
        f"a /help meanwhile answered in {reminded.help_ms:.0f} ms; "
        f"RSS {reminded.rss_mb:.0f} MB (peak {reminded.peak_rss_mb:.0f} MB)"
    )


async def measure(options: Options) -> tuple[Figures, dict[str, object]]:
    """Both bots up, every scenario `repeat` times, alternating bare and Wijkhulp; then both stopped."""
    folder = workdir(options.workdir)
    figures = Figures()
    problems: list[str] = []
    postgres = os.environ.get("WIJKHULP_TEST_POSTGRES_URL", "")
    say(f"setting up in {folder} ({'PostgreSQL' if postgres else 'SQLite'}, {options.members} members)")
    bare = await Bare.create(folder, options.members, options.bare_rate_limiter)
    floor = None
    try:
        if options.floor:
            floor = await Bare.create(
                folder, options.members, options.bare_rate_limiter, database=True, postgres_admin=postgres
            )
        bot = await Wijkhulp.create(folder, options.members, options.offer_n, postgres)
        try:
            for repeat in range(1, options.repeat + 1):
                say(f"run {repeat} of {options.repeat}")
                bare_record: dict[str, object] = {}
                floor_record: dict[str, object] = {}
                bot_record: dict[str, object] = {}
                await run_bare(bare, options, figures, bare_record)
                if floor is not None:
                    await run_bare(floor, options, figures, floor_record, side="floor")
                await run_wijkhulp(bot, options, figures, repeat, bot_record)
                figures.runs.append({"run": repeat, "bare": bare_record, "floor": floor_record, "wijkhulp": bot_record})
            if min(options.scale_small, options.scale_large) > 0:
                await run_scale(bot, options, figures)
            if options.reminders > 0:
                await run_reminders(bot, options, figures)
            if bot.process.tracebacks:
                problems.append(f"Wijkhulp logged {bot.process.tracebacks} traceback(s); see {bot.process.log_path}")
            problems.extend(f"the server refused Wijkhulp: {r}" for r in refusals(bot)[:10])
        finally:
            await bot.close()
    finally:
        problems.extend(f"the server refused the bare bot: {r}" for r in refusals(bare)[:10])
        await bare.close()
        if floor is not None:
            problems.extend(f"the server refused the floor bot: {r}" for r in refusals(floor)[:10])
            await floor.close()
    if options.ladder_members > 0:
        say(f"ladder: seeding {options.ladder_members} members for one round in-process")
        timings = await ladder_round(
            folder, options.ladder_members, options.ladder_asked, options.repeat, postgres_admin=postgres
        )
        for value in timings:
            figures.add("ladder ms", "wijkhulp", value)
        say(f"ladder: one round at {options.ladder_members} members: {', '.join(f'{t:.0f}' for t in timings)} ms")
    national: dict[str, object] = {}
    if options.national:
        sizes = options.national_sizes
        say(f"monthly report: a year of history for {sizes.name} (a SQLite file kept by an earlier run is reused)")
        timed = await national_report(folder, sizes, options.repeat, postgres_admin=postgres)
        for value in timed.monthly_ms:
            figures.add("monthly report ms", "wijkhulp", value)
        for value in timed.year_ms:
            figures.add("year figures ms", "wijkhulp", value)
        national = asdict(timed)
        say(
            f"monthly report: seeded in {timed.seed_s:.0f} s{' (reused)' if timed.reused else ''}; "
            f"{timed.requests} requests, {timed.rows} rows; {', '.join(f'{t:.0f}' for t in timed.monthly_ms)} ms; "
            f"12 months ({timed.year_requests} requests): {', '.join(f'{t:.0f}' for t in timed.year_ms)} ms"
        )
    for problem in problems:
        say(f"problem: {problem}")
    database = "postgresql" if postgres else "sqlite"
    return figures, {"workdir": str(folder), "database": database, "problems": problems, "national report": national}


# --- the table ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table."""

    work: str
    bare: str
    wijkhulp: str
    ratio: str
    target: str
    result: str  # PASS, FAIL, "" (information only) or "not measured yet"
    floor: str = "-"  # the bare bot with a database (SQLAlchemy + the driver, a read and a write per update)
    floor_ratio: str = "-"  # Wijkhulp against that floor


def spread(values: list[float], digits: int = 1) -> str:
    """Median, and min-max when there is more than one value."""
    if not values:
        return "-"
    middle = f"{statistics.median(values):.{digits}f}"
    if len(values) == 1:
        return middle
    return f"{middle} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def _median(values: list[float] | None) -> float | None:
    return statistics.median(values) if values else None


def rows(figures: Figures, options: Options) -> list[Row]:
    """The table: each burst's rate and CPU against the bare bot, the fan-outs, the steady rate, what is left."""
    v = figures.values
    table: list[Row] = []

    def compare(metric: str, work: str, factor: float, faster_is_higher: bool) -> None:
        bare, ours = v.get(metric, {}).get("bare", []), v.get(metric, {}).get("wijkhulp", [])
        floor = v.get(metric, {}).get("floor", [])
        b, w, f = _median(bare), _median(ours), _median(floor)
        ratio = None
        if b and w:
            ratio = b / w if faster_is_higher else w / b
        floor_ratio = None
        if f and w:
            floor_ratio = f / w if faster_is_higher else w / f
        table.append(
            Row(
                work,
                spread(bare),
                spread(ours),
                f"{ratio:.1f}x" if ratio is not None else "-",
                f"within {factor:g}x of bare",
                "-" if ratio is None else ("PASS" if ratio <= factor else "FAIL"),
                spread(floor),
                f"{floor_ratio:.1f}x" if floor_ratio is not None else "-",
            )
        )

    members = options.members + 1  # and the requesting practice manager
    compare("help rate", f"{options.help_n} /help queued at once: updates/s", 2, True)
    compare("help cpu", "CPU per /help, ms", 2, False)
    compare("rsvp rate", f"{options.rsvp_n} RSVP presses on an invitation to {members}: updates/s", 3, True)
    compare("rsvp cpu", "CPU per RSVP press, ms", 3, False)
    compare("offer rate", f"{options.offer_n} offers pressed on one request's copies: updates/s", 3, True)
    compare("offer cpu", "CPU per offer press, ms", 3, False)
    for metric, work in (
        ("invitations", f"invitations to {members} people (text + .ics): messages/s"),
        ("copies", f"request copies to {options.offer_n} helpers: messages/s"),
    ):
        rate = v.get(f"{metric} rate", {}).get("wijkhulp", [])
        refused = v.get(f"{metric} 429", {}).get("wijkhulp", [])
        floor = TELEGRAM_RATE / FAN_OUT_SLACK
        low = min(rate) if rate else None
        ok = low is not None and low >= floor and not any(refused)
        sent = v.get(f"{metric} messages", {}).get("wijkhulp", [])
        # Telegram lets a second's worth (30) go at once: a fan-out says something about the pace only well beyond.
        too_small = bool(sent) and statistics.median(sent) < 3 * TELEGRAM_RATE
        table.append(
            Row(
                work + f", 429s served: {spread(refused, 0)}",
                f"{TELEGRAM_RATE:g} (limit)",
                spread(rate),
                f"{TELEGRAM_RATE / _median(rate):.1f}x" if rate and _median(rate) else "-",  # type: ignore[operator]
                f">= {floor:.1f}/s (M/30 s x {FAN_OUT_SLACK}), 0 x 429",
                "-" if low is None else ("too few to judge" if too_small else ("PASS" if ok else "FAIL")),
            )
        )
    for metric, label, target in (
        ("steady p50", "p50", ""),
        ("steady p95", "p95", f"< {STEADY_P95_MS:g} ms"),
    ):
        bare, ours = v.get(metric, {}).get("bare", []), v.get(metric, {}).get("wijkhulp", [])
        b, w = _median(bare), _median(ours)
        result = ""
        if target and w is not None:
            result = "PASS" if w < STEADY_P95_MS else "FAIL"
        table.append(
            Row(
                f"steady {options.rate:g} /help a second for {options.steady_seconds:g} s: {label} time to answer, ms",
                spread(bare, 0),
                spread(ours, 0),
                f"{w / b:.1f}x" if b and w is not None else "-",
                target or "-",
                result,
            )
        )
    ladder = v.get("ladder ms", {}).get("wijkhulp", [])
    if ladder:
        table.append(
            Row(
                f"one ladder round at {options.ladder_members} members ({options.ladder_asked} asked), in-process: ms",
                "-",
                spread(ladder, 0),
                "-",
                f"< {LADDER_MS:g} ms",
                "PASS" if statistics.median(ladder) < LADDER_MS else "FAIL",
            )
        )
    else:
        table.append(Row("one ladder round at 100,000 members", "-", "-", "-", f"< {LADDER_MS:g} ms", "not measured"))
    small, large = v.get("scale small cpu", {}).get("wijkhulp", []), v.get("scale large cpu", {}).get("wijkhulp", [])
    if small and large:
        ratio = statistics.median(large) / statistics.median(small)
        table.append(
            Row(
                f"CPU per RSVP press, invitation to {options.scale_large} vs to {options.scale_small}: ms",
                "-",
                f"{spread(large)} vs {spread(small)}",
                f"{ratio:.2f}x",
                "within 20% (1.2x)",
                "PASS" if ratio <= 1.2 else "FAIL",
            )
        )
    else:
        table.append(Row("RSVP press with 50 vs 5,000 invitees", "-", "-", "-", "within 20%", "not measured"))
    table.extend(_reminder_rows(v, options))
    table.extend(_report_rows(v, options))
    return table


def _report_rows(v: dict[str, dict[str, list[float]]], options: Options) -> list[Row]:
    """One region's monthly report, and its 12 months of figures, in a country of the issue's size."""
    monthly, year = v.get("monthly report ms", {}).get("wijkhulp", []), v.get("year figures ms", {}).get("wijkhulp", [])
    target = f"< {REPORT_MS:g} ms"
    if not monthly:
        return [
            Row("monthly report of a region, national size (year of history)", "-", "-", "-", target, "not measured")
        ]
    sizes = options.national_sizes
    country = f"{sizes.practices} practices, {sizes.requests} requests, {sizes.asked} asked"
    return [
        Row(
            f"monthly report of a region, national size (year of history: {country}), in-process: ms",
            "-",
            spread(monthly, 0),
            "-",
            target,
            "PASS" if statistics.median(monthly) < REPORT_MS else "FAIL",
        ),
        Row(
            "the same region's figures over 12 months (/cijfers: summary, CSV, chart), in-process: ms",
            "-",
            spread(year, 0),
            "-",
            target,
            "PASS" if statistics.median(year) < REPORT_MS else "FAIL",
        ),
    ]


def _reminder_rows(v: dict[str, dict[str, list[float]]], options: Options) -> list[Row]:
    """The reminders all due at once: pace and 429s, duplicates and missing, the bot's memory."""
    rate = v.get("reminders rate", {}).get("wijkhulp", [])
    if not rate:
        return [Row("10,000 reminders due at once", "-", "-", "-", "sent within Telegram's limit", "not measured")]
    refused = v["reminders 429"]["wijkhulp"]
    doubled, missing = v["reminders duplicates"]["wijkhulp"], v["reminders missing"]["wijkhulp"]
    peak = v["rss peak"]["wijkhulp"]
    meanwhile = v["help during fan-out"]["wijkhulp"]
    floor = TELEGRAM_RATE / FAN_OUT_SLACK
    return [
        Row(
            f"{options.reminders} reminders due at once: messages/s, 429s served: {spread(refused, 0)}",
            f"{TELEGRAM_RATE:g} (limit)",
            spread(rate),
            f"{TELEGRAM_RATE / statistics.median(rate):.1f}x" if statistics.median(rate) else "-",
            f">= {floor:.1f}/s (M/30 s x {FAN_OUT_SLACK}), 0 x 429",
            "PASS" if min(rate) >= floor and not any(refused) else "FAIL",
        ),
        Row(
            f"{options.reminders} reminders: sent twice / not sent",
            "-",
            f"{spread(doubled, 0)} / {spread(missing, 0)}",
            "-",
            "0 / 0",
            "PASS" if not any(doubled) and not any(missing) else "FAIL",
        ),
        Row(
            "a /help sent during those reminders: time to answer, ms",
            "-",
            spread(meanwhile, 0),
            "-",
            f"< {MEANWHILE_MS:g} ms",
            "PASS" if max(meanwhile) < MEANWHILE_MS else "FAIL",
        ),
        Row(
            "bot RSS at its peak (VmHWM, whole run), MB",
            "-",
            spread(peak, 0),
            "-",
            f"< {RSS_MB:g} MB",
            "PASS" if max(peak) < RSS_MB else "FAIL",
        ),
    ]


def render(table: list[Row]) -> str:
    """A Markdown table (it reads well on a terminal too)."""
    head = Row("work", "bare PTB", "Wijkhulp", "ratio", "target", "result", "PTB + database", "Wijkhulp vs that")
    lines = [head, *table]
    # The floor sits between the two bots; its ratio after the result, as information beside the target.
    columns: tuple[str, ...] = ("work", "bare", "floor", "wijkhulp", "ratio", "target", "result", "floor_ratio")
    if all(row.floor == "-" for row in table):
        columns = columns[:2] + columns[3:-1]
    widths = [max(len(getattr(r, f)) for r in lines) for f in columns]
    out = []
    for index, row in enumerate(lines):
        cells = [getattr(row, f).ljust(w) for f, w in zip(columns, widths, strict=True)]
        out.append("| " + " | ".join(cells) + " |")
        if index == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def machine() -> dict[str, object]:
    """Commit, cores, load: what the numbers depend on."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "commit": git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else ""),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "cores": os.cpu_count(),
        "load average (1, 5, 15 min) at start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def run(options: Options, out: Callable[[str], None] = print) -> tuple[int, dict[str, object]]:
    """Measure, print, write the report."""
    host = machine()
    started = time.monotonic()
    figures, where = await measure(options)
    table = rows(figures, options)
    host["load average (1, 5, 15 min) at end"] = [round(x, 2) for x in os.getloadavg()]
    out(f"Wijkhulp benchmark: commit {host['commit']} on {host['branch']}")
    out(
        f"machine: {host['cores']} cores, load {host['load average (1, 5, 15 min) at start']} at start, "
        f"{host['load average (1, 5, 15 min) at end']} at end; Python {host['python']}; {where['database']}"
    )
    out(f"{options.repeat} run(s): medians (min-max); wall time {time.monotonic() - started:.0f} s\n")
    out(render(table))
    problems = where["problems"]
    assert isinstance(problems, list)
    for problem in problems:
        out(f"problem: {problem}")
    failed = sum(1 for r in table if r.result == "FAIL")
    report: dict[str, object] = {
        "machine": host,
        "options": {**asdict(options), "members": options.members},
        **where,
        "table": [asdict(r) for r in table],
        "values": figures.values,
        "runs": figures.runs,
    }
    if options.report:
        text = json.dumps(report, indent=2) + "\n"
        await asyncio.to_thread(Path(options.report).write_text, text, encoding="utf-8")
    return (1 if failed and options.fail_on_target else 0), report


async def _stoppable(options: Options) -> tuple[int, dict[str, object]]:
    """run(), cancelled by SIGTERM or SIGINT so that both bots are stopped and a PostgreSQL database dropped."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    return await run(options)


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    options = parse_args(argv)
    try:
        status, _report = asyncio.run(_stoppable(options))
    except asyncio.CancelledError:
        say("stopped; both bots were stopped")
        return 130
    sys.stdout.flush()
    return status
