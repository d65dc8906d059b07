"""As-of reconstruction: what every opportunity looked like at a past moment.

The storage layer keeps each opportunity's *current* state plus a history of field changes
(`field`, `old_value`, `new_value`, `changed_at`, all values as text). `as_of(..., at)` rebuilds
the state at `at` for the tracked fields stage, amount, close_date, forecast_category and owner,
entirely in columnar Polars (no per-row Python):

1. keep the opportunities created at or before `at`;
2. split the history once into *seen* rows (`changed_at <= at`) and *ahead* rows (`> at`), each
   ordered by `changed_at` then history `id` (the insertion sequence breaks timestamp ties);
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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Final

import polars as pl

from revdesk.core.clock import ensure_utc, utcnow
from revdesk.core.errors import InvalidInput
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
    "as_of",
    "as_of_many",
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
    history: Frame,
    stages: pl.DataFrame,
    at: datetime,
    *,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Return every opportunity created by `at` as it stood at `at`, sorted by id."""
    moment = ensure_utc(at, where="as_of")
    opps = _checked(opportunities, OPPORTUNITY_SCHEMA, "opportunities")
    hist = _checked(history, HISTORY_SCHEMA, "history")
    stage_status = _checked_stages(stages)
    kept = _checked_keep(keep, opps)
    plan = _reconstruct(opps, hist, stage_status.lazy(), pl.lit(moment, dtype=UTC_MICROS), kept)
    unknown_fields = hist.select(pl.col("field").unique()).filter(
        ~pl.col("field").is_in(list(TRACKED_FIELDS))
    )
    try:
        result, unknown = pl.collect_all([plan, unknown_fields])
    except pl.exceptions.InvalidOperationError as exc:
        detail = str(exc).splitlines()[0]
        raise InvalidInput(f"history value cannot be read: {detail}", where="as_of") from exc
    if unknown.height:
        names = ", ".join(sorted(unknown["field"].to_list()))
        raise InvalidInput(f"history has untracked field(s): {names}", where="as_of")
    _refuse_unknown_stages(result)
    return result


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
    # Collect once so that lazy sources are read once, not once per moment.
    opps = _checked(opportunities, OPPORTUNITY_SCHEMA, "opportunities").collect()
    hist = _checked(history, HISTORY_SCHEMA, "history").collect()
    # A backtest asks for a handful of moments, so a loop over moments (not rows) is fine.
    frames = [_stamped(opps, hist, stages, moment, keep) for moment in moments]
    if not frames:
        return _stamped(opps.clear(), hist.clear(), stages, utcnow(), keep).clear()
    return pl.concat(frames, how="vertical")


def _stamped(
    opps: pl.DataFrame,
    hist: pl.DataFrame,
    stages: pl.DataFrame,
    moment: datetime,
    keep: Sequence[str],
) -> pl.DataFrame:
    """Return `as_of` at `moment` with the moment prepended as an `as_of` column."""
    stamp = pl.lit(ensure_utc(moment, where="as_of_many"), dtype=UTC_MICROS).alias("as_of")
    return as_of(opps, hist, stages, moment, keep=keep).select(stamp, pl.all())


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


def _is(field: str) -> pl.Expr:
    return pl.col("field") == field


def _reconstruct(
    opps: pl.LazyFrame,
    hist: pl.LazyFrame,
    stage_status: pl.LazyFrame,
    at: pl.Expr,
    kept: list[str],
) -> pl.LazyFrame:
    """Build the lazy plan described in the module docstring."""
    seen = hist.filter(pl.col("changed_at") <= at)
    ahead = hist.filter(pl.col("changed_at") > at)
    # sort_by(...).last() inside the aggregation becomes a max-by per group: no global sort.
    last_seen = seen.group_by("opportunity_id", "field").agg(
        pl.col("new_value").sort_by("changed_at", "id").last().alias("seen"),
        pl.col("changed_at").max().alias("seen_at"),
        # A row with an unknown old value is a creation (or a first snapshot), not a change.
        pl.col("old_value").is_not_null().sum().cast(pl.Int64).alias("changes"),
    )
    first_ahead = ahead.group_by("opportunity_id", "field").agg(
        pl.col("old_value").sort_by("changed_at", "id").first().alias("ahead"),
        pl.col("changed_at").min().alias("ahead_at"),
    )
    frame = opps.filter(pl.col("created_at") <= at)
    for field in TRACKED_FIELDS:
        frame = _joined(frame, last_seen, field, ("seen", "seen_at", "changes"))
        frame = _joined(frame, first_ahead, field, ("ahead", "ahead_at"))
    return (
        frame.join(_close_date_pushes(seen), on="id", how="left")
        .with_columns(_resolved(field, column) for field, column in TRACKED_FIELDS.items())
        .join(stage_status, on="stage", how="left")
        .with_columns(_derived(at))
        .select("id", *kept, *_STATE_COLUMNS, *DERIVED_SCHEMA)
        .sort("id")
    )


def _joined(
    frame: pl.LazyFrame, groups: pl.LazyFrame, field: str, columns: tuple[str, ...]
) -> pl.LazyFrame:
    """Left-join one field's per-opportunity aggregates as `<column>_<field>` columns."""
    picked = groups.filter(_is(field)).select(
        pl.col("opportunity_id").alias("id"), *(pl.col(c).alias(f"{c}_{field}") for c in columns)
    )
    return frame.join(picked, on="id", how="left")


def _close_date_pushes(seen: pl.LazyFrame) -> pl.LazyFrame:
    """Count, per opportunity, the seen close_date changes to a later date (both dates known)."""
    later = _parsed("close_date", pl.col("new_value")) > _parsed("close_date", pl.col("old_value"))
    return (
        seen.filter(_is("close_date"))
        .group_by(pl.col("opportunity_id").alias("id"))
        .agg(later.sum().cast(pl.Int64).alias("close_date_pushes"))
    )


def _resolved(field: str, column: str) -> pl.Expr:
    """Last seen new value, else the old value of the first later change, else current."""
    return (
        pl.when(pl.col(f"seen_at_{field}").is_not_null())
        .then(_parsed(field, pl.col(f"seen_{field}")))
        .when(pl.col(f"ahead_at_{field}").is_not_null())
        .then(_parsed(field, pl.col(f"ahead_{field}")))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _derived(at: pl.Expr) -> list[pl.Expr]:
    """Status flags, closing moment, time in stage and counters (null status stays null)."""
    closed = pl.col("status") != StageStatus.OPEN.value
    return [
        closed.alias("is_closed"),
        (pl.col("status") == StageStatus.WON.value).alias("is_won"),
        pl.when(closed & (pl.col("closed_at") <= at))
        .then(pl.col("closed_at"))
        .when(closed)
        .then(pl.col("seen_at_stage"))
        .alias("closed_at"),
        pl.coalesce("seen_at_stage", "created_at").alias("stage_entered_at"),
        pl.col("close_date_pushes").fill_null(0),
        pl.col("changes_amount").fill_null(0).alias("amount_changes"),
    ]


def _refuse_unknown_stages(result: pl.DataFrame) -> None:
    """Raise InvalidInput naming every resolved stage that `stages` does not list."""
    unknown = result.filter(pl.col("stage").is_not_null() & pl.col("status").is_null())
    if unknown.height:
        names = ", ".join(unknown["stage"].unique().sort())
        raise InvalidInput(f"stage(s) not in the stages table: {names}", where="as_of")
