"""Domain vocabulary of the revenue data core: statuses, categories and pure rules.

Everything here is plain Python: the storage layer (`tables.py`) maps these enums to columns and
the services apply the rules. Example::

    >>> reporting_chain(7, {7: 3, 3: 1, 1: None})
    [3, 1]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from revdesk.core.errors import InvalidInput


class Role(StrEnum):
    """What a user does in RevDesk; drives access and approver resolution."""

    REP = "rep"
    MANAGER = "manager"
    VP = "vp"
    DEAL_DESK = "deal_desk"
    FINANCE = "finance"
    LEGAL = "legal"
    PRODUCT = "product"
    CFO = "cfo"
    SALES_OPS = "sales_ops"
    ADMIN = "admin"


class Segment(StrEnum):
    """Customer size band."""

    SMB = "smb"
    MID_MARKET = "mid_market"
    ENTERPRISE = "enterprise"


class OpportunityType(StrEnum):
    """Why the deal exists."""

    NEW = "new"
    EXPANSION = "expansion"
    RENEWAL = "renewal"


class StageStatus(StrEnum):
    """Whether a stage is still in play or ends the deal."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ForecastCategory(StrEnum):
    """Salesforce-compatible forecast categories."""

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class TrackedField(StrEnum):
    """Opportunity fields whose every change is kept as history."""

    STAGE = "stage"
    AMOUNT = "amount"
    CLOSE_DATE = "close_date"
    FORECAST_CATEGORY = "forecast_category"
    OWNER = "owner"


class BuyingRole(StrEnum):
    """A contact's part in the buying committee."""

    ECONOMIC_BUYER = "economic_buyer"
    DECISION_MAKER = "decision_maker"
    CHAMPION = "champion"
    INFLUENCER = "influencer"
    TECHNICAL_EVALUATOR = "technical_evaluator"
    END_USER = "end_user"
    PROCUREMENT = "procurement"
    LEGAL = "legal"
    BLOCKER = "blocker"
    OTHER = "other"


class QuoteStatus(StrEnum):
    """Where a quote is in its life."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PRESENTED = "presented"
    ACCEPTED = "accepted"
    EXPIRED = "expired"


class BillingFrequency(StrEnum):
    """How often the customer is invoiced."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi_annual"
    ANNUAL = "annual"
    UPFRONT = "upfront"

    @property
    def months(self) -> int:
        """Months covered by one invoice (the whole term for upfront: 0)."""
        return {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12, "upfront": 0}[self]


class ClauseKind(StrEnum):
    """Non-standard contract terms that the deal desk reviews."""

    LIABILITY_CAP = "liability_cap"
    TERMINATION_FOR_CONVENIENCE = "termination_for_convenience"
    MOST_FAVOURED_NATION = "most_favoured_nation"
    PRICE_LOCK = "price_lock"
    CUSTOM_SLA = "custom_sla"
    AUTO_RENEWAL_CHANGE = "auto_renewal_change"
    EXCLUSIVITY = "exclusivity"
    OTHER = "other"


# Fields an exit criterion may require: the opportunity attributes a stage can insist on.
EXIT_CRITERIA_FIELDS = frozenset(
    {
        "amount",
        "close_date",
        "next_step",
        "account_id",
        "competitors",
        "lead_source",
        "forecast_category",
        "primary_contact",
        "quote",
    }
)


@dataclass(frozen=True, slots=True)
class StageDefinition:
    """A pipeline stage: its order, default probability, category and exit criteria.

    >>> s = StageDefinition("Proposal", 4, Decimal(60), ForecastCategory.BEST_CASE,
    ...                     StageStatus.OPEN, ("amount", "close_date"))
    >>> s.missing_exit_fields({"amount": Decimal(1), "close_date": None})
    ['close_date']
    """

    name: str
    sort_order: int
    default_probability: Decimal
    forecast_category: ForecastCategory
    status: StageStatus
    required_fields: tuple[str, ...] = ()
    playbook: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.default_probability <= Decimal(100):
            raise InvalidInput(
                f"default probability {self.default_probability} is outside 0-100",
                where=f"stage {self.name!r}",
            )
        unknown = sorted(set(self.required_fields) - EXIT_CRITERIA_FIELDS)
        if unknown:
            raise InvalidInput(
                f"unknown exit-criteria field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(EXIT_CRITERIA_FIELDS))}",
                where=f"stage {self.name!r}",
            )

    @property
    def is_closed(self) -> bool:
        """True for won and lost stages."""
        return self.status is not StageStatus.OPEN

    def missing_exit_fields(self, values: Mapping[str, object]) -> list[str]:
        """Required fields that are absent or empty in `values`."""
        return [name for name in self.required_fields if values.get(name) in (None, "", [], ())]


def reporting_chain(user_id: int, managers: Mapping[int, int | None]) -> list[int]:
    """Return the user's manager, the manager's manager, and so on up to the top.

    A cycle in the data (A reports to B reports to A) is refused rather than looped over.
    """
    chain: list[int] = []
    seen = {user_id}
    current = managers.get(user_id)
    while current is not None:
        if current in seen:
            raise InvalidInput(f"reporting chain of user {user_id} loops back to user {current}")
        chain.append(current)
        seen.add(current)
        current = managers.get(current)
    return chain
