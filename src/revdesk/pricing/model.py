"""What deal economics are computed from: a quote as plain, validated dataclasses.

`QuoteView` is the pure picture of one quote: its commercial terms, its lines (with list, net,
floor price and unit cost, and ramp periods) and its clauses, plus the facts about the deal that
approval policies test (segment, region, owner...). Nothing here knows about the database;
`revdesk.pricing.service` builds views from it, tests build them by hand::

    >>> view = QuoteView(
    ...     quote_id=1, currency="USD", start_date=date(2027, 1, 1), term_months=12,
    ...     billing_frequency=BillingFrequency.ANNUAL, payment_terms_days=30,
    ...     lines=(LineView(line_no=1, sku="PLAT", recurring=True, quantity=Decimal(10),
    ...                     list_unit_price=Decimal(100), net_unit_price=Decimal(80)),),
    ... )
    >>> view.lines[0].periods(view.term_months)[0]
    RampPeriod(start_month=1, months=12, quantity=Decimal('10'), net_unit_price=Decimal('80'))

Recurring products are priced per unit per month, one-time products per unit. Quantities keep
at most four decimal places and prices six, as the database columns do; a view that breaks a
rule below is refused with `InvalidInput` naming the quote and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from revdesk.core.errors import InvalidInput
from revdesk.core.money import currency_code
from revdesk.crm.model import BillingFrequency

__all__ = [
    "MAX_TERM_MONTHS",
    "ClauseView",
    "DealFacts",
    "LineView",
    "QuoteView",
    "RampPeriod",
]

MAX_TERM_MONTHS: Final = 120
_QUANTITY_PLACES: Final = 4
_PRICE_PLACES: Final = 6
# Keeps every intermediate of the columnar engine inside Int128 (see revdesk.pricing.fixed).
_MAXIMUM: Final = Decimal(10) ** 7


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check_number(value: Decimal, *, what: str, places: int, where: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{what} must be a finite Decimal, not {value!r}", where=where)
    if value < 0:
        raise InvalidInput(f"{what} must not be negative, not {value}", where=where)
    if _places(value) > places:
        raise InvalidInput(f"{what} {value} has more than {places} decimal places", where=where)
    if value >= _MAXIMUM:
        raise InvalidInput(f"{what} {value} is not below {_MAXIMUM:,}", where=where)


@dataclass(frozen=True, slots=True)
class RampPeriod:
    """A stretch of a recurring line's term: from `start_month` (1 = first) for `months`."""

    start_month: int
    months: int
    quantity: Decimal
    net_unit_price: Decimal

    @property
    def end_month(self) -> int:
        """The last month of the period (inclusive)."""
        return self.start_month + self.months - 1


@dataclass(frozen=True, slots=True)
class LineView:
    """A product on a quote with its prices, floor, unit cost and ramp periods."""

    line_no: int
    sku: str
    recurring: bool
    quantity: Decimal
    list_unit_price: Decimal
    net_unit_price: Decimal
    family: str = ""
    product_id: int | None = None
    unit_cost: Decimal | None = None
    floor_price: Decimal | None = None
    ramps: tuple[RampPeriod, ...] = ()

    def periods(self, term_months: int) -> tuple[RampPeriod, ...]:
        """The ramp periods, or the whole term at the line's quantity and net price."""
        if self.ramps:
            return self.ramps
        months = term_months if self.recurring else 1
        return (RampPeriod(1, months, self.quantity, self.net_unit_price),)

    def check(self, term_months: int, *, where: str) -> None:
        """Refuse impossible values and ramps that overlap, leave the term or are one-time."""
        here = f"{where} line {self.line_no}"
        _check_number(self.quantity, what="quantity", places=_QUANTITY_PLACES, where=here)
        for what in ("list_unit_price", "net_unit_price", "unit_cost", "floor_price"):
            value = getattr(self, what)
            if value is not None:
                _check_number(value, what=what, places=_PRICE_PLACES, where=here)
        if self.ramps and not self.recurring:
            raise InvalidInput("a one-time product cannot have ramp periods", where=here)
        previous_end = 0
        for ramp in sorted(self.ramps, key=lambda r: r.start_month):
            _check_ramp(ramp, previous_end, term_months, where=here)
            previous_end = ramp.end_month


def _check_ramp(ramp: RampPeriod, previous_end: int, term_months: int, *, where: str) -> None:
    here = f"{where} ramp from month {ramp.start_month}"
    if ramp.start_month < 1 or ramp.months < 1:
        raise InvalidInput(
            "a ramp period starts at month 1 or later and lasts 1+ months", where=here
        )
    if ramp.start_month <= previous_end:
        raise InvalidInput(f"overlaps the period ending in month {previous_end}", where=here)
    if ramp.end_month > term_months:
        raise InvalidInput(
            f"ends in month {ramp.end_month}, after the {term_months}-month term", where=here
        )
    _check_number(ramp.quantity, what="quantity", places=_QUANTITY_PLACES, where=here)
    _check_number(ramp.net_unit_price, what="net_unit_price", places=_PRICE_PLACES, where=here)


@dataclass(frozen=True, slots=True)
class ClauseView:
    """A non-standard term: its kind and its structured parameters."""

    kind: str
    parameters: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    text: str = ""


@dataclass(frozen=True, slots=True)
class DealFacts:
    """What approval policies may test about the deal around a quote (empty text if unknown)."""

    opportunity_id: int | None = None
    opportunity_type: str = ""
    stage: str = ""
    account_name: str = ""
    segment: str = ""
    region: str = ""
    industry: str = ""
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteView:
    """One quote: terms, lines, clauses and deal facts; validated on construction."""

    quote_id: int | None
    currency: str
    start_date: date
    term_months: int
    billing_frequency: BillingFrequency
    payment_terms_days: int
    lines: tuple[LineView, ...]
    clauses: tuple[ClauseView, ...] = ()
    deal: DealFacts = DealFacts()
    created_on: date | None = None

    def __post_init__(self) -> None:
        where = f"quote {self.quote_id}" if self.quote_id is not None else "quote"
        object.__setattr__(self, "currency", currency_code(self.currency))
        object.__setattr__(self, "billing_frequency", BillingFrequency(self.billing_frequency))
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise InvalidInput(
                f"term of {self.term_months} months is outside 1-{MAX_TERM_MONTHS}", where=where
            )
        if not 0 <= self.payment_terms_days <= 365:
            raise InvalidInput(
                f"payment terms of {self.payment_terms_days} days are outside 0-365", where=where
            )
        numbers = [line.line_no for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput("two lines share a line number", where=where)
        for line in self.lines:
            line.check(self.term_months, where=where)
