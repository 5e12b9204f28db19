"""When people can help, the wijk groups that see requests, and the coordinator's daily digest."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, enum_type


class Daypart(enum.StrEnum):
    """A named day-part, or an exact time range."""

    OCHTEND = "ochtend"
    MIDDAG = "middag"
    TIME = "tijd"


class Availability(Base):
    """A recurring day-part on which a member can be lent or cover (weekday 0 is Monday)."""

    __tablename__ = "availability"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True)
    daypart: Mapped[Daypart] = mapped_column(enum_type(Daypart, 16), primary_key=True)


class AvailabilityException(Base):
    """A day the member cannot help (a holiday, a day off), whatever their recurring availability says."""

    __tablename__ = "availability_exception"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class WijkGroup(Base):
    """A Telegram group linked to a wijk: new requests of the wijk are posted there too."""

    __tablename__ = "wijk_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    wijk_id: Mapped[int] = mapped_column(ForeignKey("wijk.id", ondelete="CASCADE"), index=True)
    linked_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime]


class GroupPost(Base):
    """A request as posted in a wijk group, so the post can be edited when the request changes."""

    __tablename__ = "group_post"
    __table_args__ = (UniqueConstraint("request_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("shortage_request.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    rendered_digest: Mapped[str | None] = mapped_column(String(64))


class RequestAlertMessage(Base):
    """A coordinator's alert that a request is still open after the last round, so that it can be edited when
    the request fills, is cancelled or closes (and back, when it opens again)."""

    __tablename__ = "request_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("shortage_request.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    rendered_digest: Mapped[str | None] = mapped_column(String(64))


class DigestSent(Base):
    """One daily digest per region and day, so a restart never sends it twice."""

    __tablename__ = "digest_sent"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
