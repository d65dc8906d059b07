"""What every hygiene rule reads (`RuleInputs`) and the small expressions rules share.

A rule finder takes a rule and `RuleInputs` and returns a lazy frame of
``(entity_id, field, detail)`` built with `found`; `revdesk.pipeline.hygiene_rules.rule_flags`
turns it into flags (`FLAG_SCHEMA`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import polars as pl

UTC_MICROS: Final = pl.Datetime("us", "UTC")
FLAG_SCHEMA: Final[dict[str, pl.DataType]] = {
    "entity": pl.String(),
    "entity_id": pl.Int64(),
    "rule_id": pl.String(),
    "rule_type": pl.String(),
    "severity": pl.String(),
    "owner_id": pl.Int64(),
    "field": pl.String(),
    "detail": pl.String(),
}
# Text columns that are missing when blank, not only when null.
TEXT_COLUMNS: Final = frozenset({"next_step", "lead_source", "forecast_category"})


@dataclass(frozen=True)
class RuleInputs:
    """Checked inputs: all deals, the open ones, history up to `now`, ranked stages, contacts.

    `stages` has name, status, default_probability, required_fields and `rank` (0, 1, ... for
    open stages, won right after them, null for lost); `deal_columns` names the deal columns.
    """

    deals: pl.LazyFrame
    open_deals: pl.LazyFrame
    history: pl.LazyFrame
    stages: pl.DataFrame
    contacts: pl.LazyFrame
    now: datetime
    deal_columns: frozenset[str]

    @property
    def today(self) -> date:
        """The calendar day of `now` (UTC)."""
        return self.now.date()


def found(frame: pl.LazyFrame, field: str | pl.Expr, detail: pl.Expr) -> pl.LazyFrame:
    """Select a finder's three output columns from a frame of deals (or contacts)."""
    column = pl.lit(field, pl.String) if isinstance(field, str) else field
    return frame.select(
        pl.col("id").alias("entity_id"), column.alias("field"), detail.alias("detail")
    )


def day_text(column: str) -> pl.Expr:
    """A date or timestamp column as YYYY-MM-DD."""
    return pl.col(column).dt.to_string("%Y-%m-%d")


def number_text(expr: pl.Expr) -> pl.Expr:
    """A Decimal as text without trailing zeros: 60.00 -> '60', 12.50 -> '12.5'."""
    text = expr.cast(pl.String)
    return text.str.replace(r"(\.\d*?[1-9])0+$", "${1}").str.replace(r"\.0+$", "")


def blank(column: str) -> pl.Expr:
    """Null, or text that is empty once whitespace is stripped."""
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
