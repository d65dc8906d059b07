"""The parameters of pipeline dynamics and quotes, each field with its default and meaning."""

from __future__ import annotations

from dataclasses import dataclass, field

from revdesk.demo.parameters import COMPETITORS, PRODUCTS, Competitor, ProductSpec, doc


@dataclass(frozen=True)
class PipelineParameters:
    """Creation, stage progression, close dates, amounts and renewals."""

    history_quarters: int = field(
        default=12, metadata=doc("fiscal quarters of history, the current one included")
    )
    annual_growth: float = field(default=0.25, metadata=doc("yearly growth of pipeline creation"))
    month_seasonality: tuple[float, ...] = field(
        default=(1.05, 1.1, 1.1, 1.0, 1.0, 0.95, 0.85, 0.8, 1.1, 1.1, 1.0, 0.75),
        metadata=doc("creation factor of each calendar month, January first"),
    )
    weekend_factor: float = field(
        default=0.1, metadata=doc("creation on a Saturday or Sunday relative to a weekday")
    )
    skip_rate: float = field(default=0.07, metadata=doc("chance that a stage move skips one stage"))
    regression_rate: float = field(
        default=0.05, metadata=doc("chance that a stage move goes back one stage (once)")
    )
    loss_stage_weights: tuple[float, ...] = field(
        default=(0.3, 0.3, 0.2, 0.12, 0.08),
        metadata=doc("where lost deals are lost: Prospecting..Negotiation"),
    )
    dwell_sigma: float = field(
        default=0.6, metadata=doc("spread (lognormal sigma) of days in a stage")
    )
    lost_dwell_factor: float = field(
        default=1.4, metadata=doc("lost deals linger longer in their last stage")
    )
    size_dwell_elasticity: float = field(
        default=0.25, metadata=doc("dwell grows as (size / segment median) ** this")
    )
    size_win_elasticity: float = field(
        default=-0.1, metadata=doc("win rate changes as (size / segment median) ** this")
    )
    quarter_end_days: int = field(
        default=14, metadata=doc("the 'last two weeks' of a fiscal quarter")
    )
    pull_in_days: int = field(
        default=28, metadata=doc("wins due this early in a quarter may be pulled into the last one")
    )
    pull_in_rate: float = field(
        default=0.5, metadata=doc("chance that such a win is pulled into the previous quarter end")
    )
    slide_days: int = field(
        default=35,
        metadata=doc("wins due this close to quarter end may slide to its last two weeks"),
    )
    slide_rate: float = field(
        default=0.5, metadata=doc("chance that such a win slides to the last two weeks")
    )
    planned_cycle: tuple[float, float] = field(
        default=(0.3, 0.9),
        metadata=doc("first close date: created + this x segment cycle (uniform range)"),
    )
    big_deal_optimism: float = field(
        default=0.3, metadata=doc("planned cycle shrinks as (size / median) ** -this")
    )
    push_lead_days: tuple[float, float] = field(
        default=(0.0, 7.0), metadata=doc("a push happens this many days before")
    )
    max_pushes: int = field(
        default=5, metadata=doc("pushes before the close date is set to the real close")
    )
    month_end_share: float = field(
        default=0.6, metadata=doc("close dates set to the end of a month")
    )
    estimate_sigma: float = field(
        default=0.3, metadata=doc("spread of the rep's first amount estimate around list ACV")
    )
    resize_rate: float = field(
        default=0.5, metadata=doc("deals whose amount is re-estimated on entering Solution")
    )
    resize_sigma: float = field(default=0.2, metadata=doc("spread of that re-estimate"))
    handover_delay_days: float = field(
        default=5.0, metadata=doc("open deals reach the new rep within this many days")
    )
    recent_activity_days: float = field(
        default=25.0, metadata=doc("clean open deals had activity within these days")
    )
    renewal_win_rate: float = field(default=0.85, metadata=doc("win rate of renewals"))
    renewal_lead_days: tuple[float, float] = field(
        default=(60.0, 120.0), metadata=doc("renewal opened before term end")
    )
    renewal_uplift: tuple[float, float] = field(
        default=(0.95, 1.1), metadata=doc("renewal ACV / expiring recurring ACV")
    )
    expansion_win_rate: float = field(default=0.45, metadata=doc("win rate of expansions"))
    expansion_delay_days: tuple[float, float] = field(
        default=(60.0, 420.0), metadata=doc("expansion after the win")
    )
    expansion_size: tuple[float, float] = field(
        default=(0.1, 0.5), metadata=doc("expansion ACV / original ACV")
    )
    lead_sources: tuple[str, ...] = field(
        default=(
            "Inbound",
            "Outbound",
            "Partner",
            "Event",
            "Referral",
            "Customer Success",
            "Renewal",
        ),
        metadata=doc("lead sources: five for new business, then expansions' and renewals'"),
    )
    competitors: tuple[Competitor, ...] = field(
        default=COMPETITORS, metadata=doc("competitors: weight, win factor")
    )
    second_competitor_rate: float = field(default=0.35, metadata=doc("deals with two competitors"))
    lost_reasons_early: tuple[tuple[str, float], ...] = field(
        default=(
            ("No decision", 0.35),
            ("Not a fit", 0.25),
            ("Timing", 0.2),
            ("Budget", 0.15),
            ("Competitor", 0.05),
        ),
        metadata=doc("loss reasons before Solution"),
    )
    lost_reasons_late: tuple[tuple[str, float], ...] = field(
        default=(
            ("Price", 0.3),
            ("Competitor", 0.35),
            ("No decision", 0.15),
            ("Budget", 0.1),
            ("Timing", 0.1),
        ),
        metadata=doc("loss reasons from Solution on"),
    )


