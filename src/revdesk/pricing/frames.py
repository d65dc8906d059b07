"""Many quotes as Polars frames: the shape the columnar economics and the simulation read.

`QuoteFrames` holds four frames. The database reader (`revdesk.pricing.service.quote_frames`)
and `frames_from_views` (for tests and benchmarks built from `QuoteView`s) produce the same
columns:

    quotes   quote_id, currency, start_date, created_on, term_months, billing_frequency,
             payment_terms_days, and the deal facts opportunity_id, opportunity_type, stage,
             account_name, segment, region, industry, owner_id
    lines    quote_id, line_no, product_id, sku, family, recurring, quantity (Decimal 4),
             list_unit_price, net_unit_price, unit_cost, floor_price (Decimal 6)
    ramps    quote_id, line_no, start_month, months, quantity, net_unit_price
    clauses  quote_id, kind, parameters (JSON text)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.pricing.model import QuoteView

__all__ = [
    "CLAUSE_SCHEMA",
    "LINE_SCHEMA",
    "QUOTE_SCHEMA",
    "RAMP_SCHEMA",
    "QuoteFrames",
    "frames_from_views",
]

QUANTITY: Final = pl.Decimal(38, 4)
PRICE: Final = pl.Decimal(38, 6)

QUOTE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "quote_id": pl.Int64(),
    "currency": pl.String(),
    "start_date": pl.Date(),
    "created_on": pl.Date(),
    "term_months": pl.Int64(),
    "billing_frequency": pl.String(),
    "payment_terms_days": pl.Int64(),
    "opportunity_id": pl.Int64(),
    "opportunity_type": pl.String(),
    "stage": pl.String(),
    "account_name": pl.String(),
    "segment": pl.String(),
    "region": pl.String(),
    "industry": pl.String(),
    "owner_id": pl.Int64(),
}
LINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "quote_id": pl.Int64(),
    "line_no": pl.Int64(),
    "product_id": pl.Int64(),
    "sku": pl.String(),
    "family": pl.String(),
    "recurring": pl.Boolean(),
    "quantity": QUANTITY,
    "list_unit_price": PRICE,
    "net_unit_price": PRICE,
    "unit_cost": PRICE,
    "floor_price": PRICE,
}
RAMP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "quote_id": pl.Int64(),
    "line_no": pl.Int64(),
    "start_month": pl.Int64(),
    "months": pl.Int64(),
    "quantity": QUANTITY,
    "net_unit_price": PRICE,
}
CLAUSE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "quote_id": pl.Int64(),
    "kind": pl.String(),
    "parameters": pl.String(),
}


@dataclass(frozen=True, slots=True)
class QuoteFrames:
    """Quotes with their deal facts, lines, ramp periods and clauses (see the module doc)."""

    quotes: pl.DataFrame
    lines: pl.DataFrame
    ramps: pl.DataFrame
    clauses: pl.DataFrame

    def only(self, quote_ids: pl.Series) -> QuoteFrames:
        """Only the quotes (and their rows) whose id is in `quote_ids`."""
        keep = pl.col("quote_id").is_in(quote_ids.implode())
        return QuoteFrames(
            quotes=self.quotes.filter(keep),
            lines=self.lines.filter(keep),
            ramps=self.ramps.filter(keep),
            clauses=self.clauses.filter(keep),
        )


def _json_default(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _quote_row(view: QuoteView) -> tuple[object, ...]:
    deal = view.deal
    return (
        *(view.quote_id, view.currency, view.start_date, view.created_on or view.start_date),
        *(view.term_months, str(view.billing_frequency), view.payment_terms_days),
        *(deal.opportunity_id, deal.opportunity_type, deal.stage, deal.account_name),
        *(deal.segment, deal.region, deal.industry, deal.owner_id),
    )


def frames_from_views(views: Iterable[QuoteView]) -> QuoteFrames:
    """The frames of `views` (each must have a quote id), for tests and benchmarks."""
    quotes: list[tuple[object, ...]] = []
    lines: list[tuple[object, ...]] = []
    ramps: list[tuple[object, ...]] = []
    clauses: list[tuple[object, ...]] = []
    for view in views:
        quotes.append(_quote_row(view))
        for line in view.lines:
            lines.append(
                (
                    *(view.quote_id, line.line_no, line.product_id, line.sku, line.family),
                    *(line.recurring, line.quantity, line.list_unit_price, line.net_unit_price),
                    *(line.unit_cost, line.floor_price),
                )
            )
            ramps.extend(
                (view.quote_id, line.line_no, r.start_month, r.months, r.quantity, r.net_unit_price)
                for r in line.ramps
            )
        clauses.extend(
            (view.quote_id, c.kind, json.dumps(dict(c.parameters), default=_json_default))
            for c in view.clauses
        )
    return QuoteFrames(
        quotes=pl.DataFrame(quotes, schema=QUOTE_SCHEMA, orient="row"),
        lines=pl.DataFrame(lines, schema=LINE_SCHEMA, orient="row"),
        ramps=pl.DataFrame(ramps, schema=RAMP_SCHEMA, orient="row"),
        clauses=pl.DataFrame(clauses, schema=CLAUSE_SCHEMA, orient="row"),
    )
