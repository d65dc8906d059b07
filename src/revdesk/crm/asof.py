"""As-of reconstruction: what every opportunity looked like at a past moment.

The storage layer keeps each opportunity's *current* state plus a history of field changes
(`field`, `old_value`, `new_value`, `changed_at`, all values as text). `as_of(..., at)` rebuilds
the state at `at` for the tracked fields stage, amount, close_date, forecast_category and owner,
entirely in columnar Polars (no per-row Python):

1. keep the opportunities created at or before `at`;
2. arrange the history once (`split_history`): split by field, each part ordered by
   opportunity, `changed_at`, then history `id` (the insertion sequence breaks timestamp ties);
   rows at or before `at` are *seen*, later ones *ahead* (`revdesk.crm.history_scan`);
3. per opportunity and field take the `new_value` of the last seen row, and the `old_value` of
   the first row ahead (the value just before the first later change);
4. resolve each field: last seen `new_value`, else first-ahead `old_value`, else the current
   value when the field has no history at all; then parse the text into the column's type;
5. join the stage to its status and derive is_closed, is_won, closed_at, stage_entered_at,
   close_date_pushes and amount_changes from the seen rows only.

No peeking: nothing recorded after `at` may show through. Rule 4 is the one that matters: when a
field changed after `at` and that change's `old_value` is null (unknown, as in exports that only
record new values), the field is null at `at`; it never falls back to the current value, which
is the *future* value. The current state is trusted only for fields that never changed, and
current `closed_at` only when it is itself at or before `at`. A stage that is unknown this way
gives a null status, is_closed, is_won and closed_at: callers must treat null as "unknown".

History text is parsed after the aggregation, only for each field's last seen and first later
value (plus every seen close_date change, for the push count). Text that does not parse raises
InvalidInput, as do history fields other than the tracked ones and resolved stages missing from
`stages`. Amounts with more than four decimals are rounded half-up to four, as the amount
column does.

Example::

    snapshot = as_of(opportunities, history, stages, datetime(2026, 3, 31, tzinfo=UTC))
    quarter_ends = as_of_many(opportunities, history, stages, moments, keep=["account_id"])
    now, before = as_of_each(opportunities, split_history(history), stages, [now, start])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Final

import polars as pl

from revdesk.core.clock import ensure_utc, utcnow
from revdesk.core.errors import InvalidInput
from revdesk.crm.history_scan import FieldHistory, first_ahead, last_seen, seen_count
from revdesk.crm.model import StageStatus, TrackedField

__all__ = [
    "DERIVED_SCHEMA",
    "HISTORY_SCHEMA",
    "MONEY",
    "OPPORTUNITY_SCHEMA",
    "STAGE_SCHEMA",
    "STAGE_STATUSES",
    "TRACKED_FIELDS",
    "UTC_MICROS",
    "FieldHistory",
    "as_of",
    "as_of_each",
    "as_of_many",
    "split_history",
]

UTC_MICROS: Final = pl.Datetime("us", "UTC")
MONEY: Final = pl.Decimal(38, 4)

OPPORTUNITY_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "id": pl.Int64(),
        "created_at": UTC_MICROS,
        "closed_at": UTC_MICROS,
        "stage": pl.String(),
        "amount": MONEY,
        "close_date": pl.Date(),
        "forecast_category": pl.String(),
        "owner_id": pl.Int64(),
    }
)
HISTORY_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "id": pl.Int64(),
        "opportunity_id": pl.Int64(),
        "field": pl.String(),
        "old_value": pl.String(),
        "new_value": pl.String(),
        "changed_at": UTC_MICROS,
    }
)
STAGE_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {"name": pl.String(), "status": pl.String()}
)
STAGE_STATUSES: Final = tuple(status.value for status in StageStatus)
# history field name -> opportunity column it reconstructs
TRACKED_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        TrackedField.STAGE.value: "stage",
        TrackedField.AMOUNT.value: "amount",
        TrackedField.CLOSE_DATE.value: "close_date",
        TrackedField.FORECAST_CATEGORY.value: "forecast_category",
        TrackedField.OWNER.value: "owner_id",
    }
)
DERIVED_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "status": pl.String(),
        "is_closed": pl.Boolean(),
        "is_won": pl.Boolean(),
        "closed_at": UTC_MICROS,
        "stage_entered_at": UTC_MICROS,
        "close_date_pushes": pl.Int64(),
        "amount_changes": pl.Int64(),
    }
)

Frame = pl.DataFrame | pl.LazyFrame
_COLUMN_OF: Final = tuple(TRACKED_FIELDS.items())
# the state columns, in output order
_STATE_COLUMNS: Final = (
    "created_at",
    "stage",
    "amount",
    "close_date",
    "forecast_category",
    "owner_id",
)


def as_of(
    opportunities: Frame,
    history: Frame | FieldHistory,
    stages: pl.DataFrame,
    at: datetime,
    *,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Return every opportunity created by `at` as it stood at `at`, sorted by id."""
    return as_of_each(opportunities, history, stages, [at], keep=keep)[0]


