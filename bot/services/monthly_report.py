"""The monthly report: on the first working day of a month, from 09:00, every coordinator gets last month's figures.

Like the daily digest, the month is recorded per region before anything is queued, in the same transaction, so a
restart or a second worker never sends it twice; a month in which nothing was asked is recorded and not sent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coordination import coordinators
from bot.services.figures import Period, month_period
from bot.services.notices import MonthlyReport
from bot.services.outbox import enqueue
from db.models import MonthlyReportSent, Region, ShortageRequest

REPORT_TIME = time(9, 0)


def first_working_day(year: int, month: int) -> date:
    """The month's first day from Monday to Friday, New Year's Day skipped (no coordinator reads it then)."""
    day = date(year, month, 1)
    while day.weekday() >= 5 or (day.month == 1 and day.day == 1):
        day += timedelta(days=1)
    return day


def month_before(day: date) -> tuple[int, int]:
    """(year, month) of the month before the day's."""
    index = day.year * 12 + day.month - 2
    return index // 12, index % 12 + 1


async def anything_asked(session: AsyncSession, region_id: int, period: Period) -> bool:
    """Whether the region posted any request in the period (one indexed count)."""
    count = await session.scalar(
        select(func.count(ShortageRequest.id)).where(
            ShortageRequest.region_id == region_id,
            ShortageRequest.created_at >= period.start,
            ShortageRequest.created_at < period.end,
        )
    )
    return bool(count)


async def send_monthly_reports(session: AsyncSession, *, now: datetime, zone: ZoneInfo) -> list[int]:
    """From 09:00 on the month's first working day, queue last month's report for each region's coordinators,
    once per region and month; returns the regions handled now."""
    local = now.astimezone(zone)
    if (local.date(), local.time()) < (first_working_day(local.year, local.month), REPORT_TIME):
        return []
    year, month = month_before(local.date())
    period = month_period(year, month, zone)
    handled = []
    for region in await session.scalars(select(Region).order_by(Region.id)):
        try:
            async with session.begin_nested():
                session.add(MonthlyReportSent(region_id=region.id, month=period.first_day))
        except IntegrityError:
            continue  # already sent this month
        handled.append(region.id)
        if not await anything_asked(session, region.id, period):
            continue  # nothing happened: no report
        for coordinator in await coordinators(session, region.id):
            await enqueue(
                session,
                now=now,
                notice=MonthlyReport(region_id=region.id, year=year, month=month),
                chat_id=coordinator.telegram_user_id,
                member_id=coordinator.id,
            )
    return handled
