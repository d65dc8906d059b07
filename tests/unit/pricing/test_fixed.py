"""Ten-place fixed-point arithmetic: the same answer from Decimal and from Int128 columns."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revdesk.core.errors import InvalidInput
from revdesk.pricing.fixed import (
    UNITS,
    decimal_units,
    div,
    div_expr,
    div_int_expr,
    div_int_units,
    from_units,
    from_units_expr,
    mul,
    mul_expr,
    to_units,
)

values = st.decimals(min_value=-(10**6), max_value=10**6, places=10)


@pytest.mark.parametrize(
    ("left", "right", "product", "quotient"),
    [
        ("2", "3", "6", "0.6666666667"),
        ("-2", "3", "-6", "-0.6666666667"),
        ("0.00001", "0.000005", "1E-10", "2"),  # 0.5e-10 rounds away from zero
        ("-0.00001", "0.000005", "-1E-10", "-2"),
        ("0.00001", "0.000004", "0", "2.5"),
        ("1", "0", "0", "0"),  # dividing by zero gives zero
    ],
)
def test_products_and_quotients_round_half_away_from_zero(
    left: str, right: str, product: str, quotient: str
) -> None:
    assert mul(Decimal(left), Decimal(right)) == Decimal(product)
    assert div(Decimal(left), Decimal(right)) == Decimal(quotient)


def test_more_than_ten_places_or_too_large_is_refused() -> None:
    with pytest.raises(InvalidInput, match="more than 10 decimal places"):
        to_units(Decimal("0.00000000001"))
    with pytest.raises(InvalidInput, match="too large"):
        to_units(Decimal(10) ** 18)


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(values, values), min_size=1, max_size=20))
def test_columns_compute_exactly_what_decimals_do(pairs: list[tuple[Decimal, Decimal]]) -> None:
    frame = pl.DataFrame(
        {"a": [to_units(a) for a, _ in pairs], "b": [to_units(b) for _, b in pairs]},
        schema={"a": UNITS, "b": UNITS},
    )

    out = frame.select(
        from_units_expr(mul_expr(pl.col("a"), pl.col("b"))).alias("mul"),
        from_units_expr(div_expr(pl.col("a"), pl.col("b"))).alias("div"),
        from_units_expr(div_int_expr(pl.col("a"), pl.lit(7, UNITS))).alias("seventh"),
    )

    assert out["mul"].to_list() == [mul(a, b) for a, b in pairs]
    assert out["div"].to_list() == [div(a, b) for a, b in pairs]
    assert out["seventh"].to_list() == [from_units(div_int_units(to_units(a), 7)) for a, _ in pairs]


def test_decimal_columns_become_units_without_arithmetic() -> None:
    frame = pl.DataFrame(
        {"q": [Decimal("1.2345"), Decimal("-2")], "p": [Decimal("0.000001"), Decimal("9.5")]},
        schema={"q": pl.Decimal(38, 4), "p": pl.Decimal(38, 6)},
    )

    out = frame.select(decimal_units(frame, "q", scale=4), decimal_units(frame, "p"))

    assert out.rows() == [(12345, 10_000), (-20_000, 95_000_000_000)]
