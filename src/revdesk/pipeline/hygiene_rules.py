"""The hygiene rule types: for each, the lazy Polars query that finds what it flags.

Each finder takes a rule and the checked `RuleInputs` and returns a lazy frame of
``(entity_id, field, detail)``; `rule_flags` adds the rule's id, type, severity and the person
who must fix each flag, and keeps only open deals for deal rules. No finder loops over rows in
Python. Exact definitions: docs/hygiene.md (and the `revdesk.pipeline.hygiene` docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

import polars as pl

from revdesk.pipeline.hygiene_config import (
    CloseDatePushedRule,
    ExitCriteriaRule,
    FixOwner,
    MissingFieldRule,
    ProbabilityMismatchRule,
    Rule,
    StaleRule,
)
from revdesk.pipeline.hygiene_inputs import (
    FLAG_SCHEMA,
    TEXT_COLUMNS,
    UTC_MICROS,
    RuleInputs,
    blank,
    day_text,
    found,
    number_text,
)
from revdesk.pipeline.hygiene_peers import amount_outlier, duplicate

__all__ = ["EXIT_FIELDS", "FLAG_SCHEMA", "MISSING_COLUMNS", "rule_flags"]

# Exit-criteria fields that are deal columns; primary_contact and quote are not (yet) checked.
EXIT_FIELDS: Final = (
    "amount",
    "close_date",
    "next_step",
    "account_id",
    "competitors",
    "lead_source",
    "forecast_category",
)
# missing_field's `field` value -> the deal column (and the flag's field)
MISSING_COLUMNS: Final = {
    "next_step": "next_step",
    "amount": "amount",
    "close_date": "close_date",
    "account": "account_id",
}


def rule_flags(rule: Rule, inputs: RuleInputs) -> pl.LazyFrame:
    """The flags one rule raises, in the columns of `FLAG_SCHEMA`."""
    hits = _FINDERS[rule.type](rule, inputs)
    labels = [
        pl.lit(rule.id, pl.String).alias("rule_id"),
        pl.lit(rule.type, pl.String).alias("rule_type"),
        pl.lit(rule.severity.value, pl.String).alias("severity"),
    ]
    if rule.type == "orphan_contact":
        return hits.select(
            pl.lit("contact", pl.String).alias("entity"),
            "entity_id",
            *labels,
            pl.lit(None, pl.Int64).alias("owner_id"),
            "field",
            "detail",
        )
    owners = inputs.open_deals.select(pl.col("id").alias("entity_id"), "owner_id", "manager_id")
    fixer = {
        FixOwner.DEAL_OWNER: pl.col("owner_id"),
        FixOwner.MANAGER: pl.col("manager_id"),
        FixOwner.SALES_OPS: pl.lit(None, pl.Int64),
    }[rule.owner]
    return hits.join(owners, on="entity_id", how="inner").select(
        pl.lit("opportunity", pl.String).alias("entity"),
        "entity_id",
        *labels,
        fixer.cast(pl.Int64).alias("owner_id"),
        "field",
        "detail",
    )


# -- current-state rules --------------------------------------------------------------------


def _past_close_date(_rule: Any, inputs: RuleInputs) -> pl.LazyFrame:
    """Open deals whose close date is before today."""
    today = pl.lit(inputs.today, pl.Date)
    late = inputs.open_deals.filter(pl.col("close_date") < today)
    days = (today - pl.col("close_date")).dt.total_days()
    detail = pl.format("close date {} is {} days in the past", day_text("close_date"), days)
    return found(late, "close_date", detail)


def _stale(rule: StaleRule, inputs: RuleInputs) -> pl.LazyFrame:
    """Open deals with no activity recorded, or none since `now - days`."""
    now = pl.lit(inputs.now, UTC_MICROS)
    cutoff = pl.lit(inputs.now - timedelta(days=rule.days), UTC_MICROS)
    last = pl.col("last_activity_at")
    stale = inputs.open_deals.filter(last.is_null() | (last < cutoff))
    detail = (
        pl.when(last.is_null())
        .then(pl.lit("no activity recorded"))
        .otherwise(
            pl.format(
                "no activity for {} days (last on {})",
                (now - last).dt.total_days(),
                last.dt.to_string("%Y-%m-%d"),
            )
        )
    )
    return found(stale, "last_activity_at", detail)


def _missing_field(rule: MissingFieldRule, inputs: RuleInputs) -> pl.LazyFrame:
    """Open deals without the field (next_step: also blank)."""
    column = MISSING_COLUMNS[rule.field]
    missing = blank(column) if column in TEXT_COLUMNS else pl.col(column).is_null()
    label = column.removesuffix("_id").replace("_", " ")
    return found(inputs.open_deals.filter(missing), column, pl.lit(f"{label} is missing"))


def _probability_mismatch(rule: ProbabilityMismatchRule, inputs: RuleInputs) -> pl.LazyFrame:
    """Open deals whose probability is more than the tolerance off the stage default."""
    defaults = inputs.stages.lazy().select(
        pl.col("name").alias("stage"), pl.col("default_probability").alias("_default")
    )
    gap = (pl.col("probability") - pl.col("_default")).abs()
    off = inputs.open_deals.join(defaults, on="stage", how="inner").filter(
        gap > pl.lit(rule.tolerance_points)
    )
    detail = pl.format(
        "probability {} is {} points off the {} default of {} (tolerance {})",
        number_text(pl.col("probability")),
        number_text(gap),
        pl.col("stage"),
        number_text(pl.col("_default")),
        pl.lit(_plain(rule.tolerance_points)),
    )
    return found(off, "probability", detail)


def _plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: Decimal('10.0') -> '10'."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _orphan_contact(_rule: Any, inputs: RuleInputs) -> pl.LazyFrame:
    """Contacts without an account."""
    orphans = inputs.contacts.filter(pl.col("account_id").is_null())
    return found(orphans, "account_id", pl.lit("contact has no account"))


# -- history rules --------------------------------------------------------------------------


def _stage_moves(inputs: RuleInputs) -> pl.LazyFrame:
    """Stage changes out of an open stage, with both stages' rank and status."""
    ranks = inputs.stages.lazy().select("name", "status", "rank")
    old = ranks.select(
        pl.col("name").alias("old_value"),
        pl.col("status").alias("_old_status"),
        pl.col("rank").alias("_old_rank"),
    )
    new = ranks.select(
        pl.col("name").alias("new_value"),
        pl.col("status").alias("_new_status"),
        pl.col("rank").alias("_new_rank"),
    )
    return (
        inputs.history.filter(pl.col("field") == "stage")
        .join(old, on="old_value", how="inner")
        .join(new, on="new_value", how="inner")
        .filter(pl.col("_old_status") == "open")
    )


