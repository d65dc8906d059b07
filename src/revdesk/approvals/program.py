"""Run a policy on many quotes at once: the columnar twin of `Policy.evaluate`.

    result = run_policy(policy, evaluation_frames(frames, rates, annual_rate=policy.discount_rate))

returns one row per quote with `band` (the id of the auto-approve band that matched, or null),
a `rule:<id>` column per rule (did it fire), a `step:<id>` column per step (is it required:
some rule requiring it fired and no band matched), `outcome` (approval_required,
auto_approved or not_required, as `PlanOutcome`) and a `var:<name>` column per policy variable
(numbers in units). Variables are computed in waves: a variable
comes in the wave after the variables it reads, and every roll-up or macro of a wave over the
same collection is one group-by on sorted keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from revdesk.approvals.context_frames import INDEX, EvaluationFrames, parameter_columns
from revdesk.approvals.expr.checker import Checked
from revdesk.approvals.expr.columnar import (
    QUOTE_PREFIX,
    Aggregate,
    Frame,
    compile_polars,
    count_units,
)
from revdesk.approvals.plan import PlanOutcome
from revdesk.approvals.policy import Policy, Variable
from revdesk.pricing.fixed import div_int_expr, to_units, units_lit

__all__ = ["evaluate_column", "rule_column", "run_policy", "step_column"]

_ELEMENT = {"lines": "line", "clauses": "clause"}


def rule_column(rule_id: str) -> str:
    """Name of the column that says whether a rule fired."""
    return f"rule:{rule_id}"


def step_column(step_id: str) -> str:
    """Name of the column that says whether a step is required."""
    return f"step:{step_id}"


@dataclass(slots=True)
class _Wave:
    """Columns computed together: their expressions and the aggregations they need."""

    columns: list[pl.Expr] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)


def _roll_up(variable: Variable) -> tuple[pl.Expr, list[Aggregate]]:
    element = Frame(element=_ELEMENT[variable.over], collection=variable.over)
    value = compile_polars(variable.of, element) if variable.of is not None else None
    keep = compile_polars(variable.filter, element) if variable.filter is not None else None
    needs = frozenset(element.quote_columns), frozenset(element.parameters)
    count_alias, value_alias = f"__n:{variable.name}", f"__v:{variable.name}"
    count = keep.sum() if keep is not None else pl.len()
    aggregates = [Aggregate(variable.over, count_alias, count.cast(pl.Int64), 0, *needs)]
    if value is not None:
        chosen = value.filter(keep) if keep is not None else value
        reduce = {
            "sum": chosen.sum(),
            "avg": chosen.sum(),
            "max": chosen.max(),
            "min": chosen.min(),
        }
        aggregates.append(Aggregate(variable.over, value_alias, reduce[variable.kind], 0, *needs))
    counted = pl.col(count_alias)
    if variable.kind == "count":
        return count_units(counted), aggregates
    result = pl.col(value_alias)
    if variable.kind == "avg":
        result = div_int_expr(result, counted.cast(pl.Int128))
    default = units_lit(to_units(variable.default))
    return pl.when(counted == 0).then(default).otherwise(result), aggregates


def _waves(policy: Policy) -> list[_Wave]:
    depth: dict[str, int] = {}
    waves: list[_Wave] = []
    for variable in policy.variables:
        level = 1 + max((depth.get(name, 0) for name in variable.references), default=0)
        depth[variable.name] = level
        while len(waves) < level:
            waves.append(_Wave())
        wave = waves[level - 1]
        if variable.kind == "expr":
            assert variable.of is not None
            frame = Frame(prefix=f"x{level}_{len(wave.aggregates)}_")
            wave.columns.append(compile_polars(variable.of, frame).alias(variable.name))
            wave.aggregates += frame.aggregates
        else:
            expr, aggregates = _roll_up(variable)
            wave.columns.append(expr.alias(variable.name))
            wave.aggregates += aggregates
    waves.append(_decisions(policy))
    return waves


def _decisions(policy: Policy) -> _Wave:
    """The last wave: bands, rules, then steps and outcome."""
    frame = Frame(prefix="r")
    wave = _Wave()
    for band in policy.bands:
        wave.columns.append(compile_polars(band.condition.checked, frame).alias(f"band:{band.id}"))
    for rule in policy.rules:
        wave.columns.append(
            compile_polars(rule.condition.checked, frame).alias(rule_column(rule.id))
        )
    wave.aggregates = frame.aggregates
    return wave


def _aggregate(
    quotes: pl.DataFrame, frames: EvaluationFrames, aggregates: Iterable[Aggregate]
) -> pl.DataFrame:
    """Compute `aggregates` (one group-by per collection) and join them to `quotes`."""
    for collection, elements in (("lines", frames.lines), ("clauses", frames.clauses)):
        group = [a for a in aggregates if a.collection == collection]
        if not group:
            continue
        needed = set().union(*(a.quote_columns for a in group))
        parameters = set().union(*(a.parameters for a in group))
        source = parameter_columns(elements, parameters) if parameters else elements
        if needed:
            joined = quotes.select(
                INDEX, *[pl.col(n).alias(QUOTE_PREFIX + n) for n in sorted(needed)]
            )
            source = source.join(joined, on=INDEX, how="left", maintain_order="left")
        grouped = source.with_columns(pl.col(INDEX).set_sorted()).group_by(
            INDEX, maintain_order=True
        )
        result = grouped.agg(a.expr.alias(a.alias) for a in group)
        quotes = quotes.join(result, on=INDEX, how="left", maintain_order="left").with_columns(
            pl.col(a.alias).fill_null(pl.lit(a.default)) for a in group
        )
    return quotes


def evaluate_column(checked: Checked, frames: EvaluationFrames) -> pl.Series:
    """One quote-level expression on every quote of `frames` (a column, in quote order)."""
    frame = Frame(prefix="e")
    expr = compile_polars(checked, frame)
    quotes = _aggregate(frames.quotes, frames, frame.aggregates)
    return quotes.with_columns(expr.alias("__value")).get_column("__value")


def run_policy(policy: Policy, frames: EvaluationFrames) -> pl.DataFrame:
    """One row per quote: band, rule:<id>, step:<id> and outcome (see the module doc)."""
    quotes = frames.quotes
    for wave in _waves(policy):
        quotes = _aggregate(quotes, frames, wave.aggregates).with_columns(wave.columns)
    matches: list[pl.Expr] = [
        pl.when(pl.col(f"band:{b.id}")).then(pl.lit(b.id)) for b in policy.bands
    ]
    band = pl.coalesce(matches or [pl.lit(None, dtype=pl.String)]).cast(pl.String)
    quotes = quotes.with_columns(band.alias("band"))
    waived = pl.col("band").is_not_null()
    steps = [
        (pl.any_horizontal(rule_column(r) for r in step.rules) & ~waived).alias(
            step_column(step.id)
        )
        for step in policy.steps.values()
    ]
    quotes = quotes.with_columns(steps)
    needed = pl.any_horizontal(step_column(s) for s in policy.steps)
    outcome = (
        pl.when(waived)
        .then(pl.lit(PlanOutcome.AUTO_APPROVED.value))
        .when(needed)
        .then(pl.lit(PlanOutcome.APPROVAL_REQUIRED.value))
        .otherwise(pl.lit(PlanOutcome.NOT_REQUIRED.value))
    )
    keep = [INDEX, "quote_id", "owner_id", "segment", "region", "band"]
    decided = [rule_column(r.id) for r in policy.rules] + [step_column(s) for s in policy.steps]
    variables = [pl.col(v.name).alias(f"var:{v.name}") for v in policy.variables]
    return quotes.select(*keep, *decided, outcome.alias("outcome"), *variables)
