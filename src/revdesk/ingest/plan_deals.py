"""Planning stages, opportunities and their history (pure, columnar).

Stage definitions found in the data are created only while no stage exists; after that every
stage an opportunity or a history row names must already be defined. A new opportunity takes
its stage's default probability and forecast category when the source gives none, and a
closing moment when its stage is closed. A changed existing opportunity gets one history row per
tracked field that changed: old value from the database, new from the file, at the import time.

History rows copied from the source system are written once: for an opportunity that already has
rows from that source, only rows later than its latest one are added. An import-time change row
is left out when those new source rows already end in the same value. An opportunity's history
is taken whole or not at all: one bad row rejects the others, because a gap would make the
as-of reconstruction read a value that was never there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from revdesk.crm.model import ForecastCategory, StageStatus, TrackedField
from revdesk.ingest.dates import UTC_MICROS
from revdesk.ingest.implied import with_implied_categories
from revdesk.ingest.model import ObjectCounts, Severity, concat_problems, error_rows, flag
from revdesk.ingest.plan import ObjectPlan, Planner
from revdesk.ingest.specs import SPECS
from revdesk.ingest.spill import PART, partition_of

TRACKED: Final[Mapping[str, str]] = {
    TrackedField.STAGE.value: "stage",
    TrackedField.AMOUNT.value: "amount",
    TrackedField.CLOSE_DATE.value: "close_date",
    TrackedField.FORECAST_CATEGORY.value: "forecast_category",
    TrackedField.OWNER.value: "owner_id",
}
HISTORY_COLUMNS: Final = (
    "opportunity_id",
    "field",
    "old_value",
    "new_value",
    "changed_at",
    "changed_by_id",
    "source",
)
STAGE_FRAME: Final = {
    "name": pl.String(),
    "default_probability": pl.Decimal(38, 4),
    "forecast_category": pl.String(),
    "status": pl.String(),
}


def plan_stages(planner: Planner, proposed: pl.DataFrame, stored: pl.DataFrame) -> ObjectPlan:
    """Create the stages found in the data when there are none; else leave them alone."""
    spec = SPECS["stages"]
    if not stored.is_empty() or proposed.is_empty():
        empty = proposed.clear() if not proposed.is_empty() else pl.DataFrame()
        return ObjectPlan("stages", "stages", empty, pl.DataFrame(), pl.DataFrame(), ObjectCounts())
    probability = pl.col("default_probability")
    planner.report(
        flag(
            proposed,
            (probability < 0) | (probability > 100),
            object="stages",
            column="default_probability",
            reason="probability outside 0-100",
        )
    )
    return planner.plan(spec, proposed)


def stage_table(stored: pl.DataFrame, plan: ObjectPlan) -> pl.DataFrame:
    """(name, default_probability, forecast_category, status) of every stage after the import."""
    parts = [
        f.select(list(STAGE_FRAME)).cast(pl.Schema(STAGE_FRAME))
        for f in (stored, plan.creates)
        if not f.is_empty()
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=STAGE_FRAME)


def plan_opportunities(
    planner: Planner, staged: pl.DataFrame, stages: pl.DataFrame, source: str
) -> ObjectPlan:
    """Plan opportunities: unknown stages rejected, stage defaults filled, changes recorded."""
    if "stage" in staged.columns:
        unknown = pl.col("stage").is_not_null() & ~pl.col("stage").is_in(stages["name"].implode())
        planner.report(
            flag(staged, unknown, object="opportunities", column="stage", reason="unknown stage")
        )
    plan = planner.plan(SPECS["opportunities"], staged)
    plan.creates = _stage_defaults(plan.creates, stages, planner)
    existing = planner.existing["opportunities"]
    plan.updates = _closing(plan.updates, existing, stages, planner)
    plan.history = tracked_changes(plan.updates, existing, planner, f"import:{source}")
    return plan


def _stage_defaults(creates: pl.DataFrame, stages: pl.DataFrame, planner: Planner) -> pl.DataFrame:
    if creates.is_empty():
        return creates
    info = stages.select(
        pl.col("name").alias("stage"),
        pl.col("default_probability").alias("_p"),
        pl.col("forecast_category").alias("_c"),
        (pl.col("status") != StageStatus.OPEN.value).alias("_closed"),
    )
    rules = planner.rules["opportunities"]
    frame = creates.join(info, on="stage", how="left")
    day = (
        pl.col("close_date").cast(UTC_MICROS)
        if "close_date" in frame.columns
        else pl.lit(None, UTC_MICROS)
    )
    closing = pl.when(pl.col("_closed")).then(pl.coalesce(day, pl.lit(planner.at, UTC_MICROS)))
    return frame.with_columns(
        _filled(frame, "probability", pl.col("_p")).cast(rules["probability"].dtype),
        _filled(frame, "forecast_category", pl.col("_c")),
        _filled(frame, "closed_at", closing),
    ).drop("_p", "_c", "_closed")


def _filled(frame: pl.DataFrame, column: str, default: pl.Expr) -> pl.Expr:
    own = pl.col(column) if column in frame.columns else pl.lit(None)
    return pl.coalesce(own, default).alias(column)


def _closing(
    updates: pl.DataFrame, existing: pl.DataFrame, stages: pl.DataFrame, planner: Planner
) -> pl.DataFrame:
    """A stage change moves closed_at when the source does not give it."""
    if updates.is_empty() or "stage" not in updates.columns or "closed_at" in updates.columns:
        return updates
    closed = stages.filter(pl.col("status") != StageStatus.OPEN.value)["name"]
    before = existing.select("id", pl.col("closed_at").alias("_was"))
    frame = updates.join(before, on="id", how="left")
    now = pl.lit(planner.at, UTC_MICROS)
    moment = pl.when(pl.col("stage").is_in(closed.implode())).then(pl.coalesce("_was", now))
    return frame.with_columns(moment.alias("closed_at")).drop("_was")


def _text(field: str, value: pl.Expr) -> pl.Expr:
    """A value as history text: amounts at the column's four places, ISO dates, ids."""
    if field == TrackedField.AMOUNT.value:
        return value.cast(pl.Decimal(38, 4)).cast(pl.String)
    return value.cast(pl.String)


