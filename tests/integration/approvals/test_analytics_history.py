"""Approval analytics read from the workflow tables, on SQLite and on PostgreSQL.

The history, inserted through the ORM on the sample company (hours after T0, Monday
2026-11-16 09:00 UTC):

    request 1 (approved, 0 -> 12):  manager approved by A (opened 0, decided 2, due 8);
                                    vp, quorum all: B approved at 11, C at 12 (due 10: late)
    request 2 (rejected, 24 -> 28): manager rejected by A at 28, due 28 (on time); vp skipped
    request 3 (pending, from 100):  finance open since 100, due 110
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
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
STANDARD = Path(__file__).resolve().parents[3] / "examples" / "policies" / "standard.yaml"


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


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVDESK_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "revdesk", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("history")
    assert run("db", "upgrade", cwd=folder).returncode == 0
    assert run("sample", "load", cwd=folder).returncode == 0
    db = Database.connect(f"sqlite:///{folder / 'revdesk.db'}")
    with db.uow() as uow:
        write_history(uow.session)
        uow.commit()
    db.dispose()
    text = STANDARD.read_text(encoding="utf-8").replace("version: 1", "version: 2")
    (folder / "new.yaml").write_text(text, encoding="utf-8")
    return folder


def test_approvals_stats_by_step_prints_tables(company: Path) -> None:
    # when
    result = run("approvals", "stats", "--by", "step", cwd=company)
    # then
    assert result.returncode == 0, result.stderr
    assert "5 steps of 3 approval requests on record" in result.stdout
    assert "Approval steps by step" in result.stdout
    assert "Approval requests by outcome" in result.stdout
    assert "End to end (submit to close): 2 closed requests, median 8.00 h" in result.stdout


def test_approvals_stats_by_approver_as_json(company: Path) -> None:
    # when
    result = run("approvals", "stats", "--by", "approver", "--json", cwd=company)
    # then
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(r["count"], r["approved"], r["rejected"]) for r in data["rows"]] == [
        (2, 1, 1),
        (1, 1, 0),
    ]
    assert all(r["approver"].endswith(")") for r in data["rows"])
    assert data["end_to_end_hours"] == {"count": 2, "median": 8.0, "p90": 11.2, "mean": 8.0}
    # business hours, Monday-Friday 09:00-17:00 UTC: A 2 and 4 h, C Monday 11:00-21:00 = 6 h
    assert [r["median_business_hours"] for r in data["rows"]] == [3.0, 6.0]
    assert data["end_to_end_business_hours"] == {"count": 2, "median": 6.0, "p90": 7.6, "mean": 6.0}


def test_approvals_stats_by_week_since_a_day(company: Path) -> None:
    # when
    result = run(
        "approvals", "stats", "--by", "week", "--since", "2026-11-17", "--json", cwd=company
    )
    # then
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"] == [
        {
            "week": "2026-W47",
            "count": 1,
            "median_hours": 4.0,
            "p90_hours": 4.0,
            "mean_hours": 4.0,
            "median_business_hours": 4.0,
            "p90_business_hours": 4.0,
            "mean_business_hours": 4.0,
            "with_sla": 1,
            "breached": 0,
            "open_breached": 0,
            "breach_rate": 0.0,
            "approved": 0,
            "rejected": 1,
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "last week"), "--since: 'last week' is not a date (expected YYYY-MM-DD)"),
        (("--by", "team"), "Invalid value for '--by'"),
    ],
)
def test_bad_options_are_refused_without_a_traceback(
    company: Path, args: tuple[str, ...], message: str
) -> None:
    # when
    result = run("approvals", "stats", *args, cwd=company)
    # then
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_policy_simulate_uses_the_measured_durations(company: Path) -> None:
    # when
    result = run("policy", "simulate", "new.yaml", "--current", str(STANDARD), cwd=company)
    # then
    assert result.returncode == 0, result.stderr
    assert (
        "step durations: measured, median business hours of 3 decisions on record (2 steps;"
        in result.stdout
    )
