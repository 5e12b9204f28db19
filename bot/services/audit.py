"""The audit log: who did what, as ids and event names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    action: str,
    region_id: int | None = None,
    actor_member_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current transaction, so it lands with the change it describes."""
    session.add(
        AuditEntry(
            at=at,
            action=action,
            region_id=region_id,
            actor_member_id=actor_member_id,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details or {},
        )
    )
