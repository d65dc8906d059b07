"""Deal pages: the list (filter, pagination), the deal page, and submit-for-approval preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from revdesk.approvals.service import preview_quote
from revdesk.crm.browse import list_opportunities, quotes_of
from revdesk.crm.service import stage_definitions
from revdesk.web.access import can_submit
from revdesk.web.deps import Id, PageActor, UowDep, state_of
from revdesk.web.pages.common import Pager, render
from revdesk.web.views import policy_in_force, visible_deal, visible_quote
from revdesk.web.workflow_views import deal_requests

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/deals")
def deals(
    request: Request,
    actor: PageActor,
    uow: UowDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    stage: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The deals the user may see, newest first."""
    size = state_of(request).web.page_size
    _, total = list_opportunities(
        uow.session, owners=actor.owners, limit=1, offset=0, stage=stage or None, search=q
    )
    pager = Pager(page, size, total)
    rows, _ = list_opportunities(
        uow.session,
        owners=actor.owners,
        limit=size,
        offset=pager.offset,
        stage=stage or None,
        search=q,
    )
    context = {
        "rows": rows,
        "pager": pager,
        "stage": stage or "",
        "q": q or "",
        "stages": list(stage_definitions(uow.session)),
    }
    return render(request, "deals.html", actor, context)


@router.get("/deals/{opportunity_id}")
def deal(request: Request, opportunity_id: Id, actor: PageActor, uow: UowDep) -> Response:
    """A deal: its quotes with economics, the rules that fire, approval chains, audit history."""
    row = visible_deal(uow.session, actor, opportunity_id)
    quotes = quotes_of(uow.session, opportunity_id)
    primary = next((q for q in quotes if q.is_primary), quotes[0] if quotes else None)
    bundle = visible_quote(uow.session, actor, primary.id) if primary is not None else None
    plan = None
    if primary is not None:
        state = state_of(request)
        plan = preview_quote(
            uow.session,
            policy_in_force(uow.session),
            primary.id,
            base_currency=state.settings.base_currency,
        )
    context = {
        "deal": row,
        "quotes": quotes,
        "quote": bundle,
        "plan": plan,
        "may_submit": can_submit(actor.viewer, row.opportunity.owner_id),
        "requests": deal_requests(uow.session, actor, [q.id for q in quotes]),
    }
    return render(request, "deal.html", actor, context)


@router.get("/quotes/{quote_id}/submit")
def submit_form(request: Request, quote_id: Id, actor: PageActor, uow: UowDep) -> Response:
    """Submit for approval: the preview of what the policy will ask, then a confirm button."""
    bundle = visible_quote(uow.session, actor, quote_id)
    state = state_of(request)
    plan = preview_quote(
        uow.session,
        policy_in_force(uow.session),
        quote_id,
        base_currency=state.settings.base_currency,
    )
    context = {
        "quote": bundle,
        "plan": plan,
        "may_submit": can_submit(actor.viewer, bundle.deal.opportunity.owner_id),
    }
    return render(request, "submit.html", actor, context)
