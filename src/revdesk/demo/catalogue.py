"""Currencies with monthly exchange rates, and the price book in every currency.

Rates follow a seeded random walk from `OrgParameters.usd_rates`, one rate per currency and
calendar month (valid from day 1), stated against the configured base currency. Local list prices
are the USD price converted at the window's first rate and rounded to a price point (0.50 for
per-unit prices, 50 for services). Money is held in integer cents here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.demo.model import DemoParameters
from revdesk.demo.timeline import Floats, Ints, World, month_index, month_start_day

_RATE_DIGITS = 6


@dataclass(frozen=True)
class Catalogue:
    """Currencies and their USD value by month; products with list, floor and cost in cents."""

    currencies: tuple[str, ...]
    usd_per_unit: Floats
    first_month: int
    product_id: Ints
    recurring: npt.NDArray[np.bool_]
    list_cents: Ints

    def usd_value(self, currency: Ints, days: Ints) -> Floats:
        """USD value of one unit of each currency on each day (the month's rate)."""
        column = np.clip(month_index(days) - self.first_month, 0, self.usd_per_unit.shape[1] - 1)
        return np.asarray(self.usd_per_unit[currency, column], dtype=np.float64)


def build_catalogue(
    rng: np.random.Generator, world: World, params: DemoParameters, *, starts: dict[str, int]
) -> tuple[Catalogue, dict[str, pl.DataFrame]]:
    """Generate rates and the price book; return the catalogue and the frames to write."""
    codes = tuple(code for code, _ in params.org.usd_rates)
    if world.base_currency not in codes:
        raise InvalidInput(
            f"the demo company needs a base currency among {', '.join(codes)}, "
            f"not {world.base_currency}"
        )
    first = int(month_index(np.array([world.start_day]))[0])
    last = int(month_index(np.array([world.today_day]))[0])
    usd = _usd_paths(rng, params, last - first + 1)
    specs = params.quotes.products
    list_cents = _list_prices(params, usd[:, 0])
    catalogue = Catalogue(
        currencies=codes,
        usd_per_unit=usd,
        first_month=first,
        product_id=starts["products"] + np.arange(len(specs), dtype=np.int64),
        recurring=np.array([s.recurring for s in specs]),
        list_cents=list_cents,
    )
    frames = {
        "exchange_rates": _rates(world, codes, usd, first, starts["exchange_rates"]),
        "products": _products(params, starts["products"]),
        "price_books": pl.DataFrame(
            {
                "id": [starts["price_books"]],
                "name": ["Standard"],
                "is_standard": [True],
                "active": [True],
            }
        ),
        "price_book_entries": _entries(params, catalogue, starts),
    }
    return catalogue, frames


def _usd_paths(rng: np.random.Generator, params: DemoParameters, months: int) -> Floats:
    """USD value of each currency (rows) in each month (columns); USD itself stays 1."""
    start = np.array([value for _, value in params.org.usd_rates])
    steps = rng.normal(0.0, params.org.fx_monthly_sigma, (start.size, months))
    steps[:, 0] = 0.0
    paths = start[:, None] * np.exp(np.cumsum(steps, axis=1))
    paths[start == 1.0] = 1.0  # the anchor currency
    return np.asarray(paths, dtype=np.float64)


def _list_prices(params: DemoParameters, usd_now: Floats) -> Ints:
    """List price in cents of each product (rows) in each currency (columns)."""
    usd_cents = np.array([round(float(s.list_usd) * 100) for s in params.quotes.products])
    recurring = np.array([s.recurring for s in params.quotes.products])
    local = usd_cents[:, None] / usd_now[None, :]
    point = np.where(recurring, 50, 5000)[:, None]  # 0.50 per unit, 50 per service
    cents = np.maximum(np.round(local / point), 1) * point
    cents[:, usd_now == 1.0] = usd_cents[:, None]
    return np.asarray(cents, dtype=np.int64)


def _rates(
    world: World, codes: tuple[str, ...], usd: Floats, first: int, start: int
) -> pl.DataFrame:
    """One rate per non-base currency and month, against the base currency."""
    base = codes.index(world.base_currency)
    others = [c for c in range(len(codes)) if c != base]
    months = usd.shape[1]
    rate = (usd[others] / usd[base][None, :]).round(_RATE_DIGITS).ravel()
    valid_from = np.tile(month_start_day(first + np.arange(months)), len(others))
    return pl.DataFrame(
        {
            "id": start + np.arange(rate.size, dtype=np.int64),
            "currency": np.repeat(np.asarray(codes)[others], months),
            "base": world.base_currency,
            "valid_from": pl.Series(valid_from).cast(pl.Int32).cast(pl.Date),
            "rate": pl.Series([f"{r:.{_RATE_DIGITS}f}" for r in rate]).cast(pl.Decimal(24, 10)),
        }
    )


def _products(params: DemoParameters, start: int) -> pl.DataFrame:
    """The product rows."""
    specs = params.quotes.products
    return pl.DataFrame(
        {
            "id": start + np.arange(len(specs), dtype=np.int64),
            "sku": [s.sku for s in specs],
            "name": [s.name for s in specs],
            "family": [s.family for s in specs],
            "recurring": [s.recurring for s in specs],
            "active": True,
            "description": [
                "Per unit per month" if s.recurring else "One-time, per unit" for s in specs
            ],
        }
    )


def _entries(params: DemoParameters, catalogue: Catalogue, starts: dict[str, int]) -> pl.DataFrame:
    """Standard price book entries: list, floor and cost of every product in every currency."""
    specs = params.quotes.products
    n_products, n_currencies = catalogue.list_cents.shape
    floor = np.array([s.floor_ratio for s in specs])[:, None] * catalogue.list_cents
    cost = np.array([s.cost_ratio for s in specs])[:, None] * catalogue.list_cents
    return pl.DataFrame(
        {
            "id": starts["price_book_entries"] + np.arange(n_products * n_currencies),
            "price_book_id": starts["price_books"],
            "product_id": np.repeat(catalogue.product_id, n_currencies),
            "currency": np.tile(np.asarray(catalogue.currencies), n_products),
            "list_price": cents(catalogue.list_cents.ravel()),
            "floor_price": cents(np.round(floor).astype(np.int64).ravel()),
            "unit_cost": cents(np.round(cost).astype(np.int64).ravel()),
            "active": True,
        }
    )


def cents(values: Ints) -> pl.Series:
    """Integer cents as an exact Decimal(38, 2) series."""
    return pl.Series(values, dtype=pl.Int64).cast(pl.Decimal(38, 0)) * Decimal("0.01")