def tracked_changes(
    updates: pl.DataFrame, existing: pl.DataFrame, planner: Planner, source: str
) -> pl.DataFrame:
    """One history row per tracked field that an update changes (old: stored, new: file)."""
    parts = []
    for field, column in TRACKED.items():
        if updates.is_empty() or column not in updates.columns:
            continue
        old = existing.select("id", pl.col(column).alias("_old"))
        rows = updates.select("id", pl.col(column).alias("_new")).join(old, on="id", how="left")
        parts.append(
            rows.filter(~pl.col("_new").eq_missing(pl.col("_old"))).select(
                pl.col("id").alias("opportunity_id"),
                pl.lit(field).alias("field"),
                _text(field, pl.col("_old")).alias("old_value"),
                _text(field, pl.col("_new")).alias("new_value"),
                pl.lit(planner.at, UTC_MICROS).alias("changed_at"),
                pl.lit(None, pl.Int64).alias("changed_by_id"),
                pl.lit(source).alias("source"),
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def plan_history(
    planner: Planner,
    parts: Iterable[pl.DataFrame],
    *,
    stages: pl.DataFrame,
    source: str,
    watermarks: pl.DataFrame,
    synthetic: pl.DataFrame,
    sink: Callable[[pl.DataFrame], Path] | None = None,
    categories: bool = False,
    partitions: int = 1,
) -> ObjectPlan:
    """Validate source history rows, drop those already stored, merge import-time changes.

    The rows come in parts (each holding every row of its opportunities). With `sink`, each
    part's rows to create are handed to it (written to disk) instead of being kept in memory.
    With `categories`, stage changes also record the forecast categories their stages imply
    (`implied_categories`). Parts from a spill carry `_part`, their partition of `partitions`.
    """
    refs = _HistoryRefs.of(planner, partitions)
    wanted = synthetic["opportunity_id"].unique().implode() if synthetic.height else None
    kept, lasts, spilled = [], [], []
    counts = ObjectCounts()
    for part in parts:
        staged = with_implied_categories(part, stages) if categories else part
        rows, skipped, bad = _plan_part(
            planner, staged, refs=refs, stages=stages, source=source, watermarks=watermarks
        )
        if wanted is not None:
            lasts.append(_last_values(rows.filter(pl.col("opportunity_id").is_in(wanted))))
        if sink is not None and rows.height:
            spilled.append(sink(rows))
        else:
            kept.append(rows)
        counts.created += rows.height
        counts.unchanged += skipped
        counts.rejected += bad
    extra = _uncovered(synthetic, lasts)
    counts.created += extra.height
    creates = [f.select(HISTORY_COLUMNS) for f in (*kept, extra) if f.height]
    rows = pl.concat(creates, how="vertical_relaxed") if creates else pl.DataFrame()
    empty = pl.DataFrame()
    return ObjectPlan("history", "opportunity_history", rows, empty, empty, counts,
                      spilled=spilled)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _HistoryRefs:
    """What resolving history rows needs, computed once for every part."""

    opportunities: dict[int | None, pl.DataFrame]
    seen: pl.Series
    users: pl.DataFrame
    known_bad: pl.DataFrame

    @classmethod
    def of(cls, planner: Planner, partitions: int) -> _HistoryRefs:
        """The id maps (opportunities split as the spill splits history), users, known errors."""
        opps = planner.lookup("opportunities")
        ids = opps.keys().rename({"_key": "opportunity", "_id": "opportunity_id"})
        split: dict[int | None, pl.DataFrame] = {None: ids}
        if partitions > 1:
            tagged = ids.with_columns(partition_of(pl.col("opportunity"), partitions).alias(PART))
            for (part,), rows in tagged.partition_by(PART, as_dict=True).items():
                split[int(part)] = rows.drop(PART)
        known = error_rows(planner.all_problems(), "history")
        return cls(split, opps.seen, planner.lookup("users").keys(), known)

    def ids(self, staged: pl.DataFrame) -> pl.DataFrame:
        """The opportunity ids a part can refer to (its partition's, or all)."""
        if PART not in staged.columns or staged.is_empty():
            return self.opportunities[None]
        empty = self.opportunities[None].clear()
        return self.opportunities.get(int(staged[PART][0]), empty)


def _plan_part(
    planner: Planner,
    staged: pl.DataFrame,
    *,
    refs: _HistoryRefs,
    stages: pl.DataFrame,
    source: str,
    watermarks: pl.DataFrame,
) -> tuple[pl.DataFrame, int, int]:
    """One part's rows to create, how many were stored already, and how many were rejected."""
    before = len(planner.found)
    frame = _resolved_history(planner, staged, refs)
    _check_values(planner, frame, stages)
    found = error_rows(concat_problems(planner.found[before:]), "history")
    valid = _whole_histories(planner, frame, pl.concat([refs.known_bad, found]))
    fresh = valid.join(watermarks, on="opportunity_id", how="left").filter(
        pl.col("_last").is_null() | (pl.col("changed_at") > pl.col("_last"))
    )
    rows = fresh.select(
        *(c for c in HISTORY_COLUMNS if c != "source"), pl.lit(source).alias("source")
    )
    return rows, valid.height - fresh.height, frame.height - valid.height


def _whole_histories(planner: Planner, frame: pl.DataFrame, bad: pl.DataFrame) -> pl.DataFrame:
    """The rows of opportunities whose every history row is valid; the others are rejected."""
    bad = bad.unique().with_columns(pl.lit(True).alias("_bad"))
    flagged = frame.join(bad, on=["_file", "_row"], how="left")
    spoiled = flagged.filter(pl.col("_bad").fill_null(False))["opportunity"].unique().implode()
    cascade = pl.col("opportunity").is_in(spoiled) & pl.col("_bad").is_null()
    planner.report(
        flag(flagged, cascade, object="history", column="OpportunityId",
             reason="another history row of this opportunity was rejected",
             value=pl.col("opportunity"))
    )  # fmt: skip
    return flagged.filter(~pl.col("opportunity").is_in(spoiled)).drop("_bad")


def _resolved_history(planner: Planner, staged: pl.DataFrame, refs: _HistoryRefs) -> pl.DataFrame:
    """Opportunity, author and owner-value references turned into RevDesk ids."""
    frame = staged.drop(PART, strict=False).join(refs.ids(staged), on="opportunity", how="left")
    missing = frame.filter(pl.col("opportunity_id").is_null())
    if missing.height:
        reason = (
            pl.when(pl.col("opportunity").is_in(refs.seen.implode()))
            .then(pl.lit("refers to a rejected opportunity"))
            .otherwise(pl.lit("reference to a missing opportunity"))
        )
        planner.report(
            flag(missing, pl.lit(True), object="history", column="OpportunityId",
                 reason=reason, value=pl.col("opportunity"))
        )  # fmt: skip
    planner.report(
        flag(frame, pl.col("changed_at").is_null() & pl.col("field").is_not_null(),
             object="history", column="CreatedDate", reason="missing value"),
    )  # fmt: skip
    return _owner_values(planner, _authors(planner, frame, refs.users), refs.users)


def _authors(planner: Planner, frame: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    """Who made each change, as a user id; an unknown author is left empty (a warning)."""
    if "changed_by" not in frame.columns:
        return frame.with_columns(pl.lit(None, pl.Int64).alias("changed_by_id"))
    authors = users.rename({"_key": "changed_by", "_id": "changed_by_id"})
    frame = frame.join(authors, on="changed_by", how="left")
    unknown = pl.col("changed_by").is_not_null() & pl.col("changed_by_id").is_null()
    planner.report(
        flag(frame, unknown, object="history", column="CreatedById",
             reason="author is not a known user: left empty", severity=Severity.WARNING)
    )  # fmt: skip
    return frame


def _owner_values(planner: Planner, frame: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    ids = users.select(pl.col("_key"), pl.col("_id").cast(pl.String))
    owner = pl.col("field") == TrackedField.OWNER.value
    for column in ("old_value", "new_value"):
        frame = frame.join(ids.rename({"_key": column, "_id": f"_{column}"}), on=column, how="left")
        unknown = owner & pl.col(column).is_not_null() & pl.col(f"_{column}").is_null()
        planner.report(
            flag(
                frame, unknown, object="history", column=column, reason="owner is not a known user"
            )
        )
        frame = frame.with_columns(
            pl.when(owner).then(pl.col(f"_{column}")).otherwise(pl.col(column)).alias(column)
        ).drop(f"_{column}")
    return frame


def _check_values(planner: Planner, frame: pl.DataFrame, stages: pl.DataFrame) -> None:
    """Fields must be tracked ones and values must fit them (stages defined, numbers, dates)."""
    field = pl.col("field")
    planner.report(
        flag(
            frame,
            ~field.is_in(list(TRACKED)),
            object="history",
            column="field",
            reason="not a tracked field",
        )
    )
    names = stages["name"].implode()
    categories = [c.value for c in ForecastCategory]
    for column in ("old_value", "new_value"):
        value = pl.col(column)
        wrong = value.is_not_null() & (
            ((field == "stage") & ~value.is_in(names))
            | ((field == "forecast_category") & ~value.is_in(categories))
            | ((field == "amount") & value.cast(pl.Decimal(38, 4), strict=False).is_null())
            | ((field == "close_date") & value.str.to_date("%Y-%m-%d", strict=False).is_null())
            | (value.str.len_chars() > 255)
        )
        planner.report(
            flag(
                frame,
                wrong,
                object="history",
                column=column,
                reason="value does not fit the field (unknown stage, not a number or "
                "date, or too long)",
            )
        )


def _last_values(rows: pl.DataFrame) -> pl.DataFrame:
    """(opportunity_id, field, _last): the value each field's latest new row ends in."""
    return rows.group_by("opportunity_id", "field").agg(
        pl.col("new_value").sort_by("changed_at", maintain_order=True).last().alias("_last")
    )


def _uncovered(synthetic: pl.DataFrame, lasts: list[pl.DataFrame]) -> pl.DataFrame:
    """Import-time changes not already described by new source rows ending in the same value."""
    lasts = [f for f in lasts if f.height]
    if synthetic.is_empty() or not lasts:
        return synthetic
    joined = synthetic.join(pl.concat(lasts), on=["opportunity_id", "field"], how="left")
    return joined.filter(~pl.col("_last").eq_missing(pl.col("new_value"))).drop("_last")
