"""A hand-built month of requests, offers and people asked, for the figures' tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.meetings import ActionPoint, Answer, Meeting, MeetingInvitee, MeetingOccurrence, OccurrenceStatus
from db.models import (
    Daypart,
    Member,
    MemberRole,
    Offer,
    OfferSlot,
    OfferStatus,
    Practice,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
    Wijk,
)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A UTC instant in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class History:
    """Builds requests, offers and recipients row by row, as the services would have left them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.next_telegram_id = 9000

    async def practice(self, code: str) -> Practice:
        found = (await self.session.execute(select(Practice).where(Practice.code == code))).scalar_one()
        return found

    async def member(self, practice: str | None, role: Role = Role.DOKTERSASSISTENT) -> Member:
        self.next_telegram_id += 1
        practice_id = (await self.practice(practice)).id if practice else None
        member = Member(
            telegram_user_id=self.next_telegram_id,
            region_id=1,
            practice_id=practice_id,
            language="nl",
            joined_at=at(1, 8),
            role_rows=[MemberRole(role=role)],
        )
        self.session.add(member)
        await self.session.flush()
        return member

    async def request(
        self, practice: str, created: datetime, days: int, *, role: str = "doktersassistent", status: RequestStatus
    ) -> ShortageRequest:
        found = await self.practice(practice)
        first = created.date() + timedelta(days=2)
        request = ShortageRequest(
            region_id=1,
            practice_id=found.id,
            wijk_id=found.wijk_id,
            role_needed=role,
            urgency=Urgency.NORMAAL,
            status=status,
            created_at=created,
            ends_at=created + timedelta(days=days + 3),
            slots=[
                RequestSlot(
                    day=first + timedelta(days=i),
                    daypart=Daypart.OCHTEND,
                    start_at=datetime.combine(first + timedelta(days=i), datetime.min.time(), UTC),
                    end_at=datetime.combine(first + timedelta(days=i), datetime.min.time(), UTC) + timedelta(hours=4),
                )
                for i in range(days)
            ],
        )
        if status is RequestStatus.CANCELLED:
            request.cancel_reason = "solved"
        self.session.add(request)
        await self.session.flush()
        return request

    async def asked(self, request: ShortageRequest, member: Member, round_: int) -> None:
        self.session.add(
            RequestRecipient(
                request_id=request.id,
                member_id=member.id,
                chat_id=member.telegram_user_id,
                created_at=request.created_at,
                round=round_,
            )
        )

    async def offer(
        self,
        request: ShortageRequest,
        member: Member,
        slots: list[int],
        made: datetime,
        status: OfferStatus,
        decided: datetime | None = None,
    ) -> Offer:
        offer = Offer(request_id=request.id, member_id=member.id, status=status, created_at=made, decided_at=decided)
        self.session.add(offer)
        await self.session.flush()
        for index in slots:
            slot = request.slots[index]
            self.session.add(OfferSlot(offer_id=offer.id, slot_id=slot.id))
            if status is OfferStatus.ACCEPTED:
                slot.filled_offer_id = offer.id
        await self.session.flush()
        return offer


