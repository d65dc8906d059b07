"""The discount rule, net prices and ACV: hand-computed cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from revdesk.demo.model import QuoteParameters
from revdesk.demo.quotes import Lines, acv_cents, discount_rule, net_cents

PARAMS = QuoteParameters()


@pytest.mark.parametrize(
    ("habit", "size", "quarter_end", "ramping", "expected"),
    [
        (0.10, 1.0, False, False, 0.10),  # the rep's habit alone
        (0.10, 1.0, True, False, 0.15),  # + 5 points in the last two weeks of a quarter
        (0.10, 4.0, False, False, 0.18),  # + 4 points per doubling over the segment median
        (0.10, 0.5, False, True, 0.09),  # - 4 for half the size, + 3 for a ramping rep
        (0.60, 1.0, True, False, 0.50),  # never above max_discount
        (0.01, 0.25, False, False, 0.0),  # never below zero
    ],
)
def test_discount_rule(
    habit: float, size: float, quarter_end: bool, ramping: bool, expected: float
) -> None:
    rate = discount_rule(
        np.array([habit]), np.array([size]), np.array([quarter_end]), np.array([ramping]), PARAMS
    )

    assert rate[0] == pytest.approx(expected)


def _lines() -> Lines:
    return Lines(
        deal=np.array([0, 0, 1]),
        line_no=np.array([1, 2, 1]),
        product=np.array([1, 6, 0]),
        quantity=np.array([10, 1, 3]),
        list_cents=np.array([4_500, 1_500_000, 2_500]),
        recurring=np.array([True, False, True]),
    )


def test_net_prices_take_the_discount_and_services_half_of_it() -> None:
    net = net_cents(_lines(), np.array([0.10, 1.0]), PARAMS)

    assert net.tolist() == [4_050, 1_425_000, 0]


def test_acv_is_twelve_months_of_recurring_net_plus_one_time_net() -> None:
    lines = _lines()
    net = net_cents(lines, np.array([0.10, 0.0]), replace(PARAMS, services_discount_factor=0.0))

    assert acv_cents(lines, net, 2).tolist() == [10 * 4_050 * 12 + 1_500_000, 3 * 2_500 * 12]
    assert acv_cents(lines, net, 2, recurring_only=True).tolist() == [486_000, 90_000]
