"""The columnar economics agree exactly with the per-quote economics, on random quotes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import BillingFrequency
from revdesk.pricing.columnar import QUOTE_FIGURES, economics_frame, economics_units
from revdesk.pricing.economics import quote_economics
from revdesk.pricing.fixed import from_units
from revdesk.pricing.frames import frames_from_views
from revdesk.pricing.model import LineView, QuoteView, RampPeriod

quantities = st.decimals(min_value=0, max_value=5000, places=4)
prices = st.decimals(min_value=0, max_value=100_000, places=6)


@st.composite
def ramps(draw: st.DrawFn, term: int) -> tuple[RampPeriod, ...]:
    cuts = sorted(draw(st.sets(st.integers(1, term), max_size=3)))
    periods: list[RampPeriod] = []
    if not cuts:
        return ()
    for start, end in zip(cuts, [*cuts[1:], term + 1], strict=True):
        if draw(st.booleans()):  # leave a gap now and then
            periods.append(RampPeriod(start, end - start, draw(quantities), draw(prices)))
    return tuple(periods)


@st.composite
def lines(draw: st.DrawFn, term: int, number: int) -> LineView:
    recurring = draw(st.booleans())
    return LineView(
        line_no=number,
        sku=f"S{number}",
        family=draw(st.sampled_from(["Platform", "Add-on", ""])),
        recurring=recurring,
        quantity=draw(quantities),
        list_unit_price=draw(prices),
        net_unit_price=draw(prices),
        unit_cost=draw(st.none() | prices),
        floor_price=draw(st.none() | prices),
        ramps=draw(ramps(term)) if recurring and draw(st.booleans()) else (),
    )


@st.composite
def quotes(draw: st.DrawFn, quote_id: int) -> QuoteView:
    term = draw(st.integers(1, 60))
    count = draw(st.integers(0, 4))
    return QuoteView(
        quote_id=quote_id,
        currency="USD",
        start_date=date(2027, 1, 1),
        term_months=term,
        billing_frequency=draw(st.sampled_from(list(BillingFrequency))),
        payment_terms_days=draw(st.sampled_from([0, 15, 30, 45, 60, 90, 365])),
        lines=tuple(draw(lines(term, n)) for n in range(1, count + 1)),
    )


@st.composite
def many_quotes(draw: st.DrawFn) -> list[QuoteView]:
    return [draw(quotes(n)) for n in range(1, draw(st.integers(1, 6)) + 1)]


@settings(max_examples=150, deadline=None)
@given(views=many_quotes(), rate=st.sampled_from([Decimal("0.10"), Decimal("0.075"), Decimal(0)]))
def test_every_figure_of_every_quote_agrees_with_the_per_quote_version(
    views: list[QuoteView], rate: Decimal
) -> None:
    frames = frames_from_views(views)

    table = economics_frame(frames.quotes, frames.lines, frames.ramps, annual_rate=rate)

    assert table["quote_id"].to_list() == [v.quote_id for v in views]
    for view, row in zip(views, table.iter_rows(named=True), strict=True):
        expected = quote_economics(view, annual_rate=rate)
        for name in QUOTE_FIGURES:
            assert row[name] == getattr(expected, name), (view.quote_id, name)
        assert row["line_count"] == len(view.lines)
        assert row["ramped"] == any(line.ramps for line in view.lines)


@settings(max_examples=60, deadline=None)
@given(view=quotes(1))
def test_line_figures_agree_with_the_per_quote_lines(view: QuoteView) -> None:
    frames = frames_from_views([view])

    units = economics_units(frames.quotes, frames.lines, frames.ramps).lines

    expected = quote_economics(view).lines
    assert units.height == len(expected)
    for row, line in zip(units.iter_rows(named=True), expected, strict=True):
        for name in ("list_total", "net_total", "cost_total", "discount", "unit_discount"):
            assert from_units(row[name]) == getattr(line, name), name
        assert from_units(row["margin"]) == line.margin
        assert from_units(row["ramp_concession"]) == line.ramp_concession
        assert from_units(row["min_net_unit_price"]) == line.min_net_unit_price
        assert (row["below_floor"], row["ramped"]) == (line.below_floor, line.ramped)


def test_a_quote_without_lines_has_zero_figures() -> None:
    frames = frames_from_views(
        [QuoteView(9, "USD", date(2027, 1, 1), 12, BillingFrequency.ANNUAL, 30, lines=())]
    )

    row = economics_frame(frames.quotes, frames.lines, frames.ramps).row(0, named=True)

    assert all(row[name] == 0 for name in QUOTE_FIGURES)
    assert (row["line_count"], row["ramped"]) == (0, False)


def test_ramps_outside_the_term_are_refused_naming_the_quote_and_line() -> None:
    view = QuoteView(
        5,
        "USD",
        date(2027, 1, 1),
        12,
        BillingFrequency.ANNUAL,
        30,
        lines=(
            LineView(
                2,
                "S",
                True,
                Decimal(1),
                Decimal(1),
                Decimal(1),
                ramps=(RampPeriod(1, 12, Decimal(1), Decimal(1)),),
            ),
        ),
    )
    frames = frames_from_views([view])
    late = frames.ramps.with_columns(pl.lit(6).cast(pl.Int64).alias("start_month"))

    with pytest.raises(InvalidInput, match=r"quote 5 line 2: ramp from month 6 to 17"):
        economics_frame(frames.quotes, frames.lines, late)
