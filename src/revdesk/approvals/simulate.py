"""Simulate a policy change: replay a proposed policy and the one in force on past quotes.

    report = simulate(new, current, frames, directory, rates=rates, durations=None)

runs both policies on every quote of `frames` (columnar, `run_policy`) and reports how many
deals each outcome and each step gets under each policy, the deals whose steps change (newly
needing, no longer needing a step), the approval load per approver and per role (deals on
which a person or a role must approve), and the expected cycle time: for each deal the longest
path through its chains (steps in a chain add up; a chain starts when the chains it comes after
finish) with each step's duration in business hours. Durations come from `durations` (measured,
e.g. a step_durations CSV) and else from the step's SLA hours; `CycleTime.source` says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import polars as pl

from revdesk.approvals.context_frames import EvaluationFrames, evaluation_frames
from revdesk.approvals.directory import Directory
from revdesk.approvals.loads import approval_demand
from revdesk.approvals.plan import PlanOutcome
from revdesk.approvals.policy import Policy
from revdesk.approvals.program import run_policy, step_column
from revdesk.pricing.fixed import UNITS, from_units, to_units, units_lit
from revdesk.pricing.frames import QuoteFrames

__all__ = [
    "ChangedDeal",
    "CycleTime",
    "DurationSource",
    "Load",
    "OutcomeCount",
    "SimulationReport",
    "StepCount",
    "simulate",
]


class DurationSource(StrEnum):
    """Where the step durations of the cycle-time estimate came from."""

    MEASURED = "measured"  # every step had a measured duration
    SLA = "sla"  # every step used its SLA hours
    MIXED = "mixed"  # some of each


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """Deals with an outcome under the current and the new policy."""

    outcome: PlanOutcome
    current: int
    new: int


@dataclass(frozen=True, slots=True)
class StepCount:
    """Deals needing a step under each policy, and how many start or stop needing it."""

    step_id: str
    current: int
    new: int
    newly_needed: int
    no_longer_needed: int


@dataclass(frozen=True, slots=True)
class Load:
    """Deals an approver (or a role) must approve under each policy."""

    key: str
    label: str
    current: int
    new: int


@dataclass(frozen=True, slots=True)
class ChangedDeal:
    """A deal whose steps change: those it newly needs, those it no longer needs."""

    quote_id: int
    current_outcome: PlanOutcome
    new_outcome: PlanOutcome
    added: tuple[str, ...]
    removed: tuple[str, ...]
    added_hours: Decimal


@dataclass(frozen=True, slots=True)
class CycleTime:
    """Expected approval cycle time in business hours (means over the deals simulated)."""

    source: DurationSource
    durations: Mapping[str, Decimal]  # hours per step (the new policy's, where both have it)
    measured: tuple[str, ...]
    without_duration: tuple[str, ...]
    current_mean: Decimal
    new_mean: Decimal
    added_mean: Decimal
    added_mean_changed: Decimal


@dataclass(frozen=True, slots=True)
class SimulationReport:
    """What changes if `new` replaces `current` (see the module doc)."""

    quotes: int
    current: Policy
    new: Policy
    outcomes: tuple[OutcomeCount, ...]
    steps: tuple[StepCount, ...]
    approvers: tuple[Load, ...]
    roles: tuple[Load, ...]
    changed_count: int
    changed: tuple[ChangedDeal, ...]
    cycle: CycleTime


def _durations(
    policy: Policy, measured: Mapping[str, Decimal] | None
) -> tuple[dict[str, Decimal], set[str], set[str]]:
    """Hours per step of `policy`, the steps measured, and those with no duration (0 h)."""
    hours: dict[str, Decimal] = {}
    used: set[str] = set()
    missing: set[str] = set()
    for step in policy.steps.values():
        if measured is not None and step.id in measured:
            hours[step.id] = measured[step.id]
            used.add(step.id)
        elif step.sla_hours is not None:
            hours[step.id] = step.sla_hours
        else:
            hours[step.id] = Decimal(0)
            missing.add(step.id)
    return hours, used, missing


def _cycle_expr(policy: Policy, hours: Mapping[str, Decimal]) -> pl.Expr:
    """Per quote: the longest path through the policy's chains, in units of hours."""
    finish: dict[str, pl.Expr] = {}
    for chain in policy.chains:
        start = pl.max_horizontal([finish[a] for a in chain.after]) if chain.after else units_lit(0)
        spent = [
            pl.when(pl.col(step_column(s)))
            .then(units_lit(to_units(hours[s])))
            .otherwise(units_lit(0))
            for s in chain.steps
        ]
        finish[chain.id] = start + pl.sum_horizontal(spent)
    return pl.max_horizontal(list(finish.values())) if finish else units_lit(0)


def _mean(column: pl.Series) -> Decimal:
    if column.len() == 0:
        return Decimal(0)
    total = from_units(int(column.cast(UNITS).sum()))
    return (total / column.len()).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _frames_for(
    policy: Policy,
    frames: QuoteFrames,
    rates: pl.DataFrame | None,
    cache: dict[Decimal, EvaluationFrames],
    reads: tuple[frozenset[str], frozenset[str]],
) -> EvaluationFrames:
    rate = policy.discount_rate
    if rate not in cache:
        cache[rate] = evaluation_frames(frames, rates, annual_rate=rate, reads=reads)
    return cache[rate]


