"""When each step of each demo approval request opened and was decided: whole columns at once.

Quotes needing approval get a submit moment shortly after they were made; each step opens
when the step before it in its chain and every chain in its `after` are done, and takes a
log-normal number of business hours (median half its SLA, so about one step in five breaches
it). A tenth of the closed requests were first returned for revision and resubmitted. Closed
requests end before "now"; a pending one keeps what has not happened yet pending or waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from revdesk.approvals.policy import Policy
from revdesk.demo.business_clock import from_business, to_business

__all__ = ["Timeline", "clamped", "step_timeline"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
HOUR_US = 3_600_000_000
NONE = np.int64(-1)
RETURNED_SHARE = 0.10
_SIGMA = 0.9


@dataclass(frozen=True)
class Timeline:
    """Per quote (rows) and step (columns, in `steps` order): moments in microseconds UTC,
    -1 where a step is not needed or has not happened."""

    steps: tuple[str, ...]
    submitted: Ints
    returned_submitted: Ints  # -1 unless first returned for revision
    returned_at: Ints
    opened: Ints
    decided: Ints
    due: Ints


def _hours_after(start: Ints, hours: npt.NDArray[np.float64]) -> Ints:
    return from_business(to_business(start) + (hours * 3600).astype(np.int64))


def _submits(rng: np.random.Generator, created: Ints, returnable: Bools) -> tuple[Ints, Ints, Ints]:
    n = created.size
    first = created + (rng.uniform(0.5, 6, n) * HOUR_US).astype(np.int64)
    returned = returnable & (rng.random(n) < RETURNED_SHARE)
    back = _hours_after(first, rng.uniform(2, 16, n))
    again = back + (rng.uniform(1, 30, n) * HOUR_US).astype(np.int64)
    submitted = np.where(returned, again, first)
    return submitted, np.where(returned, first, NONE), np.where(returned, back, NONE)


def step_timeline(
    rng: np.random.Generator, policy: Policy, needed: Bools, created: Ints, closed: Bools
) -> Timeline:
    """The timeline of every quote (see the module doc); `needed` is quotes x steps."""
    steps = tuple(step for chain in policy.chains for step in chain.steps)
    submitted, first, back = _submits(rng, created, closed & needed.any(axis=1))
    n, k = needed.shape
    opened = np.full((n, k), NONE)
    decided = np.full((n, k), NONE)
    due = np.full((n, k), NONE)
    chain_done: dict[str, Ints] = {}
    column = {step: index for index, step in enumerate(steps)}
    for chain in policy.chains:
        ready = submitted.copy()
        for other in chain.after:
            ready = np.maximum(ready, chain_done[other])
        for step in chain.steps:
            j = column[step]
            sla = float(policy.steps[step].sla_hours or 24)
            hours = np.maximum(rng.lognormal(np.log(sla / 2), _SIGMA, n), 0.1)
            done = _hours_after(ready, hours)
            mask = needed[:, j]
            opened[:, j] = np.where(mask, ready, NONE)
            decided[:, j] = np.where(mask, done, NONE)
            due[:, j] = np.where(mask, _hours_after(ready, np.full(n, sla)), NONE)
            ready = np.where(mask, done, ready)
        chain_done[chain.id] = ready
    return Timeline(steps, submitted, first, back, opened, decided, due)


def clamped(timeline: Timeline, closed: Bools, now: int) -> Timeline:
    """Closed requests end before `now`: their moments are capped a second before it."""
    cap = np.int64(now - 1_000_000)

    def one(values: Ints) -> Ints:
        return np.where(closed, np.minimum(values, cap), values)

    def grid(values: Ints) -> Ints:
        return np.where(closed[:, None], np.minimum(values, cap), values)

    return Timeline(
        timeline.steps,
        one(timeline.submitted),
        one(timeline.returned_submitted),
        one(timeline.returned_at),
        grid(timeline.opened),
        grid(timeline.decided),
        timeline.due,
    )
