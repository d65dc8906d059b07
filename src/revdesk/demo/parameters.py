"""The parameter groups of the demo company's model, each field with its default and meaning.

Tuples given per segment are in the order SMB, mid-market, enterprise. `revdesk.demo.model`
gathers the groups into `DemoParameters`; docs/demo-company.md lists every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Triple = tuple[float, float, float]


def doc(text: str) -> dict[str, str]:
    """Field metadata carrying the parameter's one-line description."""
    return {"doc": text}


@dataclass(frozen=True)
class Country:
    """A country accounts are based in: its ISO code, deal currency and share of its region."""

    code: str
    currency: str
    weight: float


@dataclass(frozen=True)
class Region:
    """A sales region: its share of the sales seats and the countries its accounts are in."""

    name: str
    weight: float
    countries: tuple[Country, ...]

    def __str__(self) -> str:
        countries = ", ".join(f"{c.code} {c.currency} {c.weight:g}" for c in self.countries)
        return f"{self.name} {self.weight:g} ({countries})"


@dataclass(frozen=True)
class ProductSpec:
    """A product of the price book; recurring prices are per unit per month."""

    sku: str
    name: str
    family: str
    recurring: bool
    list_usd: str
    floor_ratio: float
    cost_ratio: float

    def __str__(self) -> str:
        unit = "per unit per month" if self.recurring else "once"
        ratios = f"floor x{self.floor_ratio:g}, cost x{self.cost_ratio:g}"
        return f"{self.sku} USD {self.list_usd} {unit}, {ratios}"


@dataclass(frozen=True)
class Competitor:
    """A competitor: how often it shows up and how it moves the win probability."""

    name: str
    weight: float
    win_factor: float

    def __str__(self) -> str:
        return f"{self.name} (weight {self.weight:g}, win x{self.win_factor:g})"


_REGIONS = (
    Region("NA", 0.5, (Country("US", "USD", 0.85), Country("CA", "CAD", 0.15))),
    Region(
        "EMEA",
        0.32,
        (
            Country("GB", "GBP", 0.3),
            Country("DE", "EUR", 0.25),
            Country("FR", "EUR", 0.15),
            Country("NL", "EUR", 0.1),
            Country("ES", "EUR", 0.1),
            Country("IE", "EUR", 0.1),
        ),
    ),
    Region(
        "APAC",
        0.18,
        (Country("AU", "AUD", 0.55), Country("SG", "USD", 0.25), Country("JP", "USD", 0.2)),
    ),
)
PRODUCTS = (
    ProductSpec("RD-PLAT-STARTER", "Platform Starter", "Platform", True, "25.00", 0.75, 0.15),
    ProductSpec("RD-PLAT-PRO", "Platform Professional", "Platform", True, "45.00", 0.7, 0.14),
    ProductSpec("RD-PLAT-ENT", "Platform Enterprise", "Platform", True, "85.00", 0.7, 0.13),
    ProductSpec("RD-ADD-ANALYTICS", "Advanced Analytics", "Add-on", True, "20.00", 0.6, 0.15),
    ProductSpec("RD-ADD-GOVERN", "Governance & Audit Pack", "Add-on", True, "12.00", 0.6, 0.12),
    ProductSpec("RD-ADD-API", "API & Integration Pack", "Add-on", True, "15.00", 0.6, 0.1),
    ProductSpec("RD-SVC-ONBOARD", "Onboarding Package", "Services", False, "15000.00", 0.67, 0.6),
    ProductSpec("RD-SVC-TRAIN", "Admin Training Day", "Services", False, "2500.00", 0.72, 0.48),
)
COMPETITORS = (
    Competitor("Helix Suite", 0.3, 0.85),
    Competitor("Corvid CRM", 0.25, 0.95),
    Competitor("Stratus One", 0.15, 0.8),
    Competitor("In-house build", 0.15, 1.1),
    Competitor("Status quo", 0.15, 1.2),
)


