"""Run the chosen methods on one snapshot and lay the results side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.forecast.markov import markov
from revdesk.forecast.model import Method, MethodResult
from revdesk.forecast.pipeline_methods import conversion, stage_weighted
from revdesk.forecast.rollup import submitted
from revdesk.forecast.timeline import AsOf
from revdesk.forecast.winprob import win_probability

__all__ = ["RUNNERS", "parse_methods", "run_methods", "side_by_side"]

RUNNERS: Final[dict[Method, Callable[[AsOf], MethodResult]]] = {
    Method.STAGE_WEIGHTED: stage_weighted,
    Method.CONVERSION: conversion,
    Method.MARKOV: markov,
    Method.WIN_PROBABILITY: win_probability,
    Method.SUBMITTED: submitted,
}


def parse_methods(raw: str) -> list[Method]:
    """`all` or a comma-separated list of method names, refused with the allowed names."""
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names or names == ["all"]:
        return list(Method)
    allowed = {m.value: m for m in Method}
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown method(s) {', '.join(unknown)}; use all or {', '.join(allowed)}",
            where="--method",
        )
    return [m for m in Method if m.value in names]


def run_methods(snap: AsOf, methods: Sequence[Method] = tuple(Method)) -> list[MethodResult]:
    """Every chosen method's result; the ones that cannot run say why."""
    return [RUNNERS[method](snap) for method in methods]


def side_by_side(results: Sequence[MethodResult]) -> pl.DataFrame:
    """One row per method: point, P10, P50, P90, best case, and why it was left out."""
    money = pl.Decimal(38, 2)
    return pl.DataFrame(
        [
            {
                "method": r.method.value,
                "forecast": r.point,
                "p10": r.p10,
                "p50": r.p50,
                "p90": r.p90,
                "best_case": r.best_case,
                "left_out_because": r.skipped_reason,
                "note": r.note,
            }
            for r in results
        ],
        schema={
            "method": pl.String,
            "forecast": money,
            "p10": money,
            "p50": money,
            "p90": money,
            "best_case": money,
            "left_out_because": pl.String,
            "note": pl.String,
        },
    )
