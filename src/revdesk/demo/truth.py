"""The hygiene defect definitions, stated on stored records as of a day: the ground truth.

`defects_as_of` finds every defect the generator injects, by definition only, so that a test can
check that the recorded ground truth (`demo_defects`) is exactly what the definitions find, and a
hygiene rule can be scored against it. All definitions concern open deals except the last:

- past_close_date: close_date earlier than today;
- stale: last_activity_at null or earlier than today's midnight (UTC) minus `stale_after_days`;
- missing_next_step: next_step null or blank;
- missing_amount: amount null;
- duplicate: another open deal of the same account, created at most `window_days` before it
  (ties broken by lower id), has the same normalised name (lower case, punctuation as spaces,
  single spaces, trailing words "copy" and "duplicate" dropped) and an amount within 10% of
  the earlier deal's; detail = the earliest such deal's id;
- probability_mismatch: probability more than 10 points away from the stage's default;
- orphan_contact: a contact with no account.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from revdesk.demo.defects import normalised_name

OPPORTUNITY_COLUMNS = (
    "id",
    "account_id",
    "name",
    "status",
    "amount",
    "close_date",
    "probability",
    "default_probability",
    "next_step",
    "created_at",
    "last_activity_at",
)
"""Columns `defects_as_of` needs of each opportunity (status: open, won or lost)."""
TRUTH_SCHEMA: dict[str, pl.DataType] = {
    "entity": pl.String(),
    "entity_id": pl.Int64(),
    "kind": pl.String(),
    "detail": pl.String(),
}


def _found(frame: pl.DataFrame, kind: str, detail: pl.Expr | None = None) -> pl.DataFrame:
    return frame.select(
        pl.lit("opportunity").alias("entity"),
        pl.col("id").cast(pl.Int64).alias("entity_id"),
        pl.lit(kind).alias("kind"),
        (detail if detail is not None else pl.lit(None)).cast(pl.String).alias("detail"),
    )


def defects_as_of(
    opportunities: pl.DataFrame,
    contacts: pl.DataFrame,
    today: date,
    *,
    stale_after_days: int = 30,
    window_days: int = 14,
) -> pl.DataFrame:
    """Every (entity, id, kind, detail) defect as of `today`, sorted."""
    open_deals = opportunities.filter(pl.col("status") == "open")
    midnight = datetime.combine(today, time.min, tzinfo=UTC)
    stale_before = midnight - timedelta(days=stale_after_days)
    gap = (pl.col("probability") - pl.col("default_probability")).abs()
    parts = [
        _found(open_deals.filter(pl.col("close_date") < today), "past_close_date"),
        _found(
            open_deals.filter(
                pl.col("last_activity_at").is_null() | (pl.col("last_activity_at") < stale_before)
            ),
            "stale",
        ),
        _found(
            open_deals.filter(pl.col("next_step").fill_null("").str.strip_chars() == ""),
            "missing_next_step",
        ),
        _found(open_deals.filter(pl.col("amount").is_null()), "missing_amount"),
        _duplicates(open_deals, window_days),
        _found(open_deals.filter(gap > 10), "probability_mismatch"),
        contacts.filter(pl.col("account_id").is_null()).select(
            pl.lit("contact").alias("entity"),
            pl.col("id").cast(pl.Int64).alias("entity_id"),
            pl.lit("orphan_contact").alias("kind"),
            pl.lit(None, dtype=pl.String).alias("detail"),
        ),
    ]
    return pl.concat(parts).cast(pl.Schema(TRUTH_SCHEMA)).sort("entity", "kind", "entity_id")


def _duplicates(open_deals: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """Later deals that repeat an earlier open deal of the same account."""
    keyed = open_deals.filter(pl.col("amount").is_not_null()).select(
        "id",
        "account_id",
        "created_at",
        pl.col("amount").cast(pl.Float64),
        normalised_name(pl.col("name")).alias("key"),
    )
    pairs = keyed.join(keyed, on=["account_id", "key"], suffix="_original")
    earlier = (pl.col("created_at_original") < pl.col("created_at")) | (
        (pl.col("created_at_original") == pl.col("created_at"))
        & (pl.col("id_original") < pl.col("id"))
    )
    close_in_time = pl.col("created_at") - pl.col("created_at_original") <= timedelta(
        days=window_days
    )
    close_in_amount = (pl.col("amount") - pl.col("amount_original")).abs() <= 0.1 * pl.col(
        "amount_original"
    )
    found = pairs.filter(earlier & close_in_time & close_in_amount)
    first = found.sort("created_at_original", "id_original").unique("id", keep="first")
    return _found(first, "duplicate", pl.col("id_original"))
