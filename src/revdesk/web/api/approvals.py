"""Approval actions of the API: inbox, request, submit, approve, reject, recall, delegate.

Decisions need the `approve` scope on a bearer token (sessions carry every scope). Whether the
user may decide is the workflow's call (segregation of duties, eligibility at the moment of the
decision); its refusals come back as 403, races lost to another decision as 409.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, status

from revdesk.approvals import service as approvals
from revdesk.auth.model import Scope
from revdesk.core.clock import utcnow
from revdesk.core.errors import PermissionDenied
from revdesk.web.access import can_submit
from revdesk.web.api.read import ERRORS
from revdesk.web.api.schemas import (
    ApprovalActionCreate,
    ApprovalRequestRead,
    DelegationCreate,
    DelegationRead,
    InboxItemRead,
    SubmitCreate,
)
from revdesk.web.deps import ApiActor, Id, UowDep, require_scope, state_of
from revdesk.web.views import policy_in_force, visible_quote
from revdesk.web.workflow_views import RequestCard, inbox, visible_request

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"], responses=ERRORS)


def request_read(card: RequestCard) -> ApprovalRequestRead:
    """The API view of a request."""
    return ApprovalRequestRead.model_validate(asdict(card))


@router.get("/inbox")
def approvals_inbox(actor: ApiActor, uow: UowDep) -> list[InboxItemRead]:
    """The steps waiting on the user, soonest due first."""
    return [
        InboxItemRead.model_validate({k: v for k, v in asdict(item).items() if k != "step_row_id"})
        for item in inbox(uow.session, actor)
    ]


@router.get("/{request_id}")
def approval_request(request_id: Id, actor: ApiActor, uow: UowDep) -> ApprovalRequestRead:
    """An approval request with its steps and audit (404 when not visible)."""
    return request_read(visible_request(uow.session, actor, request_id))


@router.post("", status_code=status.HTTP_201_CREATED)
def submit(
    body: SubmitCreate, request: Request, actor: ApiActor, uow: UowDep
) -> ApprovalRequestRead:
    """Submit a quote for approval under the policy in force."""
    require_scope(actor, Scope.APPROVE)
    bundle = visible_quote(uow.session, actor, body.quote_id)
    if not can_submit(actor.viewer, bundle.deal.opportunity.owner_id):
        raise PermissionDenied(
            "only the deal's owner, the deal desk, sales ops or an admin submit it"
        )
    created = approvals.submit(
        uow.session,
        quote_id=body.quote_id,
        actor_id=actor.user_id,
        policy=policy_in_force(uow.session),
        base_currency=state_of(request).settings.base_currency,
        at=utcnow(),
        comment=body.comment,
    )
    uow.commit()
    return request_read(visible_request(uow.session, actor, created.id))


def _act(
    action: str, request_id: int, body: ApprovalActionCreate, actor: ApiActor, uow: UowDep
) -> ApprovalRequestRead:
    require_scope(actor, Scope.APPROVE)
    visible_request(uow.session, actor, request_id)
    now = utcnow()
    if action == "approve":
        approvals.approve(
            uow.session, request_id=request_id, actor_id=actor.user_id, at=now, comment=body.comment
        )
    elif action == "reject":
        approvals.reject(
            uow.session,
            request_id=request_id,
            actor_id=actor.user_id,
            at=now,
            comment=body.comment or "",
        )
    else:
        approvals.recall(
            uow.session, request_id=request_id, actor_id=actor.user_id, at=now, comment=body.comment
        )
    uow.commit()
    return request_read(visible_request(uow.session, actor, request_id))


@router.post("/{request_id}/approve")
def approve(
    request_id: Id, body: ApprovalActionCreate, actor: ApiActor, uow: UowDep
) -> ApprovalRequestRead:
    """Approve the step waiting on the user."""
    return _act("approve", request_id, body, actor, uow)


@router.post("/{request_id}/reject")
def reject(
    request_id: Id, body: ApprovalActionCreate, actor: ApiActor, uow: UowDep
) -> ApprovalRequestRead:
    """Reject the step waiting on the user; a comment is required."""
    return _act("reject", request_id, body, actor, uow)


@router.post("/{request_id}/recall")
def recall(
    request_id: Id, body: ApprovalActionCreate, actor: ApiActor, uow: UowDep
) -> ApprovalRequestRead:
    """Take one's own pending request back."""
    return _act("recall", request_id, body, actor, uow)


@router.post("/delegations", status_code=status.HTTP_201_CREATED)
def delegate(body: DelegationCreate, actor: ApiActor, uow: UowDep) -> DelegationRead:
    """Hand one's approvals to a colleague for a date range (not passed on again)."""
    require_scope(actor, Scope.APPROVE)
    row = approvals.delegate(
        uow.session,
        delegator_id=actor.user_id,
        delegate_id=body.delegate_id,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        reason=body.comment or "",
        at=utcnow(),
    )
    uow.commit()
    return DelegationRead(
        id=row.id,
        delegator_id=row.delegator_id,
        delegate_id=row.delegate_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
    )
