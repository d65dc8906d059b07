"""Salesforce Opportunity as canonical rows, and the stage hints found on them.

The hints (StageName, StageSortOrder, Probability, ForecastCategoryName, IsClosed, IsWon) become
stage definitions in `revdesk.ingest.stagedefs` while RevDesk has none.
"""

from __future__ import annotations

import polars as pl

from revdesk.core.clock import utcnow
from revdesk.ingest.convert import Converter, currency
from revdesk.ingest.model import Severity
from revdesk.ingest.read import RawTable
from revdesk.ingest.salesforce.records import custom_fields, sf_id
from revdesk.ingest.stagedefs import HINTS, combos
from revdesk.ingest.values import (
    clean,
    currency_in_amount,
    forecast_category,
    opportunity_type,
    parse_bool,
)


def opportunities(conv: Converter, base_currency: str) -> pl.DataFrame:
    """Opportunity rows; returns the per-stage hints (sort order, probability, category, flags)."""
    _identity(conv)
    sf_id(conv, "account", "AccountId")
    conv.text("account_name", "Account.Name")
    sf_id(conv, "owner", "OwnerId")
    conv.text("owner_name", "Owner.Name")
    conv.text("stage", "StageName", required=True)
    conv.decimal("amount", "Amount", negative=False)
    written = conv.raw("CurrencyIsoCode").fill_null(currency_in_amount(conv.raw("Amount")))
    currency(conv, "currency", "CurrencyIsoCode", base_currency, values=written)
    conv.date("close_date", "CloseDate")
    _categories(conv)
    conv.decimal("probability", "Probability", percent=True)
    conv.text("next_step", "NextStep")
    conv.text("lead_source", "LeadSource")
    conv.datetime("created_at", "CreatedDate")
    if conv.date("last_activity_at", "LastActivityDate"):
        conv.put(
            "last_activity_at", conv.columns["last_activity_at"].cast(pl.Datetime("us", "UTC"))
        )
    if conv.has("Type"):
        kinds = opportunity_type(conv.raw("Type"))
        unknown = conv.raw("Type").is_not_null() & kinds.is_null()
        conv.check(unknown, "Type", "unknown opportunity type: new", severity=Severity.WARNING)
        conv.put("type", kinds)
    _closed_at(conv)
    custom_fields(conv)
    return _hints(conv)


def _identity(conv: Converter) -> None:
    conv.text("name", "Name", required=True)
    if conv.has("Id"):
        sf_id(conv, "external_id", "Id", required=True)
        return
    account = conv.raw("Account.Name").fill_null("")
    key = pl.format("name:{}/{}", account, conv.raw("Name"))
    conv.put("external_id", pl.select(key).to_series())
    first = pl.int_range(0, conv.height, eager=True) == 0
    conv.check(
        first,
        None,
        "no Opportunity ID column: records are matched by account and opportunity name",
        severity=Severity.WARNING,
    )


def _categories(conv: Converter) -> None:
    column = "ForecastCategoryName" if conv.has("ForecastCategoryName") else "ForecastCategory"
    if not conv.has(column):
        return
    values = forecast_category(conv.raw(column))
    conv.check(
        conv.raw(column).is_not_null() & values.is_null(),
        column,
        "unknown forecast category: the stage's default is used",
        severity=Severity.WARNING,
    )
    conv.put("forecast_category", values)


def _closed_at(conv: Converter) -> None:
    """Closed deals closed at the start of their close date (else now); open ones never."""
    if not conv.has("IsClosed"):
        return
    closed = parse_bool(conv.raw("IsClosed")).fill_null(False)
    day = conv.columns.get("close_date", pl.Series([None] * conv.height, dtype=pl.Date))
    moment = day.cast(pl.Datetime("us", "UTC")).fill_null(utcnow())
    conv.put("closed_at", moment.set(~closed, None))


def _hints(conv: Converter) -> pl.DataFrame:
    frame = pl.DataFrame({c: conv.raw(c) for c in HINTS}).with_columns(conv.origin())
    return combos(frame)


def history_hints(table: RawTable) -> pl.DataFrame:
    """Stage hints from history snapshots (they carry no sort order or closed flags)."""
    names = {
        "StageName": "StageName",
        "Probability": "Probability",
        "ForecastCategory": "ForecastCategoryName",
    }
    columns = [
        clean(table.frame[c]).alias(alias) for c, alias in names.items() if c in table.columns
    ]
    frame = table.frame.select(*columns, "_file", "_row")
    if "StageName" not in frame.columns:
        return pl.DataFrame()
    return combos(frame)
