"""Deal economics of many quotes at once (Polars), equal to `quote_economics` to the digit.

Input frames (extra columns are ignored by the figures and passed through on the lines):

    quotes  quote_id Int64, term_months Int64, billing_frequency String, payment_terms_days Int64
    lines   quote_id Int64, line_no Int64, recurring Boolean, quantity Decimal(<=4 places),
            list_unit_price, net_unit_price, unit_cost, floor_price Decimal(<=6 places; the last
            two may be null)
    ramps   quote_id Int64, line_no Int64, start_month Int64, months Int64, quantity,
            net_unit_price (optional)

`economics_frame` returns one row per quote with every figure as Decimal(38, 10) (ratios as
fractions). `economics_units` returns the same figures as Int128 units (value x 10**10) for the
quote and for each line; the approval simulation works on those directly. Lines are
sorted by quote (when they are not already) so that every group-by runs on sorted keys. An
unramped line is its own single period and needs no group-by; only ramped lines are grouped,
and their figures written over the single-period ones by position. The ramp checks of
`LineView.check` (inside the term, no overlap, recurring lines only) apply here too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import BillingFrequency
from revdesk.pricing.fixed import (
    UNIT,
    UNITS,
    decimal_units,
    div_expr,
    div_int_expr,
    from_units_expr,
    to_units,
    units_lit,
)
from revdesk.pricing.payment import DEFAULT_DISCOUNT_RATE, check_rate, period_weight

__all__ = [
    "LINE_FIGURES",
    "QUOTE_FIGURES",
    "EconomicsUnits",
    "economics_frame",
    "economics_units",
]

QUOTE_FIGURES: Final = (
    "list_total",
    "net_total",
    "discount_amount",
    "discount",
    "recurring_tcv",
    "one_time_total",
    "tcv",
    "acv",
    "arr",
    "first_year_value",
    "cost_total",
    "gross_profit",
    "margin",
    "payment_terms_cost",
    "max_line_discount",
)
"""Figures of `economics_frame`, in units in `economics_units`; also `line_count`, `ramped`."""

LINE_FIGURES: Final = (
    "quantity",
    "list_unit_price",
    "net_unit_price",
    "unit_cost",
    "floor_price",
    "list_total",
    "net_total",
    "cost_total",
    "discount",
    "unit_discount",
    "margin",
    "ramp_concession",
    "min_net_unit_price",
)
"""Numeric line figures in units; lines also get `recurring`, `ramped` and `below_floor`."""

_SPAN = {f.value: f.months for f in BillingFrequency}
_ONE = units_lit(UNIT)
_ZERO = units_lit(0)


@dataclass(frozen=True, slots=True)
class EconomicsUnits:
    """Quote and line figures in Int128 units; `lines` is sorted by quote, then line."""

    quotes: pl.DataFrame
    lines: pl.DataFrame


# Period figures, summed per line: (list, headline net, net, cost, first year, end MRR,
# payment-terms cost at 20 places); plus below-floor (any), lowest net price (min), ramped.
_SUMS: Final = ("__list", "__headline", "__net", "__cost", "__first_year", "__end_mrr", "__pay20")


def _sorted_lines(lines: pl.DataFrame) -> pl.DataFrame:
    key = pl.col("quote_id").cast(pl.Int64) * (1 << 20) + pl.col("line_no").cast(pl.Int64)
    if lines.select(key.is_sorted()).item():
        return lines
    return lines.sort("quote_id", "line_no")


def _with_terms(lines: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """Each line with its quote's terms (lines of unknown quotes dropped), by binary search
    when the quotes are sorted by id, which avoids hashing millions of keys."""
    if not terms["quote_id"].is_sorted():
        return lines.join(terms, on="quote_id", how="inner", maintain_order="left")
    ids = terms["quote_id"]
    found = ids.search_sorted(lines["quote_id"], side="left").clip(0, max(len(ids) - 1, 0))
    if len(ids) == 0:
        return lines.join(terms, on="quote_id", how="inner")
    matched = terms[found].rename({"quote_id": "__quote"})
    joined = pl.concat([lines, matched], how="horizontal")
    return joined.filter(pl.col("__quote") == pl.col("quote_id")).drop("__quote")


def _prepare_lines(quotes: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Lines sorted by quote, with the quote's terms and integer quantity (4) and prices (6)."""
    terms = quotes.select(
        "quote_id",
        pl.col("term_months").cast(pl.Int64).alias("__term"),
        pl.col("billing_frequency").replace_strict(_SPAN, return_dtype=pl.Int64).alias("__span"),
        pl.col("payment_terms_days").cast(pl.Int64).alias("__days"),
    ).with_columns(
        pl.when(pl.col("__span") == 0).then(pl.col("__term")).otherwise("__span").alias("__span")
    )
    joined = _with_terms(_sorted_lines(lines), terms)
    return joined.with_columns(
        pl.col("quote_id").set_sorted(),
        decimal_units(joined, "quantity", scale=4).alias("__q4"),
        decimal_units(joined, "list_unit_price", scale=6).alias("__lp6"),
        decimal_units(joined, "net_unit_price", scale=6).alias("__np6"),
        decimal_units(joined, "unit_cost", scale=6).fill_null(_ZERO).alias("__c6"),
        decimal_units(joined, "floor_price", scale=6).alias("__f6"),
    ).with_row_index("__line")


