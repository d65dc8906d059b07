"""The rows of one batch, table by table: opportunities, field history, quotes, lines, clauses.

An opportunity's tracked fields are the last values of its events, and its history is those
events with the previous value as `old_value` (null at creation), so the two agree by
construction. A stage change also writes the forecast category when the category changes, as
`revdesk.crm.service.change_opportunity` does. Values are text exactly as
`revdesk.crm.service.encode_value` writes them: plain decimals, ISO dates, user ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from revdesk.crm.model import OpportunityType
from revdesk.demo.customers import Accounts
from revdesk.demo.defects import copy_names
from revdesk.demo.events import Batch
from revdesk.demo.model import (
    STAGE_CATEGORY,
    STAGE_NAMES,
)
from revdesk.demo.timeline import Ints

FIELD_ORDER = ("stage", "forecast_category", "amount", "close_date", "owner")
CATEGORIES = tuple(dict.fromkeys(c.value for c in STAGE_CATEGORY))
_STAGE_CATEGORY_CODE = {s: CATEGORIES.index(c.value) for s, c in enumerate(STAGE_CATEGORY)}
_KIND = tuple(t.value for t in OpportunityType)
_LABEL = ("New Business", "Expansion", "Renewal")
_SOURCE = "demo"


@dataclass(frozen=True)
class Starts:
    """The first id of each table for this batch."""

    opportunities: int
    opportunity_history: int
    quotes: int
    quote_lines: int
    quote_clauses: int


def opportunity_names(batch: Batch, accounts: Accounts, numbered: Ints) -> tuple[pl.Series, Ints]:
    """'<account> - <type> #<n>' numbered per account across batches; copies near-identical."""
    state = batch.state
    original = state["copy_of"].is_null().to_numpy()
    account = state["account"].to_numpy()
    order = np.flatnonzero(original)[np.argsort(account[original], kind="stable")]
    first = np.searchsorted(account[order], account[order])
    number = np.zeros(state.height, dtype=np.int64)
    number[order] = numbered[account[order]] + np.arange(order.size) - first + 1
    counts = numbered + np.bincount(account[original], minlength=numbered.size)
    label = np.asarray(_LABEL)[state["kind"].to_numpy()]
    base = pl.DataFrame({"company": accounts.name.gather(account), "label": label, "n": number})
    names = base.select(
        pl.concat_str("company", pl.lit(" - "), "label", pl.lit(" #"), pl.col("n").cast(pl.String))
    ).to_series()
    copy_of = state["copy_of"].fill_null(0).to_numpy()
    spoiled = pl.select(
        pl.when(pl.lit(pl.Series(original)))
        .then(pl.lit(names))
        .otherwise(copy_names(pl.lit(names.gather(copy_of)), pl.lit(state["variant"].fill_null(0))))
    ).to_series()
    return spoiled.alias("name"), counts


def _last(events: pl.DataFrame, name: str) -> pl.DataFrame:
    return events.group_by("deal").agg(pl.col("value").sort_by("at").last().alias(name))


def opportunities(batch: Batch, names: pl.Series, starts: Starts) -> pl.DataFrame:
    """The opportunity rows: current values are the last event of each field."""
    events = batch.events
    state = batch.state
    current = state.select("deal").with_columns(name=names)
    for field in ("stage", "amount", "close_date", "owner"):
        current = current.join(_last(events[field], f"_{field}"), on="deal", how="left")
    latest = pl.concat([e.select("deal", "at") for e in events.values()]).group_by("deal").max()
    current = current.join(latest.rename({"at": "_updated"}), on="deal", how="left")
    frame = state.join(current, on="deal").sort("deal")
    return frame.select(
        (pl.col("deal") + starts.opportunities).alias("id"),
        pl.lit(None, dtype=pl.String).alias("external_id"),
        "account_id",
        pl.col("_owner").alias("owner_id"),
        "name",
        pl.col("kind").replace_strict(dict(enumerate(_KIND)), return_dtype=pl.String).alias("type"),
        _stage_name(pl.col("_stage")).alias("stage"),
        (pl.col("_amount").cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"))).alias("amount"),
        "currency",
        _date(pl.col("_close_date")).alias("close_date"),
        _category(pl.col("_stage")).alias("forecast_category"),
        pl.col("probability").cast(pl.Decimal(5, 2)),
        "next_step",
        "lead_source",
        "competitors",
        "lost_reason",
        _utc(pl.col("created")).alias("created_at"),
        _utc(pl.col("closed_at")).alias("closed_at"),
        _utc(pl.col("last_activity")).alias("last_activity_at"),
        _utc(pl.col("_updated")).alias("updated_at"),
        pl.lit("{}").alias("extra"),
        pl.lit(1).alias("version"),
    )


def _stage_name(code: pl.Expr) -> pl.Expr:
    return code.replace_strict(dict(enumerate(STAGE_NAMES)), return_dtype=pl.String)


def _category(code: pl.Expr) -> pl.Expr:
    mapping = {i: c.value for i, c in enumerate(STAGE_CATEGORY)}
    return code.replace_strict(mapping, return_dtype=pl.String)


def _date(day: pl.Expr) -> pl.Expr:
    return day.cast(pl.Int32).cast(pl.Date)


def _utc(micros: pl.Expr) -> pl.Expr:
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _amount_text(value: pl.Expr) -> pl.Expr:
    """Cents as the text of `encode_value`: four decimals ('1234.5000')."""
    whole = (value // 100).cast(pl.String)
    return pl.concat_str(
        whole, pl.lit("."), (value % 100).cast(pl.String).str.zfill(2), pl.lit("00")
    )


def _category_text(code: pl.Expr) -> pl.Expr:
    return code.replace_strict(dict(enumerate(CATEGORIES)), return_dtype=pl.String)


def _date_text(day: pl.Expr) -> pl.Expr:
    return _date(day).cast(pl.String)


def _id_text(user: pl.Expr) -> pl.Expr:
    return user.cast(pl.String)


_TEXT: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "stage": _stage_name,
    "forecast_category": _category_text,
    "amount": _amount_text,
    "close_date": _date_text,
    "owner": _id_text,
}


def _changes(events: pl.DataFrame, field: str) -> pl.DataFrame:
    """One field's events with the previous value; no-op changes dropped; values as text."""
    ordered = events.sort("deal", "at").with_columns(old=pl.col("value").shift(1).over("deal"))
    real = ordered.filter(pl.col("old").is_null() | (pl.col("value") != pl.col("old")))
    encode = _TEXT[field]
    return real.select(
        "deal",
        "at",
        pl.lit(field).alias("field"),
        encode(pl.col("old")).alias("old_value"),
        encode(pl.col("value")).alias("new_value"),
    )


