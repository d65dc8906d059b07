"""Money: a `Decimal` amount in one ISO 4217 currency, rounded to that currency's minor unit.

Floats never become money here: every entry point refuses them with `InvalidInput`, because a
binary float cannot hold 0.10 exactly and the error surfaces as a cent lost in a total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from typing import TypeAlias

from babel.numbers import get_currency_precision, list_currencies

from revdesk.core.errors import CurrencyMismatch, InvalidInput, UnknownCurrency

__all__ = [
    "DecimalLike",
    "Money",
    "currency_code",
    "minor_units",
    "sum_money",
    "to_decimal",
]

DecimalLike: TypeAlias = Decimal | int | str
"""What may become an amount or a factor: never a float."""

# Wide enough that rounding to a minor unit never trips the 28-digit default context, and
# independent of whatever decimal context the caller happens to have set.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


@cache
def _iso_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_code(code: str) -> str:
    """Return `code` stripped and upper-cased, or raise UnknownCurrency if it is not ISO 4217."""
    normal = code.strip().upper() if isinstance(code, str) else ""
    if normal not in _iso_codes():
        raise UnknownCurrency(f"unknown currency code {code!r} (not ISO 4217)")
    return normal


@cache
def minor_units(code: str) -> int:
    """Return the number of decimal places of the currency's minor unit (USD 2, JPY 0)."""
    return int(get_currency_precision(currency_code(code)))


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Return `value` (Decimal, int or str) as a finite Decimal; floats and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidInput(f"{what} must be a Decimal, int or str, not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidInput(f"{what} {value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidInput(f"{what} must be finite, not {number}")
    return number


def _round(amount: Decimal, currency: str) -> Decimal:
    # ROUND_HALF_UP (half away from zero) is commercial rounding: what invoices, CRMs and
    # spreadsheets do, so totals here match the ones users see elsewhere. Banker's rounding
    # would turn 0.125 into 0.12 and disagree with the source system by a cent.
    exponent = Decimal(1).scaleb(-minor_units(currency))
    try:
        rounded = amount.quantize(exponent, context=_CONTEXT)
    except InvalidOperation:
        raise InvalidInput(f"amount {amount} is too large to hold as {currency}") from None
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.00"


def _mismatch(left: str, right: str) -> CurrencyMismatch:
    return CurrencyMismatch(f"cannot combine {left} and {right} amounts")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, always rounded half-up to that currency's minor unit.

    Construction normalises the currency code and rounds the amount, so two equal-looking
    values compare equal. Arithmetic stays within one currency; mixing raises CurrencyMismatch.

        >>> price = Money.of("19.999", "usd")
        >>> str(price), str(price * 3), str(-price)
        ('USD 20.00', 'USD 60.00', 'USD -20.00')
        >>> [str(part) for part in Money.of(100, "EUR").allocate([1, 1, 1])]
        ['EUR 33.34', 'EUR 33.33', 'EUR 33.33']
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        currency = currency_code(self.currency)
        amount = _round(to_decimal(self.amount), currency)
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", amount)

    @classmethod
    def of(cls, amount: DecimalLike, currency: str) -> Money:
        """Return Money from a Decimal, int or numeric string (floats are refused)."""
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in `currency`."""
        return cls(Decimal(0), currency)

    def is_zero(self) -> bool:
        """Return True when the amount is zero."""
        return self.amount.is_zero()

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise _mismatch(self.currency, other.currency)

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(_CONTEXT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(_CONTEXT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(self.amount.copy_negate(), self.currency)

    def __abs__(self) -> Money:
        return Money(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: object) -> Money:
        if not isinstance(factor, Decimal | int | float):
            return NotImplemented
        number = to_decimal(factor, what="factor")  # refuses float
        return Money(_CONTEXT.multiply(self.amount, number), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if not isinstance(divisor, Decimal | int | float):
            return NotImplemented
        number = to_decimal(divisor, what="divisor")  # refuses float
        if number.is_zero():
            raise InvalidInput("cannot divide money by zero")
        return Money(_CONTEXT.divide(self.amount, number), self.currency)

    def _compare_key(self, other: object) -> Decimal | None:
        if not isinstance(other, Money):
            return None
        self._same_currency(other)
        return other.amount

    def __lt__(self, other: object) -> bool:
        key = self._compare_key(other)
        return NotImplemented if key is None else self.amount < key

    def __le__(self, other: object) -> bool:
        key = self._compare_key(other)
        return NotImplemented if key is None else self.amount <= key

    def __gt__(self, other: object) -> bool:
        key = self._compare_key(other)
        return NotImplemented if key is None else self.amount > key

    def __ge__(self, other: object) -> bool:
        key = self._compare_key(other)
        return NotImplemented if key is None else self.amount >= key

    def allocate(self, ratios: Sequence[int | Decimal]) -> list[Money]:
        """Split by `ratios` so the parts sum exactly to this amount (largest remainder)."""
        weights = _weights(ratios)
        places = minor_units(self.currency)
        units = int(self.amount.scaleb(places, context=_CONTEXT))
        sign, units = (-1 if units < 0 else 1), abs(units)
        total = sum(weights)
        exact = [Fraction(units) * weight / total for weight in weights]
        shares = [int(share) for share in exact]  # floor: every share is non-negative
        leftover = units - sum(shares)
        # Earlier parts win ties, so the result is deterministic and stable across runs.
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
        for index in by_remainder[:leftover]:
            shares[index] += 1
        return [
            Money(Decimal(sign * share).scaleb(-places, _CONTEXT), self.currency)
            for share in shares
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{minor_units(self.currency)}f}"


def _weights(ratios: Sequence[int | Decimal]) -> list[Fraction]:
    if not ratios:
        raise InvalidInput("allocate needs at least one ratio")
    weights = [Fraction(to_decimal(ratio, what="ratio")) for ratio in ratios]
    if any(weight < 0 for weight in weights):
        raise InvalidInput("allocation ratios must not be negative")
    if sum(weights) == 0:
        raise InvalidInput("allocation ratios must not all be zero")
    return weights


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Return the total of `items` in `currency`; an empty iterable sums to zero."""
    total = Money.zero(currency)
    for item in items:
        total += item
    return total
