"""Deal economics of one quote, in exact decimals (definitions: docs/deal-economics.md).

    >>> economics = quote_economics(view)            # view: a QuoteView
    >>> economics.tcv, economics.acv, economics.discount, economics.margin

Sums of products (list, net, TCV, ARR, first-year value, cost) are exact; every figure that
needs a division (ACV, discount, margin) and the payment-terms cost are rounded half away from
zero to ten places with `revdesk.pricing.fixed`, exactly as the columnar `economics_frame` does.
A ratio whose denominator is zero is zero, except the margin of a quote that costs something
and earns nothing, which is -1 (-100 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from revdesk.pricing.fixed import div, div_int_units, from_units, to_units
from revdesk.pricing.model import LineView, QuoteView, RampPeriod
from revdesk.pricing.payment import (
    DEFAULT_DISCOUNT_RATE,
    billing_months,
    check_rate,
    invoice_factor,
    invoice_offsets,
)

__all__ = [
    "Invoice",
    "LineEconomics",
    "MrrSegment",
    "PriceWaterfall",
    "QuoteEconomics",
    "WaterfallStep",
    "line_economics",
    "margin_of",
    "quote_economics",
]

_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_UP)
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_QUANTUM: Final = Decimal("1e-10")


def _sum(values: list[Decimal]) -> Decimal:
    total = _ZERO
    for value in values:
        total = _CONTEXT.add(total, value)
    return total


def _times(*factors: Decimal | int) -> Decimal:
    product = _ONE
    for factor in factors:
        product = _CONTEXT.multiply(product, Decimal(factor))
    return product


def margin_of(net: Decimal, cost: Decimal) -> Decimal:
    """(net - cost) / net; 0 when both are zero and -1 when only the net is zero."""
    if net == 0:
        return _ZERO if cost == 0 else -_ONE
    return div(_CONTEXT.subtract(net, cost), net)


def _discount(net: Decimal, listed: Decimal) -> Decimal:
    return _ZERO if listed == 0 else _CONTEXT.subtract(_ONE, div(net, listed))


@dataclass(frozen=True, slots=True)
class LineEconomics:
    """One line's value over the term, its discounts and its margin."""

    line_no: int
    sku: str
    family: str
    recurring: bool
    ramped: bool
    list_total: Decimal
    headline_net: Decimal
    net_total: Decimal
    cost_total: Decimal
    first_year_value: Decimal
    end_mrr: Decimal
    discount: Decimal
    unit_discount: Decimal
    margin: Decimal
    below_floor: bool
    min_net_unit_price: Decimal
    periods: tuple[RampPeriod, ...]

    @property
    def line_discount_amount(self) -> Decimal:
        """List minus net at the line's own (headline) net unit price."""
        return _CONTEXT.subtract(self.list_total, self.headline_net)

    @property
    def ramp_concession(self) -> Decimal:
        """Value given up by ramp periods priced below the line's net unit price."""
        return _CONTEXT.subtract(self.headline_net, self.net_total)


def line_economics(line: LineView, term_months: int) -> LineEconomics:
    """Value, discount and margin of one line over a `term_months` term."""
    periods = line.periods(term_months)
    cost = line.unit_cost or _ZERO
    first_year = [
        _times(p.quantity, p.net_unit_price, max(0, min(p.end_month, 12) - p.start_month + 1))
        for p in periods
    ]
    listed = _sum([_times(p.quantity, line.list_unit_price, p.months) for p in periods])
    net = _sum([_times(p.quantity, p.net_unit_price, p.months) for p in periods])
    costs = _sum([_times(p.quantity, cost, p.months) for p in periods])
    floor = line.floor_price
    return LineEconomics(
        line_no=line.line_no,
        sku=line.sku,
        family=line.family,
        recurring=line.recurring,
        ramped=bool(line.ramps),
        list_total=listed,
        headline_net=_sum([_times(p.quantity, line.net_unit_price, p.months) for p in periods]),
        net_total=net,
        cost_total=costs,
        first_year_value=_sum(first_year) if line.recurring else net,
        end_mrr=_sum(
            [_times(p.quantity, p.net_unit_price) for p in periods if p.end_month == term_months]
        )
        if line.recurring
        else _ZERO,
        discount=_discount(net, listed),
        unit_discount=_discount(line.net_unit_price, line.list_unit_price),
        margin=margin_of(net, costs),
        below_floor=floor is not None and any(p.net_unit_price < floor for p in periods),
        min_net_unit_price=min(p.net_unit_price for p in periods),
        periods=periods,
    )


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """One bar of the price waterfall: a label, its amount and the total after it."""

    label: str
    amount: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class PriceWaterfall:
    """List -> line discounts -> ramp concessions -> net; the steps add up exactly."""

    list_total: Decimal
    line_discounts: Decimal
    ramp_concessions: Decimal
    net_total: Decimal

    @property
    def steps(self) -> tuple[WaterfallStep, ...]:
        """The bars in order; discounts are negative amounts."""
        after_lines = _CONTEXT.subtract(self.list_total, self.line_discounts)
        return (
            WaterfallStep("list", self.list_total, self.list_total),
            WaterfallStep("line discounts", -self.line_discounts, after_lines),
            WaterfallStep("ramp concessions", -self.ramp_concessions, self.net_total),
            WaterfallStep("net", self.net_total, self.net_total),
        )


