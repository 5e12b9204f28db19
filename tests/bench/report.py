"""A region's monthly report at national size, timed in-process through the services the bot runs (no Telegram).

The database holds a year of history for the whole country (the issue's sizes: 5,000 practices in 25 regions of
20 wijken, 50,000 members, 200,000 requests, 1,000,000 people asked), bulk-loaded with Core inserts in batches.
One region's report of the last whole month is then computed as `render_monthly` and the CLI do (the summary's
`coordinator_view`, the full PDF report, the table's `report_rows` with meetings, the CSV, who-helps-whom as
`lending_csv`, and the fill-rate chart), and, as a second line, the region's figures over the last 12 months as
`/cijfers` shows them.

Seeding a million and more rows takes a minute or two, so a SQLite database is kept in the benchmark's work folder
under a name made of the migration head, the sizes, the month and SEED_VERSION
(`report-<head>-<sizes>-<month>-v<n>.sqlite3`): a later run with the same `--workdir` reuses it (the report only
reads). On PostgreSQL a fresh database is seeded every run.
`python -m tests.bench.report` runs this part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, TypeVar

from alembic.script import ScriptDirectory
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.figures import Period, month_period, months_period
from bot.services.figures_chart import fill_rate_png
from bot.services.figures_pdf import report_pdf
from bot.services.figures_report import EXCEL_STYLES, coordinator_view, figure_row, lending_csv, render_csv, report_rows
from bot.services.requests import CancelReason, NeededRole
from db.base import Base
from db.meetings import (
    ActionPoint,
    Answer,
    Audience,
    Meeting,
    MeetingInvitee,
    MeetingOccurrence,
    OccurrenceStatus,
    meeting_wijk,
)
from db.migrate import alembic_config, upgrade_to_head
from db.models import (
    Daypart,
    Member,
    MemberRole,
    Offer,
    OfferSlot,
    OfferStatus,
    Practice,
    Region,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
    Wijk,
)
from db.session import Database
from tests.bench.bots import ZONE, admin_sql, with_database

BATCH = 5_000
SEED_VERSION = 2  # in the kept file's name: a change to what is seeded makes a new one
PER_REGION = 200  # practices in a region
PER_WIJK = 10  # practices in a wijk
MONTHS = 12
# A practice's people, in this order (ten of them, repeated for a larger practice).
STAFF = (
    Role.PRAKTIJKMANAGER,
    Role.HUISARTS,
    Role.HUISARTS,
    Role.HUISARTS,
    Role.DOKTERSASSISTENT,
    Role.DOKTERSASSISTENT,
    Role.DOKTERSASSISTENT,
    Role.POH_S,
    Role.POH_GGZ,
    Role.TRIAGIST,
)
# What practices ask for, and how often.
ASKED_FOR = (
    (NeededRole.DOKTERSASSISTENT, 40),
    (NeededRole.HUISARTS, 25),
    (NeededRole.ANY_ASSISTANT, 15),
    (NeededRole.POH_S, 8),
    (NeededRole.POH_GGZ, 5),
    (NeededRole.TRIAGIST, 5),
    (NeededRole.MEDISCH_STUDENT, 2),
)
FILLERS = {
    NeededRole.HUISARTS: (Role.HUISARTS,),
    NeededRole.DOKTERSASSISTENT: (Role.DOKTERSASSISTENT,),
    NeededRole.POH_S: (Role.POH_S,),
    NeededRole.POH_GGZ: (Role.POH_GGZ,),
    NeededRole.TRIAGIST: (Role.TRIAGIST,),
    NeededRole.MEDISCH_STUDENT: (Role.MEDISCH_STUDENT,),
    NeededRole.ANY_ASSISTANT: (Role.DOKTERSASSISTENT, Role.TRIAGIST, Role.MEDISCH_STUDENT),
}
CANCEL_REASONS = (
    (CancelReason.SOLVED_INTERNALLY, 50),
    (CancelReason.NOT_NEEDED, 30),
    (CancelReason.MISTAKE, 15),
    (CancelReason.POSTER_LEFT, 5),
)
T = TypeVar("T")
ANSWERS = ((Answer.YES, 50), (Answer.NO, 20), (Answer.MAYBE, 10), (None, 20))


@dataclass(frozen=True)
class Sizes:
    """The country: the issue's totals by default."""

    practices: int = 5_000
    members: int = 50_000
    requests: int = 200_000
    asked: int = 1_000_000

    @property
    def regions(self) -> int:
        """About 200 practices a region."""
        return max(1, round(self.practices / PER_REGION))

    @property
    def name(self) -> str:
        """For file and database names."""
        return f"{self.practices}p-{self.members}m-{self.requests}r-{self.asked}a"


