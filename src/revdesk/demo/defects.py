"""CRM hygiene defects: injected on a batch, and their definitions as of today (ground truth).

Every open deal of a batch is clean by construction (close date not passed, activity within
the last weeks, a next step, an amount, the stage's probability, no near-duplicate). `inject`
then spoils a documented share of them, one kind at a time, and returns one ground-truth row
per (deal, kind). A kind with preconditions (a past close date needs a deal old enough to have
had one) is drawn among the deals that qualify, at a rate scaled so that its share of all open
deals is the documented one. `ground_truth` states the definitions on stored records; the
integration tests check that it finds exactly the injected rows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from revdesk.demo.events import Batch, last_event_at, last_values
from revdesk.demo.model import STAGE_PROBABILITY, DefectParameters, DemoParameters
from revdesk.demo.names import NEXT_STEPS
from revdesk.demo.timeline import US_PER_DAY, US_PER_HOUR, Ints, World, day_of

DEFECT_SCHEMA = {"deal": pl.Int64, "kind": pl.String, "original": pl.Int64}


def _chosen(rng: np.random.Generator, eligible: np.ndarray, rate: float, n_open: int) -> np.ndarray:
    """Draw among `eligible` so that the expected count is `rate` x `n_open`."""
    pool = int(eligible.sum())
    share = min(1.0, rate * n_open / pool) if pool else 0.0
    return np.asarray(eligible & (rng.random(eligible.size) < share))


def _rows(chosen: np.ndarray, kind: str) -> pl.DataFrame:
    deals = np.flatnonzero(chosen)
    return pl.DataFrame(
        {"deal": deals, "kind": kind, "original": pl.Series([None] * deals.size, dtype=pl.Int64)},
        schema=DEFECT_SCHEMA,
    )


def inject(
    rng: np.random.Generator, world: World, params: DemoParameters, batch: Batch, duplicates: int
) -> tuple[Batch, pl.DataFrame]:
    """Spoil a share of the open deals and add `duplicates` copies; return the ground truth."""
    rates = params.defects
    state, events = batch.state, dict(batch.events)
    is_open = state["is_open"].to_numpy()
    n_open = int(is_open.sum())
    rows: list[pl.DataFrame] = []
    events["close_date"], chosen = _past_close(rng, world, rates, state, events["close_date"])
    rows.append(_rows(chosen, "past_close_date"))
    no_amount = _chosen(rng, is_open & ~state["has_quote"].to_numpy(), rates.missing_amount, n_open)
    events["amount"] = events["amount"].filter(~pl.col("deal").is_in(np.flatnonzero(no_amount)))
    rows.append(_rows(no_amount, "missing_amount"))
    state, chosen = _stale(rng, world, rates, state, events)
    rows.append(_rows(chosen, "stale"))
    state, chosen = _no_next_step(rng, rates, state)
    rows.append(_rows(chosen, "missing_next_step"))
    state, chosen = _probability(rng, rates, state)
    rows.append(_rows(chosen, "probability_mismatch"))
    batch = Batch(events, state, batch.deals, batch.lines)
    batch, copies = _duplicates(
        rng,
        world,
        batch,
        count=duplicates,
        no_amount=no_amount,
        window_days=rates.duplicate_window_days,
    )
    return batch, pl.concat([*rows, copies])


def _past_close(
    rng: np.random.Generator,
    world: World,
    rates: DefectParameters,
    state: pl.DataFrame,
    close_dates: pl.DataFrame,
) -> tuple[pl.DataFrame, np.ndarray]:
    """The rep stopped pushing: the last change before a past day sets that day, later ones go."""
    today = world.today_day
    created_day = state["created"].to_numpy() // US_PER_DAY
    is_open = state["is_open"].to_numpy()
    chosen = _chosen(
        rng, is_open & (created_day <= today - 4), rates.past_close_date, int(is_open.sum())
    )
    low = np.maximum(created_day + 2, today - 60)
    lapsed = low + np.floor(rng.random(created_day.size) * (today - low)).astype(np.int64)
    spoiled = pl.DataFrame({"deal": np.flatnonzero(chosen), "lapsed": lapsed[chosen]})
    kept = close_dates.join(spoiled, on="deal", how="left").filter(
        pl.col("lapsed").is_null() | (pl.col("at") < pl.col("lapsed") * US_PER_DAY)
    )
    is_last = pl.col("at") == pl.col("at").max().over("deal")
    value = pl.when(pl.col("lapsed").is_not_null() & is_last).then("lapsed").otherwise("value")
    return kept.with_columns(value=value).drop("lapsed"), chosen


def _stale(
    rng: np.random.Generator,
    world: World,
    rates: DefectParameters,
    state: pl.DataFrame,
    events: dict[str, pl.DataFrame],
) -> tuple[pl.DataFrame, np.ndarray]:
    """No activity since shortly after the last change, which was over a month ago (or none)."""
    cutoff = world.today_us - (rates.stale_after_days + 1) * US_PER_DAY
    latest = last_event_at(events, state.height)
    is_open = state["is_open"].to_numpy()
    chosen = _chosen(rng, is_open & (latest < cutoff), rates.stale, int(is_open.sum()))
    gap = rng.uniform(0.0, 1.0, latest.size) * (cutoff - latest)
    activity = np.where(rng.random(latest.size) < 0.2, -1, latest + gap.astype(np.int64))
    current = state["last_activity"].to_numpy()
    column = pl.Series(np.where(chosen, activity, current)).replace(-1, None)
    return state.with_columns(last_activity=column), chosen


def _no_next_step(
    rng: np.random.Generator, rates: DefectParameters, state: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray]:
    """No next step: null or an empty string."""
    is_open = state["is_open"].to_numpy()
    chosen = _chosen(rng, is_open, rates.missing_next_step, int(is_open.sum()))
    blank = pl.Series(rng.random(chosen.size) < 0.5)
    step = (
        pl.when(~pl.lit(pl.Series(chosen)))
        .then("next_step")
        .when(pl.lit(blank))
        .then(pl.lit(""))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return state.with_columns(next_step=step), chosen


def _probability(
    rng: np.random.Generator, rates: DefectParameters, state: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray]:
    """A probability 15-40 points off the stage's (upwards where downwards would go below 0)."""
    is_open = state["is_open"].to_numpy()
    chosen = _chosen(rng, is_open, rates.probability_mismatch, int(is_open.sum()))
    default = state["probability"].to_numpy()
    offset = rng.integers(15, 41, default.size)
    up = (rng.random(default.size) < 0.5) | (default - offset < 0)
    up &= default + offset <= 100
    spoiled = np.where(up, default + offset, default - offset)
    return state.with_columns(probability=pl.Series(np.where(chosen, spoiled, default))), chosen


