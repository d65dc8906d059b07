"""Read quotes from the CRM as `QuoteView`s (one quote) or as frames (many quotes).

The CRM has no quote service yet, so this module reads its quote tables directly; it is the one
place outside `revdesk.crm` that does, and the only one to change if the tables move.

Unit cost and floor price come from the price book entry of the line's product in the quote's
currency, in the quote's price book, or in the standard book when the quote names none.
Missing deal facts (no account, no segment) become empty text, as `DealFacts` documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.core.errors import NotFound
from revdesk.crm.frames import read_frame
from revdesk.crm.tables import (
    Account,
    Opportunity,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteClause,
    QuoteLine,
    QuoteLineRamp,
)
from revdesk.pricing.frames import (
    CLAUSE_SCHEMA,
    LINE_SCHEMA,
    QUOTE_SCHEMA,
    RAMP_SCHEMA,
    QuoteFrames,
)
from revdesk.pricing.model import ClauseView, DealFacts, LineView, QuoteView, RampPeriod

__all__ = ["get_quote_view_or_raise", "quote_frames"]


def _standard_book(session: Session) -> int | None:
    return session.scalar(select(PriceBook.id).where(PriceBook.is_standard).order_by(PriceBook.id))


def _entries(
    session: Session, book: int | None, currency: str, products: list[int]
) -> dict[int, PriceBookEntry]:
    if book is None:
        return {}
    rows = session.scalars(
        select(PriceBookEntry).where(
            PriceBookEntry.price_book_id == book,
            PriceBookEntry.currency == currency,
            PriceBookEntry.product_id.in_(products),
        )
    )
    return {row.product_id: row for row in rows}


def _line(row: QuoteLine, product: Product, entry: PriceBookEntry | None) -> LineView:
    return LineView(
        line_no=row.line_no,
        sku=product.sku,
        family=product.family or "",
        product_id=product.id,
        recurring=product.recurring,
        quantity=row.quantity,
        list_unit_price=row.list_unit_price,
        net_unit_price=row.net_unit_price,
        unit_cost=entry.unit_cost if entry else None,
        floor_price=entry.floor_price if entry else None,
        ramps=tuple(
            RampPeriod(r.start_month, r.months, r.quantity, r.net_unit_price) for r in row.ramps
        ),
    )


def _deal(session: Session, opportunity_id: int) -> DealFacts:
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        return DealFacts()
    account = session.get(Account, opportunity.account_id) if opportunity.account_id else None
    return DealFacts(
        opportunity_id=opportunity.id,
        opportunity_type=str(opportunity.type),
        stage=opportunity.stage,
        account_name=account.name if account else "",
        segment=str(account.segment or "") if account else "",
        region=(account.region or "") if account else "",
        industry=(account.industry or "") if account else "",
        owner_id=opportunity.owner_id,
    )


def get_quote_view_or_raise(session: Session, quote_id: int) -> QuoteView:
    """The quote with its lines, ramps, clauses, prices and deal facts, or NotFound."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"quote {quote_id} does not exist")
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_([line.product_id for line in quote.lines]))
        )
    }
    book = quote.price_book_id or _standard_book(session)
    entries = _entries(session, book, quote.currency, list(products))
    return QuoteView(
        quote_id=quote.id,
        currency=quote.currency,
        start_date=quote.start_date,
        term_months=quote.term_months,
        billing_frequency=quote.billing_frequency,
        payment_terms_days=quote.payment_terms_days,
        lines=tuple(
            _line(row, products[row.product_id], entries.get(row.product_id)) for row in quote.lines
        ),
        clauses=tuple(
            ClauseView(str(c.kind), MappingProxyType(dict(c.parameters)), c.text or "")
            for c in quote.clauses
        ),
        deal=_deal(session, quote.opportunity_id),
        created_on=quote.created_at.date(),
    )


# -- many quotes as frames ------------------------------------------------------------------

