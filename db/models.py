"""The data model: the regional network, its members, invites and the audit log.

Times are stored in UTC; the presentation layer converts them to the region's time zone.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Base and UTCDateTime live in db.base, below every model module; the availability models build on it alone.
# Both are named here too, where the migrations, the services and the tests have always found them.
from db.availability import (
    Availability,
    AvailabilityException,
    Daypart,
    DigestSent,
    GroupPost,
    RequestAlertMessage,
    WijkGroup,
)
from db.base import Base, UTCDateTime, enum_type

# Named for the modules that import them from here (mypy --strict wants re-exports listed).
__all__ = [
    "Availability",
    "AvailabilityException",
    "Base",
    "Daypart",
    "DigestSent",
    "GroupPost",
    "RequestAlertMessage",
    "UTCDateTime",
    "WijkGroup",
    "enum_type",
]


class Role(enum.StrEnum):
    """What a member can do; the values are the codes used in invites and on the command line."""

    PRAKTIJKMANAGER = "praktijkmanager"
    HUISARTS = "huisarts"
    DOKTERSASSISTENT = "doktersassistent"
    POH_S = "poh-s"
    POH_GGZ = "poh-ggz"
    TRIAGIST = "triagist"
    MEDISCH_STUDENT = "medisch-student"
    COORDINATOR = "coordinator"


# Roles that belong to a practice; a medical student is in the regional pool, a coordinator in the region.
PRACTICE_ROLES: tuple[Role, ...] = (
    Role.PRAKTIJKMANAGER,
    Role.HUISARTS,
    Role.DOKTERSASSISTENT,
    Role.POH_S,
    Role.POH_GGZ,
    Role.TRIAGIST,
)
INVITABLE_ROLES: tuple[Role, ...] = (*PRACTICE_ROLES, Role.MEDISCH_STUDENT)


wijk_adjacency = Table(
    "wijk_adjacency",
    Base.metadata,
    Column("wijk_id", ForeignKey("wijk.id", ondelete="CASCADE"), primary_key=True),
    Column("adjacent_wijk_id", ForeignKey("wijk.id", ondelete="CASCADE"), primary_key=True),
)

practice_partner = Table(
    "practice_partner",
    Base.metadata,
    Column("practice_id", ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True),
)


class Region(Base):
    """A regional GP organisation's area, split into wijken."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    # Which requested roles the medical-student pool may fill (codes of services.requests.NeededRole).
    student_roles: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["assistent", "medisch-student"])
    # Whether practice managers may schedule meetings for their own wijk (coordinators always may).
    meetings_by_managers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    wijken: Mapped[list[Wijk]] = relationship(back_populates="region", order_by="Wijk.code")


class Wijk(Base):
    """A cluster of neighbouring practices."""

    __tablename__ = "wijk"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    region: Mapped[Region] = relationship(back_populates="wijken")
    adjacent: Mapped[list[Wijk]] = relationship(
        secondary=wijk_adjacency,
        primaryjoin=lambda: Wijk.id == wijk_adjacency.c.wijk_id,
        secondaryjoin=lambda: Wijk.id == wijk_adjacency.c.adjacent_wijk_id,
        order_by="Wijk.code",
    )
    practices: Mapped[list[Practice]] = relationship(back_populates="wijk", order_by="Practice.code")


