"""API schemas (pydantic), separate from the ORM classes: XxxRead, XxxPage, XxxCreate."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from revdesk.web.deps import MAX_ID

__all__ = [
    "ApprovalActionCreate",
    "DelegationCreate",
    "EconomicsRead",
    "ErrorRead",
    "OpportunityPage",
    "OpportunityRead",
    "PlanRead",
    "PolicyCheckRead",
    "PolicyRead",
    "QuoteLineRead",
    "QuoteRead",
    "SubmitCreate",
    "UserPage",
    "UserRead",
]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Schema):
    """What went wrong, and where."""

    code: str
    message: str
    where: str | None = None


class ErrorRead(_Schema):
    """Every API error: `{"error": {"code", "message", "where"}}`."""

    error: ErrorDetail


class UserRead(_Schema):
    """A person."""

    id: int
    name: str
    email: str
    role: str
    manager_id: int | None
    active: bool


class UserPage(_Schema):
    """A page of users."""

    items: list[UserRead]
    total: int
    limit: int
    offset: int


class OpportunityRead(_Schema):
    """A deal."""

    id: int
    name: str
    account_name: str | None
    owner_id: int | None
    stage: str
    amount: Decimal | None
    currency: str
    close_date: date | None
    forecast_category: str | None
    created_at: datetime


class OpportunityPage(_Schema):
    """A page of deals, newest first."""

    items: list[OpportunityRead]
    total: int
    limit: int
    offset: int


class QuoteLineRead(_Schema):
    """A quote line with its economics."""

    line_no: int
    sku: str
    quantity: Decimal
    list_unit_price: Decimal
    net_unit_price: Decimal
    list_total: Decimal
    net_total: Decimal
    discount: Decimal


class EconomicsRead(_Schema):
    """The deal economics of a quote (ratios as fractions: 0.25 = 25 %)."""

    currency: str
    list_total: Decimal
    net_total: Decimal
    discount: Decimal
    tcv: Decimal
    acv: Decimal
    arr: Decimal
    first_year_value: Decimal
    gross_profit: Decimal
    margin: Decimal
    payment_terms_cost: Decimal


class QuoteRead(_Schema):
    """A quote with its lines and economics."""

    id: int
    opportunity_id: int
    currency: str
    start_date: date
    term_months: int
    payment_terms_days: int
    lines: list[QuoteLineRead]
    economics: EconomicsRead


class PlanRead(_Schema):
    """An approval preview: the outcome, the rules that fired and why, and the steps."""

    quote_id: int | None
    policy_name: str
    policy_version: int
    outcome: str
    plan: dict[str, Any]


class PolicyRead(_Schema):
    """The policy in force, in readable form."""

    name: str
    version: int
    effective_from: date
    effective_to: date | None
    summary: str
    rules: list[dict[str, Any]]


class PolicyCheckRead(_Schema):
    """The result of checking (and simulating) a proposed policy file."""

    ok: bool
    summary: str
    simulation: dict[str, Any] | None = None


class SubmitCreate(_Schema):
    """Submit a quote for approval."""

    quote_id: int = Field(ge=1, le=MAX_ID)
    comment: str | None = Field(default=None, max_length=2000)


class ApprovalActionCreate(_Schema):
    """Approve, reject (comment required) or recall."""

    comment: str | None = Field(default=None, max_length=2000)


class DelegationCreate(_Schema):
    """Delegate one's approvals to someone for a date range."""

    delegate_id: int = Field(ge=1, le=MAX_ID)
    starts_on: date
    ends_on: date
    comment: str | None = Field(default=None, max_length=2000)


class InboxItemRead(_Schema):
    """A step waiting on the user."""

    request_id: int
    quote_id: int
    opportunity_id: int
    deal_name: str
    step_id: str
    submitted_by: str
    submitted_at: datetime
    due_at: datetime | None
    on_behalf_of: str | None


class AssigneeRead(_Schema):
    """Someone asked to decide a step, and their decision."""

    user_id: int
    name: str
    label: str
    decision: str | None
    comment: str | None
    decided_at: datetime | None


class StepRead(_Schema):
    """A step of an approval request."""

    id: int
    chain_id: str
    step_id: str
    position: int
    status: str
    due_at: datetime | None
    approvals: int
    required_approvals: int
    assignments: list[AssigneeRead]


class AuditRead(_Schema):
    """An audit entry."""

    at: datetime
    actor: str
    action: str
    comment: str | None


class ApprovalRequestRead(_Schema):
    """An approval request with its steps and audit history."""

    id: int
    quote_id: int
    status: str
    submitted_by_id: int
    submitted_by: str
    submitted_at: datetime
    closed_at: datetime | None
    steps: list[StepRead]
    audit: list[AuditRead]
    can_decide: bool
    can_recall: bool


class DelegationRead(_Schema):
    """A delegation of one's approvals."""

    id: int
    delegator_id: int
    delegate_id: int
    starts_on: date
    ends_on: date
