"""Approval actions from the pages: submit, approve or reject, recall. Each checks the form's
CSRF token, calls the workflow, and redirects to the deal with a flash message."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from revdesk.approvals import service as approvals
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput, PermissionDenied
from revdesk.web.access import can_submit
from revdesk.web.deps import Id, PageActor, UowDep, check_form_csrf, state_of
from revdesk.web.pages.common import redirect
from revdesk.web.views import policy_in_force, visible_quote
from revdesk.web.workflow_views import visible_request

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Comment = Annotated[str, Form(max_length=2000)]
Csrf = Annotated[str, Form(max_length=200)]


@router.post("/quotes/{quote_id}/submit")
def submit(
    request: Request,
    quote_id: Id,
    actor: PageActor,
    uow: UowDep,
    csrf_token: Csrf = "",
    comment: Comment = "",
) -> Response:
    """Submit the quote for approval under the policy in force."""
    check_form_csrf(actor, csrf_token)
    bundle = visible_quote(uow.session, actor, quote_id)
    if not can_submit(actor.viewer, bundle.deal.opportunity.owner_id):
        raise PermissionDenied(
            "only the deal's owner, the deal desk, sales ops or an admin submit it"
        )
    created = approvals.submit(
        uow.session,
        quote_id=quote_id,
        actor_id=actor.user_id,
        policy=policy_in_force(uow.session),
        base_currency=state_of(request).settings.base_currency,
        at=utcnow(),
        comment=comment or None,
    )
    uow.commit()
    message = f"Quote {quote_id} submitted: request {created.id} is {created.status}."
    return redirect(f"/deals/{bundle.deal.opportunity.id}", message)


@router.post("/approvals/{request_id}/decide")
def decide(
    request_id: Id,
    actor: PageActor,
    uow: UowDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Csrf = "",
    comment: Comment = "",
) -> Response:
    """Approve or reject the step waiting on the user."""
    check_form_csrf(actor, csrf_token)
    card = visible_request(uow.session, actor, request_id)
    now = utcnow()
    if decision == "approve":
        done = approvals.approve(
            uow.session, request_id=request_id, actor_id=actor.user_id, at=now,
            comment=comment or None,
        )  # fmt: skip
    elif decision == "reject":
        done = approvals.reject(
            uow.session, request_id=request_id, actor_id=actor.user_id, at=now, comment=comment
        )
    else:
        raise InvalidInput("choose approve or reject", where="decision")
    uow.commit()
    deal = visible_quote(uow.session, actor, card.quote_id).deal.opportunity.id
    verb = "approved" if decision == "approve" else "rejected"
    return redirect(f"/deals/{deal}", f"You {verb} request {request_id}; it is now {done.status}.")


@router.post("/approvals/{request_id}/recall")
def recall(request_id: Id, actor: PageActor, uow: UowDep, csrf_token: Csrf = "") -> Response:
    """Take one's own pending request back."""
    check_form_csrf(actor, csrf_token)
    card = visible_request(uow.session, actor, request_id)
    approvals.recall(uow.session, request_id=request_id, actor_id=actor.user_id, at=utcnow())
    uow.commit()
    deal = visible_quote(uow.session, actor, card.quote_id).deal.opportunity.id
    return redirect(f"/deals/{deal}", f"Request {request_id} recalled.")
