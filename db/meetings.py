"""Wijk meetings: series with their local wall time, occurrences, invitees with their answer, reminders as due
times, and action points.

A meeting keeps its local start (naive, in `timezone`) and its RRULE, so that 19:00 stays 19:00 across the clock
change; each occurrence stores its start and end in UTC as well, for the sweeps and for sorting.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, enum_type
from db.models import Member, Practice, Wijk


class Audience(enum.StrEnum):
    """Who is invited: everyone in the wijken, or the practice holders (GPs) and practice managers only."""

    ALL = "all"
    MANAGERS = "managers"


class OccurrenceStatus(enum.StrEnum):
    """An occurrence is scheduled until it is cancelled."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Answer(enum.StrEnum):
    """An invitee's answer; the values travel in callback_data."""

    YES = "y"
    NO = "n"
    MAYBE = "m"


class DueStatus(enum.StrEnum):
    """A due time's life: pending until the sweep handles it once."""

    PENDING = "pending"
    DONE = "done"  # the messages are in the outbox
    SKIPPED = "skipped"  # past before it could be of use (the meeting began, or was planned after it)
    MERGED = "merged"  # held up with a later reminder of the same date: that one message stood for both
    CANCELLED = "cancelled"  # the occurrence was cancelled or moved


meeting_wijk = Table(
    "meeting_wijk",
    Base.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("wijk_id", ForeignKey("wijk.id", ondelete="CASCADE"), primary_key=True),
)


class Meeting(Base):
    """A wijkbijeenkomst, once or as a series (RRULE); `key` is the stable key of an imported meeting."""

    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("region_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    key: Mapped[str | None] = mapped_column(String(100))
    whole_region: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str | None] = mapped_column(String(2000))
    audience: Mapped[Audience] = mapped_column(enum_type(Audience, 16), default=Audience.ALL)
    timezone: Mapped[str] = mapped_column(String(64))
    # The first occurrence's local wall time (no zone): the RRULE is expanded from it in `timezone`.
    start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    rrule: Mapped[str | None] = mapped_column(String(200))
    reminder_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # Planned after series became one calendar entry (migration 0018); a series sent date by date before keeps that.
    series_entry: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())

    wijken: Mapped[list[Wijk]] = relationship(secondary=meeting_wijk, order_by="Wijk.name")
    created_by: Mapped[Member | None] = relationship()
    occurrences: Mapped[list[MeetingOccurrence]] = relationship(
        back_populates="meeting", order_by="MeetingOccurrence.starts_at"
    )

    @property
    def one_entry(self) -> bool:
        """A series held as one calendar entry: one invitation, one file with the rule, later dates silently."""
        return bool(self.rrule) and self.series_entry


class MeetingOccurrence(Base):
    """One date of a meeting, with its own calendar UID (from its id) and SEQUENCE (raised on every change)."""

    __tablename__ = "meeting_occurrence"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # place in the series, stable across reschedules
    start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    status: Mapped[OccurrenceStatus] = mapped_column(
        enum_type(OccurrenceStatus, 16), default=OccurrenceStatus.SCHEDULED
    )
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # When the invitations go out (a series is not sent a year ahead), and whether they did.
    invite_at: Mapped[datetime] = mapped_column(index=True)
    invited_at: Mapped[datetime | None]
    # The one automatic reminder to those who have not answered (handled once: set in the transaction that queues
    # it), and the local day the organiser last asked for one (their button works once a day).
    nudged_at: Mapped[datetime | None]
    nudged_on: Mapped[date | None] = mapped_column(Date)

    meeting: Mapped[Meeting] = relationship(back_populates="occurrences")
    invitees: Mapped[list[MeetingInvitee]] = relationship(back_populates="occurrence", order_by="MeetingInvitee.id")
    reminders: Mapped[list[MeetingReminder]] = relationship(order_by="MeetingReminder.due_at")


class MeetingInvitee(Base):
    """Someone invited to one occurrence, once (the unique key), with their answer."""

    __tablename__ = "meeting_invitee"
    # The answers of a date are counted on every press (the counts line of the card): with the answer in the
    # index the count reads the index alone (a fifth of the time at 5,000 invitees on SQLite).
    __table_args__ = (
        UniqueConstraint("occurrence_id", "member_id"),
        Index("ix_meeting_invitee_occurrence_answer", "occurrence_id", "answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("meeting_occurrence.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    answer: Mapped[Answer | None] = mapped_column(enum_type(Answer, 1))
    answered_at: Mapped[datetime | None]
    invited_at: Mapped[datetime]

    occurrence: Mapped[MeetingOccurrence] = relationship(back_populates="invitees")
    member: Mapped[Member] = relationship()


class MeetingReminder(Base):
    """One reminder of one occurrence, `offset_minutes` before it starts; handled once by the sweep."""

    __tablename__ = "meeting_reminder"
    __table_args__ = (UniqueConstraint("occurrence_id", "offset_minutes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("meeting_occurrence.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[DueStatus] = mapped_column(enum_type(DueStatus, 16), default=DueStatus.PENDING, index=True)
    handled_at: Mapped[datetime | None]


class MeetingGroupPost(Base):
    """A meeting date as posted in a linked wijk group, with the counts, so the post can be edited as answers come
    in; `edit_row_id` is the outbox row of the edit still waiting, which later answers join instead of queueing
    another (a group takes about 20 messages a minute)."""

    __tablename__ = "meeting_group_post"
    __table_args__ = (UniqueConstraint("occurrence_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("meeting_occurrence.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    rendered_digest: Mapped[str | None] = mapped_column(String(64))
    edit_row_id: Mapped[int | None] = mapped_column(Integer)


class ActionPoint(Base):
    """An agreement made at a meeting: what, who (a practice or a person), by when, and whether it is done."""

    __tablename__ = "action_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("meeting_occurrence.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    wijk_id: Mapped[int | None] = mapped_column(ForeignKey("wijk.id"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    owner_practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"), index=True)
    owner_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    remind_at: Mapped[datetime] = mapped_column(index=True)
    reminder_status: Mapped[DueStatus] = mapped_column(enum_type(DueStatus, 16), default=DueStatus.PENDING)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))

    occurrence: Mapped[MeetingOccurrence] = relationship()
    wijk: Mapped[Wijk | None] = relationship()
    owner_practice: Mapped[Practice | None] = relationship()
    owner_member: Mapped[Member | None] = relationship(foreign_keys=[owner_member_id])


class CalendarFeed(Base):
    """A member's personal calendar feed: only the sha256 of its secret token is kept, so the database cannot
    show the URL again; a new token replaces the row's hash, and the old URL then finds nothing."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