def simulate(
    new: Policy,
    current: Policy,
    frames: QuoteFrames,
    directory: Directory,
    *,
    rates: pl.DataFrame | None = None,
    durations: Mapping[str, Decimal] | None = None,
    limit: int = 50,
) -> SimulationReport:
    """Replay `new` and `current` on the quotes of `frames` and compare (see the module doc)."""
    cache: dict[Decimal, EvaluationFrames] = {}
    (old_quote, old_line), (new_quote, new_line) = current.reads(), new.reads()
    reads = (old_quote | new_quote, old_line | new_line)
    before = run_policy(current, _frames_for(current, frames, rates, cache, reads))
    after = run_policy(new, _frames_for(new, frames, rates, cache, reads))
    hours = (_durations(current, durations), _durations(new, durations))
    both = _combined(current, new, before, after, (hours[0][0], hours[1][0]))
    changed = both.filter(pl.col("__changed"))
    approvers, roles = _loads(((current, before), (new, after)), directory)
    return SimulationReport(
        quotes=both.height,
        current=current,
        new=new,
        outcomes=_outcomes(both),
        steps=_steps(current, new, both),
        approvers=approvers,
        roles=roles,
        changed_count=changed.height,
        changed=_changed(changed.head(limit)),
        cycle=_cycle(hours, both, changed),
    )


def _combined(
    current: Policy,
    new: Policy,
    before: pl.DataFrame,
    after: pl.DataFrame,
    hours: tuple[Mapping[str, Decimal], Mapping[str, Decimal]],
) -> pl.DataFrame:
    """Both results side by side: cur:<step>, new:<step>, outcomes, cycles, changed."""
    steps = sorted(set(current.steps) | set(new.steps))

    def side(policy: Policy, prefix: str, durations: Mapping[str, Decimal]) -> list[pl.Expr]:
        return [
            pl.col("outcome").alias(f"{prefix}_outcome"),
            _cycle_expr(policy, durations).alias(f"{prefix}_cycle"),
            *[
                (pl.col(step_column(s)) if s in policy.steps else pl.lit(False)).alias(
                    f"{prefix}:{s}"
                )
                for s in steps
            ],
        ]

    left = before.select("quote_id", *side(current, "cur", hours[0]))
    right = after.select(*side(new, "new", hours[1]))
    both = pl.concat([left, right], how="horizontal")
    differs = [pl.col(f"cur:{s}") != pl.col(f"new:{s}") for s in steps]
    return both.with_columns(
        (pl.col("new_cycle") - pl.col("cur_cycle")).alias("added_cycle"),
        pl.any_horizontal([*differs, pl.col("cur_outcome") != pl.col("new_outcome")]).alias(
            "__changed"
        ),
    )


def _outcomes(both: pl.DataFrame) -> tuple[OutcomeCount, ...]:
    return tuple(
        OutcomeCount(
            outcome,
            int((both["cur_outcome"] == outcome.value).sum()),
            int((both["new_outcome"] == outcome.value).sum()),
        )
        for outcome in PlanOutcome
    )


def _steps(current: Policy, new: Policy, both: pl.DataFrame) -> tuple[StepCount, ...]:
    counts = []
    for step in sorted(set(current.steps) | set(new.steps)):
        cur, nxt = both[f"cur:{step}"], both[f"new:{step}"]
        counts.append(
            StepCount(
                step,
                int(cur.sum()),
                int(nxt.sum()),
                int((nxt & ~cur).sum()),
                int((cur & ~nxt).sum()),
            )
        )
    return tuple(counts)


def _changed(rows: pl.DataFrame) -> tuple[ChangedDeal, ...]:
    """The first changed deals, with the steps each gains and loses."""
    steps = [name.removeprefix("cur:") for name in rows.columns if name.startswith("cur:")]
    deals = []
    for row in rows.iter_rows(named=True):
        added = tuple(s for s in steps if row[f"new:{s}"] and not row[f"cur:{s}"])
        removed = tuple(s for s in steps if row[f"cur:{s}"] and not row[f"new:{s}"])
        hours = from_units(row["added_cycle"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        deals.append(
            ChangedDeal(
                row["quote_id"],
                PlanOutcome(row["cur_outcome"]),
                PlanOutcome(row["new_outcome"]),
                added,
                removed,
                hours,
            )
        )
    return tuple(deals)


def _cycle(
    hours: tuple[tuple[dict[str, Decimal], set[str], set[str]], ...],
    both: pl.DataFrame,
    changed: pl.DataFrame,
) -> CycleTime:
    (current, current_measured, current_missing), (new, new_measured, new_missing) = hours
    measured = current_measured | new_measured
    steps = set(current) | set(new)
    if measured and measured == steps:
        source = DurationSource.MEASURED
    else:
        source = DurationSource.MIXED if measured else DurationSource.SLA
    return CycleTime(
        source=source,
        durations={**current, **new},
        measured=tuple(sorted(measured)),
        without_duration=tuple(sorted(current_missing | new_missing)),
        current_mean=_mean(both["cur_cycle"]),
        new_mean=_mean(both["new_cycle"]),
        added_mean=_mean(both["added_cycle"]),
        added_mean_changed=_mean(changed["added_cycle"]),
    )


def _loads(
    policies: tuple[tuple[Policy, pl.DataFrame], tuple[Policy, pl.DataFrame]],
    directory: Directory,
) -> tuple[tuple[Load, ...], tuple[Load, ...]]:
    """Deals per approver and per role under the current and the new policy."""
    current, new = (approval_demand(policy, result, directory) for policy, result in policies)
    people = []
    for user in sorted(set(current.users) | set(new.users)):
        person = directory.get(user)
        assert person is not None
        label = f"{person.name} ({person.role})"
        people.append(Load(person.email, label, current.users.get(user, 0), new.users.get(user, 0)))
    roles = [
        Load(role, role, current.roles.get(role, 0), new.roles.get(role, 0))
        for role in set(current.roles) | set(new.roles)
    ]
    return _ordered(people), _ordered(roles)


def _ordered(loads: list[Load]) -> tuple[Load, ...]:
    return tuple(sorted(loads, key=lambda load: (-load.new, -load.current, load.key)))
