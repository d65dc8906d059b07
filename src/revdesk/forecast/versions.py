"""Many as-of states from one pass over the history: every opportunity's versions.

`revdesk.crm.asof.as_of` rebuilds the state at one moment; a backtest asks for about a hundred
moments, and rereading the whole history for each would dominate its run time. `Versions`
reorganises the history once into one row per opportunity and change moment, holding the value
of every tracked field from that moment on (the *version*), plus one initial version per
opportunity that holds what `as_of` uses before the first change: a field's first recorded
`old_value`, or the current value when the field has no history at all. `state_at(m)` is then
one backward as-of join (the last version at or before `m`) and the same derived columns as
`as_of` computes.

It answers exactly what `as_of` answers, for every moment (the unit tests compare the two on
random histories), so it inherits its no-peeking rule: a version is only ever chosen by its
start, which is a change recorded at or before `m`; the only later information it carries is a
first change's `old_value`, the value the field had *before* that change, which `as_of` reads
too. It also returns `last_touch_at`: the latest change of any tracked field at or before `m`
(the creation when none), the activity signal the forecast models use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import polars as pl

from revdesk.core.clock import ensure_utc
from revdesk.core.errors import InvalidInput
from revdesk.crm.asof import MONEY, TRACKED_FIELDS, UTC_MICROS
from revdesk.crm.model import StageStatus, TrackedField

__all__ = ["Versions"]

_NULL: Final = "\x00null"  # a change to "no value"; forward fill must not skip over it
_EPOCH: Final = datetime(1, 1, 1, tzinfo=UTC)
_FIELDS: Final = tuple(TRACKED_FIELDS)
_COLUMNS: Final = tuple(TRACKED_FIELDS.values())


def _parsed(field: str, text: pl.Expr) -> pl.Expr:
    """History text as the opportunity column's dtype (the rules of `as_of`)."""
    if field == TrackedField.AMOUNT:
        wide = text.cast(pl.Decimal(38, 12))
        return wide.round(4, mode="half_away_from_zero").cast(MONEY)
    if field == TrackedField.CLOSE_DATE:
        return text.str.to_date("%Y-%m-%d")
    if field == TrackedField.OWNER:
        return text.cast(pl.Int64)
    return text


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A current opportunity column as history text, so both go through one parser."""
    if dtype == pl.Date():
        return pl.col(column).dt.strftime("%Y-%m-%d")
    return pl.col(column).cast(pl.String)


class Versions:
    """Every opportunity's tracked fields over time, ready to be read at any moment.

    versions = Versions(opportunities, history, stages)
    at_quarter_end = versions.state_at(datetime(2026, 4, 30, 23, 59, tzinfo=UTC))
    """

    def __init__(
        self,
        opportunities: pl.DataFrame,
        history: pl.DataFrame,
        stages: pl.DataFrame,
        *,
        keep: tuple[str, ...] = (),
    ) -> None:
        unknown = set(history["field"].unique().drop_nulls()) - set(_FIELDS)
        if unknown:
            raise InvalidInput(f"history has untracked field(s): {', '.join(sorted(unknown))}")
        self._keep = keep
        self._opportunities = opportunities.select(
            "id", *keep, "created_at", pl.col("closed_at").alias("_closed_at")
        ).sort("id")
        self._status = stages.select(pl.col("name").alias("stage"), "status")
        self._versions = self._build(opportunities, history)

    @property
    def rows(self) -> int:
        """Number of versions held (initial ones included)."""
        return self._versions.height

    def _build(self, opportunities: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
        hist = history.select(
            "id", "opportunity_id", "field", "old_value", "new_value", "changed_at"
        ).sort("opportunity_id", "changed_at", "id")
        is_field = {field: pl.col("field") == field for field in _FIELDS}
        new_text = pl.col("new_value").fill_null(_NULL)
        # Lenient here because every field's text passes through this expression; the close
        # dates themselves are checked strictly below.
        later = pl.col("new_value").str.to_date("%Y-%m-%d", strict=False) > pl.col(
            "old_value"
        ).str.to_date("%Y-%m-%d", strict=False)
        _check_close_dates(hist)
        changes = hist.group_by("opportunity_id", "changed_at", maintain_order=True).agg(
            *(new_text.filter(is_field[f]).last().alias(f) for f in _FIELDS),
            (is_field["close_date"] & later).sum().cast(pl.Int64).alias("_pushes"),
            (is_field["amount"] & pl.col("old_value").is_not_null())
            .sum()
            .cast(pl.Int64)
            .alias("_amount_changes"),
            is_field["stage"].any().alias("_stage_changed"),
        )
        first_old = hist.group_by("opportunity_id").agg(
            pl.col("old_value").fill_null(_NULL).filter(is_field[f]).first().alias(f)
            for f in _FIELDS
        )
        schema = opportunities.schema
        initial = (
            opportunities.select(
                "id", *(_as_text(c, schema[c]).alias(f"_now_{c}") for c in _COLUMNS)
            )
            .join(first_old.rename({"opportunity_id": "id"}), on="id", how="left")
            .select(
                pl.col("id").alias("opportunity_id"),
                pl.lit(_EPOCH, dtype=UTC_MICROS).alias("changed_at"),
                *(
                    pl.coalesce(pl.col(f), pl.col(f"_now_{c}")).alias(f)
                    for f, c in TRACKED_FIELDS.items()
                ),
                pl.lit(0, pl.Int64).alias("_pushes"),
                pl.lit(0, pl.Int64).alias("_amount_changes"),
                pl.lit(value=False).alias("_stage_changed"),
            )
        )
        by_deal = pl.col("opportunity_id")
        filled = (
            pl.concat([initial, changes], how="vertical")
            .sort("opportunity_id", "changed_at")
            .with_columns(
                *(pl.col(f).forward_fill().over(by_deal) for f in _FIELDS),
                pl.col("_pushes").cum_sum().over(by_deal).alias("close_date_pushes"),
                pl.col("_amount_changes").cum_sum().over(by_deal).alias("amount_changes"),
                pl.when(pl.col("_stage_changed"))
                .then(pl.col("changed_at"))
                .forward_fill()
                .over(by_deal)
                .alias("_stage_at"),
            )
        )
        typed = filled.select(
            pl.col("opportunity_id").alias("id"),
            pl.col("changed_at").alias("_from"),
            *(
                _parsed(f, pl.when(pl.col(f) != _NULL).then(pl.col(f))).alias(c)
                for f, c in TRACKED_FIELDS.items()
            ),
            "close_date_pushes",
            "amount_changes",
            "_stage_at",
        )
        return typed.sort("_from").set_sorted("_from")

    def state_at(self, at: datetime) -> pl.DataFrame:
        """Every opportunity created by `at` as it stood at `at`: the columns of `as_of`."""
        moment = ensure_utc(at, where="state_at")
        stamp = pl.lit(moment, dtype=UTC_MICROS)
        left = (
            self._opportunities.filter(pl.col("created_at") <= stamp)
            .with_columns(stamp.alias("_at"))
            .set_sorted("_at")
        )
        return self._finish(left).drop("as_of").sort("id")

    def states_at(self, moments: Sequence[datetime]) -> pl.DataFrame:
        """`state_at` of every moment in one join, stacked, the moment first as `as_of`."""
        stamps = pl.DataFrame(
            {"_at": [ensure_utc(m, where="states_at") for m in moments]},
            schema={"_at": UTC_MICROS},
        )
        left = (
            self._opportunities.join(stamps, how="cross")
            .filter(pl.col("created_at") <= pl.col("_at"))
            .sort("_at")
        )
        return self._finish(left).sort("as_of", "id")

    def _finish(self, left: pl.DataFrame) -> pl.DataFrame:
        """The versions in force at each row's `_at` (sorted), with the columns of `as_of`."""
        joined = left.join_asof(
            self._versions,
            left_on="_at",
            right_on="_from",
            by="id",
            strategy="backward",
            check_sortedness=False,
        )
        closed = pl.col("status") != StageStatus.OPEN.value
        touched = pl.when(pl.col("_from") > _EPOCH_LIT).then(pl.col("_from"))
        return (
            joined.join(self._status, on="stage", how="left")
            .with_columns(
                closed.alias("is_closed"),
                (pl.col("status") == StageStatus.WON.value).alias("is_won"),
                pl.when(closed & (pl.col("_closed_at") <= pl.col("_at")))
                .then(pl.col("_closed_at"))
                .when(closed)
                .then(pl.col("_stage_at"))
                .alias("closed_at"),
                pl.coalesce("_stage_at", "created_at").alias("stage_entered_at"),
                pl.coalesce(touched, pl.col("created_at")).alias("last_touch_at"),
            )
            .select(
                pl.col("_at").alias("as_of"),
                "id",
                *self._keep,
                "created_at",
                *_COLUMNS,
                "status",
                "is_closed",
                "is_won",
                "closed_at",
                "stage_entered_at",
                "close_date_pushes",
                "amount_changes",
                "last_touch_at",
            )
        )


_EPOCH_LIT: Final = pl.lit(_EPOCH, dtype=UTC_MICROS)


def _check_close_dates(history: pl.DataFrame) -> None:
    """Refuse close-date history text that is not a date, as `as_of` does."""
    dates = history.filter(pl.col("field") == TrackedField.CLOSE_DATE.value)
    try:
        dates.select(_parsed("close_date", pl.col(c)) for c in ("old_value", "new_value"))
    except pl.exceptions.InvalidOperationError as exc:
        detail = str(exc).splitlines()[0]
        raise InvalidInput(f"history value cannot be read: {detail}") from exc
