"""Approval workflow tables: policies in force, requests, steps, assignments, delegations, audit.

A request freezes its plan (`ApprovalPlan.to_dict()`) and tested values at submit; its steps
and their assignees are rows so that inboxes, SLAs and analytics are plain queries. At most one
request per quote is pending (a partial unique index on both backends). Requests and steps
carry `row_version` (SQLAlchemy's optimistic lock): a decision is an UPDATE guarded by the
version read, so of two approvers deciding the same step at once exactly one wins.

`audit_log` is append-only and hash-chained; `audit_head` is its one-row head (last id and
hash), updated in the same transaction as every append, which serialises appends on both
backends (a row lock on PostgreSQL, the write lock on SQLite).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from revdesk.approvals.states import AssignmentSource, Decision, RequestStatus, StepStatus
from revdesk.core.clock import utcnow
from revdesk.db.base import Base
from revdesk.db.types import Amount, UTCDateTime, enum_column

__all__ = [
    "ApprovalAssignment",
    "ApprovalDelegation",
    "ApprovalPolicyRow",
    "ApprovalRequest",
    "ApprovalStep",
    "AuditHead",
    "AuditLog",
]

_PENDING = text("status = 'pending'")


class ApprovalPolicyRow(Base):
    """A policy file as activated: its text, hash and when it came into force."""

    __tablename__ = "approval_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    source_text: Mapped[str] = mapped_column(Text)
    # Files the policy reads (the authority matrix CSV), by the name the policy gives them.
    attachments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class ApprovalRequest(Base):
    """One submission of a quote for approval, with its frozen plan and tested values."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        Index(
            "uq_approval_requests_pending_quote",
            "quote_id",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    quote_row_version: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("approval_policies.id"))
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), index=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_request_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"))
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class ApprovalStep(Base):
    """One step of a request: its place in its chain, quorum, SLA and where it stands."""

    __tablename__ = "approval_steps"
    __table_args__ = (UniqueConstraint("request_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("approval_requests.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[str] = mapped_column(String(80))
    chain_id: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus), index=True)
    required_approvals: Mapped[int] = mapped_column(Integer)
    approvals: Mapped[int] = mapped_column(Integer, default=0)
    sla_hours: Mapped[Decimal | None] = mapped_column(Amount(10, 2))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("approval_steps.id"))
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class ApprovalAssignment(Base):
    """A user asked to decide a step, why (`source`), and what they decided."""

    __tablename__ = "approval_assignments"
    __table_args__ = (UniqueConstraint("step_row_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_row_id: Mapped[int] = mapped_column(
        ForeignKey("approval_steps.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[AssignmentSource] = mapped_column(enum_column(AssignmentSource))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)


class ApprovalDelegation(Base):
    """`delegator_id`'s approvals go to `delegate_id` from `starts_on` to `ends_on` inclusive."""

    __tablename__ = "approval_delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditLog(Base):
    """One action, hash-chained to the one before: hash = sha256(prev_hash + canonical row)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    # Ids are assigned from `audit_head` (no sequence), so a gap is a deleted row.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The one row naming the last audit entry; every append updates it in its transaction."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