def as_of_each(
    opportunities: Frame,
    history: Frame | FieldHistory,
    stages: pl.DataFrame,
    moments: Sequence[datetime],
    *,
    keep: Sequence[str] = (),
) -> list[pl.DataFrame]:
    """Return `as_of` at each moment, the history arranged once (pass `split_history` to share)."""
    instants = [ensure_utc(moment, where="as_of") for moment in moments]
    opps = _by_id(_checked(opportunities, OPPORTUNITY_SCHEMA, "opportunities").collect())
    split = history if isinstance(history, FieldHistory) else split_history(history)
    stage_status = _checked_stages(stages).lazy()
    kept = _checked_keep(keep, opps)
    plans = [_reconstruct(opps, split, stage_status, at, kept) for at in instants]
    try:
        # The in-memory engine keeps the sorted flags that make the joins merge joins.
        results = pl.collect_all(plans, engine="in-memory")
    except pl.exceptions.InvalidOperationError as exc:
        detail = str(exc).splitlines()[0]
        raise InvalidInput(f"history value cannot be read: {detail}", where="as_of") from exc
    for result in results:
        _refuse_unknown_stages(result)
    return results


def _by_id(opps: pl.DataFrame) -> pl.LazyFrame:
    """The opportunities in id order (the plan's merge joins rely on it)."""
    return (opps if opps["id"].is_sorted() else opps.sort("id", nulls_last=True)).lazy()


def split_history(history: Frame, fields: Sequence[str] = tuple(TRACKED_FIELDS)) -> FieldHistory:
    """The history checked against HISTORY_SCHEMA and arranged for `as_of_each`.

    `as_of_each` reconstructs only `fields` (stage always among them); the other tracked columns
    come back null, never the current value. A caller that needs fewer fields reads fewer rows.
    """
    if TrackedField.STAGE.value not in fields or set(fields) - set(TRACKED_FIELDS):
        raise InvalidInput(
            f"fields must include stage and name only tracked fields, not {list(fields)}",
            where="as_of",
        )
    hist = _checked(history, HISTORY_SCHEMA, "history").select(*HISTORY_SCHEMA).collect()
    unknown = hist.select(pl.col("field").unique()).filter(
        ~pl.col("field").is_in(list(TRACKED_FIELDS))
    )
    if unknown.height:
        names = ", ".join(sorted(unknown["field"].to_list()))
        raise InvalidInput(f"history has untracked field(s): {names}", where="as_of")
    return FieldHistory.of(hist, [field for field in TRACKED_FIELDS if field in fields])


