"""Deal economics of one quote, every figure against a case computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import BillingFrequency
from revdesk.pricing.economics import MrrSegment, WaterfallStep, quote_economics
from revdesk.pricing.model import LineView, QuoteView, RampPeriod
from revdesk.pricing.payment import invoice_factor, period_weight


def line(no: int = 1, **values: object) -> LineView:
    fields: dict[str, object] = {
        "line_no": no,
        "sku": f"SKU{no}",
        "recurring": True,
        "quantity": Decimal(10),
        "list_unit_price": Decimal(100),
        "net_unit_price": Decimal(80),
        "unit_cost": Decimal(20),
    }
    fields.update(values)
    return LineView(**fields)  # type: ignore[arg-type]


def quote(*lines: LineView, **values: object) -> QuoteView:
    fields: dict[str, object] = {
        "quote_id": 1,
        "currency": "USD",
        "start_date": date(2027, 1, 1),
        "term_months": 12,
        "billing_frequency": BillingFrequency.ANNUAL,
        "payment_terms_days": 0,
        "lines": lines,
    }
    fields.update(values)
    return QuoteView(**fields)  # type: ignore[arg-type]


def test_a_plain_recurring_line_over_twelve_months() -> None:
    # 10 seats x 100 list x 12 = 12,000; at 80 net: 9,600; cost 10 x 20 x 12 = 2,400
    result = quote_economics(quote(line()))

    assert result.list_total == 12_000
    assert result.net_total == result.tcv == result.recurring_tcv == 9_600
    assert result.discount_amount == 2_400
    assert result.discount == Decimal("0.2")
    assert result.acv == result.first_year_value == 9_600
    assert result.arr == 9_600  # 10 x 80 a month, x 12
    assert result.cost_total == 2_400
    assert result.gross_profit == 7_200
    assert result.margin == Decimal("0.75")
    assert result.one_time_total == 0
    assert result.payment_terms_cost == 0  # paid on the day (0 days)


def test_one_time_lines_count_once_in_tcv_and_first_year_but_not_in_acv_or_arr() -> None:
    services = line(
        2,
        recurring=False,
        quantity=Decimal(2),
        list_unit_price=Decimal(5000),
        net_unit_price=Decimal(4000),
        unit_cost=Decimal(3000),
    )

    result = quote_economics(quote(line(), services, term_months=36))

    # recurring: 10 x 80 x 36 = 28,800; services: 2 x 4,000 = 8,000
    assert result.recurring_tcv == 28_800
    assert result.one_time_total == 8_000
    assert result.tcv == 36_800
    assert result.acv == 9_600  # 28,800 / 3 years; services excluded
    assert result.arr == 9_600
    assert result.first_year_value == 9_600 + 8_000
    # list 10 x 100 x 36 + 2 x 5,000 = 46,000; effective discount 1 - 36,800 / 46,000 = 0.2
    assert result.list_total == 46_000
    assert result.discount == Decimal("0.2")
    # cost 10 x 20 x 36 + 2 x 3,000 = 13,200; margin (36,800 - 13,200) / 36,800
    assert result.cost_total == 13_200
    assert result.margin == Decimal("0.6413043478")  # 0.641304347826... half-up at 10 places


def test_acv_of_a_partial_year_term_is_annualised() -> None:
    assert quote_economics(quote(line(), term_months=18)).acv == 9_600  # 14,400 x 12 / 18
    assert quote_economics(quote(line(), term_months=6)).acv == 9_600  # 4,800 x 12 / 6


def test_acv_that_does_not_terminate_is_rounded_half_up_at_ten_places() -> None:
    ramps = (
        RampPeriod(1, 3, Decimal(10), Decimal(10)),
        RampPeriod(4, 4, Decimal(10), Decimal("17.5")),
    )
    # 10 x 10 x 3 + 10 x 17.5 x 4 = 1,000 over 7 months; 12,000 / 7 = 1714.28571428571...
    result = quote_economics(
        quote(line(ramps=ramps, net_unit_price=Decimal("17.5")), term_months=7)
    )

    assert result.recurring_tcv == 1_000
    assert result.acv == Decimal("1714.2857142857")


def test_a_ramp_shows_as_a_concession_in_the_waterfall_and_sets_arr_at_the_end() -> None:
    ramps = (RampPeriod(1, 6, Decimal(10), Decimal(60)), RampPeriod(7, 6, Decimal(10), Decimal(80)))
    result = quote_economics(quote(line(ramps=ramps)))

    # list 10 x 100 x 12 = 12,000; at the line's 80: 9,600; ramped: 10x60x6 + 10x80x6 = 8,400
    assert result.waterfall.steps == (
        WaterfallStep("list", Decimal(12_000), Decimal(12_000)),
        WaterfallStep("line discounts", Decimal(-2_400), Decimal(9_600)),
        WaterfallStep("ramp concessions", Decimal(-1_200), Decimal(8_400)),
        WaterfallStep("net", Decimal(8_400), Decimal(8_400)),
    )
    assert result.discount == Decimal("0.3")
    assert result.arr == 9_600  # the run-rate in month 12: 10 x 80 x 12
    assert result.schedule == (MrrSegment(1, 6, Decimal(600)), MrrSegment(7, 12, Decimal(800)))
    (economics,) = result.lines
    assert (economics.ramped, economics.ramp_concession, economics.line_discount_amount) == (
        True,
        1_200,
        2_400,
    )
    assert economics.unit_discount == Decimal("0.2")  # headline price only
    assert economics.min_net_unit_price == 60


def test_a_quantity_ramp_is_not_a_discount() -> None:
    ramps = (
        RampPeriod(1, 12, Decimal(50), Decimal(38)),
        RampPeriod(13, 12, Decimal(100), Decimal(38)),
    )
    result = quote_economics(
        quote(
            line(
                quantity=Decimal(100),
                list_unit_price=Decimal(42),
                net_unit_price=Decimal(38),
                ramps=ramps,
            ),
            term_months=24,
        )
    )

    # list over the ramped seats: (50 x 12 + 100 x 12) x 42 = 75,600; net x 38 = 68,400
    assert (result.list_total, result.net_total) == (75_600, 68_400)
    assert result.waterfall.ramp_concessions == 0
    assert result.first_year_value == 22_800  # 50 x 38 x 12
    assert result.arr == 45_600  # 100 x 38 x 12
    assert result.acv == 34_200  # 68,400 / 2


def test_per_line_discount_and_the_largest_one() -> None:
    deep = line(2, list_unit_price=Decimal(50), net_unit_price=Decimal(30))

    result = quote_economics(quote(line(), deep))

    assert [economics.discount for economics in result.lines] == [Decimal("0.2"), Decimal("0.4")]
    assert result.max_line_discount == Decimal("0.4")


def test_floor_price_breaches_are_found_in_any_ramp_period() -> None:
    ramps = (RampPeriod(1, 6, Decimal(10), Decimal(60)), RampPeriod(7, 6, Decimal(10), Decimal(80)))

    result = quote_economics(
        quote(line(floor_price=Decimal(70), ramps=ramps), line(2, floor_price=Decimal(80)))
    )

    assert [economics.below_floor for economics in result.lines] == [True, False]


def test_margin_edge_cases() -> None:
    no_cost = quote_economics(quote(line(unit_cost=None)))
    free = quote_economics(quote(line(net_unit_price=Decimal(0))))
    free_and_costless = quote_economics(quote(line(net_unit_price=Decimal(0), unit_cost=None)))
    empty = quote_economics(quote())

    assert no_cost.margin == 1
    assert free.margin == -1
    assert free_and_costless.margin == 0
    assert (empty.tcv, empty.discount, empty.margin, empty.max_line_discount) == (0, 0, 0, 0)


def test_payment_terms_cost_of_an_annual_invoice_paid_a_year_late() -> None:
    # 24 months billed annually: 12,000 at month 0 and 12,000 at month 12, each paid 365 days
    # late, at 10 % a year: factor 1 - 1/1.1 = 0.0909090909 and 1/1.1 - 1/1.21 = 0.0826446281
    view = quote(line(net_unit_price=Decimal(100)), term_months=24, payment_terms_days=365)

    result = quote_economics(view, annual_rate=Decimal("0.10"))

    assert [(i.offset_months, i.amount, i.factor) for i in result.invoices] == [
        (0, 12_000, Decimal("0.0909090909")),
        (12, 12_000, Decimal("0.0826446281")),
    ]
    assert result.payment_terms_cost == Decimal("2082.6446280000")  # 1090.9090908 + 991.7355372


def test_payment_terms_cost_is_zero_at_zero_days_or_zero_rate() -> None:
    view = quote(line(), payment_terms_days=60)

    assert quote_economics(view, annual_rate=Decimal(0)).payment_terms_cost == 0
    assert quote_economics(quote(line()), annual_rate=Decimal("0.1")).payment_terms_cost == 0


def test_invoices_follow_the_billing_frequency_and_one_time_lines_go_first() -> None:
    services = line(2, recurring=False, quantity=Decimal(1), net_unit_price=Decimal(500))
    view = quote(
        line(),
        services,
        term_months=7,
        billing_frequency=BillingFrequency.QUARTERLY,
        payment_terms_days=30,
    )

    result = quote_economics(view)

    # quarters of 800 a month: months 1-3, 4-6 and the last month 7 alone
    assert [(i.offset_months, i.amount) for i in result.invoices] == [
        (0, 2_900),
        (3, 2_400),
        (6, 800),
    ]
    expected = sum(
        i.amount * invoice_factor(Decimal("0.10"), 30, i.offset_months) for i in result.invoices
    )
    assert result.payment_terms_cost == expected


def test_an_upfront_quote_has_one_invoice_for_the_whole_term() -> None:
    view = quote(
        line(), term_months=36, billing_frequency=BillingFrequency.UPFRONT, payment_terms_days=30
    )

    (invoice,) = quote_economics(view).invoices

    assert (invoice.offset_months, invoice.amount) == (0, 28_800)
    assert period_weight(Decimal("0.10"), 30, 36, 1, 36) == 36 * invoice_factor(
        Decimal("0.10"), 30, 0
    )


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (
            lambda: quote(
                line(
                    ramps=(
                        RampPeriod(1, 6, Decimal(1), Decimal(1)),
                        RampPeriod(6, 6, Decimal(1), Decimal(1)),
                    )
                )
            ),
            "overlaps",
        ),
        (
            lambda: quote(line(ramps=(RampPeriod(7, 7, Decimal(1), Decimal(1)),))),
            "after the 12-month term",
        ),
        (
            lambda: quote(line(recurring=False, ramps=(RampPeriod(1, 1, Decimal(1), Decimal(1)),))),
            "one-time",
        ),
        (lambda: quote(line(quantity=Decimal(-1))), "must not be negative"),
        (lambda: quote(line(quantity=Decimal("1.00001"))), "more than 4 decimal places"),
        (lambda: quote(line(net_unit_price=Decimal("0.0000001"))), "more than 6 decimal places"),
        (lambda: quote(line(), line()), "two lines share a line number"),
        (lambda: quote(term_months=0), "term of 0 months"),
        (lambda: quote(payment_terms_days=400), "payment terms of 400 days"),
        (lambda: quote(currency="XYZ"), "unknown currency"),
    ],
)
def test_impossible_quotes_are_refused_with_where_and_why(view: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        view()  # type: ignore[operator]


def test_an_out_of_range_discount_rate_is_refused() -> None:
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        quote_economics(quote(line()), annual_rate=Decimal("1.5"))
