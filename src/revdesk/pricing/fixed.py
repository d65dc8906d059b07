"""Fixed-point decimals at ten places: the one arithmetic of per-quote and columnar code.

Deal economics and policy conditions are computed twice, once per quote with `Decimal` and once
for millions of quotes with Polars, and the two must agree to the last digit. Polars rounds its
own decimal products half-to-even at the wider operand's scale, so the columnar side works on
integers instead: a number `x` is held as the Int128 `x * 10**10` ("units"). Addition and
comparison are exact; a product or a quotient is rounded **half away from zero** (the project's
half-up) to ten places by the same integer formula on both sides::

    >>> str(div(Decimal(2), Decimal(3)))
    '0.6666666667'
    >>> str(mul(Decimal("0.0000000001"), Decimal("0.5")))  # 0.5e-10, half away from zero
    '1E-10'

Dividing by zero gives zero: it is what a ratio of nothing to nothing should show, and a
columnar engine cannot raise for one row out of a million. Values must stay below 10**18 in
absolute value, and products and dividends below 10**17, so that no intermediate leaves Int128.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from revdesk.core.errors import InvalidInput

__all__ = [
    "HALF",
    "LIMIT",
    "SCALE",
    "UNIT",
    "UNITS",
    "decimal_units",
    "div",
    "div_expr",
    "div_int_expr",
    "div_int_units",
    "div_units",
    "from_units",
    "from_units_expr",
    "mul",
    "mul_expr",
    "mul_units",
    "to_units",
    "to_units_expr",
    "units_lit",
]

SCALE = 10
UNIT: int = 10**SCALE
HALF: int = UNIT // 2
LIMIT = Decimal(10) ** 18
UNITS = pl.Int128()
"""The Polars dtype of a number held in units."""


def to_units(value: Decimal) -> int:
    """Return `value * 10**10` as an int; more than ten decimal places is refused."""
    scaled = value.scaleb(SCALE)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{value} has more than {SCALE} decimal places")
    if abs(value) >= LIMIT:
        raise InvalidInput(f"{value} is too large (the limit is 10**18)")
    return int(scaled)


def from_units(units: int) -> Decimal:
    """Return the Decimal that `units` (a value times 10**10) stands for, at ten places."""
    return Decimal(units).scaleb(-SCALE)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def mul_units(left: int, right: int) -> int:
    """Product of two unit values, rounded half away from zero to ten places."""
    quotient, remainder = divmod(abs(right), UNIT)
    size = abs(left) * quotient + (abs(left) * remainder + HALF) // UNIT
    return _sign(left) * _sign(right) * size


def div_units(left: int, right: int) -> int:
    """Quotient of two unit values, rounded half away from zero; zero when `right` is zero."""
    if right == 0:
        return 0
    size = (2 * abs(left) * UNIT + abs(right)) // (2 * abs(right))
    return _sign(left) * _sign(right) * size


def div_int_units(left: int, divisor: int) -> int:
    """`left` units divided by a positive int, rounded half away from zero (= div_units)."""
    return _sign(left) * ((2 * abs(left) + divisor) // (2 * divisor))


def mul(left: Decimal, right: Decimal) -> Decimal:
    """`left * right` rounded half away from zero to ten places."""
    return from_units(mul_units(to_units(left), to_units(right)))


def div(left: Decimal, right: Decimal) -> Decimal:
    """`left / right` rounded half away from zero to ten places; zero when `right` is zero."""
    return from_units(div_units(to_units(left), to_units(right)))


# -- the same formulas on Int128 columns ----------------------------------------------------


def units_lit(units: int) -> pl.Expr:
    """An Int128 literal (plain Python ints above 2**63 do not fit Polars' default)."""
    return pl.lit(units, dtype=UNITS)


def to_units_expr(expr: pl.Expr, *, scale: int = SCALE) -> pl.Expr:
    """A Decimal column as integers at `scale` places (exact for columns of at most `scale`)."""
    widened = expr.cast(pl.Decimal(38, scale)) * pl.lit(10**scale, dtype=pl.Decimal(38, 0))
    return widened.cast(UNITS)


def decimal_units(frame: pl.DataFrame, column: str, *, scale: int = SCALE) -> pl.Expr:
    """Column `column` of `frame` as integers at `scale` places, reading the Decimal's own
    integer representation when its scale allows (no arithmetic: much faster)."""
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Decimal) and dtype.scale <= scale:
        physical = pl.col(column).to_physical()
        return (
            physical if dtype.scale == scale else physical * units_lit(10 ** (scale - dtype.scale))
        )
    return to_units_expr(pl.col(column), scale=scale)


def from_units_expr(expr: pl.Expr) -> pl.Expr:
    """An Int128 units column as Decimal(38, 10)."""
    return expr.cast(pl.Decimal(38, 0)) * pl.lit(Decimal(1).scaleb(-SCALE), pl.Decimal(38, SCALE))


def mul_expr(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Columnar `mul_units`."""
    size_right = right.abs()
    quotient, remainder = size_right // units_lit(UNIT), size_right % units_lit(UNIT)
    size = left.abs() * quotient + (left.abs() * remainder + units_lit(HALF)) // units_lit(UNIT)
    return left.sign() * right.sign() * size


def div_int_expr(left: pl.Expr, divisor: pl.Expr) -> pl.Expr:
    """Columnar `div_int_units` (`divisor` a positive integer column)."""
    size = (units_lit(2) * left.abs() + divisor) // (units_lit(2) * divisor)
    return left.sign() * size


def div_expr(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Columnar `div_units` (zero where `right` is zero)."""
    safe = pl.when(right == 0).then(units_lit(1)).otherwise(right.abs())
    size = (units_lit(2 * UNIT) * left.abs() + safe) // (units_lit(2) * safe)
    return pl.when(right == 0).then(units_lit(0)).otherwise(left.sign() * right.sign() * size)
