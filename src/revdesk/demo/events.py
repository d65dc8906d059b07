"""From simulated deals to what happened before today: field events and each deal's state.

Events are long frames, one per tracked field, with columns deal (row in the batch), at
(microseconds) and value (Int64: stage code, cents, day number or user id); the first event of a
deal is its creation value. Events at or after today's midnight have not happened and are left
out. The state frame holds one row per deal with everything that is not a tracked field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from revdesk.demo.deals import Deals
from revdesk.demo.model import LOST, STAGE_PROBABILITY, WON, DemoParameters
from revdesk.demo.names import NEXT_STEPS
from revdesk.demo.org import Org
from revdesk.demo.people import People
from revdesk.demo.quotes import Lines, acv_cents, net_cents
from revdesk.demo.timeline import NEVER, US_PER_DAY, Ints, World

FIELDS = ("stage", "amount", "close_date", "owner")
_EVENT_SCHEMA = {"deal": pl.Int64, "at": pl.Int64, "value": pl.Int64}


@dataclass(frozen=True)
class Batch:
    """A batch ready for defects and rows: field events, deal state, quote facts."""

    events: dict[str, pl.DataFrame]
    state: pl.DataFrame
    deals: Deals
    lines: Lines


def _events(deal: Ints, at: Ints, value: Ints) -> pl.DataFrame:
    return pl.DataFrame({"deal": deal, "at": at, "value": value}, schema=_EVENT_SCHEMA)


def stage_events(deals: Deals, today_us: int) -> pl.DataFrame:
    """Every stage entered before today, the first at creation."""
    happened = (deals.path >= 0) & (deals.entered < today_us)
    rows, steps = np.nonzero(happened)
    return _events(rows, deals.entered[rows, steps], deals.path[rows, steps])


def close_date_events(deals: Deals, today_us: int) -> pl.DataFrame:
    """The planned close date at creation, every push, and the real date on closing."""
    cutoff = np.minimum(deals.close_at, today_us)[:, None]
    happened = deals.plan_valid & (deals.plan_at < cutoff)
    rows, steps = np.nonzero(happened)
    closed = np.flatnonzero(deals.close_at < today_us)
    frame = _events(
        np.concatenate([rows, closed]),
        np.concatenate([deals.plan_at[rows, steps], deals.close_at[closed]]),
        np.concatenate([deals.plan_day[rows, steps], deals.close_at[closed] // US_PER_DAY]),
    )
    return frame.sort("deal", "at")


def quote_values(deals: Deals, lines: Lines, params: DemoParameters) -> tuple[Ints, Ints]:
    """ACV in cents of the first and of the final version of each deal's quote."""
    n = deals.segment.size
    first = acv_cents(lines, net_cents(lines, deals.rate_first, params.quotes), n)
    final = acv_cents(lines, net_cents(lines, deals.rate_final, params.quotes), n)
    return first, final


def amount_events(
    deals: Deals, lines: Lines, params: DemoParameters, today_us: int
) -> pl.DataFrame:
    """The first estimate, a re-estimate on entering Solution, each quote version's ACV."""
    first, final = quote_values(deals, lines, params)
    n = deals.segment.size
    created = deals.draw.created
    resized = (deals.resize_at > created) & (deals.resize_at < np.minimum(deals.close_at, today_us))
    quoted = deals.quote_at >= 0
    requoted = deals.requote_at < NEVER
    parts = [
        (np.arange(n), created, deals.estimate),
        (np.flatnonzero(resized), deals.resize_at[resized], deals.resize[resized]),
        (np.flatnonzero(quoted), deals.quote_at[quoted], first[quoted]),
        (np.flatnonzero(requoted), deals.requote_at[requoted], final[requoted]),
    ]
    frame = _events(*(np.concatenate([p[i] for p in parts]) for i in range(3)))
    return frame.sort("deal", "at")


def owner_events(deals: Deals, people: People, today_us: int) -> pl.DataFrame:
    """The rep at creation and, if the seat changed hands while the deal was open, the next."""
    users = people.reps.user_id
    n = deals.segment.size
    owners = deals.owners
    moved = owners.handover_at < np.minimum(deals.close_at, today_us)
    frame = _events(
        np.concatenate([np.arange(n), np.flatnonzero(moved)]),
        np.concatenate([deals.draw.created, owners.handover_at[moved]]),
        np.concatenate([users[owners.rep], users[owners.next_rep[moved]]]),
    )
    return frame.sort("deal", "at")