class Practice(Base):
    """A GP practice (huisartsenpraktijk)."""

    __tablename__ = "practice"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    wijk_id: Mapped[int] = mapped_column(ForeignKey("wijk.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # A practice that left the network file is kept (its history matters) but no longer invited or asked.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    region: Mapped[Region] = relationship()
    wijk: Mapped[Wijk] = relationship(back_populates="practices")
    partners: Mapped[list[Practice]] = relationship(
        secondary=practice_partner,
        primaryjoin=lambda: Practice.id == practice_partner.c.practice_id,
        secondaryjoin=lambda: Practice.id == practice_partner.c.partner_id,
        order_by="Practice.code",
    )


class Member(Base):
    """A person known to the bot: a practice's staff, a pool student or a coordinator."""

    __tablename__ = "member"
    # The ladder's last round: who in the region goes anywhere (bot/services/ladder.py).
    __table_args__ = (Index("ix_member_region_id_reach", "region_id", "reach"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(32))
    share_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime]
    # How far the member will go to help: "wijk" (default), "adjacent" or "region".
    reach: Mapped[str] = mapped_column(String(16), default="wijk")
    paused_until: Mapped[date | None] = mapped_column(Date)
    # Quiet hours, local time, as "HH:MM": normaal requests wait until the end of them.
    quiet_start: Mapped[str] = mapped_column(String(5), default="20:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="07:30")
    # Set by /verwijdermij: the row stays (ids in requests, offers and the audit log point to it) but holds
    # nothing personal any more, and its Telegram id is unlinked (see services.privacy_rights).
    deleted_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship()
    practice: Mapped[Practice | None] = relationship()
    role_rows: Mapped[list[MemberRole]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberRole.role"
    )

    @property
    def roles(self) -> set[Role]:
        """The member's roles as a set."""
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        """Whether the member holds any of the given roles."""
        return bool(self.roles.intersection(roles))

    def paused_on(self, day: date) -> bool:
        """Whether the member muted requests (/pauze) up to and including this day."""
        return self.paused_until is not None and self.paused_until >= day


class MemberRole(Base):
    """One role of a member; a member can hold several."""

    __tablename__ = "member_role"
    # The ladder finds who holds a role without reading every member (bot/services/ladder.py).
    __table_args__ = (Index("ix_member_role_role_member_id", "role", "member_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, 32), primary_key=True)
    # Whether the member can be lent or cover in this role (all of their roles by default).
    lendable: Mapped[bool] = mapped_column(Boolean, default=True)

    member: Mapped[Member] = relationship(back_populates="role_rows")


class Invite(Base):
    """A deep-link invitation to join a practice (or the student pool) in a role."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the code (hex): the code is a bearer secret, and only the link holds it (services/invites.py).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"))
    role: Mapped[Role] = mapped_column(enum_type(Role, 32))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))

    region: Mapped[Region] = relationship()
    practice: Mapped[Practice | None] = relationship()


class AuditEntry(Base):
    """Who did what, when: ids and event names only, never message texts."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="SET NULL"), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class HandledUpdate(Base):
    """A Telegram update the bot has handled. Telegram delivers an update again until a later getUpdates
    confirms it, so after a crash the same update can arrive twice: this row makes the second one a no-op.
    Written in the handler's own transaction when it commits, else right after the update was handled."""

    __tablename__ = "handled_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    # False while the handler that committed may still be replying: a crash then may have cost the reply.
    finished: Mapped[bool] = mapped_column(default=False, server_default=sa_false())


class TelegramPace(Base):
    """Several workers: the one pace of calls to Telegram they share (one row). Each call takes the next slot,
    1/29 s after the one before, whichever worker made it (`bot/services/pace.py`)."""

    __tablename__ = "telegram_pace"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    next_at: Mapped[datetime]


class ReceivedUpdate(Base):
    """An update taken from Telegram and not yet handled through to the end: the bot's inbox. Fetching the next
    batch confirms the last one to Telegram, which then never sends it again; keeping each update here first
    lets the bot fetch on while earlier updates are still being handled, and a restart handles what a crash
    left (`bot/update_order.py`). The row goes in the transaction that marks the update handled."""

    __tablename__ = "received_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]]  # the update as Telegram sent it
    received_at: Mapped[datetime]
    # Several workers (MULTI_WORKER): the chat the update belongs to (else its sender), whose updates are taken
    # one after another, oldest first; and which worker took it, when (a dead worker's claim goes stale).
    chat_key: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_received_update_chat_key_update_id", "chat_key", "update_id"),)


class BotRun(Base):
    """One start of a bot process: a random id made at startup, the worker it runs as, and when it ended. A run is
    known to have ended when it stopped cleanly, or when its worker started again (one worker name runs once at a
    time): its outbox claims are then free at once (bot/services/runs.py)."""

    __tablename__ = "bot_run"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    worker: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ConversationState(Base):
    """python-telegram-bot's persisted state (conversations, user and chat data) as JSON, so a restart
    in the middle of a guided conversation loses nothing."""

    __tablename__ = "conversation_state"

    namespace: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RequestStatus(enum.StrEnum):
    """Where a shortage request stands."""

    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # its last slot has passed


class Urgency(enum.StrEnum):
    """Spoed is today or tomorrow and goes through quiet hours; normaal is everything else."""

    SPOED = "spoed"
    NORMAAL = "normaal"


class OfferStatus(enum.StrEnum):
    """An offer's life: pending until the requester decides; moot when others filled its slots first."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    MOOT = "moot"
    CANCELLED = "cancelled"  # the request was cancelled


class ShortageRequest(Base):
    """A practice's request for help (a hulpvraag): a role, one or more slots, an urgency."""

    __tablename__ = "shortage_request"
    # The figures of a period walk the region's requests by posting time (bot/services/figures.py).
    __table_args__ = (Index("ix_shortage_request_region_id_created_at", "region_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    wijk_id: Mapped[int] = mapped_column(ForeignKey("wijk.id"))
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    role_needed: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, 16))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[RequestStatus] = mapped_column(enum_type(RequestStatus, 16), default=RequestStatus.OPEN, index=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    # The escalation ladder: the round running now (1-4) and when the next one is due, if any.
    round: Mapped[int] = mapped_column(Integer, default=1)
    next_round_at: Mapped[datetime | None] = mapped_column(index=True)
    # The requester's status message ("sent to N people, round 1 of 4", with "ask more widely now"), kept
    # current as rounds start and the request fills, closes or is cancelled; and what it shows now.
    status_message_id: Mapped[int | None] = mapped_column(Integer)
    status_digest: Mapped[str | None] = mapped_column(String(64))

    practice: Mapped[Practice] = relationship()
    wijk: Mapped[Wijk] = relationship()
    created_by: Mapped[Member | None] = relationship()
    slots: Mapped[list[RequestSlot]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestSlot.start_at"
    )
    offers: Mapped[list[Offer]] = relationship(back_populates="request", order_by="Offer.id")


class RequestSlot(Base):
    """One day-part or time range of a request; filled by at most one accepted offer."""

    __tablename__ = "request_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("shortage_request.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    daypart: Mapped[Daypart] = mapped_column(enum_type(Daypart, 16))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    filled_offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id", ondelete="SET NULL"), index=True)
    # When the slot was added to a running request (None: posted with it): a helper who offered before may offer
    # for the days added since, and only for those.
    added_at: Mapped[datetime | None] = mapped_column(default=None)

    request: Mapped[ShortageRequest] = relationship(back_populates="slots")


class Offer(Base):
    """A member's offer to help with some or all slots of a request."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("shortage_request.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)
    status: Mapped[OfferStatus] = mapped_column(enum_type(OfferStatus, 16), default=OfferStatus.PENDING)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    # The requester's card of this offer (Accept / Decline), edited when the offer is decided elsewhere, withdrawn
    # or lapses, so that no card keeps a live Accept for an offer that is gone.
    card_message_id: Mapped[int | None] = mapped_column(Integer)

    request: Mapped[ShortageRequest] = relationship(back_populates="offers")
    member: Mapped[Member | None] = relationship()
    slot_rows: Mapped[list[OfferSlot]] = relationship(back_populates="offer", cascade="all, delete-orphan")


class OfferSlot(Base):
    """A slot an offer covers."""

    __tablename__ = "offer_slot"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("request_slot.id", ondelete="CASCADE"), primary_key=True)

    offer: Mapped[Offer] = relationship(back_populates="slot_rows")
    slot: Mapped[RequestSlot] = relationship()


class RequestRecipient(Base):
    """Someone a request was sent to, once: the unique key is what keeps anyone from being asked twice."""

    __tablename__ = "request_recipient"
    __table_args__ = (UniqueConstraint("request_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("shortage_request.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Fingerprint of what the copy shows now, so that an update that changes nothing is not sent.
    rendered_digest: Mapped[str | None] = mapped_column(String(64))
    declined: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    round: Mapped[int] = mapped_column(Integer, default=1)  # 0: joined through a wijk group's post


class OutboxStatus(enum.StrEnum):
    """An outbox row's life: claimed by one dispatcher while sending, then sent, skipped or failed."""

    PENDING = "pending"
    SENDING = "sending"
    IN_FLIGHT = "in_flight"  # an at-most-once row handed to Telegram, not yet recorded
    SENT = "sent"
    SKIPPED = "skipped"  # no longer worth sending (the request closed before it went out)
    FAILED = "failed"  # Telegram refused for good (blocked, chat gone)
    UNKNOWN = "unknown"  # an at-most-once row whose sender died mid-call: perhaps delivered, never sent again


class OutboxMessage(Base):
    """A message to someone other than the person acting, written in the same transaction as its cause."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("request_recipient.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[OutboxStatus] = mapped_column(enum_type(OutboxStatus, 16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    claimed_at: Mapped[datetime | None]
    # The run (BotRun) that claimed it: a claim of a run known to have ended is free at once, not after the timeout.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(80))


class Installation(Base):
    """The one row that names this installation: its id goes into every calendar UID, so that two installations
    (or a test copy beside production) never share one; made once, by migration 0018."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    uid_id: Mapped[str] = mapped_column(String(32))
    # Occurrences below this id were sent with the UID of before (no installation id) and keep it, so that
    # calendars that hold them update the same event instead of adding a second one.
    legacy_uid_below: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyReportSent(Base):
    """One monthly report per region and month (its first day), so a restart never sends it twice."""

    __tablename__ = "monthly_report_sent"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
