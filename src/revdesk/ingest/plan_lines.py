"""Planning opportunity line items (Salesforce OpportunityLineItem) as a quote per opportunity.

RevDesk keeps products on quotes, so an opportunity's line items become one quote of that
opportunity (external id `oli:<opportunity id>`, the next free version, a draft, 12 months,
billed annually, starting on the earliest service date or the import date, not primary) whose
lines are the items in SortOrder (then id) order. Re-importing compares the lines: the same
lines leave the quote alone; any difference replaces all of its lines. Like history, an
opportunity's items are taken whole or not at all.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from revdesk.ingest.model import ObjectCounts, error_rows, flag
from revdesk.ingest.plan import ObjectPlan, Planner, fill_defaults
from revdesk.ingest.specs import Spec

LINE_COLUMNS: Final = (
    "line_no", "product_id", "quantity", "list_unit_price", "net_unit_price", "description",
)  # fmt: skip
_QUOTES: Final = Spec("quotes", "quotes", "quote")


def _resolved(planner: Planner, staged: pl.DataFrame) -> pl.DataFrame:
    """Opportunity and product ids; missing ones, and missing quantities or prices, are errors."""
    frame = staged
    for column, target in (("opportunity", "opportunities"), ("product", "products")):
        keys = planner.lookup(target).keys().rename({"_key": column, "_id": f"{column}_id"})
        frame = frame.join(keys, on=column, how="left")
        missing = pl.col(column).is_not_null() & pl.col(f"{column}_id").is_null()
        planner.report(flag(frame, missing, object="line_items", column=column,
                            reason=f"reference to a missing {column}"))  # fmt: skip
    for column in ("quantity", "net_unit_price", "currency"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(column))
        planner.report(flag(frame, pl.col(column).is_null(), object="line_items",
                            column=column, reason="missing value"))  # fmt: skip
    return frame


def _whole(planner: Planner, frame: pl.DataFrame) -> pl.DataFrame:
    """Only the items of opportunities none of whose items has an error."""
    bad = error_rows(planner.all_problems(), "line_items").with_columns(pl.lit(True).alias("_bad"))
    flagged = frame.join(bad, on=["_file", "_row"], how="left")
    spoiled = flagged.filter(pl.col("_bad").fill_null(False))["opportunity"].unique().implode()
    cascade = pl.col("opportunity").is_in(spoiled) & pl.col("_bad").is_null()
    planner.report(flag(flagged, cascade, object="line_items", column="OpportunityId",
                        reason="another item of this opportunity was rejected",
                        value=pl.col("opportunity")))  # fmt: skip
    return flagged.filter(~pl.col("opportunity").is_in(spoiled)).drop("_bad")


def _numbered(valid: pl.DataFrame) -> pl.DataFrame:
    """Each item's line number within its opportunity (SortOrder, then id)."""
    for name, dtype in (("sort", pl.Int64), ("list_unit_price", pl.Decimal(38, 6)),
                        ("description", pl.String), ("start_date", pl.Date)):  # fmt: skip
        if name not in valid.columns:
            valid = valid.with_columns(pl.lit(None, dtype).alias(name))
    ordered = valid.sort("opportunity_id", pl.col("sort").fill_null(10**9), "external_id")
    return ordered.with_columns(
        pl.int_range(1, pl.len() + 1).over("opportunity_id").cast(pl.Int64).alias("line_no"),
        pl.coalesce("list_unit_price", "net_unit_price").alias("list_unit_price"),
        pl.format("oli:{}", "opportunity_id").alias("quote_key"),
    )


def _heads(items: pl.DataFrame, quotes: pl.DataFrame) -> pl.DataFrame:
    """One row per quote the items make: its deal, start, currency, and stored id if any."""
    known = quotes.select(pl.col("external_id").alias("quote_key"), pl.col("id").alias("quote_id"),
                          "row_version")  # fmt: skip
    return (
        items.group_by("quote_key", maintain_order=True)
        .agg(
            pl.col("opportunity_id").first(),
            pl.col("start_date").min(),
            pl.col("currency").drop_nulls().first(),
        )
        .join(known, on="quote_key", how="left")
    )


