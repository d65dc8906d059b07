"""Quotes: commercial terms, lines from the price book, the discount rule and clauses.

A deal's quote has one platform line (the tier of its segment), add-ons sized as a share of the
platform seats and, for new business, services. Seats are sized so that the list ACV matches
the deal's size. The discount is the rep's habit, plus more for bigger deals, more in the last
two weeks of a quarter and more from a ramping rep, plus noise, clipped to [0, max_discount];
services get a fraction of it. The first version of a re-quoted deal carries less discount.

The deal amount is the primary quote's annual contract value (ACV): twelve times the monthly
net value of the recurring lines plus the one-time lines, as in the bundled sample company.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from revdesk.crm.model import BillingFrequency
from revdesk.demo.catalogue import Catalogue
from revdesk.demo.model import DemoParameters, QuoteParameters, SegmentParameters
from revdesk.demo.timeline import Floats, Ints

TERMS = (12, 24, 36)
PAYMENT_DAYS = (30, 45, 60, 90)
BILLING = tuple(BillingFrequency)
NEW, EXPANSION, RENEWAL = 0, 1, 2
_SLOTS = 6  # platform, three add-ons, onboarding, training


@dataclass(frozen=True)
class Terms:
    """Per-deal commercial terms: term, billing frequency code, payment days."""

    months: Ints
    billing: Ints
    payment_days: Ints


@dataclass(frozen=True)
class Lines:
    """Quote lines of many deals, sorted by deal; prices in cents of the deal's currency."""

    deal: Ints
    line_no: Ints
    product: Ints
    quantity: Ints
    list_cents: Ints
    recurring: np.ndarray


def _pick(rng: np.random.Generator, weights: np.ndarray) -> Ints:
    """One index per row of a (rows, options) weight matrix."""
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.asarray((cumulative < draw[:, None]).sum(axis=1), dtype=np.int64)


def commercial_terms(rng: np.random.Generator, segment: Ints, params: SegmentParameters) -> Terms:
    """Term length, billing frequency and payment terms drawn by segment."""
    months = np.asarray(TERMS)[_pick(rng, np.asarray(params.term_weights)[segment])]
    billing = _pick(rng, np.asarray(params.billing_weights)[segment])
    payment = np.asarray(PAYMENT_DAYS)[_pick(rng, np.asarray(params.payment_weights)[segment])]
    return Terms(months.astype(np.int64), billing, payment.astype(np.int64))


def quote_lines(
    rng: np.random.Generator,
    *,
    segment: Ints,
    kind: Ints,
    currency: Ints,
    list_acv_cents: Floats,
    catalogue: Catalogue,
    params: DemoParameters,
) -> Lines:
    """Lines sized so that the recurring list ACV is close to `list_acv_cents`."""
    n = segment.size
    segments, quote = params.segments, params.quotes
    product, addons = _slots(segment, catalogue, params)
    prices = catalogue.list_cents[product, currency[:, None]]
    share = rng.uniform(*quote.addon_share, (n, addons))
    has_addon = rng.random((n, addons)) < quote.addon_rate
    monthly = prices[:, 0] + (prices[:, 1 : 1 + addons] * share * has_addon).sum(axis=1)
    seats = np.maximum(1, np.round(list_acv_cents / (12 * monthly))).astype(np.int64)
    onboarding = (kind == NEW) & (rng.random(n) < np.asarray(segments.onboarding_rate)[segment])
    training = (kind != RENEWAL) & (rng.random(n) < np.asarray(segments.training_rate)[segment])
    addon_units = np.maximum(1, np.round(seats[:, None] * share)).astype(np.int64)
    quantity = np.column_stack([seats, addon_units, np.ones(n, np.int64), rng.integers(1, 6, n)])
    include = np.column_stack([np.ones(n, bool), has_addon, onboarding, training])
    return _flattened(include, product, quantity, prices, catalogue)


def _slots(segment: Ints, catalogue: Catalogue, params: DemoParameters) -> tuple[Ints, int]:
    """Per deal, the products that may be on its quote: its platform tier, every add-on, then
    the onboarding package and training days (the two one-time products); and the add-on count.
    """
    family = np.asarray([p.family for p in params.quotes.products])
    platform = np.flatnonzero(family == "Platform")[segment]
    addons = np.flatnonzero(family == "Add-on")
    services = np.flatnonzero(~catalogue.recurring)
    n = segment.size
    product = np.column_stack([platform, np.tile(addons, (n, 1)), np.tile(services, (n, 1))])
    return product.astype(np.int64), int(addons.size)


def _flattened(
    include: np.ndarray, product: Ints, quantity: Ints, prices: Ints, catalogue: Catalogue
) -> Lines:
    """The included slots as lines, numbered 1, 2, ... within each deal."""
    rows, slots = np.nonzero(include)
    chosen = product[rows, slots]
    return Lines(
        deal=rows.astype(np.int64),
        line_no=np.cumsum(include, axis=1)[rows, slots].astype(np.int64),
        product=chosen,
        quantity=quantity[rows, slots],
        list_cents=prices[rows, slots].astype(np.int64),
        recurring=catalogue.recurring[chosen],
    )


def discount_rule(
    habit: Floats,
    size_ratio: Floats,
    quarter_end: np.ndarray,
    ramping: np.ndarray,
    params: QuoteParameters,
) -> Floats:
    """The expected discount: habit + size slope x log2(size) + quarter-end and ramp bonuses."""
    rate = (
        habit
        + params.size_slope * np.log2(np.maximum(size_ratio, 1e-6))
        + params.quarter_end_bonus * quarter_end
        + params.ramp_bonus * ramping
    )
    return np.asarray(np.clip(rate, 0.0, params.max_discount), dtype=np.float64)


