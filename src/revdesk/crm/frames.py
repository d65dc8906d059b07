"""Read the CRM into Polars frames for the columnar, read-side analytics.

The frames follow the contracts in `revdesk.crm.asof` (OPPORTUNITY_SCHEMA, HISTORY_SCHEMA), so
any frame read here can be reconstructed as of a past moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import polars as pl
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from revdesk.core.fx import ExchangeRate, RateTable
from revdesk.crm.asof import MONEY, UTC_MICROS
from revdesk.crm.tables import ExchangeRateRow, Opportunity, OpportunityHistory, Stage

OPPORTUNITY_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "external_id": pl.String(),
    "account_id": pl.Int64(),
    "owner_id": pl.Int64(),
    "name": pl.String(),
    "type": pl.String(),
    "stage": pl.String(),
    "amount": MONEY,
    "currency": pl.String(),
    "close_date": pl.Date(),
    "forecast_category": pl.String(),
    "created_at": UTC_MICROS,
    "closed_at": UTC_MICROS,
    "last_activity_at": UTC_MICROS,
}
HISTORY_FRAME: Final[Mapping[str, pl.DataType]] = {
    "id": pl.Int64(),
    "opportunity_id": pl.Int64(),
    "field": pl.String(),
    "old_value": pl.String(),
    "new_value": pl.String(),
    "changed_at": UTC_MICROS,
    "changed_by_id": pl.Int64(),
}
STAGE_FRAME: Final[Mapping[str, pl.DataType]] = {
    "name": pl.String(),
    "sort_order": pl.Int64(),
    "status": pl.String(),
    "forecast_category": pl.String(),
    "default_probability": pl.Decimal(38, 2),
}


def _frame(session: Session, query: Select[Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    rows = session.execute(query).all()
    return pl.DataFrame(rows, schema=dict(schema), orient="row")


def opportunities(session: Session) -> pl.DataFrame:
    """Every opportunity's current state."""
    columns = [getattr(Opportunity, name) for name in OPPORTUNITY_FRAME]
    return _frame(session, select(*columns).order_by(Opportunity.id), OPPORTUNITY_FRAME)


def history(session: Session) -> pl.DataFrame:
    """Every field-history row, in insertion order."""
    columns = [getattr(OpportunityHistory, name) for name in HISTORY_FRAME]
    return _frame(session, select(*columns).order_by(OpportunityHistory.id), HISTORY_FRAME)


def stages(session: Session) -> pl.DataFrame:
    """Stage definitions in pipeline order."""
    columns = [getattr(Stage, name) for name in STAGE_FRAME]
    return _frame(session, select(*columns).order_by(Stage.sort_order), STAGE_FRAME)


def rate_table(session: Session, base: str) -> RateTable:
    """Every stored exchange rate against `base`."""
    rows = session.scalars(select(ExchangeRateRow).where(ExchangeRateRow.base == base)).all()
    return RateTable(base, (ExchangeRate(r.currency, r.base, r.valid_from, r.rate) for r in rows))
