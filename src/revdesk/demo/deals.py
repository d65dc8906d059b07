"""Simulate a batch of deals end to end as arrays: owner, fate, stages, close dates, quotes.

`simulate` takes drawn deals (account, type, creation moment, size) and returns `Deals`: every
per-deal fact the opportunity, history and quote rows are built from. Moments are microseconds;
amounts are cents of the deal's currency. Nothing here knows about `today` except the quote
plan (a quote made after today does not exist yet); the rows module cuts history at today.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revdesk.demo import pipeline
from revdesk.demo.model import DISCOVERY, NEGOTIATION, PROSPECTING, SOLUTION, DemoParameters
from revdesk.demo.org import Org
from revdesk.demo.pipeline import Bools
from revdesk.demo.quotes import (
    NEW,
    RENEWAL,
    Lines,
    Terms,
    commercial_terms,
    discount_rule,
    quote_lines,
)
from revdesk.demo.timeline import (
    NEVER,
    US_PER_DAY,
    US_PER_HOUR,
    Floats,
    Ints,
    creation_moments,
    quarter_end,
)


@dataclass(frozen=True)
class Draw:
    """Deals before simulation: account number, type, creation moment, list ACV in USD."""

    account: Ints
    kind: Ints
    created: Ints
    size_usd: Floats
    parent: Ints


@dataclass(frozen=True)
class Owners:
    """Who owns each deal: the rep at creation, a later handover (NEVER: none), the ramp factor."""

    rep: Ints
    handover_at: Ints
    next_rep: Ints
    ramp: Floats

    def at(self, moments: Ints) -> Ints:
        """The rep number owning each deal at `moments`."""
        return np.asarray(np.where(moments >= self.handover_at, self.next_rep, self.rep), np.int64)


@dataclass(frozen=True)
class Deals:
    """Everything simulated about each deal of a batch (index = row in the batch)."""

    draw: Draw
    segment: Ints
    currency: Ints
    owners: Owners
    size_ratio: Floats
    won: Bools
    competitors: Ints
    path: Ints
    entered: Ints
    close_at: Ints
    plan_at: Ints
    plan_day: Ints
    plan_valid: Bools
    terms: Terms
    quote_at: Ints
    requote_at: Ints
    rate_first: Floats
    rate_final: Floats
    estimate: Ints
    resize_at: Ints
    resize: Ints
    lost_reason: Ints
    lead_source: Ints


def draw_new_business(rng: np.random.Generator, org: Org, n: int) -> Draw:
    """Draw `n` new-business deals: segment by deal share, account, creation moment, size."""
    accounts, params, world = org.accounts, org.params, org.world
    has_accounts = np.bincount(accounts.segment, minlength=3) > 0
    share = np.asarray(params.segments.deal_share) * has_accounts
    segment = rng.choice(3, size=n, p=share / share.sum())
    account = np.empty(n, dtype=np.int64)
    for s in np.flatnonzero(has_accounts):
        members = np.flatnonzero(segment == s)
        pool = accounts.of_segment(int(s))
        account[members] = pool[rng.integers(0, pool.size, members.size)]
    median = np.asarray(params.segments.median_acv_usd)[segment]
    sigma = np.asarray(params.segments.acv_sigma)[segment]
    return Draw(
        account=account,
        kind=np.full(n, NEW, dtype=np.int64),
        created=creation_moments(rng, n, world.start_day, world.today_day, params.pipeline),
        size_usd=rng.lognormal(np.log(median) - sigma**2 / 2, sigma),
        parent=np.full(n, -1, dtype=np.int64),
    )


def simulate(rng: np.random.Generator, org: Org, draw: Draw) -> tuple[Deals, Lines]:
    """Simulate every drawn deal; return the deals and their quote lines (list prices)."""
    params = org.params
    segment = org.accounts.segment[draw.account]
    currency = org.accounts.currency[draw.account]
    owners = _owners(rng, org, draw)
    size_usd, ratio = _size(org, draw, segment, owners)
    competitors, won = _outcome(rng, org, draw, segment=segment, ratio=ratio, owners=owners)
    path, entered, close_at = _fate(rng, org, draw, segment=segment, ratio=ratio, won=won)
    plan = _close_dates(rng, org, draw, segment=segment, ratio=ratio, close_at=close_at)
    list_acv = size_usd / org.catalogue.usd_value(currency, draw.created // US_PER_DAY) * 100
    lines = quote_lines(
        rng, segment=segment, kind=draw.kind, currency=currency, list_acv_cents=list_acv,
        catalogue=org.catalogue, params=params,
    )  # fmt: skip
    quoting = _quoting(
        rng, org, segment=segment, ratio=ratio, owners=owners, path=path, entered=entered,
        close_at=close_at, won=won,
    )  # fmt: skip
    estimates = _estimates(rng, params, path, entered, list_acv)
    terms = commercial_terms(rng, segment, params.segments)
    reasons = _reasons(rng, params, draw.kind, segment, path)
    quote_at, requote_at, rate_first, rate_final = quoting
    deals = Deals(
        draw, segment, currency, owners, ratio, won, competitors, path, entered, close_at,
        *plan, terms, quote_at, requote_at, rate_first, rate_final, *estimates, *reasons,
    )  # fmt: skip
    return deals, lines


def _size(org: Org, draw: Draw, segment: Ints, owners: Owners) -> tuple[Floats, Floats]:
    """List ACV in USD (new business scaled by the rep's size habit and ramp) and its ratio."""
    grown = draw.size_usd * org.people.reps.size[owners.rep] * owners.ramp
    size_usd = np.where(draw.kind == NEW, grown, draw.size_usd)
    median = np.asarray(org.params.segments.median_acv_usd)[segment]
    return size_usd, size_usd / median


def _outcome(
    rng: np.random.Generator, org: Org, draw: Draw, *, segment: Ints, ratio: Floats,
    owners: Owners,
) -> tuple[Ints, Bools]:  # fmt: skip
    """Competitors of each deal and whether it is won."""
    params = org.params
    competitors, factor = _competitors(rng, params, segment.size)
    skill = org.people.reps.skill[owners.rep] * owners.ramp * factor
    won = rng.random(segment.size) < _win_probability(params, draw.kind, segment, ratio, skill)
    return competitors, won


def _close_dates(
    rng: np.random.Generator, org: Org, draw: Draw, *, segment: Ints, ratio: Floats,
    close_at: Ints,
) -> tuple[Ints, Ints, Bools]:  # fmt: skip
    """The planned close date at creation and its pushes (moments, days, validity)."""
    params = org.params
    planned = pipeline.planned_close(rng, draw.created, segment, ratio, params)
    push_days = np.asarray(params.segments.push_days)[segment]
    return pipeline.close_date_changes(
        rng, draw.created, close_at, planned, push_days=push_days, params=params.pipeline
    )


def _quoting(
    rng: np.random.Generator, org: Org, *, segment: Ints, ratio: Floats, owners: Owners,
    path: Ints, entered: Ints, close_at: Ints, won: Bools,
) -> tuple[Ints, Ints, Floats, Floats]:  # fmt: skip
    """Moments of the first and second quote version, and their discounts."""
    quote_at, requote_at = _quote_times(
        rng, org, path=path, entered=entered, close_at=close_at, won=won
    )
    requoted = requote_at < NEVER
    final_at = np.where(requoted, requote_at, quote_at)
    first, final = _discounts(
        rng, org, segment=segment, ratio=ratio, owners=owners, final_at=final_at,
        requoted=requoted,
    )  # fmt: skip
    return quote_at, requote_at, first, final


def _owners(rng: np.random.Generator, org: Org, draw: Draw) -> Owners:
    """Rep at creation, moment of any later handover, the next rep, and the ramp factor."""
    seat = org.accounts.seat[draw.account]
    seats, params = org.people.seats, org.params
    handover = seats.handover[seat]
    rep = np.where(draw.created >= handover, seats.rep_after[seat], seats.rep_before[seat])
    delay = rng.uniform(0.0, params.pipeline.handover_delay_days, rep.size) * US_PER_DAY
    moves = draw.created < handover
    handover_at = np.where(moves, handover + delay.astype(np.int64), NEVER).astype(np.int64)
    next_rep = np.where(moves, seats.rep_after[seat], rep)
    return Owners(rep, handover_at, next_rep, ramp_factor(org, rep, draw.created))


def ramp_factor(org: Org, rep: Ints, moments: Ints) -> Floats:
    """How productive each rep is at `moments`: from ramp_start_factor at hire up to 1."""
    p = org.params.org
    tenure = (moments - org.people.reps.hired[rep]) / (30.4 * US_PER_DAY)
    progress = np.clip(tenure / p.ramp_months, 0.0, 1.0)
    return np.asarray(p.ramp_start_factor + (1.0 - p.ramp_start_factor) * progress, np.float64)


def _competitors(rng: np.random.Generator, params: DemoParameters, n: int) -> tuple[Ints, Floats]:
    """One or two competitors per deal (-1 = none) and the product of their win factors."""
    pool = params.pipeline.competitors
    weights = np.asarray([c.weight for c in pool])
    picks = rng.choice(len(pool), size=(n, 2), p=weights / weights.sum())
    second = (rng.random(n) < params.pipeline.second_competitor_rate) & (picks[:, 1] != picks[:, 0])
    picks[:, 1] = np.where(second, picks[:, 1], -1)
    factors = np.asarray([c.win_factor for c in pool])
    factor = factors[picks[:, 0]] * np.where(second, factors[picks[:, 1]], 1.0)
    return picks.astype(np.int64), factor


def _win_probability(
    params: DemoParameters, kind: Ints, segment: Ints, ratio: Floats, multiplier: Floats
) -> Floats:
    """Base win rate by type and segment x rep skill, ramp, competitors and size, clipped."""
    pipe = params.pipeline
    base = np.select(
        [kind == NEW, kind == RENEWAL],
        [np.asarray(params.segments.win_rate)[segment], np.full(kind.size, pipe.renewal_win_rate)],
        np.full(kind.size, pipe.expansion_win_rate),
    )
    probability = base * multiplier * ratio**pipe.size_win_elasticity
    return np.asarray(np.clip(probability, 0.02, 0.97), dtype=np.float64)


def _entry_and_top(
    rng: np.random.Generator, params: DemoParameters, kind: Ints, segment: Ints, won: Bools
) -> tuple[Ints, Ints]:
    """Entry stage by type (new deals often straight into Discovery) and last open stage."""
    n = segment.size
    to_discovery = rng.random(n) < np.asarray(params.segments.discovery_entry)[segment]
    entry = np.select(
        [kind == NEW, kind == RENEWAL],
        [np.where(to_discovery, DISCOVERY, PROSPECTING), np.full(n, SOLUTION)],
        np.full(n, DISCOVERY),
    ).astype(np.int64)
    skip_negotiation = rng.random(n) < np.asarray(params.segments.close_from_proposal)[segment]
    won_top = np.where(skip_negotiation, NEGOTIATION - 1, NEGOTIATION)
    top = np.where(won, won_top, pipeline.loss_stage(rng, entry, params.pipeline))
    return entry, top.astype(np.int64)


def _fate(
    rng: np.random.Generator, org: Org, draw: Draw, *, segment: Ints, ratio: Floats, won: Bools
) -> tuple[Ints, Ints, Ints]:
    """Stage path, entry moments and the (quarter-end clustered) close moment of each deal."""
    params = org.params
    entry, top = _entry_and_top(rng, params, draw.kind, segment, won)
    path = pipeline.stage_paths(rng, entry, top, won, params.pipeline)
    entered = pipeline.stage_times(
        rng, path, draw.created, segment=segment, size_ratio=ratio, params=params
    )
    last = pipeline.last_state(path)
    rows = np.arange(segment.size)
    close_at = pipeline.cluster_wins(
        rng,
        entered[rows, last],
        entered[rows, last - 1],
        won,
        start_month=org.world.fiscal_start_month,
        params=params.pipeline,
    )
    entered[rows, last] = close_at
    return path, entered, close_at


def _quote_times(
    rng: np.random.Generator,
    org: Org,
    *,
    path: Ints,
    entered: Ints,
    close_at: Ints,
    won: Bools,
) -> tuple[Ints, Ints]:
    """Moment of the first quote (-1: none) and of a second version (NEVER: none)."""
    n, today, q = close_at.size, org.world.today_us, org.params.quotes
    first = pipeline.quote_stage_entry(path, entered)
    kept = won | (rng.random(n) < q.quote_rate)
    quoted = (first >= 0) & (first < today) & kept
    quote_at = np.where(quoted, first, -1)
    close_day = close_at // US_PER_DAY
    last_weeks = quarter_end(close_day, org.world.fiscal_start_month) - close_day
    late = last_weeks < org.params.pipeline.quarter_end_days
    rate = np.where(won & late, q.requote_rate_quarter_end, q.requote_rate)
    before_close = close_at - (rng.uniform(0.1, 2.0, n) * US_PER_DAY).astype(np.int64)
    negotiation = np.where(path == NEGOTIATION, entered, NEVER).min(axis=1)
    candidate = np.where(won, before_close, negotiation)
    again = quoted & (rng.random(n) < rate) & (candidate > quote_at + US_PER_HOUR)
    again &= (candidate < today) & (candidate < close_at)
    return np.asarray(quote_at, np.int64), np.asarray(np.where(again, candidate, NEVER), np.int64)


def _discounts(
    rng: np.random.Generator,
    org: Org,
    *,
    segment: Ints,
    ratio: Floats,
    owners: Owners,
    final_at: Ints,
    requoted: Bools,
) -> tuple[Floats, Floats]:
    """Discount of the first and of the final (primary) version of each deal's quote."""
    params, q = org.params, org.params.quotes
    owner = owners.at(final_at)
    day = final_at // US_PER_DAY
    last_weeks = quarter_end(day, org.world.fiscal_start_month) - day
    at_quarter_end = last_weeks < params.pipeline.quarter_end_days
    ramping = ramp_factor(org, owner, final_at) < 1.0
    habit = org.people.reps.habit[owner] + np.asarray(params.segments.discount_extra)[segment]
    rule = discount_rule(habit, ratio, at_quarter_end, ramping, q)
    final = np.clip(rule + rng.normal(0.0, q.noise_sigma, ratio.size), 0.0, q.max_discount)
    share = rng.uniform(*q.first_version_factor, ratio.size)
    return np.where(requoted, final * share, final), final


def _estimates(
    rng: np.random.Generator, params: DemoParameters, path: Ints, entered: Ints, list_acv: Floats
) -> tuple[Ints, Ints, Ints]:
    """The rep's first amount estimate, and a re-estimate on entering Solution (NEVER: none)."""
    pipe = params.pipeline
    n = list_acv.size
    estimate = _round_amount(list_acv * rng.lognormal(0.0, pipe.estimate_sigma, n))
    solution = np.where(path == SOLUTION, entered, NEVER).min(axis=1)
    resize = _round_amount(estimate * rng.lognormal(0.0, pipe.resize_sigma, n))
    again = (solution < NEVER) & (rng.random(n) < pipe.resize_rate)
    return estimate, np.asarray(np.where(again, solution, NEVER), np.int64), resize


def _round_amount(cents: Floats) -> Ints:
    """Round an estimate as a rep would: to 500 below 100,000, else to 5,000 (in cents x100)."""
    step = np.where(cents < 10_000_000, 50_000, 500_000)
    return np.asarray(np.maximum(np.round(cents / step), 1) * step, dtype=np.int64)


def _reasons(
    rng: np.random.Generator, params: DemoParameters, kind: Ints, segment: Ints, path: Ints
) -> tuple[Ints, Ints]:
    """Lost reason code (by how far the deal got) and lead source code (by type and segment)."""
    pipe = params.pipeline
    n = kind.size
    reached = path.max(axis=1, where=(path >= 0) & (path < 5), initial=0)
    early = np.asarray([w for _, w in pipe.lost_reasons_early])
    late = np.asarray([w for _, w in pipe.lost_reasons_late])
    reason_early = rng.choice(early.size, size=n, p=early / early.sum())
    reason_late = early.size + rng.choice(late.size, size=n, p=late / late.sum())
    reason = np.where(reached < SOLUTION, reason_early, reason_late)
    weights = np.asarray(params.segments.lead_source_weights)[segment]
    cumulative = np.cumsum(weights, axis=1)
    source = (cumulative < (rng.random(n) * cumulative[:, -1])[:, None]).sum(axis=1)
    source = np.where(kind == NEW, source, weights.shape[1] + np.minimum(kind, 2) - 1)
    return reason.astype(np.int64), source.astype(np.int64)