def _per_deal(moves: pl.LazyFrame, move_text: pl.Expr, noun: str) -> pl.LazyFrame:
    """One row per deal: the last move described, prefixed by the count when several."""
    described = moves.group_by(pl.col("opportunity_id").alias("id")).agg(
        pl.len().alias("_count"), move_text.sort_by("changed_at", "id").last().alias("_last")
    )
    detail = (
        pl.when(pl.col("_count") > 1)
        .then(pl.format("{} {}; last: {}", pl.col("_count"), pl.lit(noun), pl.col("_last")))
        .otherwise(pl.col("_last"))
    )
    return found(described, "stage", detail)


def _move_text() -> pl.Expr:
    """ "<old> -> <new> on <day>" for a stage move."""
    return pl.format(
        "{} -> {} on {}", pl.col("old_value"), pl.col("new_value"), day_text("changed_at")
    )


def _stage_skipped(_rule: Any, inputs: RuleInputs) -> pl.LazyFrame:
    """Deals with a move more than one rank forward (into an open or won stage)."""
    steps = pl.col("_new_rank") - pl.col("_old_rank")
    skips = _stage_moves(inputs).filter(steps > 1)
    text = pl.format("{} skipped {} stage(s)", _move_text(), steps - 1)
    return _per_deal(skips, text, "skipping moves")


