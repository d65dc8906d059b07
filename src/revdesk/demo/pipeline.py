"""Stage progression of a batch of deals, simulated as arrays of shape (deals, MAX_STATES).

Each deal's fate (won or lost, and for a loss the stage it dies in) is drawn first; its path then
moves up one stage at a time from its entry stage, sometimes skipping one stage or going back
one (at most once), until it reaches its last open stage and closes. Days in each stage are
lognormal around a median that depends on the segment and grows with deal size. Wins then
cluster at quarter end: some early-quarter wins are pulled into the previous quarter's last two
weeks, some late wins slide into them. Close dates are planned optimistically (more so for big
deals) and pushed shortly before they lapse. A loop runs over the steps, never over the deals.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from revdesk.demo.model import (
    LOST,
    NEGOTIATION,
    OPEN_STAGES,
    PROPOSAL,
    WON,
    DemoParameters,
    PipelineParameters,
)
from revdesk.demo.timeline import (
    US_PER_DAY,
    US_PER_HOUR,
    Floats,
    Ints,
    business_time,
    month_end,
    quarter_end,
    quarter_start,
)

MAX_STATES = 8
"""Entry, four moves up, one step back and forward again, and the close."""
Bools = npt.NDArray[np.bool_]


def loss_stage(rng: np.random.Generator, entry: Ints, params: PipelineParameters) -> Ints:
    """The open stage each lost deal dies in, drawn from the weights at or after its entry."""
    weights = np.asarray(params.loss_stage_weights, dtype=np.float64)[None, :]
    allowed = np.arange(OPEN_STAGES)[None, :] >= entry[:, None]
    cumulative = np.cumsum(weights * allowed, axis=1)
    draw = rng.random(entry.size) * cumulative[:, -1]
    return np.asarray((cumulative < draw[:, None]).sum(axis=1), dtype=np.int64)


def stage_paths(
    rng: np.random.Generator, entry: Ints, top: Ints, won: Bools, params: PipelineParameters
) -> Ints:
    """Stage codes of each deal's states from `entry` up to `top`, then the close; -1 pads."""
    n = entry.size
    path = np.full((n, MAX_STATES), -1, dtype=np.int64)
    path[:, 0] = current = entry.copy()
    done = np.zeros(n, dtype=np.bool_)
    went_back = np.zeros(n, dtype=np.bool_)
    back, skip_rate = params.regression_rate, params.skip_rate
    for step in range(1, MAX_STATES):
        draw = rng.random(n)
        closing = ~done & (current >= top)
        moving = ~done & ~closing
        regress = moving & ~went_back & (current > entry) & (draw < back)
        skip = moving & ~regress & (draw >= back) & (draw < back + skip_rate) & (current + 2 <= top)
        following = np.where(regress, current - 1, np.where(skip, current + 2, current + 1))
        following = np.where(closing, np.where(won, WON, LOST), following)
        path[:, step] = np.where(done, -1, following)
        went_back |= regress
        current = np.where(done | closing, current, following)
        done |= closing
    return path


def median_days(segment: Ints, stage: Ints, size_ratio: Floats, params: DemoParameters) -> Floats:
    """Median days a deal spends in `stage`: the segment's median x size ** elasticity."""
    table = np.asarray(params.segments.stage_days, dtype=np.float64)
    base = table[segment, np.clip(stage, 0, OPEN_STAGES - 1)]
    elasticity = params.pipeline.size_dwell_elasticity
    return np.asarray(base * size_ratio**elasticity, dtype=np.float64)


def stage_times(
    rng: np.random.Generator,
    path: Ints,
    created: Ints,
    *,
    segment: Ints,
    size_ratio: Floats,
    params: DemoParameters,
) -> Ints:
    """Moment each state is entered (`created` for the first; 0 after the last state)."""
    n = path.shape[0]
    days = median_days(segment[:, None], path, size_ratio[:, None], params)
    days = days * rng.lognormal(0.0, params.pipeline.dwell_sigma, path.shape)
    following = np.concatenate([path[:, 1:], np.full((n, 1), -1)], axis=1)
    days = np.where(following == LOST, days * params.pipeline.lost_dwell_factor, days)
    stays = np.where(following >= 0, np.maximum(days * US_PER_DAY, US_PER_HOUR), 0)
    before = np.concatenate([np.zeros((n, 1)), np.cumsum(stays, axis=1)[:, :-1]], axis=1)
    entered = np.where(path >= 0, created[:, None] + before, 0)
    return np.asarray(entered, dtype=np.int64)