@dataclass(frozen=True, slots=True)
class MrrSegment:
    """Months `first_month..last_month` during which monthly recurring revenue is `mrr`."""

    first_month: int
    last_month: int
    mrr: Decimal


@dataclass(frozen=True, slots=True)
class Invoice:
    """One invoice of the billing schedule: when it is issued, its amount, its cost factor."""

    offset_months: int
    amount: Decimal
    due_days: int
    factor: Decimal


@dataclass(frozen=True, slots=True)
class QuoteEconomics:
    """Every figure of one quote, in the quote's currency (ratios as fractions: 0.25 = 25 %)."""

    currency: str
    term_months: int
    list_total: Decimal
    net_total: Decimal
    discount_amount: Decimal
    discount: Decimal
    recurring_tcv: Decimal
    one_time_total: Decimal
    tcv: Decimal
    acv: Decimal
    arr: Decimal
    first_year_value: Decimal
    cost_total: Decimal
    gross_profit: Decimal
    margin: Decimal
    payment_terms_cost: Decimal
    lines: tuple[LineEconomics, ...]
    waterfall: PriceWaterfall
    schedule: tuple[MrrSegment, ...]
    invoices: tuple[Invoice, ...]

    @property
    def max_line_discount(self) -> Decimal:
        """The largest effective discount of any line (0 without lines)."""
        return max((line.discount for line in self.lines), default=_ZERO)


def quote_economics(
    view: QuoteView, *, annual_rate: Decimal = DEFAULT_DISCOUNT_RATE
) -> QuoteEconomics:
    """Every economics figure of `view`; `annual_rate` prices the payment terms."""
    check_rate(annual_rate)
    lines = tuple(line_economics(line, view.term_months) for line in view.lines)
    recurring = _sum([line.net_total for line in lines if line.recurring])
    one_time = _sum([line.net_total for line in lines if not line.recurring])
    listed, net = _sum([li.list_total for li in lines]), _CONTEXT.add(recurring, one_time)
    cost = _sum([line.cost_total for line in lines])
    invoices = _invoices(view, annual_rate)
    waterfall = PriceWaterfall(
        list_total=listed,
        line_discounts=_sum([line.line_discount_amount for line in lines]),
        ramp_concessions=_sum([line.ramp_concession for line in lines]),
        net_total=net,
    )
    return QuoteEconomics(
        currency=view.currency,
        term_months=view.term_months,
        list_total=listed,
        net_total=net,
        discount_amount=_CONTEXT.subtract(listed, net),
        discount=_discount(net, listed),
        recurring_tcv=recurring,
        one_time_total=one_time,
        tcv=net,
        acv=from_units(div_int_units(to_units(_times(recurring, 12)), view.term_months)),
        arr=_times(_sum([line.end_mrr for line in lines]), 12),
        first_year_value=_sum([line.first_year_value for line in lines]),
        cost_total=cost,
        gross_profit=_CONTEXT.subtract(net, cost),
        margin=margin_of(net, cost),
        payment_terms_cost=_payment_cost(invoices),
        lines=lines,
        waterfall=waterfall,
        schedule=mrr_schedule(view),
        invoices=invoices,
    )


def _invoices(view: QuoteView, rate: Decimal) -> tuple[Invoice, ...]:
    """The billing schedule with each invoice's amount and cost factor."""
    span = billing_months(view.billing_frequency, view.term_months)
    result = []
    for offset in invoice_offsets(view.billing_frequency, view.term_months):
        first, last = offset + 1, min(offset + span, view.term_months)
        parts = [
            _times(
                p.quantity,
                p.net_unit_price,
                max(0, min(last, p.end_month) - max(first, p.start_month) + 1),
            )
            for line in view.lines
            if line.recurring
            for p in line.periods(view.term_months)
        ]
        if offset == 0:
            parts += [
                _times(li.quantity, li.net_unit_price) for li in view.lines if not li.recurring
            ]
        factor = invoice_factor(rate, view.payment_terms_days, offset)
        result.append(Invoice(offset, _sum(parts), view.payment_terms_days, factor))
    return tuple(result)


def _payment_cost(invoices: tuple[Invoice, ...]) -> Decimal:
    exact = _sum([_CONTEXT.multiply(invoice.amount, invoice.factor) for invoice in invoices])
    return exact.quantize(_QUANTUM, ROUND_HALF_UP, context=_CONTEXT)


def mrr_schedule(view: QuoteView) -> tuple[MrrSegment, ...]:
    """Monthly recurring revenue over the term, as runs of months with the same value."""
    monthly = [_ZERO] * (view.term_months + 1)
    for line in view.lines:
        if not line.recurring:
            continue
        for period in line.periods(view.term_months):
            value = _times(period.quantity, period.net_unit_price)
            for month in range(period.start_month, period.end_month + 1):
                monthly[month] = _CONTEXT.add(monthly[month], value)
    segments: list[MrrSegment] = []
    for month in range(1, view.term_months + 1):
        if segments and segments[-1].mrr == monthly[month]:
            last = segments[-1]
            segments[-1] = MrrSegment(last.first_month, month, last.mrr)
        else:
            segments.append(MrrSegment(month, month, monthly[month]))
    return tuple(segments)