async def build(h: History) -> None:
    """November 2026 in centrum and noordwest, one request in October and one just into December."""
    a = await h.member("jekerkwartier")
    b = await h.member("vrijthof")
    c = await h.member("wyck")
    d = await h.member("maasoever", Role.HUISARTS)
    e = await h.member(None, Role.MEDISCH_STUDENT)
    f = await h.member("ceramique")

    # Filled whole: the first day-part at once, the second withdrawn by one helper and filled by another.
    r1 = await h.request("maasoever", at(2, 8), 2, status=RequestStatus.FILLED)
    await h.asked(r1, a, 1)
    await h.asked(r1, b, 2)
    await h.asked(r1, c, 2)
    await h.offer(r1, a, [0], at(2, 8, 30), OfferStatus.ACCEPTED, at(2, 9))
    await h.offer(r1, b, [1], at(2, 9, 30), OfferStatus.WITHDRAWN, at(2, 9, 45))
    await h.offer(r1, c, [1], at(2, 10), OfferStatus.ACCEPTED, at(2, 11))

    # Partly filled: one of three day-parts; a student's offer declined.
    r2 = await h.request("jekerkwartier", at(10, 12), 3, role="huisarts", status=RequestStatus.CLOSED)
    await h.asked(r2, d, 1)
    await h.asked(r2, e, 3)
    await h.offer(r2, d, [0], at(10, 12, 15), OfferStatus.ACCEPTED, at(10, 12, 45))
    await h.offer(r2, e, [1, 2], at(10, 13), OfferStatus.DECLINED, at(10, 14))
    # Withdrawn 14 hours before its day-part: late.
    g = await h.member("wyck")
    await h.asked(r2, g, 2)
    await h.offer(r2, g, [1], at(11, 9), OfferStatus.WITHDRAWN, at(12, 10))

    # Cancelled: solved inside the practice.
    await h.request("vrijthof", at(20, 10), 2, status=RequestStatus.CANCELLED)

    # Posted on 30 November at 23:00 Amsterdam time, for a day in December: November's. Filled by someone who
    # was never asked (found it in the wijk group, say): no round.
    r5 = await h.request("malberg", at(30, 22), 1, status=RequestStatus.FILLED)
    await h.offer(r5, f, [0], at(30, 22, 10), OfferStatus.ACCEPTED, at(30, 22, 20))

    # Half past midnight on 1 December, Amsterdam: December's.
    await h.request("malberg", at(30, 23, 30), 1, status=RequestStatus.OPEN)
    # 31 October, 23:30 Amsterdam (after the clocks went back): October's.
    await h.request("maasoever", at(31, 22, 30, month=10), 1, status=RequestStatus.OPEN)


async def build_meetings(h: History) -> None:
    """Centrum's meeting series (two dates held in November, one cancelled, one in December) and a meeting of
    centrum and noordwest together; answers and action points on the first date."""
    h.next_telegram_id = max(h.next_telegram_id, 9500)  # clear of build()'s people
    wijken = {w.code: w for w in (await h.session.execute(select(Wijk))).scalars()}
    a, b, c, f = [await h.member(p) for p in ("jekerkwartier", "vrijthof", "wyck", "caberg")]

    def occurrence(
        position: int, starts: datetime, status: OccurrenceStatus = OccurrenceStatus.SCHEDULED
    ) -> MeetingOccurrence:
        return MeetingOccurrence(
            position=position,
            start_local=starts.replace(tzinfo=None),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            invite_at=starts - timedelta(days=14),
            status=status,
        )

    series = Meeting(
        region_id=1,
        title="Wijkoverleg",
        timezone="Europe/Amsterdam",
        start_local=datetime(2026, 11, 10, 19),
        duration_minutes=120,
        created_at=at(1, 8),
        wijken=[wijken["centrum"]],
        occurrences=[
            occurrence(0, at(10, 18)),
            occurrence(1, at(17, 18), OccurrenceStatus.CANCELLED),
            occurrence(2, at(24, 18)),
            occurrence(3, at(8, 18, month=12)),
        ],
    )
    joint = Meeting(
        region_id=1,
        title="Samen",
        timezone="Europe/Amsterdam",
        start_local=datetime(2026, 11, 12, 19),
        duration_minutes=60,
        created_at=at(1, 8),
        wijken=[wijken["centrum"], wijken["noordwest"]],
        occurrences=[occurrence(0, at(12, 18))],
    )
    h.session.add_all([series, joint])
    await h.session.flush()
    first, _cancelled, second, _december = series.occurrences
    for member, answer, occ in (
        (a, Answer.YES, first),
        (b, Answer.NO, first),
        (c, None, first),
        (a, Answer.MAYBE, second),
    ):
        h.session.add(MeetingInvitee(occurrence_id=occ.id, member_id=member.id, answer=answer, invited_at=at(1, 8)))
    h.session.add(
        MeetingInvitee(occurrence_id=joint.occurrences[0].id, member_id=f.id, answer=Answer.YES, invited_at=at(1, 8))
    )
    for due, done in ((date(2026, 11, 15), at(14, 9)), (date(2026, 11, 20), None), (date(2026, 12, 15), None)):
        h.session.add(
            ActionPoint(
                occurrence_id=first.id,
                region_id=1,
                wijk_id=wijken["centrum"].id,
                text="Poule afspreken",
                due_on=due,
                remind_at=at(1, 8, month=12),
                created_at=at(10, 20),
                done_at=done,
            )
        )
    await h.session.flush()
