"""Use cases that start and end approval requests: submit, resubmit, recall, return, withdraw
on a material quote change, and the admin bypass.

Every function works in the caller's unit of work (the caller commits), takes the clock as
`at`, writes exactly one audit entry per action, and raises NotFound, PermissionDenied,
InvalidInput or Conflict.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.approvals.calendar import BusinessCalendar
from revdesk.approvals.engine import (
    advance,
    close,
    conflicts,
    get_request_or_raise,
    quote_and_owner,
    record,
    request_state,
    require_user,
    set_quote_status,
    steps_of,
)
from revdesk.approvals.plan import ApprovalPlan, PlanOutcome, ResolutionStatus
from revdesk.approvals.policy import Policy
from revdesk.approvals.reading import preview_quote
from revdesk.approvals.states import AuditAction, RequestStatus, StepStatus
from revdesk.approvals.tables import ApprovalPolicyRow, ApprovalRequest, ApprovalStep
from revdesk.approvals.workflow import carried_over, check_open, initial_statuses, material_changes
from revdesk.core.clock import ensure_utc
from revdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from revdesk.crm.model import QuoteStatus, Role

__all__ = ["bypass", "quote_changed", "recall", "resubmit", "return_for_revision", "submit"]

_SUBMITTERS = (Role.DEAL_DESK, Role.SALES_OPS, Role.ADMIN)
_STANDARD = BusinessCalendar()


def _policy_row_id(session: Session, policy: Policy) -> int | None:
    return session.scalar(
        select(ApprovalPolicyRow.id)
        .where(ApprovalPolicyRow.name == policy.name, ApprovalPolicyRow.version == policy.version)
        .order_by(ApprovalPolicyRow.active.desc(), ApprovalPolicyRow.id.desc())
    )


def _check_submitter(session: Session, quote_id: int, actor_id: int) -> None:
    actor = require_user(session, actor_id)
    quote, owner_id = quote_and_owner(session, quote_id)
    if actor_id not in (owner_id, quote.created_by_id) and actor.role not in _SUBMITTERS:
        raise PermissionDenied(f"{actor.name} neither owns the deal nor made quote {quote_id}")
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.REJECTED):
        raise Conflict(f"quote {quote_id} is {quote.status}: only a draft can be submitted")


def _plan(session: Session, policy: Policy, quote_id: int, base_currency: str) -> ApprovalPlan:
    plan = preview_quote(session, policy, quote_id, base_currency=base_currency)
    stuck = [s for s in plan.steps if s.status is ResolutionStatus.UNRESOLVED]
    if stuck:
        problems = "; ".join(f"step {s.step_id}: {s.problem}" for s in stuck)
        raise InvalidInput(f"quote {quote_id} cannot be submitted, nobody can approve {problems}")
    return plan


def _create(
    session: Session,
    *,
    plan: ApprovalPlan,
    policy: Policy,
    actor_id: int,
    at: datetime,
    previous: ApprovalRequest | None,
    calendar: BusinessCalendar,
) -> ApprovalRequest:
    assert plan.quote_id is not None
    set_quote_status(session, plan.quote_id, RequestStatus.PENDING)
    session.flush()
    quote, _ = quote_and_owner(session, plan.quote_id)
    data = plan.to_dict()
    request = ApprovalRequest(
        quote_id=plan.quote_id,
        quote_row_version=quote.row_version,
        policy_id=_policy_row_id(session, policy),
        status=RequestStatus.PENDING,
        plan=data,
        values=data.get("values", {}),
        submitted_by_id=actor_id,
        submitted_at=at,
        previous_request_id=previous.id if previous is not None else None,
    )
    session.add(request)
    session.flush()
    _add_steps(session, request, plan, previous, at=at)
    if plan.outcome is not PlanOutcome.APPROVAL_REQUIRED:
        close(session, request, RequestStatus.APPROVED, [], at=at)
    else:
        advance(session, request, at=at, calendar=calendar)
    return request


def _add_steps(
    session: Session,
    request: ApprovalRequest,
    plan: ApprovalPlan,
    previous: ApprovalRequest | None,
    *,
    at: datetime,
) -> None:
    old_rows: dict[str, ApprovalStep] = {}
    keep: set[str] = set()
    if previous is not None:
        old_rows = {s.step_id: s for s in steps_of(session, previous.id)}
        done = [step_id for step_id, row in old_rows.items() if row.status in _CARRYABLE]
        keep = carried_over(ApprovalPlan.from_dict(previous.plan), done, plan)
    statuses = initial_statuses(plan, keep)
    for step in plan.steps:
        carried = statuses[step.step_id] is StepStatus.CARRIED_OVER
        session.add(
            ApprovalStep(
                request_id=request.id,
                step_id=step.step_id,
                chain_id=step.chain_id,
                position=step.position,
                status=statuses[step.step_id],
                required_approvals=step.required_approvals,
                approvals=step.required_approvals if carried else 0,
                sla_hours=step.sla_hours,
                decided_at=at if carried else None,
                carried_from_id=old_rows[step.step_id].id if carried else None,
            )
        )
    session.flush()


_CARRYABLE = (StepStatus.APPROVED, StepStatus.CARRIED_OVER)


def _summary(request: ApprovalRequest) -> dict[str, object]:
    plan = request.plan
    return {
        "status": str(request.status),
        "quote_id": request.quote_id,
        "outcome": plan.get("outcome"),
        "steps": [s["step_id"] for c in plan.get("chains", []) for s in c.get("steps", [])],
    }


def submit(
    session: Session,
    *,
    quote_id: int,
    actor_id: int,
    policy: Policy,
    base_currency: str,
    at: datetime,
    comment: str | None = None,
    calendar: BusinessCalendar = _STANDARD,
) -> ApprovalRequest:
    """Freeze the quote's plan and tested values and open its first steps (or approve it at once
    when the policy needs no approval)."""
    at = ensure_utc(at, where="at")
    with conflicts(f"submit quote {quote_id}"):
        _check_submitter(session, quote_id, actor_id)
        plan = _plan(session, policy, quote_id, base_currency)
        request = _create(
            session,
            plan=plan,
            policy=policy,
            actor_id=actor_id,
            at=at,
            previous=None,
            calendar=calendar,
        )
        record(
            session,
            at=at,
            actor_id=actor_id,
            action=AuditAction.SUBMITTED,
            request=request,
            comment=comment,
            before=None,
            after=_summary(request),
        )
    return request


def resubmit(
    session: Session,
    *,
    request_id: int,
    actor_id: int,
    policy: Policy,
    base_currency: str,
    at: datetime,
    comment: str | None = None,
    calendar: BusinessCalendar = _STANDARD,
) -> ApprovalRequest:
    """Submit the revised quote again; steps approved last time stay approved (carried over)
    while their tested values are within the rules' tolerance."""
    at = ensure_utc(at, where="at")
    previous = get_request_or_raise(session, request_id)
    if previous.status in (RequestStatus.PENDING, RequestStatus.APPROVED):
        raise Conflict(f"request {request_id} is {previous.status}: there is nothing to resubmit")
    with conflicts(f"resubmit request {request_id}"):
        _check_submitter(session, previous.quote_id, actor_id)
        plan = _plan(session, policy, previous.quote_id, base_currency)
        request = _create(
            session,
            plan=plan,
            policy=policy,
            actor_id=actor_id,
            at=at,
            previous=previous,
            calendar=calendar,
        )
        carried = [s.step_id for s in steps_of(session, request.id) if s.carried_from_id]
        after = {**_summary(request), "previous_request_id": previous.id, "carried_over": carried}
        record(
            session,
            at=at,
            actor_id=actor_id,
            action=AuditAction.RESUBMITTED,
            request=request,
            comment=comment,
            before=request_state(previous),
            after=after,
        )
    return request


