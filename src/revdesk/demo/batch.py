"""One batch of the demo pipeline: new business, then the renewals and expansions it earns.

A batch holds exactly `size` opportunities. New-business deals are drawn and simulated first;
each won deal whose term ends before today gets a renewal, and some won deals get an expansion
later. Deals are kept in order (a deal, then its follow-ups) until the batch is full, so every
kept follow-up has its kept original. Only kept follow-ups are simulated.
"""

from __future__ import annotations

import numpy as np

from revdesk.demo.arrays import stack, take
from revdesk.demo.deals import Deals, Draw, draw_new_business, simulate
from revdesk.demo.org import Org
from revdesk.demo.quotes import (
    EXPANSION,
    RENEWAL,
    Lines,
    acv_cents,
    net_cents,
    stack_lines,
    take_lines,
)
from revdesk.demo.timeline import (
    US_PER_DAY,
    US_PER_HOUR,
    Ints,
    business_time,
    month_end,
    month_index,
    month_start_day,
)


def generate(rng: np.random.Generator, org: Org, size: int) -> tuple[Deals, Lines]:
    """Simulate exactly `size` deals: new business followed by its renewals and expansions."""
    draw = draw_new_business(rng, org, size)
    parents, parent_lines = simulate(rng, org, draw)
    follow = follow_ups(rng, org, parents, parent_lines)
    keep_parents, keep_children = fill(follow.parent, size)
    parents = take(parents, keep_parents)
    parent_lines = take_lines(parent_lines, keep_parents)
    follow = take(follow, keep_children)
    renumbered = np.cumsum(keep_parents) - 1
    follow = Draw(
        follow.account, follow.kind, follow.created, follow.size_usd, renumbered[follow.parent]
    )
    children, child_lines = simulate(rng, org, follow)
    offset = parents.segment.size
    return stack(parents, children), stack_lines(parent_lines, child_lines, offset)


def fill(parent_of_child: Ints, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Which of `size` parents and which children fit `size` slots, parent then its children."""
    count = 1 + np.bincount(parent_of_child, minlength=size)
    filled = np.cumsum(count)
    last = int(np.searchsorted(filled, size))  # the parent whose group reaches `size`
    keep_parents = np.arange(size) <= last
    room = size - (int(filled[last - 1]) if last > 0 else 0) - 1
    order = np.argsort(parent_of_child, kind="stable")
    rank = np.empty(parent_of_child.size, dtype=np.int64)
    ordered = parent_of_child[order]
    rank[order] = np.arange(ordered.size) - np.searchsorted(ordered, ordered)
    keep_children = (parent_of_child < last) | ((parent_of_child == last) & (rank < room))
    return keep_parents, keep_children


def follow_ups(rng: np.random.Generator, org: Org, deals: Deals, lines: Lines) -> Draw:
    """Renewals of won deals whose term ends soon enough, and expansions of some won deals."""
    n, today, params = deals.segment.size, org.world.today_us, org.params
    won = deals.won & (deals.close_at < today)
    close_day = deals.close_at // US_PER_DAY
    usd = org.catalogue.usd_value(deals.currency, close_day) / 100
    net = net_cents(lines, deals.rate_final, params.quotes)
    acv_usd = acv_cents(lines, net, n) * usd
    recurring_usd = acv_cents(lines, net, n, recurring_only=True) * usd
    pipe = params.pipeline
    end = month_start_day(month_index(month_end(close_day) + 1) + deals.terms.months)
    lead = rng.uniform(*pipe.renewal_lead_days, n).astype(np.int64)
    renew_at = business_time(rng, end - lead)
    renews = won & (renew_at > deals.close_at) & (renew_at < today - US_PER_HOUR)
    delay = rng.uniform(*pipe.expansion_delay_days, n).astype(np.int64)
    expand_at = business_time(rng, close_day + delay)
    rate = np.asarray(params.segments.expansion_rate)[deals.segment]
    expands = won & (rng.random(n) < rate) & (expand_at < today - US_PER_HOUR)
    renewal_size = recurring_usd * rng.uniform(*pipe.renewal_uplift, n)
    expansion_size = acv_usd * rng.uniform(*pipe.expansion_size, n)
    parent = np.concatenate([np.flatnonzero(renews), np.flatnonzero(expands)])
    order = np.argsort(parent, kind="stable")
    kinds = np.concatenate([np.full(renews.sum(), RENEWAL), np.full(expands.sum(), EXPANSION)])
    return Draw(
        account=deals.draw.account[parent][order],
        kind=kinds[order].astype(np.int64),
        created=np.concatenate([renew_at[renews], expand_at[expands]])[order],
        size_usd=np.concatenate([renewal_size[renews], expansion_size[expands]])[order],
        parent=parent[order],
    )
