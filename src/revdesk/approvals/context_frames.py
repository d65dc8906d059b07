"""The built-in variables of many quotes as frames: the columnar twin of `quote_values`.

Three frames, keyed by `__q` (the quote's row in the quote frame, so that every group-by runs
on sorted keys): quotes (one column per quote variable), lines (one column per line field) and
clauses (kind and the parameters as JSON text; `parameter_columns` adds the numeric parameters
a policy reads). Numbers are Int128 units throughout.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.approvals.context import BASE_FIGURES, ECONOMICS_FIGURES
from revdesk.pricing.columnar import LINE_FIGURES, economics_units
from revdesk.pricing.fixed import UNIT, UNITS, decimal_units, mul_expr, to_units_expr, units_lit
from revdesk.pricing.frames import QuoteFrames

__all__ = ["EvaluationFrames", "evaluation_frames", "parameter_columns", "rate_frame"]

INDEX: Final = "__q"
_STRINGS: Final = ("opportunity_type", "stage", "segment", "region", "industry", "account_name")


@dataclass(frozen=True, slots=True)
class EvaluationFrames:
    """Quote, line and clause frames in the columnar representation (see the module doc)."""

    quotes: pl.DataFrame
    lines: pl.DataFrame
    clauses: pl.DataFrame


def _count(expr: pl.Expr) -> pl.Expr:
    return expr.cast(UNITS) * units_lit(UNIT)


def _quote_columns(
    quotes: pl.DataFrame,
    figures: pl.DataFrame,
    clauses: pl.DataFrame,
    rates: pl.DataFrame | None,
    reads: Collection[str] | None = None,
) -> pl.DataFrame:
    """Quote rows (sorted by id) with their figures, clause kinds and rate, as variables."""
    kinds = clauses.group_by("quote_id").agg(
        pl.col("kind").unique().sort().alias("clause_kinds"), pl.len().alias("clause_count")
    )
    joined = pl.concat([quotes.with_row_index(INDEX), figures.drop("quote_id")], how="horizontal")
    joined = joined.join(kinds, on="quote_id", how="left", maintain_order="left")
    one = units_lit(UNIT)
    if rates is not None:
        known = rates.select("quote_id", decimal_units(rates, "fx_rate").alias("fx_rate"))
        joined = joined.join(known, on="quote_id", how="left", maintain_order="left")
    else:
        joined = joined.with_columns(one.alias("fx_rate"))
    rate = pl.col("fx_rate").fill_null(one)
    return joined.select(
        pl.col(INDEX).cast(pl.Int64).set_sorted(),
        "quote_id",
        "owner_id",
        *ECONOMICS_FIGURES,
        rate.alias("fx_rate"),
        *[
            mul_expr(pl.col(n), rate).alias(f"{n}_base")
            for n in BASE_FIGURES
            if reads is None or f"{n}_base" in reads
        ],
        _count(pl.col("term_months")).alias("term_months"),
        _count(pl.col("payment_terms_days")).alias("payment_terms_days"),
        _count(pl.col("line_count")).alias("line_count"),
        _count(pl.col("clause_count").fill_null(0)).alias("clause_count"),
        "ramped",
        "currency",
        "billing_frequency",
        *[pl.col(name).fill_null("") for name in _STRINGS],
        pl.col("clause_kinds").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )


def _indexed(frame: pl.DataFrame, quote_ids: pl.Series) -> pl.DataFrame:
    """`frame` (sorted by quote id, ids all in `quote_ids`) with the quote's row as `__q`."""
    positions = quote_ids.search_sorted(frame["quote_id"], side="left")
    return frame.with_columns(positions.cast(pl.Int64).alias(INDEX).set_sorted())


def evaluation_frames(
    frames: QuoteFrames,
    rates: pl.DataFrame | None = None,
    *,
    annual_rate: Decimal,
    reads: tuple[Collection[str], Collection[str]] | None = None,
) -> EvaluationFrames:
    """Economics and built-in variables of every quote in `frames`.

    `rates` has a row (quote_id, fx_rate: Decimal) per quote whose currency is not the base
    currency: what one unit of its currency is worth in the base currency. Missing rows are 1.
    With `reads` (quote variables, line fields: `Policy.reads()`), the costlier derived columns
    nobody reads (base-currency figures, line margins and unit discounts) are left out.
    """
    quotes = frames.quotes
    if not quotes["quote_id"].is_sorted():
        quotes = quotes.sort("quote_id")
    wanted = LINE_FIGURES if reads is None else reads[1]
    units = economics_units(
        quotes, frames.lines, frames.ramps, annual_rate=annual_rate, line_figures=wanted
    )
    table = _quote_columns(quotes, units.quotes, frames.clauses, rates, reads and reads[0])
    ids = table["quote_id"]
    known = pl.col("quote_id").is_in(ids.implode())
    lines = _indexed(units.lines, ids).with_columns(
        _count(pl.col("line_no")).alias("line_no"), pl.col("family").fill_null("")
    )
    clauses = frames.clauses.filter(known)
    if not clauses["quote_id"].is_sorted():
        clauses = clauses.sort("quote_id")
    return EvaluationFrames(quotes=table, lines=lines, clauses=_indexed(clauses, ids))


def rate_frame(pairs: Iterable[tuple[int, Decimal]]) -> pl.DataFrame:
    """(quote id, rate to the base currency) pairs as the `rates` frame of `evaluation_frames`."""
    return pl.DataFrame(
        list(pairs), schema={"quote_id": pl.Int64, "fx_rate": pl.Decimal(38, 10)}, orient="row"
    )


def parameter_columns(clauses: pl.DataFrame, names: Iterable[str]) -> pl.DataFrame:
    """`clauses` with `param.<name>` (units, 0 when absent or not a number) for each name."""
    columns = []
    for name in sorted(set(names)):
        text = pl.col("parameters").str.json_path_match(f"$.{name}").str.strip_chars()
        number = text.cast(pl.Decimal(38, 10), strict=False)
        columns.append(to_units_expr(number).fill_null(units_lit(0)).alias(f"param.{name}"))
    return clauses.with_columns(columns) if columns else clauses