def last_state(path: Ints) -> Ints:
    """Index of each deal's last (closing) state."""
    return np.asarray((path >= 0).sum(axis=1) - 1, dtype=np.int64)


def cluster_wins(
    rng: np.random.Generator,
    close_at: Ints,
    before_close: Ints,
    won: Bools,
    *,
    start_month: int,
    params: PipelineParameters,
) -> Ints:
    """Move some wins into the last two weeks of a quarter (pulled in, or sliding late)."""
    day = close_at // US_PER_DAY
    first, last = quarter_start(day, start_month), quarter_end(day, start_month)
    draw = rng.random(day.size)
    window = params.quarter_end_days
    earliest = np.maximum(first - window, before_close // US_PER_DAY + 1)
    pull = won & (day - first < params.pull_in_days) & (draw < params.pull_in_rate)
    pull &= earliest <= first - 1
    slide_zone = (last - day < params.slide_days) & (last - day >= window)
    slide = won & slide_zone & (draw < params.slide_rate)
    low = np.where(pull, earliest, last - window + 1)
    high = np.where(pull, first - 1, last)
    moved_day = low + np.floor(rng.random(day.size) * (high - low + 1)).astype(np.int64)
    moved = business_time(rng, moved_day)
    return np.asarray(np.where(pull | slide, moved, close_at), dtype=np.int64)


def planned_close(
    rng: np.random.Generator,
    created: Ints,
    segment: Ints,
    size_ratio: Floats,
    params: DemoParameters,
) -> Ints:
    """The first close date (day number): an optimistic cycle, often at a month end."""
    cycle = np.asarray(params.segments.stage_days, dtype=np.float64).sum(axis=1)[segment]
    pipe = params.pipeline
    share = rng.uniform(*pipe.planned_cycle, created.size)
    days = cycle * share * size_ratio ** (-pipe.big_deal_optimism)
    planned = created // US_PER_DAY + np.maximum(np.ceil(days), 7).astype(np.int64)
    return _maybe_month_end(rng, planned, pipe)


def _maybe_month_end(rng: np.random.Generator, days: Ints, pipeline: PipelineParameters) -> Ints:
    """Move a share of the days to the end of their month, as reps like to."""
    snap = rng.random(days.size) < pipeline.month_end_share
    return np.asarray(np.where(snap, month_end(days), days), dtype=np.int64)


def close_date_changes(
    rng: np.random.Generator,
    created: Ints,
    close_at: Ints,
    planned: Ints,
    *,
    push_days: Floats,
    params: PipelineParameters,
) -> tuple[Ints, Ints, Bools]:
    """Moments, values (day numbers) and validity of the creation value and each push.

    A push happens a few days before the planned date lapses while the deal is still open; the
    last allowed push moves the date to the real close at the latest, so the planned date of an
    open deal never lapses unseen. Shape (deals, 1 + max_pushes); the close itself is not here.
    """
    n, width = created.size, 1 + params.max_pushes
    at = np.zeros((n, width), dtype=np.int64)
    value = np.zeros((n, width), dtype=np.int64)
    valid = np.zeros((n, width), dtype=np.bool_)
    at[:, 0], value[:, 0], valid[:, 0] = created, planned, True
    close_day = close_at // US_PER_DAY
    for k in range(1, width):
        valid[:, k] = valid[:, k - 1] & (value[:, k - 1] < close_day)
        lead = rng.uniform(*params.push_lead_days, n).astype(np.int64)
        moment = business_time(rng, value[:, k - 1] - lead)
        at[:, k] = np.maximum(moment, at[:, k - 1] + US_PER_HOUR)
        step = np.maximum(np.round(push_days * rng.uniform(0.5, 1.5, n)), 7).astype(np.int64)
        pushed = _maybe_month_end(rng, value[:, k - 1] + step, params)
        value[:, k] = np.maximum(pushed, close_day) if k == width - 1 else pushed
    return at, value, valid


def quote_stage_entry(path: Ints, entered: Ints) -> Ints:
    """Moment each deal first reached Proposal or beyond while open (-1 if it never did)."""
    quoted = (path >= PROPOSAL) & (path <= NEGOTIATION)
    first = np.argmax(quoted, axis=1)
    reached = quoted.any(axis=1)
    return np.asarray(np.where(reached, entered[np.arange(path.shape[0]), first], -1), np.int64)