def _weight(periods: pl.DataFrame, rate: Decimal) -> pl.Expr:
    """Payment-terms weight (units) of each row's (days, span, first, last), by lookup on one
    integer key: the distinct keys are few, so each weight is computed once, in Python."""
    key = ((pl.col("__days") * 1000 + pl.col("__span")) * 1000 + pl.col("__first")) * 1000
    key = key + pl.col("__last")
    codes = periods.select(key.unique()).to_series().to_list()
    weights = [
        to_units(period_weight(rate, c // 10**9, c // 10**6 % 1000, c // 1000 % 1000, c % 1000))
        for c in codes
    ]
    return key.replace_strict(codes, pl.Series(weights, dtype=UNITS), return_dtype=UNITS)


def _values(periods: pl.DataFrame, rate: Decimal) -> list[pl.Expr]:
    """The figures of each period (one row each): see `_SUMS`."""
    months = (pl.col("__last") - pl.col("__first") + 1).clip(lower_bound=1).cast(UNITS)
    first_year = (pl.min_horizontal(pl.col("__last"), 12) - pl.col("__first") + 1).clip(0)
    monthly = pl.col("__pq4") * pl.col("__pnp6")
    at_end = pl.col("recurring") & (pl.col("__last") == pl.col("__term"))
    return [
        (pl.col("__pq4") * pl.col("__lp6") * months).alias("__list"),
        (pl.col("__pq4") * pl.col("__np6") * months).alias("__headline"),
        (monthly * months).alias("__net"),
        (pl.col("__pq4") * pl.col("__c6") * months).alias("__cost"),
        (monthly * first_year.cast(UNITS)).alias("__first_year"),
        pl.when(at_end).then(monthly).otherwise(_ZERO).alias("__end_mrr"),
        (monthly * _weight(periods, rate)).alias("__pay20"),
        (pl.col("__f6").is_not_null() & (pl.col("__pnp6") < pl.col("__f6"))).alias("__below"),
        pl.col("__pnp6").alias("__min_np6"),
    ]


def _plain(prepared: pl.DataFrame, rate: Decimal) -> pl.DataFrame:
    """Every line as one period over the whole term (or once, for one-time products)."""
    periods = prepared.with_columns(
        pl.when(pl.col("recurring")).then(1).otherwise(0).cast(pl.Int64).alias("__first"),
        pl.when(pl.col("recurring")).then("__term").otherwise(0).cast(pl.Int64).alias("__last"),
        pl.col("__q4").alias("__pq4"),
        pl.col("__np6").alias("__pnp6"),
    )
    return periods.with_columns(*_values(periods, rate), pl.lit(False).alias("__ramp"))


def _ramped(prepared: pl.DataFrame, ramps: pl.DataFrame, rate: Decimal) -> pl.DataFrame:
    """Figures of the ramped lines, summed over their periods (one row per ramped line)."""
    steps = ramps.select(
        "quote_id",
        "line_no",
        pl.col("start_month").cast(pl.Int64).alias("__first"),
        (pl.col("start_month") + pl.col("months") - 1).cast(pl.Int64).alias("__last"),
        decimal_units(ramps, "quantity", scale=4).alias("__pq4"),
        decimal_units(ramps, "net_unit_price", scale=6).alias("__pnp6"),
    )
    columns = [
        "__line",
        "recurring",
        "__term",
        "__span",
        "__days",
        "__lp6",
        "__np6",
        "__c6",
        "__f6",
    ]
    periods = pl.concat([steps, _lines_of(prepared, steps).select(columns)], how="horizontal")
    periods = periods.filter(pl.col("__line").is_not_null())
    _check_ramps(periods)
    valued = periods.with_columns(_values(periods, rate)).sort("__line", "__first")
    return valued.group_by("__line", maintain_order=True).agg(
        pl.col(_SUMS).sum(), pl.col("__below").any(), pl.col("__min_np6").min()
    )


def _line_key(frame: pl.DataFrame) -> pl.Series:
    key = pl.col("quote_id").cast(pl.Int64) * (1 << 20) + pl.col("line_no").cast(pl.Int64)
    return frame.select(key).to_series()


def _lines_of(prepared: pl.DataFrame, ramps: pl.DataFrame) -> pl.DataFrame:
    """The prepared line of each ramp row (all null where the line does not exist), found by
    binary search: the prepared lines are sorted by (quote, line)."""
    keys, wanted = _line_key(prepared), _line_key(ramps)
    found = keys.search_sorted(wanted, side="left").clip(0, len(keys) - 1)
    rows = prepared[found]
    return rows.with_columns(
        pl.when(pl.Series(keys[found] == wanted)).then(pl.col("__line")).alias("__line")
    )


def _overwrite(plain: pl.DataFrame, ramped: pl.DataFrame) -> pl.DataFrame:
    """`plain` with the ramped lines' figures written over theirs, by row position."""
    positions = ramped["__line"].cast(pl.Int64)
    columns = []
    for name in (*_SUMS, "__below", "__min_np6"):
        column = plain.get_column(name).clone()
        column.scatter(positions, ramped.get_column(name))
        columns.append(column)
    flag = plain.get_column("__ramp").clone()
    flag.scatter(positions, True)
    return plain.with_columns(*columns, flag)


def _check_ramps(ramped: pl.DataFrame) -> None:
    """Refuse ramps outside the term, overlapping, or on one-time lines (first offender)."""
    ordered = ramped.sort("__line", "__first").with_columns(
        pl.col("__last").shift(1).over("__line").fill_null(0).alias("__previous")
    )
    bad = ordered.filter(
        ~pl.col("recurring")
        | (pl.col("__first") < 1)
        | (pl.col("__last") < pl.col("__first"))
        | (pl.col("__last") > pl.col("__term"))
        | (pl.col("__first") <= pl.col("__previous"))
    )
    if bad.height:
        row = bad.row(0, named=True)
        raise InvalidInput(
            f"ramp from month {row['__first']} to {row['__last']} is outside the "
            f"{row['__term']}-month term, overlaps another or is on a one-time product",
            where=f"quote {row['quote_id']} line {row['line_no']}",
        )


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    """1 - numerator / denominator in units; 0 when the denominator is 0."""
    quotient = div_expr(pl.col(numerator), pl.col(denominator))
    return pl.when(pl.col(denominator) == 0).then(_ZERO).otherwise(_ONE - quotient)


def _margin(net: str, cost: str) -> pl.Expr:
    margin = div_expr(pl.col(net) - pl.col(cost), pl.col(net))
    fallback = pl.when(pl.col(cost) == 0).then(_ZERO).otherwise(-_ONE)
    return pl.when(pl.col(net) == 0).then(fallback).otherwise(margin)


def _to_units_at(column: str, scale: int) -> pl.Expr:
    return pl.col(column) * units_lit(10 ** (10 - scale))


_OPTIONAL: Final = ("unit_discount", "margin")
"""Line figures that cost a division per line and that no quote figure needs."""


def _lines_out(lines: pl.DataFrame, wanted: Collection[str]) -> pl.DataFrame:
    """Line frame in units: the caller's columns replaced by units, plus the line figures."""
    extra = [c for c in lines.columns if not c.startswith("__") and c not in LINE_FIGURES]
    unit_discount = div_expr(pl.col("__np6"), pl.col("__lp6"))
    optional = {
        "unit_discount": pl.when(pl.col("__lp6") == 0).then(_ZERO).otherwise(_ONE - unit_discount),
        "margin": _margin("__net", "__cost"),
    }
    return lines.select(
        *extra,
        _to_units_at("__q4", 4).alias("quantity"),
        _to_units_at("__lp6", 6).alias("list_unit_price"),
        _to_units_at("__np6", 6).alias("net_unit_price"),
        _to_units_at("__c6", 6).alias("unit_cost"),
        _to_units_at("__f6", 6).fill_null(_ZERO).alias("floor_price"),
        pl.col("__list").alias("list_total"),
        pl.col("__net").alias("net_total"),
        pl.col("__cost").alias("cost_total"),
        _ratio("__net", "__list").alias("discount"),
        *[optional[name].alias(name) for name in _OPTIONAL if name in wanted],
        (pl.col("__headline") - pl.col("__net")).alias("ramp_concession"),
        _to_units_at("__min_np6", 6).alias("min_net_unit_price"),
        pl.col("__below").alias("below_floor"),
        pl.col("__ramp").alias("ramped"),
        pl.when(pl.col("recurring")).then("__net").otherwise(_ZERO).alias("__recurring"),
        "__first_year",
        "__end_mrr",
        "__pay20",
    )


def _segment_sums(lines: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Per-quote sums of `columns` over lines sorted by quote: differences of running totals at
    each quote's last line, several times faster than a group-by on Int128."""
    last = (pl.col("quote_id") != pl.col("quote_id").shift(-1)).fill_null(value=True)
    ends = lines.select(last.arg_true()).to_series()
    totals = lines.select("quote_id", *[pl.col(c).cum_sum() for c in columns])[ends]
    return totals.with_columns(pl.col(c) - pl.col(c).shift(1).fill_null(_ZERO) for c in columns)


def _quote_figures(quotes: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    sums = ["list_total", "net_total", "__recurring", "__first_year", "__end_mrr", "cost_total"]
    # The payment-terms column is at 20 places: summed per quote, never across all quotes.
    others = lines.group_by("quote_id", maintain_order=True).agg(
        pl.col("__pay20").sum(),
        pl.col("discount").max().alias("max_line_discount"),
        pl.len().alias("line_count"),
        pl.col("ramped").any(),
    )
    grouped = pl.concat([_segment_sums(lines, sums), others.drop("quote_id")], how="horizontal")
    base = quotes.select("quote_id", pl.col("term_months").cast(UNITS).alias("__term"))
    joined = base.join(grouped, on="quote_id", how="left", maintain_order="left")
    filled = [c for c in grouped.columns if c not in ("quote_id", "ramped", "line_count")]
    return joined.with_columns(
        pl.col(filled).fill_null(_ZERO),
        pl.col("line_count").fill_null(0).cast(pl.Int64),
        pl.col("ramped").fill_null(value=False),
    ).select(
        "quote_id",
        "list_total",
        "net_total",
        (pl.col("list_total") - pl.col("net_total")).alias("discount_amount"),
        _ratio("net_total", "list_total").alias("discount"),
        pl.col("__recurring").alias("recurring_tcv"),
        (pl.col("net_total") - pl.col("__recurring")).alias("one_time_total"),
        pl.col("net_total").alias("tcv"),
        div_int_expr(pl.col("__recurring") * 12, pl.col("__term")).alias("acv"),
        (pl.col("__end_mrr") * 12).alias("arr"),
        pl.col("__first_year").alias("first_year_value"),
        "cost_total",
        (pl.col("net_total") - pl.col("cost_total")).alias("gross_profit"),
        _margin("net_total", "cost_total").alias("margin"),
        div_int_expr(pl.col("__pay20"), units_lit(UNIT)).alias("payment_terms_cost"),
        "max_line_discount",
        "line_count",
        "ramped",
    )


def economics_units(
    quotes: pl.DataFrame,
    lines: pl.DataFrame,
    ramps: pl.DataFrame | None = None,
    *,
    annual_rate: Decimal = DEFAULT_DISCOUNT_RATE,
    line_figures: Collection[str] = LINE_FIGURES,
) -> EconomicsUnits:
    """Quote and line figures of many quotes in Int128 units (value x 10**10).

    `unit_discount` and `margin` are on the lines only when `line_figures` names them.
    """
    rate = check_rate(annual_rate)
    prepared = _prepare_lines(quotes, lines)
    plain = _plain(prepared, rate)
    if ramps is not None and ramps.height and prepared.height:
        plain = _overwrite(plain, _ramped(prepared, ramps, rate))
    line_frame = _lines_out(plain, line_figures)
    quote_frame = _quote_figures(quotes, line_frame)
    hidden = ["__recurring", "__first_year", "__end_mrr", "__pay20"]
    return EconomicsUnits(quotes=quote_frame, lines=line_frame.drop(hidden))


def economics_frame(
    quotes: pl.DataFrame,
    lines: pl.DataFrame,
    ramps: pl.DataFrame | None = None,
    *,
    annual_rate: Decimal = DEFAULT_DISCOUNT_RATE,
) -> pl.DataFrame:
    """One row per quote with every figure of `quote_economics` as Decimal(38, 10)."""
    units = economics_units(quotes, lines, ramps, annual_rate=annual_rate).quotes
    return units.with_columns(from_units_expr(pl.col(name)) for name in QUOTE_FIGURES)
