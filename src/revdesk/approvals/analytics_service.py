"""Read the approval history into the frames of `revdesk.approvals.analytics`.

Two queries, typed by Polars: the requests (with their frozen plan as JSON text, decoded in
Polars to find the rules behind each step) and the steps, each joined to the assignments whose
decision matches the step's status; the latest of those is the decision that closed the step
(`approver_id`). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

import polars as pl
from sqlalchemy import String, Text, and_, cast, select
from sqlalchemy.orm import Session

from revdesk.approvals.analytics import (
    REQUEST_FRAME,
    STEP_FRAME,
    BusinessHours,
    Grouping,
    cycle_times,
    step_durations,
)
from revdesk.approvals.tables import ApprovalAssignment, ApprovalRequest, ApprovalStep
from revdesk.core.clock import start_of_day

__all__ = ["History", "approval_history", "measured_durations", "simulation_durations"]

_PLAN: Final = pl.Struct(
    {
        "chains": pl.List(
            pl.Struct(
                {
                    "steps": pl.List(
                        pl.Struct({"step_id": pl.String(), "rules": pl.List(pl.String())})
                    )
                }
            )
        )
    }
)
_STEP_ROWS: Final[Mapping[str, pl.DataType]] = {
    "step_row_id": pl.Int64(),
    "request_id": pl.Int64(),
    "step_id": pl.String(),
    "chain_id": pl.String(),
    "status": pl.String(),
    "opened_at": STEP_FRAME["opened_at"],
    "decided_at": STEP_FRAME["decided_at"],
    "due_at": STEP_FRAME["due_at"],
    "sla_hours": pl.Float64(),
    "approver_id": pl.Int64(),
    "approver_decided_at": STEP_FRAME["decided_at"],
}


@dataclass(frozen=True, slots=True)
class History:
    """The approval history as frames: `steps` (STEP_FRAME) and `requests` (REQUEST_FRAME)."""

    steps: pl.DataFrame
    requests: pl.DataFrame


def _frame(session: Session, query: Any, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    rows = session.execute(query).all()
    return pl.DataFrame(rows, schema=dict(schema), orient="row", strict=False)


def _requests(session: Session, since: date | None) -> pl.DataFrame:
    """Requests submitted on or after `since`, with `plan` as JSON text."""
    query = select(
        ApprovalRequest.id,
        ApprovalRequest.quote_id,
        cast(ApprovalRequest.status, String),
        ApprovalRequest.submitted_at,
        ApprovalRequest.closed_at,
        cast(ApprovalRequest.plan, Text),
    ).order_by(ApprovalRequest.id)
    if since is not None:
        query = query.where(ApprovalRequest.submitted_at >= start_of_day(since))
    return _frame(session, query, {**REQUEST_FRAME, "plan": pl.String()})


def _steps(session: Session, since: date | None) -> pl.DataFrame:
    """Step rows, one per matching decided assignment (or one with no approver)."""
    closing = and_(
        ApprovalAssignment.step_row_id == ApprovalStep.id,
        cast(ApprovalAssignment.decision, String) == cast(ApprovalStep.status, String),
        ApprovalAssignment.decided_at.is_not(None),
    )
    query = (
        select(
            ApprovalStep.id,
            ApprovalStep.request_id,
            ApprovalStep.step_id,
            ApprovalStep.chain_id,
            cast(ApprovalStep.status, String),
            ApprovalStep.opened_at,
            ApprovalStep.decided_at,
            ApprovalStep.due_at,
            ApprovalStep.sla_hours,
            ApprovalAssignment.user_id,
            ApprovalAssignment.decided_at,
        )
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .outerjoin(ApprovalAssignment, closing)
        .order_by(ApprovalStep.id)
    )
    if since is not None:
        query = query.where(ApprovalRequest.submitted_at >= start_of_day(since))
    return _frame(session, query, _STEP_ROWS)


def _rules(requests: pl.DataFrame) -> pl.DataFrame:
    """(request_id, step_id, rules) from each request's frozen plan."""
    plans = requests.select("request_id", pl.col("plan").str.json_decode(_PLAN))
    return (
        plans.select("request_id", pl.col("plan").struct.field("chains"))
        .explode("chains")
        .select("request_id", pl.col("chains").struct.field("steps"))
        .explode("steps")
        .unnest("steps")
        .drop_nulls("step_id")
        .unique(["request_id", "step_id"], keep="first")
    )


def approval_history(session: Session, *, since: date | None = None) -> History:
    """Steps and requests of the requests submitted on or after `since` (all if None)."""
    requests = _requests(session, since)
    rows = _steps(session, since)
    closer = (
        rows.sort("approver_decided_at", "approver_id", nulls_last=False)
        .group_by("step_row_id")
        .last()
    )
    steps = (
        closer.join(requests.select("request_id", "quote_id"), on="request_id", how="left")
        .join(_rules(requests), on=["request_id", "step_id"], how="left")
        .with_columns(pl.col("rules").fill_null(pl.lit([], dtype=pl.List(pl.String()))))
        .sort("step_row_id")
        .select(list(STEP_FRAME))
    )
    return History(steps=steps, requests=requests.drop("plan"))


def measured_durations(
    session: Session, *, since: date | None = None, business_hours: BusinessHours | None = None
) -> tuple[dict[str, Decimal], int]:
    """Median hours per step from the decisions on record, and how many decisions they rest on."""
    by_step = cycle_times(
        approval_history(session, since=since).steps, Grouping.STEP, business_hours=business_hours
    )
    return step_durations(by_step), int(by_step["count"].sum())


def simulation_durations(
    session: Session,
    given: Mapping[str, Decimal] | None,
    *,
    business_hours: BusinessHours | None = None,
) -> tuple[Mapping[str, Decimal] | None, str]:
    """The step durations `policy simulate` uses, and a line saying where they came from.

    Durations given (a file) win; else the median measured per step over all decisions on
    record; a step with no decision falls back to its SLA hours inside `simulate`.
    """
    if given is not None:
        return given, "step durations: from the file given (--step-durations)"
    measured, decisions = measured_durations(session, business_hours=business_hours)
    if not measured:
        return None, "step durations: no decided steps on record; using each step's SLA hours"
    kind = "business hours" if business_hours is not None else "wall-clock hours"
    return measured, (
        f"step durations: measured, median {kind} of {decisions:,} decisions on record "
        f"({len(measured)} steps; steps never decided use their SLA hours)"
    )
