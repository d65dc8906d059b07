"""Approval analytics read from the workflow tables, on SQLite and on PostgreSQL.

The history, inserted through the ORM on the sample company (hours after T0, Monday
2026-11-16 09:00 UTC):

    request 1 (approved, 0 -> 12):  manager approved by A (opened 0, decided 2, due 8);
                                    vp, quorum all: B approved at 11, C at 12 (due 10: late)
    request 2 (rejected, 24 -> 28): manager rejected by A at 28, due 28 (on time); vp skipped
    request 3 (pending, from 100):  finance open since 100, due 110
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.approvals.analytics import Grouping, cycle_times, sla_breaches
from revdesk.approvals.analytics_service import (
    approval_history,
    measured_durations,
    simulation_durations,
)
from revdesk.approvals.states import AssignmentSource, Decision, RequestStatus, StepStatus
from revdesk.approvals.tables import ApprovalAssignment, ApprovalRequest, ApprovalStep
from revdesk.crm.dataset import load_company, sample_company
from revdesk.crm.tables import Quote, User
from revdesk.db.uow import Database

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def at(hours: float | None) -> datetime | None:
    return None if hours is None else T0 + timedelta(hours=hours)


def plan(*steps: tuple[str, list[str]]) -> dict[str, Any]:
    return {"chains": [{"chain_id": "c", "steps": [{"step_id": s, "rules": r} for s, r in steps]}]}


def request(
    session: Session, quote: int, who: int, status: RequestStatus, span: tuple[float, float | None]
) -> ApprovalRequest:
    row = ApprovalRequest(
        quote_id=quote,
        quote_row_version=1,
        status=status,
        plan=plan(("manager", ["discount-10"]), ("vp", ["discount-20"]), ("finance", ["terms"])),
        values={},
        submitted_by_id=who,
        submitted_at=at(span[0]),
        closed_at=at(span[1]),
    )
    session.add(row)
    session.flush()
    return row


def step(
    session: Session,
    req: ApprovalRequest,
    step_id: str,
    status: StepStatus,
    hours: tuple[float | None, float | None, float | None],
    *,
    decisions: tuple[tuple[int, Decision, float], ...] = (),
) -> None:
    opened, decided, due = hours
    row = ApprovalStep(
        request_id=req.id,
        step_id=step_id,
        chain_id="c",
        position=1,
        status=status,
        required_approvals=max(len(decisions), 1),
        sla_hours=Decimal(8),
        opened_at=at(opened),
        decided_at=at(decided),
        due_at=at(due),
    )
    session.add(row)
    session.flush()
    for user, decision, when in decisions:
        session.add(
            ApprovalAssignment(
                step_row_id=row.id,
                user_id=user,
                source=AssignmentSource.PLAN,
                decision=decision,
                decided_at=at(when),
            )
        )


def write_history(session: Session) -> tuple[int, int, int]:
    """The history in the module doc; returns the user ids A, B, C."""
    a, b, c, rep = session.scalars(select(User.id).order_by(User.id).limit(4)).all()
    q1, q2, q3 = session.scalars(select(Quote.id).order_by(Quote.id).limit(3)).all()
    first = request(session, q1, rep, RequestStatus.APPROVED, (0, 12))
    step(
        session,
        first,
        "manager",
        StepStatus.APPROVED,
        (0, 2, 8),
        decisions=((a, Decision.APPROVED, 2),),
    )
    both = ((b, Decision.APPROVED, 11), (c, Decision.APPROVED, 12))
    step(session, first, "vp", StepStatus.APPROVED, (2, 12, 10), decisions=both)
    second = request(session, q2, rep, RequestStatus.REJECTED, (24, 28))
    step(
        session,
        second,
        "manager",
        StepStatus.REJECTED,
        (24, 28, 28),
        decisions=((a, Decision.REJECTED, 28),),
    )
    step(session, second, "vp", StepStatus.SKIPPED, (None, None, None))
    third = request(session, q3, rep, RequestStatus.PENDING, (100, None))
    step(session, third, "finance", StepStatus.PENDING, (100, None, 110))
    return a, b, c


@pytest.fixture
def history(database: Database) -> tuple[Database, tuple[int, int, int]]:
    with database.uow() as uow:
        load_company(uow.session, sample_company())
        people = write_history(uow.session)
        uow.commit()
    return database, people


def test_the_step_frame_has_the_closing_decider_and_the_rules_of_the_plan(
    history: tuple[Database, tuple[int, int, int]],
) -> None:
    # given
    database, (a, _, c) = history
    # when
    with database.uow() as uow:
        frames = approval_history(uow.session)
    # then
    steps = frames.steps.select("step_id", "rules", "approver_id", "status", "opened_at")
    assert steps.rows() == [
        ("manager", ["discount-10"], a, "approved", at(0)),
        ("vp", ["discount-20"], c, "approved", at(2)),
        ("manager", ["discount-10"], a, "rejected", at(24)),
        ("vp", ["discount-20"], None, "skipped", None),
        ("finance", ["terms"], None, "pending", at(100)),
    ]
    assert frames.requests.select("status", "closed_at").rows() == [
        ("approved", at(12)),
        ("rejected", at(28)),
        ("pending", None),
    ]


def test_figures_from_the_database(history: tuple[Database, tuple[int, int, int]]) -> None:
    # given
    database, (a, _, c) = history
    with database.uow() as uow:
        steps = approval_history(uow.session).steps
    # when
    by_step = cycle_times(steps, Grouping.STEP)
    by_approver = cycle_times(steps, Grouping.APPROVER)
    breaches = sla_breaches(steps, Grouping.STEP, as_of=at(200))  # type: ignore[arg-type]
    # then: manager 2 h and 4 h -> median 3, p90 3.8; vp 10 h, closed by C
    assert by_step.rows() == [("manager", 2, 3.0, 3.8, 3.0), ("vp", 1, 10.0, 10.0, 10.0)]
    assert by_approver.rows() == [(a, 2, 3.0, 3.8, 3.0), (c, 1, 10.0, 10.0, 10.0)]
    assert breaches.rows() == [
        ("finance", 1, 1, 1, 1.0),
        ("manager", 2, 0, 0, 0.0),
        ("vp", 1, 1, 0, 1.0),
    ]


def test_since_keeps_the_requests_submitted_from_that_day(
    history: tuple[Database, tuple[int, int, int]],
) -> None:
    # given
    database, _ = history
    # when: T0 + 24 h is Tuesday 2026-11-17
    with database.uow() as uow:
        frames = approval_history(uow.session, since=date(2026, 11, 17))
    # then
    assert frames.requests["status"].to_list() == ["rejected", "pending"]
    assert frames.steps["step_id"].to_list() == ["manager", "vp", "finance"]


def test_measured_durations_for_the_simulation(
    history: tuple[Database, tuple[int, int, int]],
) -> None:
    # given
    database, _ = history
    # when
    with database.uow() as uow:
        measured = measured_durations(uow.session)
        used, source = simulation_durations(uow.session, None)
        given, given_source = simulation_durations(uow.session, {"vp": Decimal(1)})
    # then
    assert measured == ({"manager": Decimal("3.00"), "vp": Decimal("10.00")}, 3)
    assert used == {"manager": Decimal("3.00"), "vp": Decimal("10.00")}
    assert source.startswith("step durations: measured, median wall-clock hours of 3 decisions")
    assert given == {"vp": Decimal(1)}
    assert given_source == "step durations: from the file given (--step-durations)"


def test_without_history_the_simulation_uses_sla_hours(database: Database) -> None:
    # when
    with database.uow() as uow:
        used, source = simulation_durations(uow.session, None)
    # then
    assert used is None
    assert source == "step durations: no decided steps on record; using each step's SLA hours"
