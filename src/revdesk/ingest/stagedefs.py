"""Stage definitions read off the data, for a first import into an empty stage table.

Every stage name seen (in opportunities and history) becomes a stage. Per stage, the most common
sort order gives the order (else open stages by probability, then won, then lost), the most common
probability the default probability, the most common forecast category the category. Won/closed
flags say won or lost, else the name does ('Closed Won', 'Lost'), else a probability of 100
means won. Hints are columns named as Salesforce names them: StageName, StageSortOrder,
Probability, ForecastCategoryName, IsClosed, IsWon.

    proposed = stages([combos(frame_with_hint_columns)])
"""

from __future__ import annotations

from typing import Final

import polars as pl

from revdesk.crm.model import ForecastCategory, StageStatus
from revdesk.ingest.values import forecast_category, parse_bool

HINTS: Final = (
    "StageName", "StageSortOrder", "Probability", "ForecastCategoryName", "IsClosed", "IsWon",
)  # fmt: skip


def combos(frame: pl.DataFrame) -> pl.DataFrame:
    """Distinct hint combinations with how many rows carry each (millions of rows, few combos)."""
    present = [c for c in HINTS if c in frame.columns]
    return (
        frame.filter(pl.col("StageName").is_not_null())
        .group_by(present, maintain_order=True)
        .agg(pl.len().alias("_n"), pl.col("_file").first(), pl.col("_row").first())
        .with_columns(pl.col("_file").cast(pl.String))
    )


def merged(batches: list[pl.DataFrame]) -> pl.DataFrame:
    """The combinations of one file read in batches, as if it had been read whole."""
    parts = [b for b in batches if b.height]
    if not parts:
        return pl.DataFrame()
    present = [c for c in HINTS if c in parts[0].columns]
    return (
        pl.concat(parts)
        .group_by(present, maintain_order=True)
        .agg(pl.col("_n").sum(), pl.col("_file").first(), pl.col("_row").first())
    )


def _mode(column: str) -> pl.Expr:
    """The value most rows have (weights in `_n`); ties go to the smallest value."""
    ranked = pl.col(column).sort_by(pl.col("_n"), pl.col(column), descending=[True, False])
    return ranked.drop_nulls().first()


def stages(combos: list[pl.DataFrame]) -> pl.DataFrame:
    """Stage definitions from every stage name in the data, in pipeline order."""
    parts = [c for c in combos if c.height]
    if not parts:
        return pl.DataFrame()
    hints = pl.concat(parts, how="diagonal_relaxed")
    for column in HINTS:
        if column not in hints.columns:
            hints = hints.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    hints = hints.with_columns(
        _won=parse_bool(hints["IsWon"]),
        _closed=parse_bool(hints["IsClosed"]),
        _order=hints["StageSortOrder"].cast(pl.Int64, strict=False),
        _prob=hints["Probability"].str.replace("%", "").cast(pl.Decimal(38, 4), strict=False),
        _cat=forecast_category(hints["ForecastCategoryName"]),
    )
    grouped = hints.group_by("StageName", maintain_order=True).agg(
        _mode("_order").alias("order"),
        _mode("_prob").alias("probability"),
        _mode("_cat").alias("category"),
        pl.col("_won").any().alias("won"),
        (pl.col("_closed").any() & ~pl.col("_won").any()).alias("lost"),
        pl.col("_file").first(),
        pl.col("_row").first(),
    )
    return _definitions(grouped)


def _definitions(grouped: pl.DataFrame) -> pl.DataFrame:
    name = pl.col("StageName").str.to_lowercase()
    status = (
        pl.when(pl.col("won") | name.str.contains(r"\bwon\b"))
        .then(pl.lit(StageStatus.WON.value))
        .when(pl.col("lost") | name.str.contains(r"\blost\b"))
        .then(pl.lit(StageStatus.LOST.value))
        .when(pl.col("probability") == 100)
        .then(pl.lit(StageStatus.WON.value))
        .otherwise(pl.lit(StageStatus.OPEN.value))
    )
    rank = pl.col("status").replace_strict({"open": 0, "won": 1, "lost": 2}, return_dtype=pl.Int32)
    default_category = (
        pl.when(pl.col("status") == StageStatus.WON.value)
        .then(pl.lit(ForecastCategory.CLOSED.value))
        .when(pl.col("status") == StageStatus.LOST.value)
        .then(pl.lit(ForecastCategory.OMITTED.value))
        .otherwise(pl.lit(ForecastCategory.PIPELINE.value))
    )
    default_probability = (
        pl.when(pl.col("status") == StageStatus.WON.value)
        .then(pl.lit(100))
        .when(pl.col("status") == StageStatus.LOST.value)
        .then(pl.lit(0))
        .otherwise(pl.lit(50))
        .cast(pl.Decimal(38, 4))
    )
    return (
        grouped.with_columns(status.alias("status"))
        .sort(pl.col("order").fill_null(10**6), rank, pl.col("probability").fill_null(0))
        .select(
            pl.col("StageName").alias("name"),
            pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("sort_order"),
            pl.col("probability").fill_null(default_probability).alias("default_probability"),
            pl.col("category").fill_null(default_category).alias("forecast_category"),
            "status",
            "_file",
            "_row",
        )
    )
