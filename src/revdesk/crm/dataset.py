"""Load a company described as a document (the bundled sample, test factories) into the CRM.

The document names records by `key` and refers to them by key, so it stays readable by hand.
An opportunity gives its values at creation (`initial`) and then dated `changes`; the loader
writes the creation and every change as field history, so the as-of reconstruction works on it.
The shape is validated with pydantic first: a bad document is refused with the path of the
offending value (`opportunities.3.changes.0.stage`) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import MetaData, delete, text
from sqlalchemy.orm import Session

from revdesk.core.errors import InvalidInput
from revdesk.core.money import currency_code
from revdesk.crm.model import (
    BillingFrequency,
    BuyingRole,
    ClauseKind,
    ForecastCategory,
    OpportunityType,
    QuoteStatus,
    Role,
    Segment,
    StageDefinition,
    StageStatus,
    TrackedField,
)
from revdesk.crm.service import (
    change_opportunity,
    count_records,
    record_creation,
    stage_definitions,
)
from revdesk.crm.tables import (
    Account,
    Contact,
    ExchangeRateRow,
    Opportunity,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteClause,
    QuoteLine,
    QuoteLineRamp,
    Stage,
    Team,
    User,
)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamDoc(_Doc):
    name: str
    parent: str | None = None
    region: str | None = None
    segment: Segment | None = None


class UserDoc(_Doc):
    key: str
    name: str
    email: str
    role: Role
    title: str | None = None
    manager: str | None = None
    team: str | None = None
    hired_on: date | None = None


class StageDoc(_Doc):
    name: str
    order: int
    probability: Decimal = Field(ge=0, le=100)
    forecast_category: ForecastCategory
    status: StageStatus = StageStatus.OPEN
    required_fields: list[str] = []
    playbook: str = ""


class RateDoc(_Doc):
    currency: str
    base: str
    valid_from: date
    rate: Decimal = Field(gt=0)


class PriceDoc(_Doc):
    book: str = "Standard"
    currency: str
    list_price: Decimal = Field(alias="list", ge=0)
    floor: Decimal | None = Field(default=None, ge=0)
    cost: Decimal | None = Field(default=None, ge=0)


class ProductDoc(_Doc):
    sku: str
    name: str
    family: str | None = None
    recurring: bool = True
    prices: list[PriceDoc]


class AccountDoc(_Doc):
    key: str
    name: str
    parent: str | None = None
    industry: str | None = None
    segment: Segment | None = None
    region: str | None = None
    country: str | None = None
    employees: int | None = Field(default=None, ge=0)
    annual_revenue: Decimal | None = Field(default=None, ge=0)
    currency: str = "USD"
    owner: str | None = None
    territory: str | None = None


class ContactDoc(_Doc):
    account: str | None
    first_name: str | None = None
    last_name: str
    email: str | None = None
    title: str | None = None
    buying_role: BuyingRole | None = None


class InitialDoc(_Doc):
    stage: str
    owner: str
    amount: Decimal | None = Field(default=None, ge=0)
    close_date: date | None = None
    forecast_category: ForecastCategory | None = None


class ChangeDoc(_Doc):
    at: AwareDatetime
    by: str | None = None
    stage: str | None = None
    amount: Decimal | None = Field(default=None, ge=0)
    close_date: date | None = None
    forecast_category: ForecastCategory | None = None
    owner: str | None = None


class RampDoc(_Doc):
    start_month: int = Field(ge=1)
    months: int = Field(ge=1)
    quantity: Decimal = Field(gt=0)
    net: Decimal = Field(ge=0)


class LineDoc(_Doc):
    sku: str
    quantity: Decimal = Field(gt=0)
    net: Decimal = Field(ge=0)
    list_price: Decimal | None = Field(default=None, alias="list", ge=0)
    ramps: list[RampDoc] = []


class ClauseDoc(_Doc):
    kind: ClauseKind
    parameters: dict[str, Any] = {}
    text: str | None = None


class QuoteDoc(_Doc):
    version: int = Field(default=1, ge=1)
    status: QuoteStatus = QuoteStatus.DRAFT
    start_date: date
    term_months: int = Field(ge=1, le=120)
    billing: BillingFrequency = BillingFrequency.ANNUAL
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    primary: bool = False
    created: AwareDatetime | None = None
    lines: list[LineDoc]
    clauses: list[ClauseDoc] = []


class OpportunityDoc(_Doc):
    key: str
    name: str
    account: str | None = None
    type: OpportunityType = OpportunityType.NEW
    currency: str = "USD"
    lead_source: str | None = None
    competitors: list[str] = []
    next_step: str | None = None
    lost_reason: str | None = None
    created: AwareDatetime
    last_activity: AwareDatetime | None = None
    initial: InitialDoc
    changes: list[ChangeDoc] = []
    quotes: list[QuoteDoc] = []


class CompanyDoc(_Doc):
    """A whole company: the shape of the bundled sample and of test factories."""

    name: str = "Company"
    teams: list[TeamDoc] = []
    users: list[UserDoc] = []
    stages: list[StageDoc] = []
    exchange_rates: list[RateDoc] = []
    products: list[ProductDoc] = []
    accounts: list[AccountDoc] = []
    contacts: list[ContactDoc] = []
    opportunities: list[OpportunityDoc] = []


def parse_company(data: Mapping[str, Any], *, where: str) -> CompanyDoc:
    """Validate a company document; the first problem is reported with its path."""
    try:
        return CompanyDoc.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{path}: {first['msg']}", where=where) from None


def sample_company() -> CompanyDoc:
    """The small hand-written company bundled with the package."""
    text = resources.files("revdesk.crm.sample").joinpath("company.yaml").read_text("utf-8")
    return parse_company(yaml.safe_load(text), where="sample company")


class _Keys:
    """Resolves document keys to database ids, failing with the key that is missing."""

    def __init__(self) -> None:
        self.ids: dict[str, dict[str, int]] = {}
        self.prices: dict[tuple[str, str], Decimal] = {}

    def put(self, kind: str, key: str, ident: int) -> None:
        bucket = self.ids.setdefault(kind, {})
        if key in bucket:
            raise InvalidInput(f"duplicate {kind} key {key!r}")
        bucket[key] = ident

    def list_price(self, sku: str, currency: str, *, where: str) -> Decimal:
        try:
            return self.prices[(sku, currency)]
        except KeyError:
            raise InvalidInput(
                f"no standard {currency} list price for {sku!r}", where=where
            ) from None

    def get(self, kind: str, key: str | None) -> int | None:
        if key is None:
            return None
        try:
            return self.ids[kind][key]
        except KeyError:
            raise InvalidInput(f"unknown {kind} {key!r}") from None


def load_company(session: Session, doc: CompanyDoc, *, source: str = "sample") -> dict[str, int]:
    """Write the company into the session (the caller commits); return counts per record type."""
    keys = _Keys()
    _load_people(session, doc, keys)
    _load_catalogue(session, doc, keys)
    _load_accounts(session, doc, keys)
    stages = stage_definitions(session)
    for opp in doc.opportunities:
        _load_opportunity(session, opp, keys, stages, source)
    session.flush()
    return count_records(session)


def _load_people(session: Session, doc: CompanyDoc, keys: _Keys) -> None:
    for team in doc.teams:
        row = Team(
            name=team.name,
            parent_id=keys.get("team", team.parent),
            region=team.region,
            segment=team.segment,
        )
        session.add(row)
        session.flush()
        keys.put("team", team.name, row.id)
    for user in doc.users:
        user_row = User(
            external_id=f"{user.key}",
            name=user.name,
            email=user.email,
            role=user.role,
            title=user.title,
            team_id=keys.get("team", user.team),
            hired_on=user.hired_on,
        )
        session.add(user_row)
        session.flush()
        keys.put("user", user.key, user_row.id)
    for user in doc.users:
        if user.manager is not None:
            managed = session.get(User, keys.get("user", user.key))
            assert managed is not None
            managed.manager_id = keys.get("user", user.manager)


def _load_catalogue(session: Session, doc: CompanyDoc, keys: _Keys) -> None:
    for stage in doc.stages:
        definition = StageDefinition(
            stage.name,
            stage.order,
            stage.probability,
            stage.forecast_category,
            stage.status,
            tuple(stage.required_fields),
            stage.playbook,
        )
        session.add(
            Stage(
                name=definition.name,
                sort_order=definition.sort_order,
                default_probability=definition.default_probability,
                forecast_category=definition.forecast_category,
                status=definition.status,
                required_fields=list(definition.required_fields),
                playbook=definition.playbook,
            )
        )
    for rate in doc.exchange_rates:
        session.add(
            ExchangeRateRow(
                currency=currency_code(rate.currency),
                base=currency_code(rate.base),
                valid_from=rate.valid_from,
                rate=rate.rate,
            )
        )
    books: dict[str, PriceBook] = {}
    for product in doc.products:
        row = Product(
            sku=product.sku, name=product.name, family=product.family, recurring=product.recurring
        )
        session.add(row)
        session.flush()
        keys.put("product", product.sku, row.id)
        for price in product.prices:
            if price.book not in books:
                books[price.book] = PriceBook(name=price.book, is_standard=price.book == "Standard")
                session.add(books[price.book])
                session.flush()
            if price.book == "Standard":
                keys.prices[(product.sku, currency_code(price.currency))] = price.list_price
            session.add(
                PriceBookEntry(
                    price_book_id=books[price.book].id,
                    product_id=row.id,
                    currency=currency_code(price.currency),
                    list_price=price.list_price,
                    floor_price=price.floor,
                    unit_cost=price.cost,
                )
            )
    session.flush()


def _load_accounts(session: Session, doc: CompanyDoc, keys: _Keys) -> None:
    for account in doc.accounts:
        row = Account(
            external_id=account.key,
            name=account.name,
            parent_id=keys.get("account", account.parent),
            industry=account.industry,
            segment=account.segment,
            region=account.region,
            country=account.country,
            employees=account.employees,
            annual_revenue=account.annual_revenue,
            annual_revenue_currency=currency_code(account.currency),
            owner_id=keys.get("user", account.owner),
            territory=account.territory,
        )
        session.add(row)
        session.flush()
        keys.put("account", account.key, row.id)
    for contact in doc.contacts:
        session.add(
            Contact(
                account_id=keys.get("account", contact.account),
                first_name=contact.first_name,
                last_name=contact.last_name,
                email=contact.email,
                title=contact.title,
                buying_role=contact.buying_role,
            )
        )


def _load_opportunity(
    session: Session,
    doc: OpportunityDoc,
    keys: _Keys,
    stages: Mapping[str, StageDefinition],
    source: str,
) -> None:
    where = f"opportunity {doc.key!r}"
    definition = stages.get(doc.initial.stage)
    if definition is None:
        raise InvalidInput(f"unknown stage {doc.initial.stage!r}", where=where)
    owner = keys.get("user", doc.initial.owner)
    row = Opportunity(
        external_id=doc.key,
        name=doc.name,
        account_id=keys.get("account", doc.account),
        owner_id=owner,
        type=doc.type,
        stage=definition.name,
        amount=doc.initial.amount,
        currency=currency_code(doc.currency),
        close_date=doc.initial.close_date,
        forecast_category=doc.initial.forecast_category or definition.forecast_category,
        probability=definition.default_probability,
        next_step=doc.next_step,
        lead_source=doc.lead_source,
        competitors=list(doc.competitors),
        lost_reason=doc.lost_reason,
        created_at=doc.created,
        closed_at=doc.created if definition.is_closed else None,
        last_activity_at=doc.last_activity,
        updated_at=doc.created,
    )
    session.add(row)
    session.flush()
    record_creation(session, row, by=owner, source=source)
    previous = doc.created
    for number, change in enumerate(doc.changes):
        if change.at < previous:
            raise InvalidInput(
                f"changes.{number}.at is earlier than the change before it", where=where
            )
        previous = change.at
        change_opportunity(
            session,
            row,
            _change_values(change, keys),
            at=change.at,
            by=keys.get("user", change.by),
            source=source,
            stages=stages,
        )
    for quote in doc.quotes:
        session.add(_quote(quote, row, keys))


def _change_values(change: ChangeDoc, keys: _Keys) -> dict[TrackedField, object]:
    values: dict[TrackedField, object] = {}
    if change.stage is not None:
        values[TrackedField.STAGE] = change.stage
    if change.amount is not None:
        values[TrackedField.AMOUNT] = change.amount
    if change.close_date is not None:
        values[TrackedField.CLOSE_DATE] = change.close_date
    if change.forecast_category is not None:
        values[TrackedField.FORECAST_CATEGORY] = change.forecast_category
    if change.owner is not None:
        values[TrackedField.OWNER] = keys.get("user", change.owner)
    return values


def _quote(doc: QuoteDoc, opportunity: Opportunity, keys: _Keys) -> Quote:
    quote = Quote(
        opportunity_id=opportunity.id,
        version=doc.version,
        status=doc.status,
        currency=opportunity.currency,
        start_date=doc.start_date,
        term_months=doc.term_months,
        billing_frequency=doc.billing,
        payment_terms_days=doc.payment_terms_days,
        is_primary=doc.primary,
        created_by_id=opportunity.owner_id,
        created_at=doc.created or opportunity.created_at,
    )
    for number, line in enumerate(doc.lines, start=1):
        product_id = keys.get("product", line.sku)
        assert product_id is not None
        quote.lines.append(
            QuoteLine(
                line_no=number,
                product_id=product_id,
                quantity=line.quantity,
                list_unit_price=line.list_price
                if line.list_price is not None
                else keys.list_price(line.sku, opportunity.currency, where=f"quote line {number}"),
                net_unit_price=line.net,
                ramps=[
                    QuoteLineRamp(
                        start_month=r.start_month,
                        months=r.months,
                        quantity=r.quantity,
                        net_unit_price=r.net,
                    )
                    for r in line.ramps
                ],
            )
        )
    quote.clauses = [
        QuoteClause(kind=c.kind, parameters=dict(c.parameters), text=c.text) for c in doc.clauses
    ]
    return quote


def wipe(session: Session, metadata: MetaData) -> None:
    """Delete every row of every table in `metadata`, children first.

    On PostgreSQL one TRUNCATE ... RESTART IDENTITY does it (transactional, and the id sequences
    start again at 1, so a rebuilt company gets the same ids as the first build).
    """
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(metadata.sorted_tables):
        session.execute(delete(table))
