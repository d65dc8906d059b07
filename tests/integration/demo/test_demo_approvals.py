"""The demo company's approval history: consistent with its quotes, and its audit chain holds."""

from __future__ import annotations

import polars as pl
from sqlalchemy import func, select

from revdesk.approvals import service as svc
from revdesk.approvals.tables import (
    ApprovalAssignment,
    ApprovalRequest,
    ApprovalStep,
    AuditHead,
    AuditLog,
)
from revdesk.crm.tables import Quote
from revdesk.db.uow import Database

from .test_demo_build import _build


def _frame(database: Database, query: object) -> pl.DataFrame:
    with database.uow() as uow:
        rows = uow.session.execute(query).all()  # type: ignore[call-overload]
    return pl.DataFrame([tuple(r) for r in rows], orient="row", infer_schema_length=None)


def test_the_demo_history_is_consistent_and_verifies(database: Database) -> None:
    # given a demo company of 500 deals
    _build(database, scale=500, seed=3)
    with database.uow() as uow:
        s = uow.session
        # then the audit chain verifies and covers every entry
        report = svc.verify_audit(s)
        entries = s.scalar(select(func.count()).select_from(AuditLog))
        assert report.broken is None
        assert report.checked == entries
        assert s.scalar(select(AuditHead.last_id)) == entries
        # and there is a history: approvals, returns with resubmissions
        grouped = select(ApprovalRequest.status, func.count()).group_by(ApprovalRequest.status)
        statuses = {str(status): int(n) for status, n in s.execute(grouped).all()}
        assert statuses.get("approved", 0) > 0
        assert statuses.get("returned", 0) == s.scalar(
            select(func.count()).where(ApprovalRequest.previous_request_id.is_not(None))
        )
    # and every request agrees with its quote
    pairs = _frame(
        database,
        select(ApprovalRequest.status, Quote.status, ApprovalRequest.previous_request_id)
        .join(Quote, Quote.id == ApprovalRequest.quote_id)
        .where(ApprovalRequest.status != "returned"),
    ).rename({"column_0": "request", "column_1": "quote", "column_2": "previous"})
    allowed = {
        "pending": {"in_review"},
        "rejected": {"expired"},
        "approved": {"approved", "presented", "accepted", "expired"},
    }
    for request, quote in pairs.select("request", "quote").unique().iter_rows():
        assert quote in allowed[request], (request, quote)
    # and a decided step has exactly its decisions recorded
    decided = _frame(
        database,
        select(ApprovalStep.status, func.count(ApprovalAssignment.decision))
        .join(ApprovalAssignment, ApprovalAssignment.step_row_id == ApprovalStep.id)
        .group_by(ApprovalStep.id, ApprovalStep.status),
    )
    counts = dict(decided.group_by("column_0").agg(pl.col("column_1").min()).iter_rows())
    assert counts.get("approved", 1) >= 1
    assert counts.get("pending", 0) == 0


def test_the_same_seed_gives_the_same_audit_chain(database: Database) -> None:
    _build(database, scale=300, seed=5)
    with database.uow() as uow:
        first = uow.session.scalar(select(AuditHead.last_hash))
    _build(database, scale=300, seed=5)
    with database.uow() as uow:
        assert uow.session.scalar(select(AuditHead.last_hash)) == first
