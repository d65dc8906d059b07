"""The deals frame every pipeline metric and hygiene rule reads: one row per opportunity.

`deals(...)` takes the opportunities as of a moment (the output of `revdesk.crm.asof.as_of`,
or the current state) and adds the dimensions reports slice by and the amount in the base
currency. Pure: frames in, frame out.

Dimensions:
  rep      the owner's name (as of the moment); "(no owner)" when unknown
  team     the owner's team name; "(no team)"
  segment  the account's segment; "(no account)" when the deal has no account
  region   the account's region; "(no account)"
  product  the product of the largest line (by net value over the term) of the primary quote;
           "(no quote)" when the deal has no primary quote
Amounts are converted at the rate in force on `rate_day` for every deal, so that two snapshots
converted on the same day differ only by what happened to the deals, never by exchange rates.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from revdesk.core.fx import RateTable

DIMENSIONS: Final = ("rep", "team", "segment", "region", "product")
NO_OWNER, NO_TEAM, NO_ACCOUNT, NO_QUOTE = "(no owner)", "(no team)", "(no account)", "(no quote)"


def deals(
    opportunities: pl.DataFrame,
    *,
    users: pl.DataFrame,
    teams: pl.DataFrame,
    accounts: pl.DataFrame,
    main_products: pl.DataFrame,
    rates: RateTable,
    rate_day: date,
) -> pl.DataFrame:
    """Opportunities with rep, team, segment, region, product, manager_id and amount_base.

    `main_products` is `main_products(quote_lines, products)`: computed once, shared by the
    several moments a report looks at.
    """
    owners = users.join(
        teams.select(pl.col("id").alias("team_id"), pl.col("name").alias("team")),
        on="team_id",
        how="left",
    ).select(
        pl.col("id").alias("owner_id"),
        pl.col("name").alias("rep"),
        "team",
        "manager_id",
    )
    accts = accounts.select(pl.col("id").alias("account_id"), "segment", "region")
    frame = (
        opportunities.join(owners, on="owner_id", how="left")
        .join(accts, on="account_id", how="left")
        .join(main_products, on="id", how="left")
        .with_columns(
            pl.col("rep").fill_null(NO_OWNER),
            pl.col("team").fill_null(NO_TEAM),
            pl.col("segment").fill_null(NO_ACCOUNT),
            pl.col("region").fill_null(NO_ACCOUNT),
            pl.col("product").fill_null(NO_QUOTE),
            pl.lit(rate_day).alias("_rate_day"),
        )
    )
    converted = rates.to_base_frame(
        frame, amount="amount", currency="currency", on="_rate_day", out="amount_base"
    )
    return converted.drop("_rate_day")


def main_products(quote_lines: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Per opportunity, the name of the product on its largest primary-quote line."""
    value = pl.col("quantity") * pl.col("net_unit_price")
    return (
        quote_lines.with_columns(value.alias("_value"))
        .sort("_value", "id", descending=[True, False])
        .group_by("opportunity_id", maintain_order=True)
        .first()
        .join(
            products.select(pl.col("id").alias("product_id"), pl.col("name").alias("product")),
            on="product_id",
            how="left",
        )
        .select(pl.col("opportunity_id").alias("id"), "product")
    )