def history(batch: Batch, starts: Starts, sales_ops_id: int) -> pl.DataFrame:
    """Every creation value and change of every tracked field, in time order per deal."""
    events = dict(batch.events)
    events["forecast_category"] = events["stage"].with_columns(
        value=pl.col("value").replace_strict(_STAGE_CATEGORY_CODE, return_dtype=pl.Int64)
    )
    rank = {field: i for i, field in enumerate(FIELD_ORDER)}
    rows = (
        pl.concat([_changes(events[field], field) for field in FIELD_ORDER])
        .with_columns(_rank=pl.col("field").replace_strict(rank, return_dtype=pl.Int64))
        .sort("deal", "at", "_rank")
    )
    rows = _with_changed_by(rows, events["owner"], sales_ops_id)
    return rows.select(
        pl.int_range(starts.opportunity_history, starts.opportunity_history + pl.len()).alias("id"),
        (pl.col("deal") + starts.opportunities).alias("opportunity_id"),
        "field",
        "old_value",
        "new_value",
        _utc(pl.col("at")).alias("changed_at"),
        "changed_by_id",
        pl.lit(_SOURCE).alias("source"),
    )


def owner_at(owners: pl.DataFrame, deal: Ints, at: Ints) -> Ints:
    """The owner of each `deal` at moment `at` (its owner events sorted by time)."""
    asked = pl.DataFrame({"deal": deal, "at": at}).with_row_index("_row")
    found = asked.sort("at").join_asof(
        owners.sort("at"), on="at", by="deal", strategy="backward", check_sortedness=False
    )
    return np.asarray(found.sort("_row")["value"].to_numpy(), dtype=np.int64)


def _with_changed_by(rows: pl.DataFrame, owners: pl.DataFrame, sales_ops_id: int) -> pl.DataFrame:
    """Who made each change: the deal's owner at the time; sales ops for a reassignment."""
    by = owner_at(owners, rows["deal"].to_numpy(), rows["at"].to_numpy())
    reassigned = (pl.col("field") == "owner") & pl.col("old_value").is_not_null()
    return (
        rows.with_columns(changed_by_id=pl.Series(by))
        .with_columns(
            changed_by_id=pl.when(reassigned).then(pl.lit(sales_ops_id)).otherwise("changed_by_id")
        )
        .drop("_rank")
    )