def build_batch(rng: np.random.Generator, org: Org, deals: Deals, lines: Lines) -> Batch:
    """Events and state of a simulated batch, as of today."""
    today = org.world.today_us
    events = {
        "stage": stage_events(deals, today),
        "amount": amount_events(deals, lines, org.params, today),
        "close_date": close_date_events(deals, today),
        "owner": owner_events(deals, org.people, today),
    }
    stage = last_values(events["stage"], deals.segment.size)
    state = _state(rng, org, deals, stage)
    return Batch(events, with_activity(rng, state, events, org.params, today), deals, lines)


def last_values(events: pl.DataFrame, n: int) -> Ints:
    """The last value of one field's events for each of `n` deals (events sorted by time)."""
    last = events.group_by("deal").agg(pl.col("value").sort_by("at").last())
    values = np.zeros(n, dtype=np.int64)
    values[last["deal"].to_numpy()] = last["value"].to_numpy()
    return values


def last_event_at(events: dict[str, pl.DataFrame], n: int) -> Ints:
    """The moment of each deal's latest event in any field."""
    every = pl.concat([frame.select("deal", "at") for frame in events.values()])
    latest = every.group_by("deal").agg(pl.col("at").max())
    moments = np.zeros(n, dtype=np.int64)
    moments[latest["deal"].to_numpy()] = latest["at"].to_numpy()
    return moments


def with_activity(
    rng: np.random.Generator,
    state: pl.DataFrame,
    events: dict[str, pl.DataFrame],
    params: DemoParameters,
    today_us: int,
) -> pl.DataFrame:
    """Last activity: closed deals at their close; open deals recently (after their last event)."""
    n = state.height
    recent = today_us - rng.uniform(0.0, params.pipeline.recent_activity_days, n) * US_PER_DAY
    latest = np.maximum(recent.astype(np.int64), last_event_at(events, n))
    closed_at = state["closed_at"].fill_null(-1).to_numpy()
    activity = np.where(state["is_open"].to_numpy(), latest, closed_at)
    return state.with_columns(last_activity=pl.Series(activity, dtype=pl.Int64))


def _state(rng: np.random.Generator, org: Org, deals: Deals, stage: Ints) -> pl.DataFrame:
    """One row per deal: identity, status today and the fields that have no history."""
    world, params, accounts = org.world, org.params, org.accounts
    is_open = deals.close_at >= world.today_us
    pipe = params.pipeline
    reasons = [r for r, _ in pipe.lost_reasons_early] + [r for r, _ in pipe.lost_reasons_late]
    return pl.DataFrame(
        {
            "deal": np.arange(stage.size, dtype=np.int64),
            "account": deals.draw.account,
            "account_id": accounts.id[deals.draw.account],
            "kind": deals.draw.kind,
            "currency": np.asarray(org.catalogue.currencies)[deals.currency],
            "created": deals.draw.created,
            "closed_at": pl.Series(np.where(is_open, -1, deals.close_at)).replace(-1, None),
            "is_open": is_open,
            "stage": stage,
            "probability": np.asarray(STAGE_PROBABILITY, dtype=np.int64)[stage],
            "next_step": _next_steps(rng, world, stage),
            "lost_reason": np.asarray(reasons)[deals.lost_reason],
            "lead_source": np.asarray(pipe.lead_sources)[deals.lead_source],
            "competitors": _competitor_json(deals.competitors, params),
            "has_quote": deals.quote_at >= 0,
        }
    ).with_columns(lost_reason=pl.when(pl.col("stage") == LOST).then("lost_reason"))


def _next_steps(rng: np.random.Generator, world: World, stage: Ints) -> pl.Series:
    """The next step of each deal: a dated action by stage for open deals."""
    due = world.today_day + rng.integers(1, 15, stage.size)
    dates = pl.Series(due, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date).cast(pl.String)
    steps = np.asarray([*NEXT_STEPS, "Kick-off with customer success", "Re-engage in six months"])
    text = pl.Series(steps[stage])
    return pl.select(
        pl.when(pl.lit(stage < WON))
        .then(pl.concat_str(pl.lit(text), pl.lit(" by "), pl.lit(dates)))
        .otherwise(pl.lit(text))
    ).to_series()


def _competitor_json(picks: Ints, params: DemoParameters) -> pl.Series:
    """The competitors as a JSON list of names."""
    names = np.asarray([f'"{c.name}"' for c in params.pipeline.competitors] + [""])
    first = names[picks[:, 0]]
    second = names[np.where(picks[:, 1] >= 0, picks[:, 1], -1)]
    both = np.where(picks[:, 1] >= 0, np.char.add(np.char.add(first, ", "), second), first)
    return pl.Series(np.char.add(np.char.add("[", both), "]"))
