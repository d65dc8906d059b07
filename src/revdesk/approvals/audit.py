"""Append to the audit log and verify it: every workflow action writes exactly one entry.

`append` first bumps the one-row `audit_head` (an UPDATE: a row lock on PostgreSQL, the write
lock on SQLite), so concurrent appends queue and each links to the hash before it. There is
no update or delete here; on PostgreSQL a trigger refuses them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from revdesk.approvals.audit_chain import FIELDS, GENESIS, AuditBreak, entry_hash, first_break
from revdesk.approvals.tables import AuditHead, AuditLog
from revdesk.core.clock import ensure_utc

__all__ = ["AuditReport", "append", "entries", "verify"]

_BATCH = 5000


@dataclass(frozen=True, slots=True)
class AuditReport:
    """How many entries were checked and the first break (None: the chain holds)."""

    checked: int
    broken: AuditBreak | None

    @property
    def ok(self) -> bool:
        """Whether the whole chain verified."""
        return self.broken is None


def _lock_head(session: Session) -> tuple[int, str]:
    """Take the head (and with it the append lock); create it on an empty database."""
    bumped = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_id=AuditHead.last_id + 1)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(AuditHead).values(id=1, last_id=1, last_hash=GENESIS))
    row = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1))
    last_id, last_hash = row.one()
    return int(last_id), str(last_hash)


def append(
    session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    request_id: int | None = None,
    comment: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> int:
    """Add one entry linked to the last one; returns its id. Runs in the caller's transaction."""
    session.flush()
    new_id, prev_hash = _lock_head(session)
    row: dict[str, Any] = {
        "id": new_id,
        "at": ensure_utc(at),
        "actor_id": actor_id,
        "action": str(action),
        "entity": entity,
        "entity_id": entity_id,
        "request_id": request_id,
        "comment": comment,
        "before": dict(before) if before is not None else None,
        "after": dict(after) if after is not None else None,
    }
    digest = entry_hash(prev_hash, row)
    session.execute(insert(AuditLog).values(**row, prev_hash=prev_hash, hash=digest))
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=digest))
    return new_id


def entries(session: Session, *, request_id: int) -> list[dict[str, Any]]:
    """The entries of one request, oldest first."""
    rows = session.execute(
        select(AuditLog).where(AuditLog.request_id == request_id).order_by(AuditLog.id)
    ).scalars()
    return [{name: getattr(entry, name) for name in FIELDS} for entry in rows]


def verify(session: Session) -> AuditReport:
    """Walk the whole chain and report the first entry that was edited, deleted or moved."""
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash)).first()
    columns = [getattr(AuditLog, name) for name in (*FIELDS, "prev_hash", "hash")]
    result = session.execute(
        select(*columns).order_by(AuditLog.id).execution_options(yield_per=_BATCH)
    )
    try:  # a break stops the walk early: close the (server-side) cursor in any case
        checked, broken = first_break(
            (dict(row._mapping) for row in result),
            head_id=int(head[0]) if head else None,
            head_hash=str(head[1]) if head else None,
        )
    finally:
        result.close()
    return AuditReport(checked, broken)