@dataclass(frozen=True)
class QuoteParameters:
    """Quotes, lines, discounts and clauses."""

    quote_rate: float = field(
        default=0.92, metadata=doc("open and lost deals from Proposal on that have a quote")
    )
    requote_rate: float = field(
        default=0.3, metadata=doc("quoted deals with a second version before the last step")
    )
    requote_rate_quarter_end: float = field(
        default=0.7, metadata=doc("same, for wins in the last two weeks of a quarter")
    )
    size_slope: float = field(
        default=0.04, metadata=doc("extra discount per doubling of size over the segment median")
    )
    quarter_end_bonus: float = field(
        default=0.05, metadata=doc("extra discount on quotes made in a quarter's last weeks")
    )
    ramp_bonus: float = field(
        default=0.03, metadata=doc("extra discount given by a rep in the first ramp months")
    )
    noise_sigma: float = field(
        default=0.03, metadata=doc("spread of a quote's discount around the rule")
    )
    max_discount: float = field(default=0.5, metadata=doc("largest discount on any line"))
    first_version_factor: tuple[float, float] = field(
        default=(0.4, 0.85), metadata=doc("first version's discount as a share of the final one")
    )
    services_discount_factor: float = field(
        default=0.5, metadata=doc("services get this share of the deal discount")
    )
    addon_rate: float = field(default=0.35, metadata=doc("chance of each add-on on a quote"))
    addon_share: tuple[float, float] = field(
        default=(0.3, 1.0), metadata=doc("add-on units as a share of platform seats")
    )
    clause_kinds: tuple[tuple[str, float], ...] = field(
        default=(
            ("liability_cap", 0.25),
            ("termination_for_convenience", 0.15),
            ("most_favoured_nation", 0.1),
            ("price_lock", 0.2),
            ("custom_sla", 0.15),
            ("auto_renewal_change", 0.1),
            ("exclusivity", 0.03),
            ("other", 0.02),
        ),
        metadata=doc("kinds of non-standard clause and their weights"),
    )
    extra_clause_rate: float = field(
        default=0.3, metadata=doc("chance of each further clause (up to 3)")
    )
    products: tuple[ProductSpec, ...] = field(
        default=PRODUCTS, metadata=doc("price book: list price, floor and cost")
    )
