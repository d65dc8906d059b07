"""SQLAlchemy mappings of the revenue data core.

Every table that data is imported into carries an `external_id` (the id in the source system) so
that re-imports upsert instead of duplicating. Money is an `Amount` plus an ISO currency column;
timestamps are `UTCDateTime`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from revdesk.core.clock import utcnow
from revdesk.crm.model import (
    BillingFrequency,
    BuyingRole,
    ClauseKind,
    ForecastCategory,
    OpportunityType,
    QuoteStatus,
    Role,
    Segment,
    StageStatus,
    TrackedField,
)
from revdesk.db.base import Base
from revdesk.db.types import Amount, UTCDateTime, enum_column


class Team(Base):
    """A sales team; teams nest (region > team)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    region: Mapped[str | None] = mapped_column(String(60))
    segment: Mapped[Segment | None] = mapped_column(enum_column(Segment))


class User(Base):
    """A person using RevDesk or owning records: reps, managers, approvers, ops."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    title: Mapped[str | None] = mapped_column(String(120))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    hired_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manager: Mapped[User | None] = relationship(remote_side=[id])


class Account(Base):
    """A customer or prospect company."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    industry: Mapped[str | None] = mapped_column(String(120))
    segment: Mapped[Segment | None] = mapped_column(enum_column(Segment))
    region: Mapped[str | None] = mapped_column(String(60))
    country: Mapped[str | None] = mapped_column(String(2))
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[Decimal | None] = mapped_column(Amount(24, 2))
    annual_revenue_currency: Mapped[str | None] = mapped_column(String(3))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    territory: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Contact(Base):
    """A person at an account; `account_id` is nullable because orphans exist in real data."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    title: Mapped[str | None] = mapped_column(String(200))
    buying_role: Mapped[BuyingRole | None] = mapped_column(enum_column(BuyingRole))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Product(Base):
    """Something sold on a quote line."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    family: Mapped[str | None] = mapped_column(String(120))
    recurring: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)


class PriceBook(Base):
    """A named list of prices; exactly one is the standard book."""

    __tablename__ = "price_books"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_standard: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PriceBookEntry(Base):
    """A product's list price, floor price and unit cost in one currency of one price book.

    Recurring products are priced per unit per month; one-time products per unit.
    """

    __tablename__ = "price_book_entries"
    __table_args__ = (UniqueConstraint("price_book_id", "product_id", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    price_book_id: Mapped[int] = mapped_column(ForeignKey("price_books.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    list_price: Mapped[Decimal] = mapped_column(Amount(20, 6))
    floor_price: Mapped[Decimal | None] = mapped_column(Amount(20, 6))
    unit_cost: Mapped[Decimal | None] = mapped_column(Amount(20, 6))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Stage(Base):
    """A pipeline stage definition with its exit criteria and playbook."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer)
    default_probability: Mapped[Decimal] = mapped_column(Amount(5, 2))
    forecast_category: Mapped[ForecastCategory] = mapped_column(enum_column(ForecastCategory))
    status: Mapped[StageStatus] = mapped_column(enum_column(StageStatus))
    required_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    playbook: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Opportunity(Base):
    """A deal. Every change of a tracked field is also written to `OpportunityHistory`.

    `version` is an optimistic-lock counter: a concurrent update of a stale row fails instead of
    silently overwriting.
    """

    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[OpportunityType] = mapped_column(enum_column(OpportunityType))
    stage: Mapped[str] = mapped_column(ForeignKey("stages.name", onupdate="CASCADE"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Amount(20, 4))
    currency: Mapped[str] = mapped_column(String(3))
    close_date: Mapped[date | None] = mapped_column(Date, index=True)
    forecast_category: Mapped[ForecastCategory | None] = mapped_column(
        enum_column(ForecastCategory)
    )
    probability: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    next_step: Mapped[str | None] = mapped_column(Text)
    lead_source: Mapped[str | None] = mapped_column(String(80))
    competitors: Mapped[list[str]] = mapped_column(JSON, default=list)
    lost_reason: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class OpportunityHistory(Base):
    """One change of one tracked field: the old and new value as text, when and by whom."""

    __tablename__ = "opportunity_history"
    __table_args__ = (
        Index("ix_opportunity_history_opportunity_changed", "opportunity_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    field: Mapped[TrackedField] = mapped_column(enum_column(TrackedField))
    old_value: Mapped[str | None] = mapped_column(String(255))
    new_value: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(40), default="app")


class Quote(Base):
    """A versioned commercial offer on an opportunity."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("opportunity_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[QuoteStatus] = mapped_column(enum_column(QuoteStatus), default=QuoteStatus.DRAFT)
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    billing_frequency: Mapped[BillingFrequency] = mapped_column(enum_column(BillingFrequency))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    price_book_id: Mapped[int | None] = mapped_column(ForeignKey("price_books.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.line_no"
    )
    clauses: Mapped[list[QuoteClause]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteClause.id"
    )

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class QuoteLine(Base):
    """A product on a quote: quantity, list and net unit price (per month when recurring)."""

    __tablename__ = "quote_lines"
    __table_args__ = (UniqueConstraint("quote_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Amount(18, 4))
    list_unit_price: Mapped[Decimal] = mapped_column(Amount(20, 6))
    net_unit_price: Mapped[Decimal] = mapped_column(Amount(20, 6))
    description: Mapped[str | None] = mapped_column(Text)

    quote: Mapped[Quote] = relationship(back_populates="lines")
    ramps: Mapped[list[QuoteLineRamp]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="QuoteLineRamp.start_month"
    )


class QuoteLineRamp(Base):
    """A ramp period of a line: from `start_month` (1 = first month of the term) for `months`."""

    __tablename__ = "quote_line_ramps"
    __table_args__ = (UniqueConstraint("line_id", "start_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("quote_lines.id", ondelete="CASCADE"))
    start_month: Mapped[int] = mapped_column(Integer)
    months: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Amount(18, 4))
    net_unit_price: Mapped[Decimal] = mapped_column(Amount(20, 6))

    line: Mapped[QuoteLine] = relationship(back_populates="ramps")


class QuoteClause(Base):
    """A non-standard contract term, typed, with its parameters and free text."""

    __tablename__ = "quote_clauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ClauseKind] = mapped_column(enum_column(ClauseKind))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str | None] = mapped_column(Text)

    quote: Mapped[Quote] = relationship(back_populates="clauses")


class ExchangeRateRow(Base):
    """One unit of `currency` is worth `rate` units of `base` from `valid_from` on."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "base", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    base: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Amount(24, 10))
