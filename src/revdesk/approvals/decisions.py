"""Approve and reject: segregation of duties, eligibility at the moment of the decision,
delegation, quorum, and the row-version guard that lets one of two simultaneous deciders win.

Segregation of duties: nobody decides on a quote of a deal they own or a request they
submitted. Eligibility is recomputed at decision time: the user must be active, and a
policy-named approver must still be named by the step's approver rule (still the manager,
still holding the role); a delegate decides only while the delegation runs and while the
person they stand in for is still eligible (one hop: a delegate cannot pass it on again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.approvals.calendar import BusinessCalendar
from revdesk.approvals.engine import (
    advance,
    conflicts,
    get_request_or_raise,
    quote_and_owner,
    record,
    require_user,
    step_state,
    steps_of,
)
from revdesk.approvals.plan import ApprovalPlan, StepPlan
from revdesk.approvals.policies import policy_of_request
from revdesk.approvals.reading import load_directory
from revdesk.approvals.resolve import resolve_approvers
from revdesk.approvals.states import AssignmentSource, AuditAction, Decision, StepStatus
from revdesk.approvals.tables import (
    ApprovalAssignment,
    ApprovalDelegation,
    ApprovalRequest,
    ApprovalStep,
)
from revdesk.approvals.workflow import check_open, decide
from revdesk.core.clock import ensure_utc
from revdesk.core.errors import Conflict, InvalidInput, PermissionDenied

__all__ = ["Turn", "approve", "delegators_of", "may_decide", "reject"]

_STANDARD = BusinessCalendar()


@dataclass(frozen=True, slots=True)
class Turn:
    """Who decides which step, and on whose assignment (theirs or a delegator's)."""

    step: ApprovalStep
    assignment: ApprovalAssignment
    on_behalf_of_id: int | None


def delegators_of(session: Session, user_id: int, at: datetime) -> list[int]:
    """Who has delegated their approvals to `user_id` on `at`'s date (not revoked)."""
    day = at.date()
    return list(
        session.scalars(
            select(ApprovalDelegation.delegator_id).where(
                ApprovalDelegation.delegate_id == user_id,
                ApprovalDelegation.starts_on <= day,
                ApprovalDelegation.ends_on >= day,
                ApprovalDelegation.revoked_at.is_(None),
            )
        )
    )


def _still_eligible(
    session: Session, request: ApprovalRequest, plan: StepPlan, user_id: int, owner: int | None
) -> bool:
    directory = load_directory(session)
    person = directory.get(user_id)
    if person is None or not person.active:
        return False
    policy = policy_of_request(session, request)
    values = ApprovalPlan.from_dict(request.plan).values
    resolution = resolve_approvers(
        plan.approver,
        owner_id=owner,
        segment=str(values.get("segment", "")),
        region=str(values.get("region", "")),
        directory=directory,
        groups=policy.groups,
        matrix=policy.matrix,
    )
    return any(a.user_id == user_id for a in resolution.approvers)


def _open_assignments(session: Session, step: ApprovalStep) -> list[ApprovalAssignment]:
    return list(
        session.scalars(
            select(ApprovalAssignment).where(
                ApprovalAssignment.step_row_id == step.id,
                ApprovalAssignment.active.is_(True),
                ApprovalAssignment.decision.is_(None),
            )
        )
    )


def _decided(session: Session, step: ApprovalStep, actor_id: int) -> bool:
    """Whether `actor_id` already decided `step` (on their own assignment or as a delegate)."""
    return (
        session.scalar(
            select(ApprovalAssignment.id).where(
                ApprovalAssignment.step_row_id == step.id,
                ApprovalAssignment.user_id == actor_id,
                ApprovalAssignment.decision.is_not(None),
            )
        )
        is not None
    )


def _turn_on(
    session: Session, step: ApprovalStep, actor_id: int, at: datetime
) -> tuple[ApprovalAssignment, int | None] | None:
    assignments = _open_assignments(session, step)
    for assignment in assignments:
        if assignment.user_id == actor_id:
            return assignment, None
    delegators = set(delegators_of(session, actor_id, at))
    for assignment in assignments:
        if assignment.user_id in delegators and assignment.source is not AssignmentSource.DELEGATE:
            return assignment, assignment.user_id
    return None


def _check_eligible(
    session: Session, request: ApprovalRequest, turn: Turn, owner: int | None
) -> None:
    assignment = turn.assignment
    if assignment.source is not AssignmentSource.PLAN:
        if not require_user(session, assignment.user_id).active:
            raise PermissionDenied(f"user {assignment.user_id} is no longer active")
        return
    plans = {s.step_id: s for s in ApprovalPlan.from_dict(request.plan).steps}
    if not _still_eligible(session, request, plans[turn.step.step_id], assignment.user_id, owner):
        raise PermissionDenied(
            f"user {assignment.user_id} is no longer eligible for step {turn.step.step_id} "
            f"({plans[turn.step.step_id].approver}): the role or reporting line changed"
        )


def may_decide(
    session: Session,
    request: ApprovalRequest,
    step_row_id: int | None,
    actor_id: int,
    *,
    at: datetime,
) -> Turn:
    """The step `actor_id` may decide now (the first open one when `step_row_id` is None),
    or PermissionDenied saying why not."""
    actor = require_user(session, actor_id)
    _, owner = quote_and_owner(session, request.quote_id)
    if actor_id in (owner, request.submitted_by_id):
        raise PermissionDenied(
            f"{actor.name} owns the deal or submitted request {request.id}: "
            "nobody approves their own deal (segregation of duties)"
        )
    steps = [s for s in steps_of(session, request.id) if s.status is StepStatus.PENDING]
    if step_row_id is not None:
        steps = [s for s in steps if s.id == step_row_id]
        if not steps:
            raise Conflict(f"step {step_row_id} of request {request.id} is not open for decisions")
    already: list[str] = []
    for step in steps:
        if _decided(session, step, actor_id):  # one person, one decision per step
            already.append(step.step_id)
            continue
        found = _turn_on(session, step, actor_id, at)
        if found is not None:
            turn = Turn(step, found[0], found[1])
            _check_eligible(session, request, turn, owner)
            return turn
    if already:
        raise PermissionDenied(
            f"{actor.name} already decided step {', '.join(already)} of request {request.id}: "
            "one person gives one decision per step, in their own name or as a delegate"
        )
    raise PermissionDenied(f"{actor.name} has no open step to decide on request {request.id}")


def _decision_row(session: Session, turn: Turn, actor_id: int) -> ApprovalAssignment:
    if turn.assignment.decision is not None:
        raise Conflict(f"user {turn.assignment.user_id} already decided step {turn.step.step_id}")
    if turn.on_behalf_of_id is None:
        return turn.assignment
    existing = session.scalar(
        select(ApprovalAssignment).where(
            ApprovalAssignment.step_row_id == turn.step.id, ApprovalAssignment.user_id == actor_id
        )
    )
    if existing is not None and existing.decision is not None:  # never overwrite a decision
        raise Conflict(f"user {actor_id} already decided step {turn.step.step_id}")
    turn.assignment.active = False  # the delegate decides in the delegator's place
    row = existing or ApprovalAssignment(step_row_id=turn.step.id, user_id=actor_id)
    row.source, row.on_behalf_of_id, row.active = (
        AssignmentSource.DELEGATE,
        turn.on_behalf_of_id,
        True,
    )
    row.label = f"delegate of user {turn.on_behalf_of_id}"
    session.add(row)
    return row


def _decide(
    session: Session,
    *,
    request_id: int,
    step_row_id: int | None,
    actor_id: int,
    at: datetime,
    comment: str | None,
    decision: Decision,
    calendar: BusinessCalendar,
) -> ApprovalRequest:
    at = ensure_utc(at, where="at")
    request = get_request_or_raise(session, request_id)
    verb = "approve" if decision is Decision.APPROVED else "reject"
    check_open(request.status, verb, request.id)
    with conflicts(f"{verb} request {request_id}"):
        turn = may_decide(session, request, step_row_id, actor_id, at=at)
        step, before = turn.step, step_state(turn.step)
        tally = decide(step.status, step.approvals, step.required_approvals, decision)
        row = _decision_row(session, turn, actor_id)
        row.decision, row.decided_at, row.comment = decision, at, comment
        step.status, step.approvals = tally.status, tally.approvals
        if tally.status is not StepStatus.PENDING:
            step.decided_at = at
        session.flush()  # the row-version guard: UPDATE ... WHERE row_version = <read>
        outcome = advance(session, request, at=at, calendar=calendar)
        after = {**step_state(step), "on_behalf_of_id": turn.on_behalf_of_id}
        if outcome is not None:
            after["request_status"] = str(outcome)
        record(
            session,
            at=at,
            actor_id=actor_id,
            action=AuditAction(str(decision)),
            request=request,
            entity="approval_step",
            entity_id=step.id,
            comment=comment,
            before=before,
            after=after,
        )
    return request


def approve(
    session: Session,
    *,
    request_id: int,
    step_row_id: int | None = None,
    actor_id: int,
    at: datetime,
    comment: str | None = None,
    calendar: BusinessCalendar = _STANDARD,
) -> ApprovalRequest:
    """Approve an open step; the next steps open, or the request is approved when all are done."""
    return _decide(
        session,
        request_id=request_id,
        step_row_id=step_row_id,
        actor_id=actor_id,
        at=at,
        comment=comment,
        decision=Decision.APPROVED,
        calendar=calendar,
    )


def reject(
    session: Session,
    *,
    request_id: int,
    step_row_id: int | None = None,
    actor_id: int,
    at: datetime,
    comment: str,
    calendar: BusinessCalendar = _STANDARD,
) -> ApprovalRequest:
    """Reject an open step (a comment is required); the request and quote are rejected."""
    if not (comment or "").strip():
        raise InvalidInput("a rejection needs a comment", where="comment")
    return _decide(
        session,
        request_id=request_id,
        step_row_id=step_row_id,
        actor_id=actor_id,
        at=at,
        comment=comment,
        decision=Decision.REJECTED,
        calendar=calendar,
    )
