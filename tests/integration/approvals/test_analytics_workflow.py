"""Approval analytics over a history written by the real workflow, on SQLite and PostgreSQL.

Ben submits Halcyon on Monday 2026-03-02 10:00 UTC (standard calendar 09:00-17:00 UTC). The desk
review and legal open at once; the manager step opens when the desk review is approved, the VP
step when the manager's is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from revdesk.approvals import service as svc
from revdesk.approvals.analytics import Grouping, cycle_times, end_to_end
from revdesk.approvals.analytics_hours import windowed
from revdesk.approvals.analytics_service import approval_history, measured_durations
from revdesk.approvals.calendar import BusinessCalendar
from revdesk.db.uow import Database

from .workflow_support import (
    BEN_REP,
    DANA_VP,
    GRACE_DESK,
    HALCYON,
    MARCUS_MGR,
    MONDAY,
    OMAR_LEGAL,
    load_sample,
    quote_of,
    standard,
)


def hours(n: float) -> datetime:
    return MONDAY + timedelta(hours=n)


@pytest.fixture
def decided(database: Database) -> Database:
    load_sample(database)
    with database.uow() as uow:
        s = uow.session
        request = svc.submit(
            s,
            quote_id=quote_of(s, HALCYON),
            actor_id=BEN_REP,
            policy=standard(s),
            base_currency="USD",
            at=MONDAY,
        )
        uow.commit()
        request_id = request.id
    for actor, at in ((GRACE_DESK, 2), (OMAR_LEGAL, 3), (MARCUS_MGR, 5), (DANA_VP, 30)):
        with database.uow() as uow:
            svc.approve(uow.session, request_id=request_id, actor_id=actor, at=hours(at))
            uow.commit()
    return database


def test_cycle_times_of_a_request_decided_through_the_workflow(decided: Database) -> None:
    # given
    with decided.uow() as uow:
        history = approval_history(uow.session)
    business = windowed(BusinessCalendar().windows)
    # when
    by_step = cycle_times(history.steps, Grouping.STEP, business_hours=business)
    by_approver = cycle_times(history.steps, Grouping.APPROVER)
    wall, in_business = end_to_end(history.requests, business_hours=business)
    # then: desk 0 -> 2, legal 0 -> 3, manager 2 -> 5, VP Monday 15:00 -> Tuesday 16:00
    #       (25 h; 2 + 7 = 9 business hours)
    assert by_step.select("step_id", "count", "median_hours", "median_business_hours").rows() == [
        ("deal_desk_review", 1, 2.0, 2.0),
        ("legal", 1, 3.0, 3.0),
        ("manager", 1, 3.0, 3.0),
        ("vp", 1, 25.0, 9.0),
    ]
    assert by_approver.select("approver_id", "median_hours").rows() == [
        (DANA_VP, 25.0),
        (MARCUS_MGR, 3.0),
        (GRACE_DESK, 2.0),
        (OMAR_LEGAL, 3.0),
    ]
    assert history.steps["rules"].list.len().min() >= 1  # type: ignore[operator]
    assert (wall.count, wall.median, in_business.median if in_business else None) == (1, 30.0, 14.0)


def test_measured_durations_from_the_workflow(decided: Database) -> None:
    # when
    with decided.uow() as uow:
        durations, decisions = measured_durations(
            uow.session, business_hours=windowed(BusinessCalendar().windows)
        )
    # then
    assert decisions == 4
    assert durations == {
        "deal_desk_review": Decimal("2.00"),
        "legal": Decimal("3.00"),
        "manager": Decimal("3.00"),
        "vp": Decimal("9.00"),
    }