@dataclass
class Timed:
    """What one region's report took, and enough of what it held to see that it was real work."""

    monthly_ms: list[float] = field(default_factory=list)
    year_ms: list[float] = field(default_factory=list)
    seed_s: float = 0.0  # 0 when a seeded SQLite file was reused
    rows: int = 0  # rows of the monthly table (the region, its wijken, practices, roles and urgencies)
    requests: int = 0  # the region's requests in the month
    dayparts_asked: int = 0
    year_requests: int = 0
    lending_lines: int = 0
    chart_bytes: int = 0
    reused: bool = False


def report_month(today: date) -> tuple[int, int]:
    """The last whole month."""
    index = today.year * 12 + today.month - 2
    return index // 12, index % 12 + 1


def migration_head() -> str:
    """The migration the schema is at after upgrade_to_head, for the cache's name."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head or "none"


def _weighted(rng: random.Random, choices: Sequence[tuple[T, int]]) -> T:
    return rng.choices([value for value, _weight in choices], [weight for _value, weight in choices])[0]


@dataclass(frozen=True)
class People:
    """A region's practices and who could fill what, for making its requests."""

    practices: list[tuple[int, int]]  # (practice, wijk)
    fitting: dict[Role, dict[int | None, list[int]]]  # role -> wijk (None: the student pool) -> members
    by_practice: dict[int, list[tuple[int, Role]]]


