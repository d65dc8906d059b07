"""The approval workflow on the sample company, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from revdesk.approvals import audit
from revdesk.approvals import service as svc
from revdesk.approvals.states import AssignmentSource, RequestStatus, StepStatus
from revdesk.approvals.tables import ApprovalRequest, ApprovalStep
from revdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from revdesk.crm.model import QuoteStatus, Role
from revdesk.crm.tables import Quote, User
from revdesk.db.uow import Database

from .workflow_support import (
    BEN_REP,
    DANA_VP,
    GRACE_DESK,
    HALCYON,
    LARS_MGR,
    MARCUS_MGR,
    MONDAY,
    OMAR_LEGAL,
    PRIYA_MGR,
    load_sample,
    quote_of,
    standard,
)


@pytest.fixture
def db(database: Database) -> Database:
    load_sample(database)
    return database


def submit_halcyon(db: Database) -> int:
    with db.uow() as uow:
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
        return request.id


def act(db: Database, action: object, **kwargs: object) -> None:
    with db.uow() as uow:
        action(uow.session, **kwargs)  # type: ignore[operator]
        uow.commit()


def statuses(session: Session, request_id: int) -> dict[str, str]:
    view = svc.request_view(session, request_id=request_id)
    return {step.step_id: str(step.status) for step in view.steps}


def hours(n: float) -> object:
    return MONDAY + timedelta(hours=n)


def test_submit_freezes_the_plan_and_opens_the_first_steps(db: Database) -> None:
    # when Ben submits Halcyon
    request_id = submit_halcyon(db)
    # then the desk review and legal are open, the commercial chain waits, the quote is in review
    with db.uow() as uow:
        view = svc.request_view(uow.session, request_id=request_id)
        assert view.status is RequestStatus.PENDING
        assert statuses(uow.session, request_id) == {
            "deal_desk_review": "pending",
            "manager": "waiting",
            "vp": "waiting",
            "legal": "pending",
        }
        desk = view.steps[0]
        assert desk.due_at == hours(24)  # 8 business hours from Monday 10:00: Tuesday 10:00
        assert [(a.user_id, a.source) for a in desk.assignments] == [(GRACE_DESK, "plan")]
        assert uow.session.get(Quote, view.quote_id).status is QuoteStatus.IN_REVIEW  # type: ignore[union-attr]
        inbox = svc.list_requests(uow.session, approver_id=GRACE_DESK, at=hours(1))
        assert [(row.request_id, row.step_id) for row in inbox] == [
            (request_id, "deal_desk_review")
        ]
        assert [e["action"] for e in view.audit] == ["submitted"]


def test_approvals_walk_the_chains_to_an_approved_quote(db: Database) -> None:
    request_id = submit_halcyon(db)
    for n, approver in enumerate([GRACE_DESK, OMAR_LEGAL, MARCUS_MGR, DANA_VP], start=1):
        act(db, svc.approve, request_id=request_id, actor_id=approver, at=hours(n))
    with db.uow() as uow:
        view = svc.request_view(uow.session, request_id=request_id)
        assert view.status is RequestStatus.APPROVED
        assert view.closed_at == hours(4)
        assert set(statuses(uow.session, request_id).values()) == {"approved"}
        assert uow.session.get(Quote, view.quote_id).status is QuoteStatus.APPROVED  # type: ignore[union-attr]
        assert [e["action"] for e in view.audit] == ["submitted", *["approved"] * 4]
        assert svc.verify_audit(uow.session).checked == 5


def test_nobody_approves_their_own_deal_or_a_step_not_theirs(db: Database) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow, pytest.raises(PermissionDenied) as own:
        svc.approve(uow.session, request_id=request_id, actor_id=BEN_REP, at=hours(1))
    assert "nobody approves their own deal" in own.value.message
    with db.uow() as uow, pytest.raises(PermissionDenied) as other:
        svc.approve(uow.session, request_id=request_id, actor_id=PRIYA_MGR, at=hours(1))
    assert other.value.message == "Priya Raman has no open step to decide on request 1"


def test_eligibility_is_checked_again_when_deciding(db: Database) -> None:
    # given the desk approved and the manager step is open for Marcus, Ben's manager
    request_id = submit_halcyon(db)
    act(db, svc.approve, request_id=request_id, actor_id=GRACE_DESK, at=hours(1))
    # when Ben moves to Priya's team before Marcus decides
    with db.uow() as uow:
        uow.session.get(User, BEN_REP).manager_id = PRIYA_MGR  # type: ignore[union-attr]
        uow.commit()
    # then Marcus may no longer approve
    with db.uow() as uow, pytest.raises(PermissionDenied) as caught:
        svc.approve(uow.session, request_id=request_id, actor_id=MARCUS_MGR, at=hours(2))
    assert "no longer eligible for step manager" in caught.value.message


def test_rejection_needs_a_comment_and_closes_the_request(db: Database) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow, pytest.raises(InvalidInput):
        svc.reject(
            uow.session, request_id=request_id, actor_id=GRACE_DESK, at=hours(1), comment=" "
        )
    act(db, svc.reject, request_id=request_id, actor_id=GRACE_DESK, at=hours(1), comment="no")
    with db.uow() as uow:
        assert statuses(uow.session, request_id) == {
            "deal_desk_review": "rejected",
            "manager": "skipped",
            "vp": "skipped",
            "legal": "skipped",
        }
        view = svc.request_view(uow.session, request_id=request_id)
        assert view.status is RequestStatus.REJECTED
        assert uow.session.get(Quote, view.quote_id).status is QuoteStatus.REJECTED  # type: ignore[union-attr]
    with db.uow() as uow, pytest.raises(Conflict):
        svc.approve(uow.session, request_id=request_id, actor_id=OMAR_LEGAL, at=hours(2))


def test_return_and_resubmit_carry_unchanged_approvals_over(db: Database) -> None:
    # given the desk and legal approved, then the manager returns the quote for revision
    request_id = submit_halcyon(db)
    act(db, svc.approve, request_id=request_id, actor_id=GRACE_DESK, at=hours(1))
    act(db, svc.approve, request_id=request_id, actor_id=OMAR_LEGAL, at=hours(2))
    act(
        db,
        svc.return_for_revision,
        request_id=request_id,
        actor_id=MARCUS_MGR,
        at=hours(3),
        comment="explain the discount",
    )
    with db.uow() as uow:
        assert svc.request_view(uow.session, request_id=request_id).status is RequestStatus.RETURNED
        assert uow.session.get(Quote, quote_of(uow.session, HALCYON)).status is QuoteStatus.DRAFT  # type: ignore[union-attr]
        # when Ben resubmits the unchanged quote
        new = svc.resubmit(
            uow.session,
            request_id=request_id,
            actor_id=BEN_REP,
            policy=standard(uow.session),
            base_currency="USD",
            at=hours(4),
        )
        uow.commit()
        # then the desk review and legal stay approved and the manager step opens at once
        assert new.previous_request_id == request_id
        assert statuses(uow.session, new.id) == {
            "deal_desk_review": "carried_over",
            "manager": "pending",
            "vp": "waiting",
            "legal": "carried_over",
        }


def test_only_the_submitter_recalls(db: Database) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow, pytest.raises(PermissionDenied):
        svc.recall(uow.session, request_id=request_id, actor_id=GRACE_DESK, at=hours(1))
    act(db, svc.recall, request_id=request_id, actor_id=BEN_REP, at=hours(1))
    with db.uow() as uow:
        assert svc.request_view(uow.session, request_id=request_id).status is RequestStatus.RECALLED


def test_one_pending_request_per_quote(db: Database) -> None:
    submit_halcyon(db)
    with pytest.raises(Conflict) as caught:
        submit_halcyon(db)
    assert caught.value.message == "quote 10 is in_review: only a draft can be submitted"
    with db.uow() as uow:  # and the database itself refuses a second pending row
        first = uow.session.scalars(select(ApprovalRequest)).one()
        uow.session.add(
            ApprovalRequest(
                quote_id=first.quote_id,
                quote_row_version=1,
                status="pending",
                plan={},
                values={},
                submitted_by_id=BEN_REP,
                submitted_at=MONDAY,
            )
        )
        with pytest.raises(Conflict), svc_conflicts():
            uow.session.flush()


def svc_conflicts() -> object:
    from revdesk.approvals.engine import conflicts  # noqa: PLC0415 - the guard under test

    return conflicts("insert")


def test_a_delegate_decides_for_the_delegator_once_and_cannot_pass_it_on(db: Database) -> None:
    request_id = submit_halcyon(db)
    act(db, svc.approve, request_id=request_id, actor_id=GRACE_DESK, at=hours(1))
    # given Marcus delegates to Priya for the week
    act(
        db,
        svc.delegate,
        delegator_id=MARCUS_MGR,
        delegate_id=PRIYA_MGR,
        starts_on=MONDAY.date(),
        ends_on=MONDAY.date() + timedelta(days=6),
        reason="leave",
        at=hours(1),
    )
    with db.uow() as uow:
        inbox = svc.list_requests(uow.session, approver_id=PRIYA_MGR, at=hours(2))
        assert [(r.step_id, r.on_behalf_of_id) for r in inbox] == [("manager", MARCUS_MGR)]
        # a delegate who has delegated away cannot receive again over the same dates
        with pytest.raises(Conflict):
            svc.delegate(
                uow.session,
                delegator_id=DANA_VP,
                delegate_id=MARCUS_MGR,
                starts_on=MONDAY.date(),
                ends_on=MONDAY.date(),
                reason="x",
                at=hours(2),
            )
    # when Priya approves, then it is recorded as hers, on Marcus's behalf
    act(db, svc.approve, request_id=request_id, actor_id=PRIYA_MGR, at=hours(2))
    with db.uow() as uow:
        manager = svc.request_view(uow.session, request_id=request_id).steps[1]
        assert manager.status is StepStatus.APPROVED
        people = {
            (a.user_id, a.source, a.active, a.decision, a.on_behalf_of_id)
            for a in manager.assignments
        }
        assert people == {
            (MARCUS_MGR, "plan", False, None, None),
            (PRIYA_MGR, "delegate", True, "approved", MARCUS_MGR),
        }


def test_reassign_and_add_approver(db: Database) -> None:
    request_id = submit_halcyon(db)
    act(
        db,
        svc.reassign,
        request_id=request_id,
        from_user_id=OMAR_LEGAL,
        to_user_id=PRIYA_MGR,
        actor_id=GRACE_DESK,
        at=hours(1),
        step_row_id=4,
    )
    act(
        db,
        svc.add_approver,
        request_id=request_id,
        user_id=DANA_VP,
        actor_id=GRACE_DESK,
        at=hours(1),
        step_row_id=4,
    )
    with db.uow() as uow:
        legal = svc.request_view(uow.session, request_id=request_id).steps[3]
        assert [(a.user_id, a.source, a.active) for a in legal.assignments] == [
            (OMAR_LEGAL, AssignmentSource.PLAN, False),
            (PRIYA_MGR, AssignmentSource.REASSIGN, True),
            (DANA_VP, AssignmentSource.ADHOC, True),
        ]
    with db.uow() as uow, pytest.raises(PermissionDenied):
        svc.approve(uow.session, request_id=request_id, actor_id=OMAR_LEGAL, at=hours(2))
    act(db, svc.approve, request_id=request_id, actor_id=PRIYA_MGR, at=hours(2), step_row_id=4)
    with db.uow() as uow:
        assert statuses(uow.session, request_id)["legal"] == "approved"


def test_overdue_steps_escalate_to_the_managers_and_reminders_go_out_once(db: Database) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow:
        # Monday 10:00 + 8 business hours = Tuesday 10:00; 6 hours in, 2 of 8 are left
        soon = svc.due_reminders(uow.session, at=hours(22))
        assert [(r.step_id, r.user_id, r.kind) for r in soon] == [
            ("deal_desk_review", GRACE_DESK, "due_soon")
        ]
        svc.record_reminders(uow.session, soon, at=hours(22))
        uow.commit()
    with db.uow() as uow:
        assert svc.due_reminders(uow.session, at=hours(23)) == []
        done = svc.escalate_overdue(uow.session, at=hours(24))
        uow.commit()
    assert done == [(request_id, 1)]
    with db.uow() as uow:
        desk = svc.request_view(uow.session, request_id=request_id).steps[0]
        assert desk.escalation_level == 1
        assert desk.due_at == hours(48)
        assert [(a.user_id, a.source) for a in desk.assignments] == [
            (GRACE_DESK, "plan"),
            (12, "escalation"),  # Jonah, Grace's manager
        ]


def test_bypass_is_for_admins_with_a_reason(db: Database) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow:
        admin = User(name="Ada Admin", email="ada@northwind.example", role=Role.ADMIN)
        uow.session.add(admin)
        uow.commit()
        admin_id = admin.id
    with db.uow() as uow, pytest.raises(PermissionDenied):
        svc.bypass(uow.session, request_id=request_id, actor_id=GRACE_DESK, reason="x", at=hours(1))
    with db.uow() as uow, pytest.raises(InvalidInput):
        svc.bypass(uow.session, request_id=request_id, actor_id=admin_id, reason="", at=hours(1))
    act(db, svc.bypass, request_id=request_id, actor_id=admin_id, reason="CEO signed", at=hours(1))
    with db.uow() as uow:
        assert set(statuses(uow.session, request_id).values()) == {"bypassed"}
        view = svc.request_view(uow.session, request_id=request_id)
        assert view.status is RequestStatus.APPROVED
        assert view.audit[-1]["comment"] == "CEO signed"


def test_a_material_edit_withdraws_the_request(db: Database) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow:
        quote = uow.session.get(Quote, quote_of(uow.session, HALCYON))
        assert quote is not None
        policy = standard(uow.session)
        # an immaterial touch leaves it pending
        assert svc.quote_changed(uow.session, quote_id=quote.id, policy=policy, at=hours(1)) is None
        for line in quote.lines:  # a deeper discount on every line
            line.net_unit_price = line.net_unit_price * 8 / 10
        uow.session.flush()
        withdrawn = svc.quote_changed(uow.session, quote_id=quote.id, policy=policy, at=hours(1))
        uow.commit()
        assert withdrawn is not None
        assert withdrawn.id == request_id
        assert withdrawn.status is RequestStatus.WITHDRAWN
        assert "discount went from" in (
            svc.request_view(uow.session, request_id=request_id).audit[-1]["comment"] or ""
        )
        assert quote.status is QuoteStatus.DRAFT


def test_a_delegation_is_not_passed_on(db: Database) -> None:
    # given Marcus delegated to Priya, and Priya to Lars, over the same week
    request_id = submit_halcyon(db)
    act(db, svc.approve, request_id=request_id, actor_id=GRACE_DESK, at=hours(1))
    week = {"starts_on": MONDAY.date(), "ends_on": MONDAY.date() + timedelta(days=6)}
    act(
        db,
        svc.delegate,
        delegator_id=MARCUS_MGR,
        delegate_id=PRIYA_MGR,
        reason="leave",
        at=hours(1),
        **week,
    )
    act(
        db,
        svc.delegate,
        delegator_id=PRIYA_MGR,
        delegate_id=LARS_MGR,
        reason="leave",
        at=hours(1),
        **week,
    )
    # then Lars sees nothing of Marcus's and may not decide for him
    with db.uow() as uow:
        assert svc.list_requests(uow.session, approver_id=LARS_MGR, at=hours(2)) == []
        with pytest.raises(PermissionDenied):
            svc.approve(uow.session, request_id=request_id, actor_id=LARS_MGR, at=hours(2))


def test_one_person_gives_one_approval_per_step(db: Database) -> None:
    # given the legal step needs two approvals, Omar's and Dana's
    request_id = submit_halcyon(db)
    act(
        db,
        svc.add_approver,
        request_id=request_id,
        user_id=DANA_VP,
        actor_id=GRACE_DESK,
        at=hours(1),
        step_row_id=4,
    )
    with db.uow() as uow:
        step = uow.session.get(ApprovalStep, 4)
        assert step is not None
        step.required_approvals = 2
        uow.commit()
    act(db, svc.approve, request_id=request_id, actor_id=OMAR_LEGAL, at=hours(2), step_row_id=4)
    # when Dana delegates to Omar, who tries to approve the step again in her place
    act(
        db,
        svc.delegate,
        delegator_id=DANA_VP,
        delegate_id=OMAR_LEGAL,
        starts_on=MONDAY.date(),
        ends_on=MONDAY.date() + timedelta(days=6),
        reason="leave",
        at=hours(2),
    )
    with db.uow() as uow, pytest.raises(PermissionDenied) as caught:
        svc.approve(uow.session, request_id=request_id, actor_id=OMAR_LEGAL, at=hours(3))
    assert "already decided step legal" in caught.value.message
    with db.uow() as uow, pytest.raises(PermissionDenied):
        svc.approve(
            uow.session, request_id=request_id, actor_id=OMAR_LEGAL, at=hours(3), step_row_id=4
        )
    # then the step still has one approval, and Dana's own assignment is still open
    with db.uow() as uow:
        legal = svc.request_view(uow.session, request_id=request_id).steps[3]
        assert (legal.status, legal.approvals) == (StepStatus.PENDING, 1)
        assert [(a.user_id, a.active, a.decision) for a in legal.assignments] == [
            (OMAR_LEGAL, True, "approved"),
            (DANA_VP, True, None),
        ]


def test_only_deal_desk_sales_ops_and_admins_route_and_never_on_their_own_deal(
    db: Database,
) -> None:
    request_id = submit_halcyon(db)
    with db.uow() as uow:
        # the submitter (and owner) may not move the legal step to someone of their choosing
        with pytest.raises(PermissionDenied) as own:
            svc.reassign(
                uow.session,
                request_id=request_id,
                from_user_id=OMAR_LEGAL,
                to_user_id=PRIYA_MGR,
                actor_id=BEN_REP,
                at=hours(1),
                step_row_id=4,
            )
        assert "may not route" in own.value.message
        with pytest.raises(PermissionDenied):
            svc.add_approver(
                uow.session,
                request_id=request_id,
                user_id=PRIYA_MGR,
                actor_id=BEN_REP,
                at=hours(1),
                step_row_id=4,
            )
        # nor may a manager who is no router
        with pytest.raises(PermissionDenied) as other:
            svc.reassign(
                uow.session,
                request_id=request_id,
                from_user_id=OMAR_LEGAL,
                to_user_id=PRIYA_MGR,
                actor_id=LARS_MGR,
                at=hours(1),
                step_row_id=4,
            )
        assert "only deal desk, sales ops or an admin" in other.value.message
    act(
        db,
        svc.reassign,
        request_id=request_id,
        from_user_id=OMAR_LEGAL,
        to_user_id=PRIYA_MGR,
        actor_id=GRACE_DESK,
        at=hours(1),
        step_row_id=4,
    )
    with db.uow() as uow:
        legal = svc.request_view(uow.session, request_id=request_id).steps[3]
        assert [(a.user_id, a.active) for a in legal.assignments] == [
            (OMAR_LEGAL, False),
            (PRIYA_MGR, True),
        ]


def test_escalation_by_hand_is_for_routers_and_never_adds_a_party(db: Database) -> None:
    # given Omar (legal) reports to Ben, who owns and submitted the deal
    request_id = submit_halcyon(db)
    with db.uow() as uow:
        uow.session.get(User, OMAR_LEGAL).manager_id = BEN_REP  # type: ignore[union-attr]
        uow.commit()
    with db.uow() as uow, pytest.raises(PermissionDenied):
        svc.escalate(uow.session, request_id=request_id, actor_id=BEN_REP, at=hours(1))
    with db.uow() as uow, pytest.raises(PermissionDenied):
        svc.escalate(uow.session, request_id=request_id, actor_id=LARS_MGR, at=hours(1))
    # when deal desk escalates the legal step, then Ben is not made its approver
    with db.uow() as uow:
        added = svc.escalate(
            uow.session, request_id=request_id, actor_id=GRACE_DESK, at=hours(1), step_row_id=4
        )
        uow.commit()
    assert added == []
    with db.uow() as uow:
        legal = svc.request_view(uow.session, request_id=request_id).steps[3]
        assert legal.escalation_level == 1
        assert [a.user_id for a in legal.assignments] == [OMAR_LEGAL]


def test_a_lost_race_on_the_audit_log_is_a_conflict(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*_: object, **__: object) -> None:
        raise OperationalError("INSERT INTO audit_log", {}, Exception("database is locked"))

    monkeypatch.setattr(audit, "append", busy)
    with db.uow() as uow, pytest.raises(Conflict):
        svc.delegate(
            uow.session,
            delegator_id=MARCUS_MGR,
            delegate_id=PRIYA_MGR,
            starts_on=MONDAY.date(),
            ends_on=MONDAY.date(),
            reason="leave",
            at=hours(1),
        )
    reminder = svc.Reminder(1, 1, 1, "legal", OMAR_LEGAL, "o@x", hours(1), "overdue")
    with db.uow() as uow, pytest.raises(Conflict):
        svc.record_reminders(uow.session, [reminder], at=hours(1))
