"""The audit chain's arithmetic (pure): canonical rows, their hashes, and walking a chain.

hash = sha256(prev_hash + canonical JSON of the row's fields, id included). The first row's
prev_hash is 64 zeros. Editing a row changes its hash; deleting or reordering rows breaks
the link from a row's prev_hash to the hash before it; the head row names the last id and
hash, so cutting the tail shows too::

    digest = entry_hash(GENESIS, {"id": 1, "at": "...", "action": "submitted", ...})
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revdesk.core.clock import ensure_utc

__all__ = ["FIELDS", "GENESIS", "AuditBreak", "canonical", "entry_hash", "first_break"]

GENESIS = "0" * 64
FIELDS = (
    "id",
    "at",
    "actor_id",
    "action",
    "entity",
    "entity_id",
    "request_id",
    "comment",
    "before",
    "after",
)


@dataclass(frozen=True, slots=True)
class AuditBreak:
    """The first row where the chain does not hold, and why."""

    row_id: int | None
    reason: str


def _plain(value: object) -> Any:
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat(timespec="microseconds")
    return value


def canonical(row: Mapping[str, object]) -> str:
    """The row's hashed fields as canonical JSON (sorted keys, no spaces, UTC timestamps)."""
    data = {name: _plain(row.get(name)) for name in FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, row: Mapping[str, object]) -> str:
    """sha256 of the previous hash followed by the row's canonical JSON, in hex."""
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def first_break(
    rows: Iterable[Mapping[str, Any]], *, head_id: int | None, head_hash: str | None
) -> tuple[int, AuditBreak | None]:
    """Walk rows in id order: (rows checked, the first break or None)."""
    previous, expected_id, checked = GENESIS, 1, 0
    for row in rows:
        row_id = int(row["id"])
        if row_id != expected_id:
            return checked, AuditBreak(row_id, f"expected entry {expected_id} next, found {row_id}")
        if row["prev_hash"] != previous:
            return checked, AuditBreak(row_id, "prev_hash does not match the entry before it")
        if entry_hash(previous, row) != row["hash"]:
            return checked, AuditBreak(row_id, "the entry's content does not match its hash")
        previous, expected_id, checked = row["hash"], row_id + 1, checked + 1
    last_id = expected_id - 1
    if head_id is None:
        return checked, (AuditBreak(None, "the audit head row is missing") if checked else None)
    if head_id != last_id or head_hash != previous:
        return checked, AuditBreak(
            head_id if head_id > last_id else last_id,
            f"the head names entry {head_id}, but the chain ends at entry {last_id}"
            if head_id != last_id
            else "the head's hash does not match the last entry",
        )
    return checked, None
