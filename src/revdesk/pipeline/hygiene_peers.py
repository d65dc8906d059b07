"""Rules that judge a deal against other deals: amount outliers and likely duplicates.

amount_outlier compares ln(amount_base) with the quartiles of the deal's segment (all deals
with a positive base amount, open and closed; a segment with fewer than `OUTLIER_MIN_SEGMENT`
of them uses all deals). duplicate pairs open deals of the same account and normalised name
with an earlier one created within the window and of a similar amount. Exact definitions:
docs/hygiene.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import polars as pl

from revdesk.pipeline.hygiene_config import AmountOutlierRule, DuplicateRule
from revdesk.pipeline.hygiene_inputs import RuleInputs, day_text, found, number_text

OUTLIER_MIN_SEGMENT: Final = 20  # smaller segments are measured against all deals


def _quartiles(suffix: str = "") -> list[pl.Expr]:
    """Q1 and Q3 of the log amounts (linear interpolation) and the count."""
    logged = pl.col("_log")
    return [
        logged.quantile(0.25, "linear").alias(f"_q1{suffix}"),
        logged.quantile(0.75, "linear").alias(f"_q3{suffix}"),
        pl.len().alias(f"_n{suffix}"),
    ]


def amount_outlier(rule: AmountOutlierRule, inputs: RuleInputs) -> pl.LazyFrame:
    """Open deals whose log base amount is outside the k x IQR fence of their segment."""

    def logged(frame: pl.LazyFrame) -> pl.LazyFrame:
        positive = frame.filter(pl.col("amount_base") > 0)
        return positive.with_columns(pl.col("amount_base").cast(pl.Float64).log().alias("_log"))

    population = logged(inputs.deals)
    by_segment = (
        population.group_by("segment").agg(_quartiles()).filter(pl.col("_n") >= OUTLIER_MIN_SEGMENT)
    )
    own = pl.col("_q1").is_not_null()
    q1 = pl.when(own).then(pl.col("_q1")).otherwise(pl.col("_q1_all"))
    q3 = pl.when(own).then(pl.col("_q3")).otherwise(pl.col("_q3_all"))
    spread = (q3 - q1) * rule.iqr_multiplier
    scored = (
        logged(inputs.open_deals)
        .join(by_segment, on="segment", how="left")
        .join(population.select(_quartiles("_all")), how="cross")
        .with_columns((q1 - spread).alias("_low"), (q3 + spread).alias("_high"))
        .filter((pl.col("_log") < pl.col("_low")) | (pl.col("_log") > pl.col("_high")))
    )
    detail = pl.format(
        "amount {} (base currency) is {} the usual range for {} ({} to {})",
        number_text(pl.col("amount_base")),
        pl.when(pl.col("_log") > pl.col("_high")).then(pl.lit("above")).otherwise(pl.lit("below")),
        pl.when(own)
        .then(pl.format("segment {}", pl.col("segment")))
        .otherwise(pl.lit("all deals")),
        _bound_text("_low"),
        _bound_text("_high"),
    )
    return found(scored, "amount", detail)


def _bound_text(column: str) -> pl.Expr:
    """A log-scale bound back as a whole amount; 'unbounded' when it does not fit."""
    whole = pl.col(column).exp().round(0).cast(pl.Int64, strict=False)
    return whole.cast(pl.String).fill_null("unbounded")


def normalised_name(name: pl.Expr) -> pl.Expr:
    """Lowercase, punctuation to spaces, whitespace collapsed, trailing copy/duplicate dropped."""
    words = name.str.to_lowercase().str.replace_all(r"[^\w\s]|_", " ")
    collapsed = words.str.replace_all(r"\s+", " ").str.strip_chars()
    return collapsed.str.replace(r"(^|\s)((copy|duplicate)(\s|$))+$", "").str.strip_chars()


def duplicate(rule: DuplicateRule, inputs: RuleInputs) -> pl.LazyFrame:
    """Open deals that repeat an earlier open deal, naming the earliest one they repeat."""
    keyed = inputs.open_deals.select(
        "id",
        "account_id",
        "created_at",
        "amount_base",
        normalised_name(pl.col("name")).alias("_key"),
    ).filter(pl.col("account_id").is_not_null() & (pl.col("_key") != ""))
    earlier = (pl.col("created_at_orig") < pl.col("created_at")) | (
        (pl.col("created_at_orig") == pl.col("created_at")) & (pl.col("id_orig") < pl.col("id"))
    )
    near = (pl.col("created_at") - pl.col("created_at_orig")) <= timedelta(days=rule.within_days)
    amount, original = pl.col("amount_base"), pl.col("amount_base_orig")
    # An unknown amount on either side does not tell the two deals apart.
    similar = (
        amount.is_null()
        | original.is_null()
        | ((amount - original).abs() <= original.abs() * pl.lit(rule.amount_tolerance))
    )
    copies = (
        keyed.join(keyed, on=["account_id", "_key"], how="inner", suffix="_orig")
        .filter(earlier & near & similar)
        .group_by("id")
        .agg(
            pl.col("id_orig").sort_by("created_at_orig", "id_orig").first(),
            pl.col("created_at_orig").min(),
        )
    )
    detail = pl.format(
        "likely duplicate of opportunity {} (created {})",
        pl.col("id_orig"),
        day_text("created_at_orig"),
    )
    return found(copies, pl.lit(None, pl.String), detail)
