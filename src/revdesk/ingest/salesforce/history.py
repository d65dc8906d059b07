"""Salesforce opportunity history as field changes.

OpportunityHistory holds one snapshot (stage, amount, close date, forecast category) per change.
Per opportunity, ordered by CreatedDate then Id, each snapshot is compared with the previous
one: every field that differs becomes a change with the old and new value; the first snapshot's
fields are changes from null. Snapshots with a bad value are reported and left out of the
comparison. OpportunityFieldHistory rows are field changes already (Field, OldValue, NewValue);
they supply the owner changes, and every tracked field when OpportunityHistory is absent.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from revdesk.ingest.convert import Converter, history_value
from revdesk.ingest.model import error_rows
from revdesk.ingest.salesforce.records import sf_id
from revdesk.ingest.values import forecast_category, salesforce_id

SNAPSHOT_FIELDS: Final = ("stage", "amount", "close_date", "forecast_category")
_FIELD_NAMES: Final = {
    "stagename": "stage",
    "stage": "stage",
    "amount": "amount",
    "closedate": "close_date",
    "close date": "close_date",
    "forecastcategoryname": "forecast_category",
    "forecastcategory": "forecast_category",
    "forecast category": "forecast_category",
    "owner": "owner",
    "ownerid": "owner",
    "opportunity owner": "owner",
}


def snapshots(conv: Converter) -> None:
    """Parse OpportunityHistory rows into one text column per tracked field."""
    sf_id(conv, "opportunity", "OpportunityId", required=True)
    conv.datetime("changed_at", "CreatedDate")
    conv.check(conv.raw("CreatedDate").is_null(), "CreatedDate", "missing value")
    sf_id(conv, "changed_by", "CreatedById")
    row = conv.origin()["_row"].cast(pl.String).str.zfill(12)
    conv.put("_order", conv.raw("Id").fill_null(row))
    conv.text("stage", "StageName")
    if conv.decimal("amount", "Amount", negative=False):
        conv.put("amount", conv.columns["amount"].cast(pl.String))
    if conv.date("close_date", "CloseDate"):
        conv.put("close_date", conv.columns["close_date"].cast(pl.String))
    column = "ForecastCategory" if conv.has("ForecastCategory") else "ForecastCategoryName"
    if conv.has(column):
        values = forecast_category(conv.raw(column))
        conv.check(
            conv.raw(column).is_not_null() & values.is_null(), column, "unknown forecast category"
        )
        conv.put("forecast_category", values)


def marked(snaps: pl.DataFrame, problems: pl.DataFrame) -> pl.DataFrame:
    """The snapshots with `_bad`: true on the rows that have an error."""
    if "_bad" in snaps.columns:
        return snaps
    bad = error_rows(problems, "history").with_columns(pl.lit(True).alias("_bad"))
    return snaps.join(bad, on=["_file", "_row"], how="left").with_columns(
        pl.col("_bad").fill_null(False)
    )


def changes(snaps: pl.DataFrame, problems: pl.DataFrame) -> pl.DataFrame:
    """Consecutive snapshots of each opportunity turned into field changes (columnar).

    After one sort by opportunity, time and id, "the previous snapshot" is simply the previous
    row, unless the row starts a new opportunity: no per-opportunity window is needed. A bad
    snapshot (an error in `problems`, or `_bad`) is left out of the comparison but kept as a
    row without a field, so that planning rejects its opportunity's whole history.
    """
    flagged = marked(snaps, problems)
    ordered = flagged.filter(~pl.col("_bad")).sort(
        "opportunity", "changed_at", "_order", maintain_order=True
    )
    first = ordered["opportunity"].ne_missing(ordered["opportunity"].shift(1))
    ordered = ordered.with_columns(pl.Series("_first", first))
    parts = []
    for field in SNAPSHOT_FIELDS:
        if field not in ordered.columns:
            continue
        previous = pl.when(pl.col("_first")).then(None).otherwise(pl.col(field).shift(1))
        changed = (
            pl.when(pl.col("_first"))
            .then(pl.col(field).is_not_null())
            .otherwise(pl.col("_old").ne_missing(pl.col(field)))
        )
        parts.append(
            ordered.with_columns(previous.alias("_old"))
            .filter(changed)
            .select(
                "opportunity",
                pl.lit(field).alias("field"),
                pl.col("_old").alias("old_value"),
                pl.col(field).alias("new_value"),
                *_TAIL,
            )
        )
    parts.append(_bad_rows(flagged))
    return pl.concat(parts, rechunk=False)


_TAIL: Final = ("changed_at", "changed_by", "_file", "_row")


def _bad_rows(flagged: pl.DataFrame) -> pl.DataFrame:
    """One row per bad snapshot of a known opportunity: no field, no values."""
    return flagged.filter(pl.col("_bad") & pl.col("opportunity").is_not_null()).select(
        "opportunity",
        pl.lit(None, pl.String).alias("field"),
        pl.lit(None, pl.String).alias("old_value"),
        pl.lit(None, pl.String).alias("new_value"),
        *(c if c in flagged.columns else pl.lit(None, pl.String).alias(c) for c in _TAIL),
    )


def field_changes(conv: Converter) -> None:
    """Parse OpportunityFieldHistory rows; values in RevDesk's text form for tracked fields."""
    sf_id(conv, "opportunity", "OpportunityId", required=True)
    conv.datetime("changed_at", "CreatedDate")
    conv.check(conv.raw("CreatedDate").is_null(), "CreatedDate", "missing value")
    sf_id(conv, "changed_by", "CreatedById")
    field = conv.raw("Field").str.to_lowercase().replace_strict(_FIELD_NAMES, default=None)
    conv.put("field", field)
    old = history_value(conv, field, "OldValue", salesforce_id)
    new = history_value(conv, field, "NewValue", salesforce_id)
    conv.put("old_value", old)
    conv.put("new_value", new)


def tracked(frame: pl.DataFrame, only: tuple[str, ...] | None) -> pl.DataFrame:
    """Field-history rows of the tracked fields (of `only` when given), owner ids not names."""
    keep = pl.col("field").is_not_null()
    if only is not None:
        keep = keep & pl.col("field").is_in(list(only))
    # owner changes come twice, as ids and as names: keep the id rows
    ids = pl.col("new_value").str.contains(r"^005[a-zA-Z0-9]{12,15}$").fill_null(True)
    keep = keep & ((pl.col("field") != "owner") | ids)
    return frame.filter(keep).select(
        "opportunity",
        "field",
        "old_value",
        "new_value",
        "changed_at",
        "changed_by",
        "_file",
        "_row",
    )