def net_cents(lines: Lines, deal_rate: Floats, params: QuoteParameters) -> Ints:
    """Net unit price of each line: list less the deal's rate (a fraction of it on services)."""
    rate = deal_rate[lines.deal] * np.where(lines.recurring, 1.0, params.services_discount_factor)
    return np.asarray(np.maximum(np.round(lines.list_cents * (1.0 - rate)), 0), dtype=np.int64)


def acv_cents(lines: Lines, net: Ints, deals: int, *, recurring_only: bool = False) -> Ints:
    """Annual contract value of each deal: 12 x monthly recurring net + one-time net."""
    value = lines.quantity * net * np.where(lines.recurring, 12, 0 if recurring_only else 1)
    total = np.bincount(lines.deal, weights=value.astype(np.float64), minlength=deals)
    return np.asarray(np.round(total), dtype=np.int64)


_CLAUSE_TEXT = {
    "liability_cap": (
        '{{"multiple": {v}}}',
        "Aggregate liability capped at {v}x the fees paid in the preceding 12 months.",
        ("1", "2", "3"),
    ),
    "termination_for_convenience": (
        '{{"notice_days": {v}}}',
        "Customer may terminate for convenience on {v} days' notice.",
        ("30", "60", "90"),
    ),
    "most_favoured_nation": (
        '{{"scope": "{v}"}}',
        "Customer receives any lower price offered to a comparable {v} customer.",
        ("regional", "global", "segment"),
    ),
    "price_lock": ('{{"years": {v}}}', "Unit prices fixed for {v} years.", ("1", "2", "3")),
    "custom_sla": (
        '{{"uptime": "{v}"}}',
        "Uptime commitment of {v}% with service credits.",
        ("99.9", "99.95", "99.99"),
    ),
    "auto_renewal_change": (
        '{{"notice_days": {v}}}',
        "No automatic renewal; renewal needs written confirmation {v} days before term end.",
        ("30", "60", "90"),
    ),
    "exclusivity": (
        '{{"months": {v}}}',
        "No sale to the customer's named competitors for {v} months.",
        ("6", "12", "24"),
    ),
    "other": (
        '{{"topic": "{v}"}}',
        "Custom terms on {v}.",
        ("data residency", "audit rights", "subcontractors"),
    ),
}


def clauses(
    rng: np.random.Generator, segment: Ints, segments: SegmentParameters, params: QuoteParameters
) -> pl.DataFrame:
    """Non-standard clauses of each quote (column quote = row number of the deal)."""
    n = segment.size
    names = [k for k, _ in params.clause_kinds]
    weights = np.asarray([w for _, w in params.clause_kinds])
    first = rng.random(n) < np.asarray(segments.clause_rate)[segment]
    more = rng.random((n, 2)) < params.extra_clause_rate
    present = np.column_stack([first, first & more[:, 0], first & more[:, 0] & more[:, 1]])
    kind = rng.choice(len(names), size=(n, 3), p=weights / weights.sum())
    repeated = (kind[:, 1] == kind[:, 0], (kind[:, 2] == kind[:, 0]) | (kind[:, 2] == kind[:, 1]))
    present[:, 1] &= ~repeated[0]
    present[:, 2] &= ~repeated[1]
    rows, slots = np.nonzero(present)
    picked = kind[rows, slots]
    variant = rng.integers(0, 3, rows.size)
    params_text = [
        _CLAUSE_TEXT[names[k]][0].format(v=_CLAUSE_TEXT[names[k]][2][v])
        for k, v in zip(picked.tolist(), variant.tolist(), strict=True)
    ]
    text = [
        _CLAUSE_TEXT[names[k]][1].format(v=_CLAUSE_TEXT[names[k]][2][v])
        for k, v in zip(picked.tolist(), variant.tolist(), strict=True)
    ]
    return pl.DataFrame(
        {
            "quote": rows.astype(np.int64),
            "kind": np.asarray(names)[picked] if rows.size else np.array([], dtype=str),
            "parameters": pl.Series(params_text, dtype=pl.String),
            "text": pl.Series(text, dtype=pl.String),
        }
    )


def take_lines(lines: Lines, keep: np.ndarray) -> Lines:
    """The lines of the deals where `keep` is true, with deal numbers renumbered to match."""
    position = np.cumsum(keep) - 1
    chosen = keep[lines.deal]
    return Lines(
        deal=position[lines.deal[chosen]],
        line_no=lines.line_no[chosen],
        product=lines.product[chosen],
        quantity=lines.quantity[chosen],
        list_cents=lines.list_cents[chosen],
        recurring=lines.recurring[chosen],
    )


def stack_lines(first: Lines, second: Lines, offset: int) -> Lines:
    """The lines of two batches of deals, the second's deal numbers shifted by `offset`."""
    return Lines(
        deal=np.concatenate([first.deal, second.deal + offset]),
        line_no=np.concatenate([first.line_no, second.line_no]),
        product=np.concatenate([first.product, second.product]),
        quantity=np.concatenate([first.quantity, second.quantity]),
        list_cents=np.concatenate([first.list_cents, second.list_cents]),
        recurring=np.concatenate([first.recurring, second.recurring]),
    )