def _end(
    session: Session,
    request: ApprovalRequest,
    status: RequestStatus,
    *,
    action: AuditAction,
    actor_id: int | None,
    at: datetime,
    comment: str | None,
    extra: dict[str, object] | None = None,
) -> ApprovalRequest:
    check_open(request.status, str(action).removesuffix("ed"), request.id)
    before = request_state(request)
    close(session, request, status, steps_of(session, request.id), at=at)
    session.flush()
    after = {**request_state(request), **(extra or {})}
    record(
        session,
        at=at,
        actor_id=actor_id,
        action=action,
        request=request,
        comment=comment,
        before=before,
        after=after,
    )
    return request


def recall(
    session: Session, *, request_id: int, actor_id: int, at: datetime, comment: str | None = None
) -> ApprovalRequest:
    """The submitter takes the request back; the quote returns to draft."""
    at = ensure_utc(at, where="at")
    request = get_request_or_raise(session, request_id)
    require_user(session, actor_id)
    if actor_id != request.submitted_by_id:
        raise PermissionDenied(f"only the submitter may recall request {request_id}")
    with conflicts(f"recall request {request_id}"):
        return _end(
            session,
            request,
            RequestStatus.RECALLED,
            action=AuditAction.RECALLED,
            actor_id=actor_id,
            at=at,
            comment=comment,
        )