class Seeder:
    """Bulk inserts, region by region, with ids counted here (every table starts empty)."""

    def __init__(self, sizes: Sizes, history: Period, now: datetime) -> None:
        self.sizes = sizes
        self.history = history
        self.now = now
        self.rng = random.Random(12)
        self.ids: dict[str, int] = {}
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.people: list[People] = []  # by region index (the region's id is one more)

    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def add(self, model: Any, row: dict[str, Any]) -> None:
        table = model if isinstance(model, Table) else model.__table__
        self.rows.setdefault(table, []).append(row)

    async def flush(self, session: AsyncSession) -> None:
        """Every table's rows in dependency order, in batches."""
        for table in Base.metadata.sorted_tables:
            rows = self.rows.pop(table, [])
            for start in range(0, len(rows), BATCH):
                await session.execute(insert(table), rows[start : start + BATCH])

    async def seed(self, database: Database) -> None:
        """The regions with their people and meetings, then the requests in the order they were posted, all
        regions mixed (as the bot writes them: ids and pages follow time, which the planner's choices depend on)."""
        sizes = self.sizes
        for region in range(sizes.regions):
            async with database.session() as session, session.begin():
                self.region(region)
                await self.flush(session)
        span = (self.history.end - self.history.start).total_seconds()
        posted = sorted(
            (self.history.start + timedelta(seconds=self.rng.random() * span), region)
            for region in range(sizes.regions)
            for _ in range(self._share(sizes.requests, region))
        )
        asked_each = sizes.asked / max(1, sizes.requests)
        for start in range(0, len(posted), 2 * BATCH):
            async with database.session() as session, session.begin():
                for created, region in posted[start : start + 2 * BATCH]:
                    people = self.people[region]
                    practice_id, wijk_id = people.practices[self.rng.randrange(len(people.practices))]
                    self.request(
                        region + 1, practice_id, wijk_id, created, people.fitting, people.by_practice, asked_each
                    )
                await self.flush(session)

    def _share(self, total: int, region: int) -> int:
        """This region's share of a total (the first regions take the remainder)."""
        regions = self.sizes.regions
        return total // regions + (1 if region < total % regions else 0)

    def region(self, index: int) -> None:
        rng, now = self.rng, self.now
        region_id = self.next_id("region")
        self.add(
            Region,
            {
                "id": region_id,
                "code": f"regio-{index:02d}",
                "name": f"Regio {index}",
                "timezone": ZONE.key,
                "locale": "nl",
            },
        )
        practice_count = max(1, self._share(self.sizes.practices, index))
        wijken: list[int] = []
        practices: list[tuple[int, int]] = []  # (practice, wijk)
        for number in range(practice_count):
            if number % PER_WIJK == 0:
                new_wijk = self.next_id("wijk")
                wijken.append(new_wijk)
                self.add(
                    Wijk,
                    {
                        "id": new_wijk,
                        "region_id": region_id,
                        "code": f"w{new_wijk}",
                        "name": f"Wijk {new_wijk}",
                        "active": True,
                    },
                )
            new_practice = self.next_id("practice")
            practices.append((new_practice, wijken[-1]))
            self.add(
                Practice,
                {
                    "id": new_practice,
                    "region_id": region_id,
                    "wijk_id": wijken[-1],
                    "code": f"p{new_practice}",
                    "name": f"Huisartsenpraktijk {new_practice}",
                    "active": number % 50 != 49,
                },
            )
        wijk_of = dict(practices)
        # People: a student pool of 1%, the rest staff of the practices; 2% have deleted their data.
        member_count = self._share(self.sizes.members, index)
        students = member_count // 100
        by_practice: dict[int, list[tuple[int, Role]]] = {}
        fitting: dict[Role, dict[int | None, list[int]]] = {}  # role -> wijk (None: students) -> members
        managers: dict[int, list[int]] = {}  # wijk -> practice managers and GPs (meeting invitees)
        for number in range(member_count):
            member_id = self.next_id("member")
            home: tuple[int | None, int | None] = (None, None)
            if number >= students:
                home = practices[number % len(practices)]
            practice_id, wijk_id = home
            role = STAFF[(number // len(practices)) % len(STAFF)] if practice_id else Role.MEDISCH_STUDENT
            deleted = rng.random() < 0.02
            self.add(
                Member,
                {
                    "id": member_id,
                    "telegram_user_id": 700_000_000 + member_id,
                    "region_id": region_id,
                    "practice_id": None if deleted else practice_id,
                    "display_name": "" if deleted else f"Lid {member_id}",
                    "language": "nl",
                    "joined_at": self.history.start - timedelta(days=30),
                    "reach": "wijk",
                    "deleted_at": now - timedelta(days=rng.randint(1, 300)) if deleted else None,
                },
            )
            self.add(MemberRole, {"member_id": member_id, "role": role, "lendable": True})
            if practice_id is not None:
                by_practice.setdefault(practice_id, []).append((member_id, role))
            fitting.setdefault(role, {}).setdefault(wijk_id, []).append(member_id)
            if wijk_id is not None and role in (Role.PRAKTIJKMANAGER, Role.HUISARTS):
                managers.setdefault(wijk_id, []).append(member_id)
        self.people.append(People(practices, fitting, by_practice))
        self.meetings(region_id, wijken, managers, wijk_of)

    def request(
        self,
        region_id: int,
        practice_id: int,
        wijk_id: int,
        created: datetime,
        fitting: dict[Role, dict[int | None, list[int]]],
        by_practice: dict[int, list[tuple[int, Role]]],
        asked_each: float,
    ) -> None:
        rng = self.rng
        role = _weighted(rng, ASKED_FOR)
        urgency = Urgency.SPOED if rng.random() < 0.3 else Urgency.NORMAAL
        request_id = self.next_id("request")
        # Day-parts: today or tomorrow for spoed, up to two weeks ahead otherwise; 1.9 on average.
        local = created.astimezone(ZONE)
        if urgency is Urgency.SPOED:
            first_day = local.date() + timedelta(days=0 if local.hour < 7 else 1)
        else:
            first_day = local.date() + timedelta(days=rng.randint(1, 14))
        count = _weighted(rng, ((1, 45), (2, 30), (3, 15), (4, 10)))
        slots: list[dict[str, Any]] = []
        for number in range(count):
            day = first_day + timedelta(days=number // 2)
            morning = number % 2 == 0
            start = datetime.combine(day, clock(8) if morning else clock(13), ZONE).astimezone(UTC)
            slots.append(
                {
                    "id": self.next_id("slot"),
                    "request_id": request_id,
                    "day": day,
                    "daypart": Daypart.OCHTEND if morning else Daypart.MIDDAG,
                    "start_at": start,
                    "end_at": start + timedelta(hours=4),
                    "filled_offer_id": None,
                    "added_at": None,
                }
            )
        # Who was asked: the wijk first (rounds 1 and 2), then further (3 and 4); a few joined through the group.
        own = {member for member, _role in by_practice.get(practice_id, [])}
        near = [m for r in FILLERS[role] for m in fitting.get(r, {}).get(wijk_id, []) if m not in own]
        far = [m for r in FILLERS[role] for w, ms in fitting.get(r, {}).items() if w != wijk_id for m in ms]
        wanted = max(1, round(rng.uniform(0.5, 1.5) * asked_each))
        chosen: list[tuple[int, int]] = []
        picked_near = rng.sample(near, min(len(near), max(1, wanted * 3 // 5)))
        chosen += [(m, 1 if i < 2 else 2) for i, m in enumerate(picked_near)]
        seen = set(picked_near)
        far_pick = [m for m in rng.sample(far, min(len(far), wanted)) if m not in seen][: wanted - len(chosen)]
        chosen += [(m, 3 if i % 2 == 0 else 4) for i, m in enumerate(far_pick)]
        chosen = [(m, 0 if rng.random() < 0.05 else r) for m, r in chosen]
        for member_id, round_ in chosen:
            asked_at = created + timedelta(minutes=(0, 0, 15, 60, 240)[round_])
            self.add(
                RequestRecipient,
                {
                    "id": self.next_id("recipient"),
                    "request_id": request_id,
                    "member_id": member_id,
                    "chat_id": member_id,
                    "message_id": None,
                    "rendered_digest": None,
                    "declined": False,
                    "created_at": asked_at,
                    "round": round_,
                },
            )
        helpers = [m for m, _r in chosen] or far[:1]
        outcome = rng.random()
        offers: list[dict[str, Any]] = []
        covered: list[tuple[int, list[dict[str, Any]]]] = []

        def offer(status: OfferStatus, minutes: float, decided_after: float | None, member: int | None = None) -> int:
            offer_id = self.next_id("offer")
            made = created + timedelta(minutes=minutes)
            decided = None if decided_after is None else made + timedelta(minutes=decided_after)
            helper = member if member is not None else (helpers[rng.randrange(len(helpers))] if helpers else None)
            offers.append(
                {
                    "id": offer_id,
                    "request_id": request_id,
                    "member_id": helper,
                    "status": status,
                    "created_at": made,
                    "decided_at": decided,
                    "card_message_id": None,
                }
            )
            return offer_id

        fast = 10 if urgency is Urgency.SPOED else 60
        status, reason, closed = RequestStatus.CLOSED, None, slots[-1]["end_at"]
        if helpers and outcome < 0.72:  # filled (60%), or partly (12%: the last day-part stays open)
            whole = outcome < 0.60 or count == 1
            parts = slots if whole else slots[:-1]
            if len(parts) >= 2 and rng.random() < 0.2:  # two helpers share it
                split = len(parts) // 2
                groups = [parts[:split], parts[split:]]
            else:
                groups = [parts]
            for group in groups:
                offer_id = offer(OfferStatus.ACCEPTED, rng.expovariate(1 / fast), rng.expovariate(1 / 30))
                covered.append((offer_id, group))
                for slot in group:
                    slot["filled_offer_id"] = offer_id
            if whole and rng.random() < 0.15:
                covered.append((offer(OfferStatus.MOOT, rng.expovariate(1 / fast) + 5, 30), slots))
            if whole:
                status = RequestStatus.FILLED
                closed = max(o["decided_at"] for o in offers)
        elif outcome < 0.82:  # cancelled, mostly before anyone offered
            status, reason = RequestStatus.CANCELLED, _weighted(rng, CANCEL_REASONS)
            closed = created + timedelta(hours=rng.uniform(1, 48))
            if helpers and rng.random() < 0.3:
                covered.append((offer(OfferStatus.CANCELLED, rng.expovariate(1 / fast), 120), slots))
        if helpers and rng.random() < 0.2:
            covered.append((offer(OfferStatus.DECLINED, rng.expovariate(1 / fast) + 2, rng.expovariate(1 / 20)), slots))
        if helpers and rng.random() < 0.08:  # withdrawn: half of them within a day of the first day-part
            lead = (slots[0]["start_at"] - created).total_seconds() / 60
            made = rng.uniform(1, max(2.0, lead / 2))
            back = lead - made - (rng.uniform(60, 1380) if rng.random() < 0.5 else rng.uniform(1500, 3000))
            covered.append((offer(OfferStatus.WITHDRAWN, made, max(1.0, back)), slots))
        ends = slots[-1]["end_at"]
        self.add(
            ShortageRequest,
            {
                "id": request_id,
                "region_id": region_id,
                "practice_id": practice_id,
                "wijk_id": wijk_id,
                "created_by_member_id": None,
                "role_needed": role.value,
                "urgency": urgency,
                "note": None,
                "status": status,
                "cancel_reason": None if reason is None else reason.value,
                "created_at": created,
                "ends_at": ends,
                "closed_at": closed,
                "round": 4,
                "next_round_at": None,
                "status_message_id": None,
                "status_digest": None,
            },
        )
        for row in offers:
            self.add(Offer, row)
        for row in slots:
            self.add(RequestSlot, row)
        for offer_id, group in covered:
            for slot in group:
                self.add(OfferSlot, {"offer_id": offer_id, "slot_id": slot["id"]})

    def meetings(
        self, region_id: int, wijken: list[int], managers: dict[int, list[int]], wijk_of: dict[int, int]
    ) -> None:
        """A monthly meeting in every wijk over the year, and a region-wide one each quarter, with answers and
        action points."""
        rng = self.rng
        months = [(self.history.first_day.year * 12 + self.history.first_day.month - 1 + i) for i in range(MONTHS)]
        owners = {wijk: [p for p, w in wijk_of.items() if w == wijk] for wijk in wijken}
        plans = [([wijk], months, managers.get(wijk, []), False) for wijk in wijken]
        everyone = [m for wijk in wijken for m in managers.get(wijk, [])]
        plans.append((wijken, months[2::3], everyone[:PER_REGION], True))
        for meeting_wijken, dates, invitees, whole_region in plans:
            meeting_id = self.next_id("meeting")
            first = date(dates[0] // 12, dates[0] % 12 + 1, 10)
            self.add(
                Meeting,
                {
                    "id": meeting_id,
                    "region_id": region_id,
                    "key": f"m{meeting_id}",
                    "whole_region": whole_region,
                    "title": "Wijkoverleg",
                    "location": None,
                    "url": None,
                    "agenda": None,
                    "audience": Audience.MANAGERS,
                    "timezone": ZONE.key,
                    "start_local": datetime.combine(first, clock(12, 30)),
                    "duration_minutes": 90,
                    "rrule": "FREQ=MONTHLY",
                    "reminder_minutes": [],
                    "created_by_member_id": None,
                    "created_at": self.history.start - timedelta(days=20),
                    "cancelled_at": None,
                    "series_entry": True,
                },
            )
            for wijk in meeting_wijken:
                self.add(meeting_wijk, {"meeting_id": meeting_id, "wijk_id": wijk})
            for position, month in enumerate(dates):
                day = date(month // 12, month % 12 + 1, rng.randint(3, 26))
                local = datetime.combine(day, clock(12, 30))
                starts = local.replace(tzinfo=ZONE).astimezone(UTC)
                occurrence_id = self.next_id("occurrence")
                cancelled = rng.random() < 0.05
                self.add(
                    MeetingOccurrence,
                    {
                        "id": occurrence_id,
                        "meeting_id": meeting_id,
                        "position": position,
                        "start_local": local,
                        "starts_at": starts,
                        "ends_at": starts + timedelta(minutes=90),
                        "status": OccurrenceStatus.CANCELLED if cancelled else OccurrenceStatus.SCHEDULED,
                        "sequence": 0,
                        "invite_at": starts - timedelta(days=14),
                        "invited_at": starts - timedelta(days=14),
                        "nudged_at": None,
                        "nudged_on": None,
                    },
                )
                for member_id in invitees:
                    answer = _weighted(rng, ANSWERS)
                    self.add(
                        MeetingInvitee,
                        {
                            "id": self.next_id("invitee"),
                            "occurrence_id": occurrence_id,
                            "member_id": member_id,
                            "answer": answer,
                            "answered_at": None if answer is None else starts - timedelta(days=3),
                            "invited_at": starts - timedelta(days=14),
                        },
                    )
                for _ in range(0 if cancelled else rng.randint(0, 3)):
                    wijk = meeting_wijken[rng.randrange(len(meeting_wijken))]
                    due = day + timedelta(days=rng.randint(7, 60))
                    done = rng.random() < 0.6
                    self.add(
                        ActionPoint,
                        {
                            "id": self.next_id("action"),
                            "occurrence_id": occurrence_id,
                            "region_id": region_id,
                            "wijk_id": None if whole_region else wijk,
                            "text": "Afspraak",
                            "owner_practice_id": rng.choice(owners[wijk]) if owners[wijk] else None,
                            "owner_member_id": None,
                            "due_on": due,
                            "remind_at": datetime.combine(due, clock(9), ZONE).astimezone(UTC),
                            "reminder_status": "pending",
                            "created_by_member_id": None,
                            "created_at": starts,
                            "done_at": starts + timedelta(days=rng.randint(1, 40)) if done else None,
                            "done_by_member_id": None,
                        },
                    )


def same(message: str) -> str:
    """The untranslated text: the timing is about the figures, not the catalogs."""
    return message


async def monthly_report(session: AsyncSession, region_id: int, period: Period, now: datetime) -> dict[str, Any]:
    """The work of one region's monthly report: what `render_monthly` computes (the summary and the full PDF
    report, with its chart, who helps whom and the meetings), plus the table as the CSV its button sends and the
    who-helps-whom CSV and the fill-rate chart that `/cijfers` and the CLI make of the same month."""
    top, parts = await coordinator_view(session, region_id=region_id, period=period, wijk_id=None)
    pdf = await report_pdf(session, region_id=region_id, period=period, wijk_id=None, t=Translator("nl", ZONE), now=now)
    rows = await report_rows(session, region_id=region_id, period=period, translate=same, now=now)
    style = EXCEL_STYLES["nl"]
    table = render_csv(rows, same, style)
    lent = await lending_csv(session, region_id=region_id, period=period, translate=same, style=style, wijk_id=None)
    chart = fill_rate_png(
        [(item.unit.name, item.figures) for item in top + parts], title="Vulgraad", axis_label="dagdelen gevuld (%)"
    )
    return {
        "top": top[0].figures if top else None,
        "rows": len(rows),
        "csv": len(table),
        "lending": lent.count("\n") - 1,
        "chart": len(chart or b""),
        "pdf": len(pdf),
    }


async def year_figures(session: AsyncSession, region_id: int, period: Period) -> dict[str, Any]:
    """The region over the last 12 months as `/cijfers` answers a coordinator: summary, CSV and chart."""
    top, parts = await coordinator_view(session, region_id=region_id, period=period, wijk_id=None)
    shown = top + parts
    table = render_csv([figure_row(item.figures, item.unit, period, same) for item in shown], same, EXCEL_STYLES["nl"])
    chart = fill_rate_png([(item.unit.name, item.figures) for item in shown], title="Vulgraad", axis_label="%")
    return {"top": top[0].figures if top else None, "csv": len(table), "chart": len(chart or b"")}


async def national_report(
    workdir: Path, sizes: Sizes, repeat: int, postgres_admin: str = "", today: date | None = None
) -> Timed:
    """Seed (or reuse) the national history and time one region's report `repeat` times, after one warm-up."""
    now = datetime.now(UTC)
    year, month = report_month(today or now.astimezone(ZONE).date())
    period = month_period(year, month, ZONE)
    history = months_period(year, month, MONTHS, ZONE)
    timed = Timed()
    name = ""
    if postgres_admin:
        name = f"wh_report_{uuid.uuid4().hex[:10]}"
        await admin_sql(postgres_admin, f'CREATE DATABASE "{name}"')
        url = with_database(postgres_admin, name)
        path = None
    else:
        path = workdir / f"report-{migration_head()}-{sizes.name}-{year}-{month:02d}-v{SEED_VERSION}.sqlite3"
        timed.reused = path.exists()
        url = f"sqlite:///{path if timed.reused else path.with_suffix('.seeding')}"
    try:
        if not timed.reused:
            if path is not None:
                await asyncio.to_thread(path.with_suffix(".seeding").unlink, missing_ok=True)
            started = time.perf_counter()
            database = Database(url)
            try:
                await upgrade_to_head(database.engine)
                await Seeder(sizes, history, now).seed(database)
                if postgres_admin:  # as autovacuum does shortly after a load this size
                    async with database.engine.begin() as connection:
                        await connection.execute(text("ANALYZE"))
            finally:
                await database.dispose()
            timed.seed_s = time.perf_counter() - started
            if path is not None:
                await asyncio.to_thread(path.with_suffix(".seeding").rename, path)
                url = f"sqlite:///{path}"
        database = Database(url)
        try:
            region_id = (sizes.regions + 1) // 2  # one in the middle
            for index in range(repeat + 1):
                async with database.reader() as session:
                    started = time.perf_counter()
                    found = await monthly_report(session, region_id, period, now)
                    elapsed = 1000 * (time.perf_counter() - started)
                if index:  # the first is a warm-up: imports (matplotlib), the statement cache, the page cache
                    timed.monthly_ms.append(elapsed)
                async with database.reader() as session:
                    started = time.perf_counter()
                    year_found = await year_figures(session, region_id, history)
                    elapsed = 1000 * (time.perf_counter() - started)
                if index:
                    timed.year_ms.append(elapsed)
            top = found["top"]
            timed.rows, timed.lending_lines, timed.chart_bytes = found["rows"], found["lending"], found["chart"]
            timed.requests = top.requests if top else 0
            timed.dayparts_asked = top.dayparts_asked if top else 0
            timed.year_requests = year_found["top"].requests if year_found["top"] else 0
        finally:
            await database.dispose()
    finally:
        if name:
            await admin_sql(postgres_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return timed


def main(argv: list[str] | None = None) -> int:
    """This part of the benchmark alone: `python -m tests.bench.report [--practices N ...]`."""
    import os

    parser = argparse.ArgumentParser(prog="python -m tests.bench.report", description=__doc__)
    defaults = Sizes()
    parser.add_argument("--practices", type=int, default=defaults.practices)
    parser.add_argument("--members", type=int, default=defaults.members)
    parser.add_argument("--requests", type=int, default=defaults.requests)
    parser.add_argument("--asked", type=int, default=defaults.asked)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default="", help="where the SQLite file is kept (and reused)")
    args = parser.parse_args(argv)
    from tests.bench.bots import workdir

    sizes = Sizes(args.practices, args.members, args.requests, args.asked)
    postgres = os.environ.get("WIJKHULP_TEST_POSTGRES_URL", "")
    timed = asyncio.run(national_report(workdir(args.workdir), sizes, args.repeat, postgres_admin=postgres))
    print(f"{'PostgreSQL' if postgres else 'SQLite'}, {sizes.name}: {timed}")
    print(
        f"monthly report: {statistics.median(timed.monthly_ms):.0f} ms; "
        f"12 months: {statistics.median(timed.year_ms):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
