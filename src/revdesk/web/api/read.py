"""Read endpoints of the API: me and users, opportunities, quotes with economics, policies."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, File, Query, Request, UploadFile

from revdesk.approvals.loader import load_policy
from revdesk.approvals.render import policy_summary, simulation_data
from revdesk.approvals.service import load_directory, preview_quote, simulate_change
from revdesk.core.errors import InvalidInput, PermissionDenied
from revdesk.crm.browse import DealRow, list_opportunities, list_users
from revdesk.crm.service import get_user_or_raise
from revdesk.web.access import can_edit_policy, can_list_users
from revdesk.web.api.schemas import (
    EconomicsRead,
    ErrorRead,
    OpportunityPage,
    OpportunityRead,
    PlanRead,
    PolicyCheckRead,
    PolicyRead,
    QuoteLineRead,
    QuoteRead,
    UserPage,
    UserRead,
)
from revdesk.web.deps import ApiActor, Id, UowDep, state_of
from revdesk.web.views import (
    QuoteBundle,
    policy_in_force,
    policy_rules,
    visible_deal,
    visible_quote,
)

__all__ = ["ERRORS", "router"]

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorRead} for code in (400, 401, 403, 404, 409, 422)
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
MAX_POLICY_BYTES = 1_000_000


class _Person(Protocol):
    id: int
    name: str
    email: str
    role: Any
    manager_id: int | None
    active: bool


def user_read(user: _Person) -> UserRead:
    """The API view of a user."""
    return UserRead(
        id=user.id,
        name=user.name,
        email=user.email,
        role=str(user.role),
        manager_id=user.manager_id,
        active=user.active,
    )


def opportunity_read(row: DealRow) -> OpportunityRead:
    """The API view of a deal."""
    o = row.opportunity
    return OpportunityRead(
        id=o.id,
        name=o.name,
        account_name=row.account_name,
        owner_id=o.owner_id,
        stage=o.stage,
        amount=o.amount,
        currency=o.currency,
        close_date=o.close_date,
        forecast_category=str(o.forecast_category) if o.forecast_category else None,
        created_at=o.created_at,
    )


def quote_read(bundle: QuoteBundle) -> QuoteRead:
    """The API view of a quote with its economics."""
    view, e = bundle.view, bundle.economics
    lines = [
        QuoteLineRead(
            line_no=line.line_no,
            sku=line.sku,
            quantity=line.quantity,
            list_unit_price=line.list_unit_price,
            net_unit_price=line.net_unit_price,
            list_total=figures.list_total,
            net_total=figures.net_total,
            discount=figures.discount,
        )
        for line, figures in zip(view.lines, e.lines, strict=True)
    ]
    economics = EconomicsRead(
        currency=e.currency,
        list_total=e.list_total,
        net_total=e.net_total,
        discount=e.discount,
        tcv=e.tcv,
        acv=e.acv,
        arr=e.arr,
        first_year_value=e.first_year_value,
        gross_profit=e.gross_profit,
        margin=e.margin,
        payment_terms_cost=e.payment_terms_cost,
    )
    return QuoteRead(
        id=view.quote_id,
        opportunity_id=bundle.deal.opportunity.id,
        currency=view.currency,
        start_date=view.start_date,
        term_months=view.term_months,
        payment_terms_days=view.payment_terms_days,
        lines=lines,
        economics=economics,
    )


@router.get("/users/me", tags=["users"])
def me(actor: ApiActor, uow: UowDep) -> UserRead:
    """The signed-in user."""
    return user_read(get_user_or_raise(uow.session, actor.user_id))


@router.get("/users", tags=["users"])
def users(actor: ApiActor, uow: UowDep, limit: Limit = 50, offset: Offset = 0) -> UserPage:
    """Every user, page by page (sales ops and admins)."""
    if not can_list_users(actor.viewer):
        raise PermissionDenied("only sales ops and admins may list users")
    rows, total = list_users(uow.session, limit=limit, offset=offset)
    return UserPage(items=[user_read(u) for u in rows], total=total, limit=limit, offset=offset)


@router.get("/opportunities", tags=["opportunities"])
def opportunities(
    actor: ApiActor,
    uow: UowDep,
    limit: Limit = 25,
    offset: Offset = 0,
    stage: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> OpportunityPage:
    """The deals the user may see, newest first, filtered by stage and a search text."""
    rows, total = list_opportunities(
        uow.session, owners=actor.owners, limit=limit, offset=offset, stage=stage, search=q
    )
    items = [opportunity_read(r) for r in rows]
    return OpportunityPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/opportunities/{opportunity_id}", tags=["opportunities"])
def opportunity(opportunity_id: Id, actor: ApiActor, uow: UowDep) -> OpportunityRead:
    """One deal (404 when it does not exist or is not visible)."""
    return opportunity_read(visible_deal(uow.session, actor, opportunity_id))


@router.get("/quotes/{quote_id}", tags=["quotes"])
def quote(quote_id: Id, actor: ApiActor, uow: UowDep) -> QuoteRead:
    """A quote with its lines and deal economics."""
    return quote_read(visible_quote(uow.session, actor, quote_id))


@router.get("/quotes/{quote_id}/preview", tags=["approvals"])
def preview(quote_id: Id, request: Request, actor: ApiActor, uow: UowDep) -> PlanRead:
    """Which rules fire for the quote under the policy in force, why, and who must approve."""
    visible_quote(uow.session, actor, quote_id)
    state = state_of(request)
    policy = policy_in_force(uow.session)
    plan = preview_quote(uow.session, policy, quote_id, base_currency=state.settings.base_currency)
    return PlanRead(
        quote_id=plan.quote_id,
        policy_name=plan.policy_name,
        policy_version=plan.policy_version,
        outcome=str(plan.outcome),
        plan=plan.to_dict(),
    )


@router.get("/policies/active", tags=["policies"])
def active_policy(request: Request, actor: ApiActor, uow: UowDep) -> PolicyRead:
    """The policy in force, rule by rule."""
    policy = policy_in_force(uow.session)
    return PolicyRead(
        name=policy.name,
        version=policy.version,
        effective_from=policy.effective_from,
        effective_to=policy.effective_to,
        summary=policy_summary(policy),
        rules=policy_rules(policy),
    )


@router.get("/policies", tags=["policies"])
def policies(request: Request, actor: ApiActor, uow: UowDep) -> list[PolicyRead]:
    """The policies in force, as a list (one today: the activated policy or the shipped one)."""
    return [active_policy(request, actor, uow)]


@router.post("/policies/check", tags=["policies"])
def check_policy(
    request: Request, actor: ApiActor, uow: UowDep, file: Annotated[UploadFile, File()]
) -> PolicyCheckRead:
    """Check an uploaded policy file and simulate it against past quotes."""
    if not can_edit_policy(actor.viewer):
        raise PermissionDenied("only the deal desk, sales ops and admins may check policies")
    raw = file.file.read(MAX_POLICY_BYTES + 1)
    return check_policy_text(request, uow, raw, file.filename or "upload.yaml")


def check_policy_text(request: Request, uow: UowDep, raw: bytes, name: str) -> PolicyCheckRead:
    """Load `raw` as a proposed policy against the users, then simulate it against the current."""
    if len(raw) > MAX_POLICY_BYTES:
        raise InvalidInput("the policy file is larger than 1 MB", where=name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the policy file is not UTF-8 text", where=name) from None
    state = state_of(request)
    directory = load_directory(uow.session)
    proposed = load_policy(text, source=name, directory=directory)
    report = simulate_change(
        uow.session,
        proposed,
        policy_in_force(uow.session),
        since=None,
        base_currency=state.settings.base_currency,
        limit=20,
    )
    return PolicyCheckRead(
        ok=True, summary=policy_summary(proposed), simulation=simulation_data(report)
    )
