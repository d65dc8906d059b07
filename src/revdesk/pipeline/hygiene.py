"""CRM hygiene: rules from a YAML file evaluated over the deals, their history and contacts.

`evaluate(config, deals=..., history=..., stages=..., contacts=..., now=...)` returns one row
per flag (columns `FLAG_SCHEMA`): entity ("opportunity" or "contact"), entity_id, rule_id,
rule_type, severity, owner_id (who fixes it), field and a readable detail. Deal rules look at
open deals only (deals.status == "open"); "today" is the UTC date of `now`, and history counts
only up to `now`. Definitions, in short (full text: docs/hygiene.md):

  past_close_date       close_date < today
  stale                 last_activity_at is null or < now - days
  missing_field         the field is null (next_step also when blank)
  stage_skipped         a history move from open stage a to an open or won stage more than one
                        step later (won ranks right after the last open stage; lost never counts)
  stage_moved_back      a history move from open stage a to an open stage ranked lower
  close_date_pushed     close_date changes to a later date (both dates known) >= min_pushes
  amount_outlier        log(amount_base) outside [Q1 - k IQR, Q3 + k IQR] of its segment (all
                        deals with a positive amount; segments under 20 deals use all deals)
  duplicate             an earlier open deal (created_at, then id) of the same account and
                        normalised name, created at most within_days before, amount within
                        amount_tolerance of it (an unknown amount on either side matches)
  probability_mismatch  |probability - stage default_probability| > tolerance_points
  exit_criteria         a required field of an earlier open stage (or, with include_current,
                        of the current one) is missing: one flag per missing field
  orphan_contact        contact.account_id is null

Frame contracts (extra columns are ignored): `DEAL_COLUMNS` (plus optional `OPTIONAL_DEAL_COLUMNS`
for exit criteria), `HISTORY_COLUMNS`, `STAGE_COLUMNS` and `CONTACT_COLUMNS`. A wrong input is
refused with `InvalidInput`. Example::

    flags = evaluate(default_config(), deals=deals, history=history, stages=stages,
                     contacts=contacts, now=utcnow())
    scores = quality_scores(flags, deals)["rep"]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

import polars as pl

from revdesk.core.clock import ensure_utc
from revdesk.core.errors import InvalidInput
from revdesk.pipeline.hygiene_config import (
    RULE_TYPES,
    FixOwner,
    HygieneConfig,
    Rule,
    Severity,
    default_config,
    load_config,
    load_config_file,
)
from revdesk.pipeline.hygiene_inputs import FLAG_SCHEMA, UTC_MICROS, RuleInputs
from revdesk.pipeline.hygiene_peers import normalised_name
from revdesk.pipeline.hygiene_rules import EXIT_FIELDS, MISSING_COLUMNS, rule_flags
from revdesk.pipeline.hygiene_scores import (
    DEFECT_KINDS,
    fix_list,
    quality_scores,
    score_against_truth,
)

__all__ = [
    "CONTACT_COLUMNS",
    "DEAL_COLUMNS",
    "DEFECT_KINDS",
    "FLAG_SCHEMA",
    "HISTORY_COLUMNS",
    "OPTIONAL_DEAL_COLUMNS",
    "RULE_TYPES",
    "STAGE_COLUMNS",
    "FixOwner",
    "HygieneConfig",
    "Rule",
    "Severity",
    "checked_fields",
    "default_config",
    "evaluate",
    "fix_list",
    "load_config",
    "load_config_file",
    "normalised_name",
    "quality_scores",
    "score_against_truth",
]

MONEY: Final = pl.Decimal(38, 4)
DEAL_COLUMNS: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "name": pl.String(),
    "account_id": pl.Int64(),
    "owner_id": pl.Int64(),
    "manager_id": pl.Int64(),
    "stage": pl.String(),
    "status": pl.String(),
    "amount": MONEY,
    "amount_base": MONEY,
    "close_date": pl.Date(),
    "probability": pl.Decimal(38, 2),
    "next_step": pl.String(),
    "created_at": UTC_MICROS,
    "last_activity_at": UTC_MICROS,
    "segment": pl.String(),
}
# Read by exit_criteria when present; competitors may also be JSON text ("[]" is empty).
OPTIONAL_DEAL_COLUMNS: Final[Mapping[str, pl.DataType]] = {
    "lead_source": pl.String(),
    "forecast_category": pl.String(),
    "competitors": pl.List(pl.String()),
}
HISTORY_COLUMNS: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "opportunity_id": pl.Int64(),
    "field": pl.String(),
    "old_value": pl.String(),
    "new_value": pl.String(),
    "changed_at": UTC_MICROS,
}
STAGE_COLUMNS: Final[Mapping[str, pl.DataType]] = {
    "name": pl.String(),
    "sort_order": pl.Int64(),
    "status": pl.String(),
    "default_probability": pl.Decimal(38, 2),
    "required_fields": pl.List(pl.String()),
}
CONTACT_COLUMNS: Final[Mapping[str, pl.DataType]] = {"id": pl.Int64(), "account_id": pl.Int64()}
_STATUSES: Final = ("open", "won", "lost")
# the field each rule type flags (exit_criteria: the missing field; duplicate: none)
_RULE_FIELDS: Final[Mapping[str, str]] = {
    "past_close_date": "close_date",
    "stale": "last_activity_at",
    "stage_skipped": "stage",
    "stage_moved_back": "stage",
    "close_date_pushed": "close_date",
    "amount_outlier": "amount",
    "probability_mismatch": "probability",
}


def evaluate(
    config: HygieneConfig,
    *,
    deals: pl.DataFrame,
    history: pl.DataFrame,
    stages: pl.DataFrame,
    contacts: pl.DataFrame,
    now: datetime,
) -> pl.DataFrame:
    """Every flag the enabled rules raise, sorted by entity (deals first), id, rule and field."""
    inputs = _inputs(deals, history, stages, contacts, ensure_utc(now, where="hygiene"))
    plans = [rule_flags(rule, inputs).cast(pl.Schema(FLAG_SCHEMA)) for rule in config.enabled_rules]
    if not plans:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    flags = pl.concat(plans, how="vertical").collect()
    return flags.sort(
        pl.col("entity") != "opportunity", "entity_id", "rule_id", "field", nulls_last=True
    ).select(list(FLAG_SCHEMA))


def checked_fields(config: HygieneConfig) -> tuple[str, ...]:
    """The deal fields the enabled rules can flag (exit criteria: every supported field)."""
    found: list[str] = []
    for rule in config.enabled_rules:
        if rule.type == "missing_field":
            found.append(MISSING_COLUMNS[rule.field])
        elif rule.type == "exit_criteria":
            found.extend(EXIT_FIELDS)
        elif rule.type in _RULE_FIELDS:
            found.append(_RULE_FIELDS[rule.type])
    return tuple(dict.fromkeys(found))


def _inputs(
    deals: pl.DataFrame,
    history: pl.DataFrame,
    stages: pl.DataFrame,
    contacts: pl.DataFrame,
    now: datetime,
) -> RuleInputs:
    """Check the four frames against their contracts and prepare them for the rules."""
    _check(deals, DEAL_COLUMNS, "deals")
    _check_optional(deals)
    _check(history, HISTORY_COLUMNS, "history")
    _check(stages, STAGE_COLUMNS, "stages")
    _check(contacts, CONTACT_COLUMNS, "contacts")
    deal_frame = deals.lazy()
    return RuleInputs(
        deals=deal_frame,
        open_deals=deal_frame.filter(pl.col("status") == "open"),
        history=history.lazy().filter(pl.col("changed_at") <= pl.lit(now, UTC_MICROS)),
        stages=_ranked(stages),
        contacts=contacts.lazy(),
        now=now,
        deal_columns=frozenset(deals.columns),
    )


def _check(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], name: str) -> None:
    """Refuse a frame that lacks a contract column or has it with another dtype."""
    if not isinstance(frame, pl.DataFrame):
        raise InvalidInput(f"{name} must be a polars DataFrame", where="hygiene")
    missing = [column for column in schema if column not in frame.schema]
    if missing:
        raise InvalidInput(f"{name} has no column(s) {', '.join(missing)}", where="hygiene")
    for column, dtype in schema.items():
        if not _same_type(frame.schema[column], dtype):
            raise InvalidInput(
                f"{name} column {column!r} is {frame.schema[column]}, expected {dtype}",
                where="hygiene",
            )


def _same_type(actual: pl.DataType, expected: pl.DataType) -> bool:
    """Equal dtypes; any precision and scale will do for a Decimal."""
    if isinstance(expected, pl.Decimal):
        return isinstance(actual, pl.Decimal)
    return bool(actual == expected)


def _check_optional(deals: pl.DataFrame) -> None:
    """Refuse an optional deal column that is present with an unusable dtype."""
    for column, dtype in OPTIONAL_DEAL_COLUMNS.items():
        actual = deals.schema.get(column)
        usable = (
            actual is None or actual == dtype or (column == "competitors" and actual == pl.String())
        )
        if not usable:
            raise InvalidInput(
                f"deals column {column!r} is {actual}, expected {dtype}", where="hygiene"
            )


def _ranked(stages: pl.DataFrame) -> pl.DataFrame:
    """Stages with `rank`: 0, 1, ... for open stages by sort_order; won after them; lost null."""
    if stages["name"].null_count() or stages["status"].null_count():
        raise InvalidInput("stages has a null name or status", where="hygiene")
    twice = stages.filter(pl.col("name").is_duplicated())["name"].unique().sort()
    if twice.len():
        raise InvalidInput(f"stages lists twice: {', '.join(twice)}", where="hygiene")
    odd = stages.filter(~pl.col("status").is_in(_STATUSES))["status"].unique().sort()
    if odd.len():
        raise InvalidInput(
            f"stages has status(es) {', '.join(odd)}; allowed: {', '.join(_STATUSES)}",
            where="hygiene",
        )
    is_open = pl.col("status") == "open"
    opens = stages.filter(is_open).sort("sort_order", "name", nulls_last=True)
    order = opens.select("name").with_row_index("rank").with_columns(pl.col("rank").cast(pl.Int64))
    won = pl.when(pl.col("status") == "won").then(pl.lit(opens.height, pl.Int64))
    return (
        stages.join(order, on="name", how="left")
        .with_columns(pl.when(is_open).then(pl.col("rank")).otherwise(won).alias("rank"))
        .select(*STAGE_COLUMNS, "rank")
    )