@dataclass(frozen=True)
class OrgParameters:
    """The organisation: headcount, regions, rep traits, accounts and contacts."""

    opportunities_per_rep: int = field(
        default=500, metadata=doc("current reps = scale / this (at least min_reps)")
    )
    min_reps: int = field(default=8, metadata=doc("smallest number of current reps"))
    opportunities_per_account: int = field(
        default=10, metadata=doc("accounts = scale / this (at least min_accounts)")
    )
    min_accounts: int = field(default=40, metadata=doc("smallest number of accounts"))
    regions: tuple[Region, ...] = field(
        default=_REGIONS, metadata=doc("regions: share of seats, countries and currencies")
    )
    usd_rates: tuple[tuple[str, float], ...] = field(
        default=(("USD", 1.0), ("CAD", 0.74), ("EUR", 1.09), ("GBP", 1.27), ("AUD", 0.66)),
        metadata=doc("USD value of one unit of each currency at the start of the window"),
    )
    fx_monthly_sigma: float = field(
        default=0.015, metadata=doc("monthly volatility of exchange rates (random walk)")
    )
    seat_share: Triple = field(
        default=(0.35, 0.4, 0.25), metadata=doc("share of rep seats per segment")
    )
    account_share: Triple = field(
        default=(0.55, 0.3, 0.15), metadata=doc("share of accounts per segment")
    )
    attrition_share: float = field(
        default=0.25, metadata=doc("seats whose rep left during the window (deals handed over)")
    )
    ramping_share: float = field(
        default=0.12, metadata=doc("seats whose current rep was hired within ramp_months")
    )
    ramp_months: int = field(
        default=6, metadata=doc("months a new hire needs to reach full productivity")
    )
    ramp_start_factor: float = field(
        default=0.5, metadata=doc("win-rate and deal-size factor on a new hire's first day")
    )
    tenure_years: tuple[float, float] = field(
        default=(0.5, 8.0), metadata=doc("tenure range of reps hired before window")
    )
    skill_sigma: float = field(
        default=0.25, metadata=doc("reps' win-rate multiplier: lognormal sigma, mean 1 per segment")
    )
    size_sigma: float = field(
        default=0.2, metadata=doc("reps' deal-size multiplier: lognormal sigma, mean 1 per segment")
    )
    discount_habit: tuple[float, float] = field(
        default=(0.12, 0.05),
        metadata=doc("mean and spread of the reps' habitual discount (beta distributed)"),
    )
    deal_desk: int = field(default=2, metadata=doc("deal desk analysts"))
    finance: int = field(default=2, metadata=doc("finance approvers (below the CFO)"))
    legal: int = field(default=2, metadata=doc("legal approvers (below the CFO)"))
    contacts_per_account: Triple = field(
        default=(2.0, 3.0, 5.0), metadata=doc("mean contacts per account (Poisson + 1)")
    )
    employees_median: Triple = field(
        default=(80.0, 800.0, 8000.0), metadata=doc("median head count of an account")
    )
    revenue_per_employee_usd: int = field(
        default=220_000, metadata=doc("annual revenue per employee (USD)")
    )
    subsidiary_share: float = field(
        default=0.05, metadata=doc("mid-market and enterprise accounts with a parent account")
    )


