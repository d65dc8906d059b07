"""Exchange rates against one base currency, for single amounts and for whole frames.

A rate says what one unit of a currency is worth in the base currency from a given day on; it
stays in force until the next rate for that currency. Rates are held to ten decimal places
(half-up) so that the per-amount path and the columnar path compute with the same numbers.

The two paths round differently on purpose: `RateTable.to_base` returns Money, rounded half-up
to the base currency's minor unit (USD 2 places); `RateTable.to_base_frame` returns a
Decimal(38, 4) column rounded once, half away from zero (= ROUND_HALF_UP), from the exact
product, so that sums over many rows are taken before rounding to cents. In a frame, a row
whose amount, currency or (for a non-base currency) date is null gets a null result; base
currency rows need no date. Converted amounts must stay below 10**24 in absolute value.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

import polars as pl

from revdesk.core.errors import InvalidInput, NotFound
from revdesk.core.money import Money, currency_code, to_decimal

__all__ = ["AMOUNT_DTYPE", "RATE_DTYPE", "RATE_SCALE", "ExchangeRate", "RateTable"]

RATE_SCALE = 10
RATE_DTYPE = pl.Decimal(precision=38, scale=RATE_SCALE)
AMOUNT_DTYPE = pl.Decimal(precision=38, scale=4)
"""The dtype of converted amount columns: four decimals, rounded half away from zero."""

_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)
_RATE_QUANTUM = Decimal(1).scaleb(-RATE_SCALE)
_MISSING_SHOWN = 5
# Scratch columns for to_base_frame; the prefix keeps them clear of the caller's names.
_ROW, _KEY, _DAY, _RATE = "__fx_row", "__fx_currency", "__fx_valid_from", "__fx_rate"


def _day(value: object, *, what: str) -> date:
    # datetime is a subclass of date but does not compare with one; refuse it rather than guess.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{what} must be a date, not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class ExchangeRate:
    """One unit of `currency` is worth `rate` units of `base` from `valid_from` onwards.

    Codes are normalised to ISO 4217 and the rate is rounded half-up to ten decimal places;
    it must stay positive after that.

        >>> eur = ExchangeRate("eur", "USD", date(2024, 1, 1), Decimal("1.0950"))
        >>> eur.currency, eur.rate
        ('EUR', Decimal('1.0950000000'))
    """

    currency: str
    base: str
    valid_from: date
    rate: Decimal

    def __post_init__(self) -> None:
        currency, base = currency_code(self.currency), currency_code(self.base)
        if currency == base:
            raise InvalidInput(f"an exchange rate from {base} to itself is always 1")
        _day(self.valid_from, what="valid_from")
        rate = to_decimal(self.rate, what="exchange rate").quantize(_RATE_QUANTUM, context=_CONTEXT)
        if rate <= 0:
            raise InvalidInput(f"{currency}->{base} exchange rate must be positive, not {rate}")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "rate", rate)


class RateTable:
    """Exchange rates of many currencies against one base, looked up by day in O(log n).

    Converting between two non-base currencies goes through the base (a cross rate).

        >>> table = RateTable("USD", [
        ...     ExchangeRate("EUR", "USD", date(2024, 1, 1), Decimal("1.10")),
        ...     ExchangeRate("GBP", "USD", date(2024, 1, 1), Decimal("1.25")),
        ... ])
        >>> str(table.to_base(Money.of("100", "EUR"), date(2024, 3, 1)))
        'USD 110.00'
        >>> str(table.convert(Money.of("100", "EUR"), "GBP", date(2024, 3, 1)))
        'GBP 88.00'
    """

    def __init__(self, base: str, rates: Iterable[ExchangeRate]) -> None:
        self.base = currency_code(base)
        by_day: dict[str, dict[date, Decimal]] = {}
        for item in rates:
            if item.base != self.base:
                raise InvalidInput(
                    f"{item.currency}->{item.base} rate in a table based on {self.base}"
                )
            days = by_day.setdefault(item.currency, {})
            known = days.setdefault(item.valid_from, item.rate)
            if known != item.rate:
                raise InvalidInput(
                    f"two {item.currency}->{self.base} rates from {item.valid_from.isoformat()}: "
                    f"{known} and {item.rate}"
                )
        self._days = {code: sorted(days) for code, days in by_day.items()}
        self._rates = {code: [by_day[code][d] for d in days] for code, days in self._days.items()}

    @property
    def currencies(self) -> frozenset[str]:
        """Return every currency the table can convert, the base included."""
        return frozenset(self._days) | {self.base}

    def rate(self, currency: str, on: date) -> Decimal:
        """Return what one unit of `currency` is worth in the base currency on day `on`."""
        code = currency_code(currency)
        day = _day(on, what="conversion date")
        if code == self.base:
            return Decimal(1)
        position = bisect_right(self._days.get(code, []), day) - 1
        if position < 0:
            raise NotFound(f"no {code}->{self.base} exchange rate on or before {day.isoformat()}")
        return self._rates[code][position]

    def to_base(self, money: Money, on: date) -> Money:
        """Return `money` converted to the base currency at the rate in force on `on`."""
        rate = self.rate(money.currency, on)
        return Money(_CONTEXT.multiply(money.amount, rate), self.base)

    def convert(self, money: Money, to_currency: str, on: date) -> Money:
        """Return `money` in `to_currency`, crossing through the base currency on day `on`."""
        target = currency_code(to_currency)
        if target == money.currency:
            return money
        in_base = _CONTEXT.multiply(money.amount, self.rate(money.currency, on))
        return Money(_CONTEXT.divide(in_base, self.rate(target, on)), target)

    def frame(self) -> pl.DataFrame:
        """Return the rates as columns currency (String), valid_from (Date), rate (Decimal)."""
        rows = [
            (code, day, rate)
            for code in sorted(self._days)
            for day, rate in zip(self._days[code], self._rates[code], strict=True)
        ]
        return pl.DataFrame(
            rows,
            schema={"currency": pl.String, "valid_from": pl.Date, "rate": RATE_DTYPE},
            orient="row",
        )

    def to_base_frame(
        self, df: pl.DataFrame, *, amount: str, currency: str, on: str, out: str
    ) -> pl.DataFrame:
        """Return `df` with column `out`: `amount` in the base currency, Decimal(38, 4)."""
        scale = _check_columns(df, amount=amount, currency=currency, on=on)
        key = pl.col(currency).str.strip_chars().str.to_uppercase()
        left = df.with_row_index(_ROW).with_columns(key.alias(_KEY)).sort(on)
        right = self.frame().rename({"currency": _KEY, "valid_from": _DAY, "rate": _RATE})
        # Both sides are sorted by day; polars cannot check that itself when `by` is given.
        joined = left.join_asof(
            right.sort(_DAY),
            left_on=on,
            right_on=_DAY,
            by=_KEY,
            check_sortedness=False,
            coalesce=False,
        ).sort(_ROW)
        rate = (
            pl.when(pl.col(_KEY) == self.base)
            .then(pl.lit(Decimal(1), dtype=RATE_DTYPE))
            .otherwise(pl.col(_RATE))
        )
        joined = joined.with_columns(rate.alias(_RATE))
        _raise_for_missing(joined, amount=amount, on=on, base=self.base)
        # Widening the amount by the rate's scale makes the product exact, so the only
        # rounding is the final one to four places; polars' own multiply would round the
        # product half-to-even to the wider scale first and risk a double rounding.
        exact = pl.col(amount).cast(pl.Decimal(38, scale + RATE_SCALE)) * pl.col(_RATE)
        converted = exact.round(4, mode="half_away_from_zero").cast(AMOUNT_DTYPE)
        columns = df.columns if out in df.columns else [*df.columns, out]
        return joined.with_columns(converted.alias(out)).select(columns)


def _check_columns(df: pl.DataFrame, *, amount: str, currency: str, on: str) -> int:
    """Validate the three input columns and return the scale of the amount column."""
    missing = [name for name in (amount, currency, on) if name not in df.columns]
    if missing:
        raise InvalidInput(f"frame has no column(s) {', '.join(map(repr, missing))}")
    if df.schema[currency] != pl.String:
        raise InvalidInput(
            f"currency column {currency!r} must be String, not {df.schema[currency]}"
        )
    if df.schema[on] != pl.Date:
        raise InvalidInput(f"date column {on!r} must be Date, not {df.schema[on]}")
    dtype = df.schema[amount]
    if isinstance(dtype, pl.Decimal) and dtype.scale + RATE_SCALE <= 38:
        return dtype.scale
    if dtype.is_integer():
        return 0
    raise InvalidInput(f"amount column {amount!r} must be Decimal or integer, not {dtype}")


def _raise_for_missing(joined: pl.DataFrame, *, amount: str, on: str, base: str) -> None:
    """Raise NotFound naming the first (currency, date) pairs that have no rate."""
    lacking = (
        joined.filter(
            pl.col(_RATE).is_null()
            & pl.col(amount).is_not_null()
            & pl.col(_KEY).is_not_null()
            & pl.col(on).is_not_null()
        )
        .select(_KEY, on)
        .unique(maintain_order=True)
    )
    if lacking.height == 0:
        return
    shown = ", ".join(
        f"{code}->{base} on {day.isoformat()}"
        for code, day in lacking.head(_MISSING_SHOWN).iter_rows()
    )
    more = ", ..." if lacking.height > _MISSING_SHOWN else ""
    raise NotFound(
        f"no exchange rate on or before the row's date for {lacking.height} "
        f"(currency, date) pair(s): {shown}{more}"
    )