def as_of_many(
    opportunities: Frame,
    history: Frame,
    stages: pl.DataFrame,
    moments: Sequence[datetime],
    *,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Return `as_of` at each moment, stacked, with the moment in an `as_of` column first."""
    if "as_of" in keep:
        raise InvalidInput("column 'as_of' is always returned; do not keep it", where="as_of_many")
    instants = [ensure_utc(moment, where="as_of_many") for moment in moments]
    if not instants:
        opps = _checked(opportunities, OPPORTUNITY_SCHEMA, "opportunities").collect().clear()
        hist = _checked(history, HISTORY_SCHEMA, "history").collect().clear()
        return _stamped(as_of(opps, hist, stages, utcnow(), keep=keep), utcnow()).clear()
    states = as_of_each(opportunities, history, stages, instants, keep=keep)
    return pl.concat(
        [_stamped(state, at) for state, at in zip(states, instants, strict=True)], how="vertical"
    )


def _stamped(state: pl.DataFrame, moment: datetime) -> pl.DataFrame:
    """`state` with the moment prepended as an `as_of` column."""
    return state.select(pl.lit(moment, dtype=UTC_MICROS).alias("as_of"), pl.all())


def _checked(frame: Frame, schema: Mapping[str, pl.DataType], name: str) -> pl.LazyFrame:
    """Return `frame` as lazy after checking it has `schema`'s columns with their dtypes."""
    lazy = frame.lazy()
    actual = lazy.collect_schema()
    for column, dtype in schema.items():
        if column not in actual:
            raise InvalidInput(f"{name} has no column {column!r}", where="as_of")
        if actual[column] != dtype:
            raise InvalidInput(
                f"{name} column {column!r} is {actual[column]}, expected {dtype}", where="as_of"
            )
    return lazy


def _checked_stages(stages: pl.DataFrame) -> pl.DataFrame:
    """Return stages as (stage, status) after checking names are unique and statuses known."""
    _checked(stages, STAGE_SCHEMA, "stages")
    if stages["name"].null_count() or stages["status"].null_count():
        raise InvalidInput("stages has a null name or status", where="as_of")
    duplicated = stages.filter(pl.col("name").is_duplicated())["name"].unique().sort()
    if duplicated.len():
        raise InvalidInput(f"stages lists twice: {', '.join(duplicated)}", where="as_of")
    odd = stages.filter(~pl.col("status").is_in(STAGE_STATUSES))["status"].unique().sort()
    if odd.len():
        raise InvalidInput(
            f"stages has status(es) {', '.join(odd)}; allowed: {', '.join(STAGE_STATUSES)}",
            where="as_of",
        )
    return stages.select(pl.col("name").alias("stage"), "status")


def _checked_keep(keep: Sequence[str], opps: pl.LazyFrame) -> list[str]:
    """Return the pass-through columns after checking they exist and clash with nothing."""
    if isinstance(keep, str):
        raise InvalidInput("keep must be a sequence of column names, not a string", where="as_of")
    kept = list(keep)
    available = opps.collect_schema()
    reserved = {*OPPORTUNITY_SCHEMA, *DERIVED_SCHEMA}
    for column in kept:
        if column not in available:
            raise InvalidInput(f"opportunities has no column {column!r} to keep", where="as_of")
        if column in reserved:
            raise InvalidInput(
                f"column {column!r} is always returned; do not keep it", where="as_of"
            )
    if len(set(kept)) != len(kept):
        raise InvalidInput(f"keep lists a column twice: {kept}", where="as_of")
    return kept


def _parsed(field: str, text: pl.Expr) -> pl.Expr:
    """Turn a history value (text) into the dtype of the opportunity column it tracks."""
    if field == TrackedField.AMOUNT:
        # Round half-up to the column's four places, as the database column does.
        wide = text.cast(pl.Decimal(38, 12))
        return wide.round(4, mode="half_away_from_zero").cast(MONEY)
    if field == TrackedField.CLOSE_DATE:
        return text.str.to_date("%Y-%m-%d")
    if field == TrackedField.OWNER:
        return text.cast(pl.Int64)
    return text


def _reconstruct(
    opps: pl.LazyFrame,
    split: FieldHistory,
    stage_status: pl.LazyFrame,
    moment: datetime,
    kept: list[str],
) -> pl.LazyFrame:
    """Build the lazy plan described in the module docstring, for one moment."""
    at = pl.lit(moment, dtype=UTC_MICROS)
    # Ids in order on both sides make every join below a merge join (no hash table).
    frame = opps.filter(pl.col("created_at") <= at).with_columns(pl.col("id").set_sorted())
    for field in split.fields:
        rows = split.rows(field).lazy()
        changes: list[pl.Expr] = []
        if field == TrackedField.AMOUNT:  # only amounts report a change count
            # A row with an unknown old value is a creation (or a first snapshot), not a change.
            rows = rows.with_columns(seen_count(pl.col("old_value").is_not_null()).alias("_n"))
            changes = [pl.col("_n").alias("amount_changes")]
        seen = last_seen(rows, moment).select(
            pl.col("opportunity_id").set_sorted().alias("id"),
            pl.col("new_value").alias(f"seen_{field}"),
            pl.col("changed_at").alias(f"seen_at_{field}"),
            *changes,
        )
        ahead = first_ahead(rows, moment).select(
            pl.col("opportunity_id").set_sorted().alias("id"),
            pl.col("old_value").alias(f"ahead_{field}"),
            pl.col("changed_at").alias(f"ahead_at_{field}"),
        )
        frame = frame.join(seen, on="id", how="left", maintain_order="left").join(
            ahead, on="id", how="left", maintain_order="left"
        )
    if TrackedField.CLOSE_DATE.value in split.fields:
        pushes = _close_date_pushes(split, moment)
        frame = frame.join(pushes, on="id", how="left", maintain_order="left")
    return (
        frame.with_columns(_resolved(field, column, split.fields) for field, column in _COLUMN_OF)
        .join(stage_status, on="stage", how="left")
        .with_columns(_derived(at, split.fields))
        .select("id", *kept, *_STATE_COLUMNS, *DERIVED_SCHEMA)
        .sort("id")
    )


def _close_date_pushes(split: FieldHistory, moment: datetime) -> pl.LazyFrame:
    """Count, per opportunity, the seen close_date changes to a later date (both dates known)."""
    # Only seen rows are parsed, so unreadable text recorded after the moment is not refused.
    seen = (
        split.rows(TrackedField.CLOSE_DATE.value)
        .lazy()
        .filter(pl.col("changed_at") <= pl.lit(moment, dtype=UTC_MICROS))
    )
    later = _parsed("close_date", pl.col("new_value")) > _parsed("close_date", pl.col("old_value"))
    return last_seen(seen.with_columns(seen_count(later).alias("pushes")), moment).select(
        pl.col("opportunity_id").set_sorted().alias("id"),
        pl.col("pushes").alias("close_date_pushes"),
    )


def _resolved(field: str, column: str, fields: Sequence[str]) -> pl.Expr:
    """Last seen new value, else the old value of the first later change, else current."""
    if field not in fields:  # not reconstructed: unknown, never the current (future) value
        return pl.lit(None, dtype=OPPORTUNITY_SCHEMA[column]).alias(column)
    return (
        pl.when(pl.col(f"seen_at_{field}").is_not_null())
        .then(_parsed(field, pl.col(f"seen_{field}")))
        .when(pl.col(f"ahead_at_{field}").is_not_null())
        .then(_parsed(field, pl.col(f"ahead_{field}")))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _derived(at: pl.Expr, fields: Sequence[str]) -> list[pl.Expr]:
    """Status flags, closing moment, time in stage and counters (null status stays null)."""
    closed = pl.col("status") != StageStatus.OPEN.value

    def counter(column: str, field: str) -> pl.Expr:
        if field in fields:
            return pl.col(column).fill_null(0)
        return pl.lit(None, dtype=pl.Int64).alias(column)

    return [
        closed.alias("is_closed"),
        (pl.col("status") == StageStatus.WON.value).alias("is_won"),
        pl.when(closed & (pl.col("closed_at") <= at))
        .then(pl.col("closed_at"))
        .when(closed)
        .then(pl.col("seen_at_stage"))
        .alias("closed_at"),
        pl.coalesce("seen_at_stage", "created_at").alias("stage_entered_at"),
        counter("close_date_pushes", TrackedField.CLOSE_DATE.value),
        counter("amount_changes", TrackedField.AMOUNT.value),
    ]


def _refuse_unknown_stages(result: pl.DataFrame) -> None:
    """Raise InvalidInput naming every resolved stage that `stages` does not list."""
    unknown = result.filter(pl.col("stage").is_not_null() & pl.col("status").is_null())
    if unknown.height:
        names = ", ".join(unknown["stage"].unique().sort())
        raise InvalidInput(f"stage(s) not in the stages table: {names}", where="as_of")
