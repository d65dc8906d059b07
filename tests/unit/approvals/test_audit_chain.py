"""The audit chain's arithmetic: hashes by hand, and each kind of tampering found at its row."""

from __future__ import annotations

import hashlib
from typing import Any

from revdesk.approvals.audit_chain import GENESIS, AuditBreak, canonical, entry_hash, first_break


def row(row_id: int, action: str) -> dict[str, Any]:
    return {
        "id": row_id,
        "at": "2026-03-02T10:00:00.000000+00:00",
        "actor_id": 6,
        "action": action,
        "entity": "approval_request",
        "entity_id": 1,
        "request_id": 1,
        "comment": None,
        "before": None,
        "after": {"status": "pending"},
    }


def chain(*actions: str) -> list[dict[str, Any]]:
    rows, previous = [], GENESIS
    for number, action in enumerate(actions, start=1):
        entry = row(number, action)
        entry["prev_hash"], entry["hash"] = previous, entry_hash(previous, entry)
        previous = entry["hash"]
        rows.append(entry)
    return rows


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_row() -> None:
    text = canonical(row(1, "submitted"))
    assert text == (
        '{"action":"submitted","actor_id":6,"after":{"status":"pending"},'
        '"at":"2026-03-02T10:00:00.000000+00:00","before":null,"comment":null,'
        '"entity":"approval_request","entity_id":1,"id":1,"request_id":1}'
    )
    expected = hashlib.sha256((GENESIS + text).encode()).hexdigest()
    assert entry_hash(GENESIS, row(1, "submitted")) == expected


def test_an_intact_chain_verifies() -> None:
    rows = chain("submitted", "approved", "approved")
    assert first_break(rows, head_id=3, head_hash=rows[-1]["hash"]) == (3, None)


def test_an_edited_row_is_found() -> None:
    rows = chain("submitted", "approved", "approved")
    rows[1]["comment"] = "looks fine"
    checked, broken = first_break(rows, head_id=3, head_hash=rows[-1]["hash"])
    assert (checked, broken) == (1, AuditBreak(2, "the entry's content does not match its hash"))


def test_a_deleted_row_is_found() -> None:
    rows = chain("submitted", "approved", "approved")
    del rows[1]
    _, broken = first_break(rows, head_id=3, head_hash=rows[-1]["hash"])
    assert broken == AuditBreak(3, "expected entry 2 next, found 3")


def test_swapped_rows_are_found() -> None:
    rows = chain("submitted", "approved", "rejected")
    rows[1], rows[2] = rows[2], rows[1]
    rows[1]["id"], rows[2]["id"] = 2, 3
    _, broken = first_break(rows, head_id=3, head_hash=rows[-1]["hash"])
    assert broken == AuditBreak(2, "prev_hash does not match the entry before it")


def test_a_cut_tail_is_found_through_the_head() -> None:
    rows = chain("submitted", "approved", "approved")
    _, broken = first_break(rows[:2], head_id=3, head_hash=rows[-1]["hash"])
    assert broken == AuditBreak(3, "the head names entry 3, but the chain ends at entry 2")