def plan_lines(
    planner: Planner, staged: pl.DataFrame, *, quotes: pl.DataFrame, lines: pl.DataFrame
) -> tuple[ObjectPlan, ObjectPlan]:
    """The quotes to create or touch, and the lines to write (replacing changed quotes' lines)."""
    items = _numbered(_whole(planner, _resolved(planner, staged)))
    heads = _heads(items, quotes)
    created = _new_quotes(planner, heads.filter(pl.col("quote_id").is_null()), quotes)
    ids = pl.concat([heads.filter(pl.col("quote_id").is_not_null()).select("quote_key", "quote_id"),
                     created.select(pl.col("external_id").alias("quote_key"),
                                    pl.col("id").alias("quote_id"))])  # fmt: skip
    new_lines = items.join(ids, on="quote_key").select("quote_id", *LINE_COLUMNS)
    changed = _changed_quotes(new_lines, lines, heads)
    rewritten = pl.col("quote_id").is_in(changed.implode())
    write = new_lines.filter(rewritten | pl.col("quote_id").is_in(created["id"].implode()))
    touched = heads.filter(rewritten).select(
        pl.col("quote_id").alias("id"),
        pl.lit(planner.at, pl.Datetime("us", "UTC")).alias("updated_at"),
        (pl.col("row_version") + 1).alias("row_version"),
    )
    empty = pl.DataFrame()
    unchanged = heads.height - created.height - touched.height
    quote_counts = ObjectCounts(created.height, touched.height, unchanged, 0)
    rejected = staged.height - items.height
    line_counts = ObjectCounts(write.height, 0, items.height - write.height, rejected)
    quote_plan = ObjectPlan("quotes", "quotes", created, touched, empty, quote_counts)
    line_plan = ObjectPlan("line_items", "quote_lines", write, empty, empty, line_counts)
    line_plan.clear = changed
    return quote_plan, line_plan


def _new_quotes(planner: Planner, heads: pl.DataFrame, quotes: pl.DataFrame) -> pl.DataFrame:
    """Quote rows for opportunities that have no imported quote yet (the next free version)."""
    if heads.is_empty():
        return pl.DataFrame(schema={"id": pl.Int64, "external_id": pl.String})
    latest = quotes.group_by("opportunity_id").agg(pl.col("version").max().alias("_v"))
    span = planner.reserve("quotes", heads.height)
    frame = heads.join(latest, on="opportunity_id", how="left").select(
        pl.int_range(span.start, span.stop, dtype=pl.Int64, eager=True).alias("id"),
        pl.col("quote_key").alias("external_id"),
        "opportunity_id",
        (pl.col("_v").fill_null(0) + 1).cast(pl.Int64).alias("version"),
        "currency",
        pl.col("start_date").fill_null(planner.at.date()).alias("start_date"),
        pl.lit(12, pl.Int64).alias("term_months"),
        pl.lit("annual").alias("billing_frequency"),
    )
    return fill_defaults(frame, _QUOTES, planner.rules["quotes"], planner.at)


def _changed_quotes(new: pl.DataFrame, stored: pl.DataFrame, heads: pl.DataFrame) -> pl.Series:
    """Ids of existing quotes whose lines differ in any way from the items."""
    existing = heads.filter(pl.col("row_version").is_not_null())["quote_id"]
    if existing.is_empty():
        return pl.Series("quote_id", [], dtype=pl.Int64)
    ours = new.filter(pl.col("quote_id").is_in(existing.implode()))
    theirs = (
        stored.filter(pl.col("quote_id").is_in(existing.implode()))
        .select("quote_id", *LINE_COLUMNS)
        .cast(ours.schema)
    )
    differ = pl.concat(
        [
            ours.join(theirs, on=list(ours.columns), how="anti", nulls_equal=True),
            theirs.join(ours, on=list(ours.columns), how="anti", nulls_equal=True),
        ]
    )
    return differ["quote_id"].unique().alias("quote_id")