_QUOTE = {
    "id": pl.Int64(),
    "opportunity_id": pl.Int64(),
    "version": pl.Int64(),
    "status": pl.String(),
    "currency": pl.String(),
    "start_date": pl.Date(),
    "term_months": pl.Int64(),
    "billing_frequency": pl.String(),
    "payment_terms_days": pl.Int64(),
    "is_primary": pl.Boolean(),
    "price_book_id": pl.Int64(),
    "created_at": pl.Datetime("us", "UTC"),
}
_LINE = {
    "id": pl.Int64(),
    "quote_id": pl.Int64(),
    "line_no": pl.Int64(),
    "product_id": pl.Int64(),
    "quantity": pl.Decimal(38, 4),
    "list_unit_price": pl.Decimal(38, 6),
    "net_unit_price": pl.Decimal(38, 6),
}
_RAMP = {
    "id": pl.Int64(),
    "line_id": pl.Int64(),
    "start_month": pl.Int64(),
    "months": pl.Int64(),
    "quantity": pl.Decimal(38, 4),
    "net_unit_price": pl.Decimal(38, 6),
}
_CLAUSE = {"id": pl.Int64(), "quote_id": pl.Int64(), "kind": pl.String(), "parameters": pl.String()}
_PRODUCT = {"id": pl.Int64(), "sku": pl.String(), "family": pl.String(), "recurring": pl.Boolean()}
_ENTRY = {
    "price_book_id": pl.Int64(),
    "product_id": pl.Int64(),
    "currency": pl.String(),
    "floor_price": pl.Decimal(38, 6),
    "unit_cost": pl.Decimal(38, 6),
}
_OPPORTUNITY = {
    "id": pl.Int64(),
    "account_id": pl.Int64(),
    "owner_id": pl.Int64(),
    "type": pl.String(),
    "stage": pl.String(),
}
_ACCOUNT = {
    "id": pl.Int64(),
    "name": pl.String(),
    "segment": pl.String(),
    "region": pl.String(),
    "industry": pl.String(),
}


def _table(
    session: Session, table: object, schema: Mapping[str, pl.DataType], where: object = None
) -> pl.DataFrame:
    return read_frame(session, table, schema, where=where)  # type: ignore[arg-type]


def quote_frames(session: Session, *, since: datetime | None = None) -> QuoteFrames:
    """Every quote created at or after `since` (all when None) as frames, read in bulk."""
    chosen = Quote.__table__.c.created_at >= since if since is not None else None
    quotes = _table(session, Quote.__table__, _QUOTE, chosen)
    ids = select(Quote.id).where(chosen) if chosen is not None else select(Quote.id)
    raw_lines = _table(session, QuoteLine.__table__, _LINE, QuoteLine.quote_id.in_(ids))
    line_ids = select(QuoteLine.id).where(QuoteLine.quote_id.in_(ids))
    ramps = _table(session, QuoteLineRamp.__table__, _RAMP, QuoteLineRamp.line_id.in_(line_ids))
    clauses = _table(session, QuoteClause.__table__, _CLAUSE, QuoteClause.quote_id.in_(ids))
    quotes = _with_deals(session, quotes)
    lines = _with_products(session, raw_lines, quotes)
    keys = raw_lines.select(pl.col("id").alias("line_id"), "quote_id", "line_no")
    extra = ["version", "status", "is_primary", "created_at"]
    return QuoteFrames(
        quotes=quotes.select(*QUOTE_SCHEMA, *extra),
        lines=lines.select(*LINE_SCHEMA),
        ramps=ramps.join(keys, on="line_id", how="inner").select(*RAMP_SCHEMA),
        clauses=clauses.with_columns(pl.col("parameters").fill_null("{}")).select(*CLAUSE_SCHEMA),
    )


def _with_deals(session: Session, quotes: pl.DataFrame) -> pl.DataFrame:
    opportunities = _table(session, Opportunity.__table__, _OPPORTUNITY)
    accounts = _table(session, Account.__table__, _ACCOUNT).rename(
        {"id": "account_id", "name": "account_name"}
    )
    deals = opportunities.rename({"id": "opportunity_id", "type": "opportunity_type"}).join(
        accounts, on="account_id", how="left"
    )
    text = ["opportunity_type", "stage", "account_name", "segment", "region", "industry"]
    joined = quotes.rename({"id": "quote_id"}).join(deals, on="opportunity_id", how="left")
    return joined.with_columns(
        pl.col(text).fill_null(""), pl.col("created_at").dt.date().alias("created_on")
    ).drop("account_id")


def _with_products(session: Session, lines: pl.DataFrame, quotes: pl.DataFrame) -> pl.DataFrame:
    products = _table(session, Product.__table__, _PRODUCT).rename({"id": "product_id"})
    entries = _table(session, PriceBookEntry.__table__, {"id": pl.Int64(), **_ENTRY}).drop("id")
    standard = _standard_book(session)
    books = quotes.select(
        "quote_id",
        pl.col("price_book_id").fill_null(standard).alias("price_book_id"),
        "currency",
    )
    priced = (
        lines.drop("id")
        .join(books, on="quote_id", how="left")
        .join(products, on="product_id", how="left")
        .join(entries, on=["price_book_id", "product_id", "currency"], how="left")
    )
    return priced.with_columns(pl.col("family").fill_null("")).drop("price_book_id", "currency")