def _stage_moved_back(_rule: Any, inputs: RuleInputs) -> pl.LazyFrame:
    """Deals with a move to a lower-ranked open stage."""
    back = _stage_moves(inputs).filter(
        (pl.col("_new_status") == "open") & (pl.col("_new_rank") < pl.col("_old_rank"))
    )
    return _per_deal(back, pl.format("moved back {}", _move_text()), "moves back")


def _close_date_pushed(rule: CloseDatePushedRule, inputs: RuleInputs) -> pl.LazyFrame:
    """Deals whose close date moved later at least `min_pushes` times."""

    def parsed(column: str) -> pl.Expr:
        return pl.col(column).str.to_date("%Y-%m-%d", strict=False)

    pushes = (
        inputs.history.filter(pl.col("field") == "close_date")
        .filter(parsed("new_value") > parsed("old_value"))
        .group_by(pl.col("opportunity_id").alias("id"))
        .agg(pl.len().alias("_pushes"))
        .filter(pl.col("_pushes") >= rule.min_pushes)
    )
    detail = pl.format(
        "close date pushed out {} times (limit {})", pl.col("_pushes"), pl.lit(rule.min_pushes)
    )
    return found(pushes, "close_date", detail)


def _exit_criteria(rule: ExitCriteriaRule, inputs: RuleInputs) -> pl.LazyFrame:
    """One row per open deal and missing field required by a stage it passed."""
    fields = [name for name in EXIT_FIELDS if name in inputs.deal_columns]
    open_stages = inputs.stages.filter(pl.col("status") == "open")
    required = (
        open_stages.select("name", "rank", pl.col("required_fields").alias("field"))
        .explode("field")
        .filter(pl.col("field").is_in(fields))
    )
    passed = (
        pl.col("rank") <= pl.col("_rank_now")
        if rule.include_current
        else (pl.col("rank") < pl.col("_rank_now"))
    )
    needed = (
        open_stages.select(pl.col("name").alias("stage"), pl.col("rank").alias("_rank_now"))
        .join(required, how="cross")
        .filter(passed)
        .group_by("stage", "field")
        .agg(pl.col("name").sort_by("rank").first().alias("_gate"))
    )
    missing = inputs.open_deals.join(needed.lazy(), on="stage", how="inner").filter(
        _exit_field_missing(fields, inputs)
    )
    detail = pl.format(
        "{} is missing; it is an exit criterion of {}", pl.col("field"), pl.col("_gate")
    )
    return found(missing, pl.col("field"), detail)


def _exit_field_missing(fields: Sequence[str], inputs: RuleInputs) -> pl.Expr:
    """True when the deal lacks the value of the column named in its `field` column."""
    missing = pl.lit(value=False)
    for name in fields:
        missing = pl.when(pl.col("field") == name).then(_absent(name, inputs)).otherwise(missing)
    return missing


def _absent(column: str, inputs: RuleInputs) -> pl.Expr:
    """Null, blank text, or an empty competitors list."""
    if column == "competitors":
        dtype = inputs.open_deals.collect_schema()["competitors"]
        if isinstance(dtype, pl.List):
            return pl.col(column).is_null() | (pl.col(column).list.len() == 0)
        return blank(column) | (pl.col(column).str.strip_chars() == "[]")
    return blank(column) if column in TEXT_COLUMNS else pl.col(column).is_null()


_FINDERS: Final[dict[str, Callable[[Any, RuleInputs], pl.LazyFrame]]] = {
    "past_close_date": _past_close_date,
    "stale": _stale,
    "missing_field": _missing_field,
    "stage_skipped": _stage_skipped,
    "stage_moved_back": _stage_moved_back,
    "close_date_pushed": _close_date_pushed,
    "amount_outlier": amount_outlier,
    "duplicate": duplicate,
    "probability_mismatch": _probability_mismatch,
    "exit_criteria": _exit_criteria,
    "orphan_contact": _orphan_contact,
}