@dataclass(frozen=True)
class SegmentParameters:
    """How deals behave by segment (each tuple: SMB, mid-market, enterprise)."""

    deal_share: Triple = field(
        default=(0.45, 0.35, 0.2), metadata=doc("share of new-business deals created per segment")
    )
    median_acv_usd: Triple = field(
        default=(12_000.0, 50_000.0, 200_000.0), metadata=doc("median list ACV of a deal (USD)")
    )
    acv_sigma: Triple = field(
        default=(0.6, 0.6, 0.7), metadata=doc("spread (lognormal sigma) of deal size")
    )
    win_rate: Triple = field(
        default=(0.3, 0.28, 0.22), metadata=doc("base win probability of new business")
    )
    stage_days: tuple[tuple[float, ...], ...] = field(
        default=((5, 7, 8, 7, 5), (10, 14, 16, 14, 12), (18, 30, 35, 30, 28)),
        metadata=doc("median days in Prospecting..Negotiation"),
    )
    discovery_entry: Triple = field(
        default=(0.45, 0.3, 0.15), metadata=doc("new deals created straight into Discovery")
    )
    close_from_proposal: Triple = field(
        default=(0.3, 0.1, 0.03), metadata=doc("wins that skip Negotiation")
    )
    push_days: Triple = field(
        default=(21.0, 30.0, 45.0), metadata=doc("median days a close date moves when pushed")
    )
    term_weights: tuple[Triple, ...] = field(
        default=((0.85, 0.1, 0.05), (0.5, 0.3, 0.2), (0.2, 0.3, 0.5)),
        metadata=doc("weights of 12, 24, 36-month terms"),
    )
    billing_weights: tuple[tuple[float, ...], ...] = field(
        default=(
            (0.4, 0.2, 0.0, 0.35, 0.05),
            (0.05, 0.25, 0.1, 0.55, 0.05),
            (0.0, 0.2, 0.1, 0.6, 0.1),
        ),
        metadata=doc("weights of monthly, quarterly, semi-annual, annual, upfront billing"),
    )
    payment_weights: tuple[tuple[float, ...], ...] = field(
        default=((0.9, 0.05, 0.05, 0.0), (0.6, 0.2, 0.15, 0.05), (0.3, 0.25, 0.3, 0.15)),
        metadata=doc("weights of 30, 45, 60, 90-day payment terms"),
    )
    discount_extra: Triple = field(
        default=(-0.02, 0.0, 0.03), metadata=doc("extra discount expected in each segment")
    )
    clause_rate: Triple = field(
        default=(0.03, 0.15, 0.45), metadata=doc("quotes with at least one non-standard clause")
    )
    expansion_rate: Triple = field(
        default=(0.1, 0.25, 0.4), metadata=doc("won deals followed by an expansion deal")
    )
    onboarding_rate: Triple = field(
        default=(0.1, 0.6, 0.9), metadata=doc("quotes with an onboarding package")
    )
    training_rate: Triple = field(
        default=(0.1, 0.3, 0.5), metadata=doc("quotes with admin training days (1-5)")
    )
    lead_source_weights: tuple[tuple[float, ...], ...] = field(
        default=(
            (0.4, 0.3, 0.1, 0.1, 0.1),
            (0.3, 0.4, 0.15, 0.1, 0.05),
            (0.15, 0.5, 0.2, 0.1, 0.05),
        ),
        metadata=doc("weights of the new-business lead sources"),
    )


@dataclass(frozen=True)
class DefectParameters:
    """Hygiene defects injected on open deals (rates are shares of open deals) and contacts."""

    past_close_date: float = field(
        default=0.05, metadata=doc("open deals whose close date has passed")
    )
    stale: float = field(default=0.06, metadata=doc("open deals with no activity for over 30 days"))
    missing_next_step: float = field(default=0.07, metadata=doc("open deals with no next step"))
    missing_amount: float = field(
        default=0.03, metadata=doc("open deals before Proposal with no amount")
    )
    duplicate: float = field(
        default=0.003, metadata=doc("opportunities that are a near-identical copy of an open deal")
    )
    probability_mismatch: float = field(
        default=0.03, metadata=doc("open deals whose probability is off the stage's")
    )
    orphan_contact: float = field(default=0.03, metadata=doc("contacts with no account"))
    stale_after_days: int = field(
        default=30, metadata=doc("an open deal is stale after this many days without activity")
    )
    duplicate_window_days: int = field(
        default=14, metadata=doc("a copy is entered within this many days")
    )