def return_for_revision(
    session: Session, *, request_id: int, actor_id: int, at: datetime, comment: str
) -> ApprovalRequest:
    """An approver of an open step sends the quote back to the rep with a comment."""
    from revdesk.approvals.decisions import may_decide  # noqa: PLC0415 - decisions imports us

    at = ensure_utc(at, where="at")
    if not (comment or "").strip():
        raise InvalidInput("a return for revision needs a comment", where="comment")
    request = get_request_or_raise(session, request_id)
    check_open(request.status, "return", request.id)
    may_decide(session, request, None, actor_id, at=at)
    with conflicts(f"return request {request_id}"):
        return _end(
            session,
            request,
            RequestStatus.RETURNED,
            action=AuditAction.RETURNED,
            actor_id=actor_id,
            at=at,
            comment=comment,
        )


def bypass(
    session: Session, *, request_id: int, actor_id: int, reason: str, at: datetime
) -> ApprovalRequest:
    """An admin approves the request without its open steps; the reason is mandatory."""
    at = ensure_utc(at, where="at")
    require_user(session, actor_id, roles=(Role.ADMIN,))
    if not (reason or "").strip():
        raise InvalidInput("a bypass needs a reason", where="reason")
    request = get_request_or_raise(session, request_id)
    check_open(request.status, "bypass", request.id)
    with conflicts(f"bypass request {request_id}"):
        skipped = []
        for step in steps_of(session, request.id):
            if not step.status.done:
                step.status, step.decided_at = StepStatus.BYPASSED, at
                skipped.append(step.step_id)
        return _end(
            session,
            request,
            RequestStatus.APPROVED,
            action=AuditAction.BYPASSED,
            actor_id=actor_id,
            at=at,
            comment=reason,
            extra={"bypassed_steps": skipped},
        )


def quote_changed(
    session: Session,
    *,
    quote_id: int,
    policy: Policy,
    at: datetime,
    base_currency: str = "USD",
    actor_id: int | None = None,
) -> ApprovalRequest | None:
    """After an edit of a quote under review: withdraw its pending request when the change is
    material under the policy (returns the withdrawn request, else None)."""
    at = ensure_utc(at, where="at")
    request = session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.quote_id == quote_id, ApprovalRequest.status == RequestStatus.PENDING
        )
    )
    if request is None:
        return None
    new = preview_quote(session, policy, quote_id, base_currency=base_currency)
    reasons = material_changes(ApprovalPlan.from_dict(request.plan), new)
    if not reasons:
        return None
    with conflicts(f"withdraw request {request.id}"):
        return _end(
            session,
            request,
            RequestStatus.WITHDRAWN,
            action=AuditAction.WITHDRAWN,
            actor_id=actor_id,
            at=at,
            comment="; ".join(reasons),
            extra={"material": reasons},
        )