def _duplicates(
    rng: np.random.Generator,
    world: World,
    batch: Batch,
    *,
    count: int,
    no_amount: np.ndarray,
    window_days: int,
) -> tuple[Batch, pl.DataFrame]:
    """Copies of open deals entered again within days: same account, near-identical name."""
    state = batch.state
    n = state.height
    created = state["created"].to_numpy()
    room = world.today_us - created
    eligible = state["is_open"].to_numpy() & ~no_amount & (room > US_PER_DAY)
    pool = np.flatnonzero(eligible)
    original = np.sort(rng.choice(pool, size=min(count, pool.size), replace=False))
    window = np.minimum(window_days * US_PER_DAY, room[original]) - US_PER_HOUR
    offset = US_PER_HOUR + rng.random(original.size) * (window - US_PER_HOUR)
    copy_at = (created[original] + offset).astype(np.int64)
    events = _copy_events(rng, world, batch.events, original=original, copy_at=copy_at, n=n)
    copied = _copy_state(rng, world, state, original=original, copy_at=copy_at)
    state = pl.concat(
        [state.with_columns(copy_of=None, variant=None), copied], how="vertical_relaxed"
    )
    truth = pl.DataFrame(
        {"deal": copied["deal"], "kind": "duplicate", "original": original}, schema=DEFECT_SCHEMA
    )
    return Batch(events, state, batch.deals, batch.lines), truth


def _copy_state(
    rng: np.random.Generator, world: World, state: pl.DataFrame, *, original: Ints, copy_at: Ints
) -> pl.DataFrame:
    """The copies' state rows: a clean open deal in Prospecting, with recent activity."""
    n = state.height
    variant = pl.Series(rng.integers(0, 4, original.size))
    recent = (world.today_us - rng.uniform(0, 20, original.size) * US_PER_DAY).astype(np.int64)
    return state[original].with_columns(
        deal=pl.Series(np.arange(n, n + original.size), dtype=pl.Int64),
        created=pl.Series(copy_at),
        stage=pl.lit(0, dtype=pl.Int64),
        probability=pl.lit(STAGE_PROBABILITY[0], dtype=pl.Int64),
        next_step=pl.lit(f"{NEXT_STEPS[0]} by {day_of(world.today_day + 7).isoformat()}"),
        has_quote=pl.lit(False),
        copy_of=pl.Series(original, dtype=pl.Int64),
        variant=variant,
        last_activity=pl.Series(np.maximum(recent, copy_at)),
    )


def _copy_events(
    rng: np.random.Generator,
    world: World,
    events: dict[str, pl.DataFrame],
    *,
    original: Ints,
    copy_at: Ints,
    n: int,
) -> dict[str, pl.DataFrame]:
    """Creation events of copies (deals n, n+1, ...): Prospecting, similar amount, same owner."""
    copies = np.arange(n, n + original.size)
    amount = last_values(events["amount"], n)[original]
    close = last_values(events["close_date"], n)[original]
    owner = last_values(events["owner"], n)[original]
    changed = np.round(amount * rng.uniform(0.95, 1.05, original.size)).astype(np.int64)
    close = np.maximum(close, world.today_day + 7)
    values = {
        "stage": np.zeros(copies.size, np.int64),
        "amount": changed,
        "close_date": close,
        "owner": owner,
    }
    added = {
        field: pl.DataFrame(
            {"deal": copies, "at": copy_at, "value": value},
            schema={"deal": pl.Int64, "at": pl.Int64, "value": pl.Int64},
        )
        for field, value in values.items()
    }
    return {field: pl.concat([events[field], added[field]]) for field in events}


def copy_names(names: pl.Expr, variant: pl.Expr) -> pl.Expr:
    """A near-identical name: ' (copy)' added, upper case, lower case, or doubled spaces."""
    return (
        pl.when(variant == 0)
        .then(pl.concat_str(names, pl.lit(" (copy)")))
        .when(variant == 1)
        .then(names.str.to_uppercase())
        .when(variant == 2)
        .then(names.str.to_lowercase())
        .otherwise(pl.concat_str(names.str.replace(" ", "  ", literal=True), pl.lit(" ")))
    )


def normalised_name(names: pl.Expr) -> pl.Expr:
    """Lower case, punctuation as spaces, single spaces, trailing words 'copy'/'duplicate' gone."""
    text = names.str.to_lowercase().str.replace_all(r"[^\w\s]|_", " ")
    text = text.str.replace_all(r"\s+", " ").str.strip_chars()
    return text.str.replace(r"( (copy|duplicate))+$", "").str.strip_chars()
