"""Two approvers deciding the same step at the same moment, in two real transactions: exactly
one decision is recorded and the other gets Conflict (never 'database is locked')."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from revdesk.approvals import service as svc
from revdesk.approvals.engine import steps_of
from revdesk.approvals.tables import ApprovalAssignment
from revdesk.core.errors import Conflict
from revdesk.db.uow import Database

from .test_workflow import submit_halcyon
from .workflow_support import GRACE_DESK, MONDAY, PRIYA_MGR, load_sample


def test_two_simultaneous_decisions_on_one_step(database: Database) -> None:
    # given the desk review open for Grace, and Priya added to it (any one of them suffices)
    load_sample(database)
    request_id = submit_halcyon(database)
    with database.uow() as uow:
        svc.add_approver(
            uow.session,
            request_id=request_id,
            user_id=PRIYA_MGR,
            actor_id=GRACE_DESK,
            at=MONDAY,
            step_row_id=1,
        )
        uow.commit()
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def decide(actor: int) -> None:
        with database.uow() as uow:
            session = uow.session
            turn_step = steps_of(session, request_id)[0]  # both read the step before deciding
            assert turn_step.row_version >= 1
            barrier.wait()
            try:
                svc.approve(
                    session,
                    request_id=request_id,
                    actor_id=actor,
                    step_row_id=1,
                    at=MONDAY + timedelta(hours=1),
                )
                uow.commit()
                outcomes[actor] = "approved"
            except Conflict as exc:
                outcomes[actor] = f"conflict: {exc.message}"

    # when both approve at the same moment, each in its own connection and transaction
    threads = [threading.Thread(target=decide, args=(who,)) for who in (GRACE_DESK, PRIYA_MGR)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly one approval is recorded and the other decider got a clear conflict
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["approved", "conflict"]
    loser = next(v for v in outcomes.values() if v.startswith("conflict"))
    assert loser == (
        "conflict: approve request 1: someone else changed this request at the same moment; "
        "reload and try again"
    )
    with database.uow() as uow:
        decided = uow.session.scalar(
            select(func.count()).where(ApprovalAssignment.decision.is_not(None))
        )
        assert decided == 1
        assert svc.request_view(uow.session, request_id=request_id).steps[0].approvals == 1
        assert svc.verify_audit(uow.session).ok
