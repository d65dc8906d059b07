"""The quote rows of one batch: quotes (one or two versions), their lines and clauses.

The last version of a deal's quote is the primary one; its ACV is the deal's amount. Statuses
follow the deal: accepted when won, expired when lost or superseded, and for open deals what a
quote in that stage usually is (draft, in review, approved or presented).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from revdesk.crm.model import QuoteStatus
from revdesk.demo.catalogue import Catalogue
from revdesk.demo.events import Batch, last_values
from revdesk.demo.model import LOST, PROPOSAL, WON, DemoParameters
from revdesk.demo.quotes import BILLING, clauses, net_cents
from revdesk.demo.records import Starts, owner_at
from revdesk.demo.timeline import NEVER, Ints, month_end

_OPEN_STATUS = (
    QuoteStatus.DRAFT,
    QuoteStatus.IN_REVIEW,
    QuoteStatus.APPROVED,
    QuoteStatus.PRESENTED,
)
_OPEN_WEIGHTS = (0.15, 0.15, 0.2, 0.5)


def quote_versions(batch: Batch) -> pl.DataFrame:
    """One row per quote version: deal, version, moment, whether it is the primary one."""
    deals = batch.deals
    quoted = np.flatnonzero(deals.quote_at >= 0)
    again = quoted[deals.requote_at[quoted] < NEVER]
    frame = pl.DataFrame(
        {
            "deal": np.concatenate([quoted, again]),
            "version": np.concatenate([np.ones(quoted.size), np.full(again.size, 2)]).astype(
                np.int64
            ),
            "at": np.concatenate([deals.quote_at[quoted], deals.requote_at[again]]),
        }
    )
    primary = pl.col("version") == pl.col("version").max().over("deal")
    return frame.sort("deal", "version").with_columns(primary=primary)


def _statuses(rng: np.random.Generator, versions: pl.DataFrame, stage: Ints) -> pl.Series:
    """Status of each quote version from its deal's stage today."""
    deal_stage = stage[versions["deal"].to_numpy()]
    primary = versions["primary"].to_numpy()
    weights = np.asarray(_OPEN_WEIGHTS)
    draw = np.asarray(_OPEN_STATUS)[rng.choice(weights.size, size=deal_stage.size, p=weights)]
    open_status = np.where(deal_stage == PROPOSAL, draw, QuoteStatus.PRESENTED.value)
    status = np.select(
        [~primary, deal_stage == WON, deal_stage == LOST],
        [QuoteStatus.EXPIRED.value, QuoteStatus.ACCEPTED.value, QuoteStatus.EXPIRED.value],
        open_status,
    )
    return pl.Series("status", status, dtype=pl.String)


def quote_frames(
    rng: np.random.Generator,
    batch: Batch,
    *,
    catalogue: Catalogue,
    params: DemoParameters,
    starts: Starts,
    price_book_id: int,
) -> dict[str, pl.DataFrame]:
    """The quotes, quote_lines and quote_clauses rows of the batch."""
    versions = quote_versions(batch).with_row_index("quote")
    versions = versions.with_columns(id=pl.col("quote").cast(pl.Int64) + starts.quotes)
    return {
        "quotes": _quotes(rng, batch, versions, starts, price_book_id),
        "quote_lines": _lines(batch, versions, catalogue, params, starts),
        "quote_clauses": _clauses(rng, batch, versions, params, starts),
    }


def _quotes(
    rng: np.random.Generator,
    batch: Batch,
    versions: pl.DataFrame,
    starts: Starts,
    price_book_id: int,
) -> pl.DataFrame:
    """One row per quote version: terms of its deal, status, author and moment."""
    deals, state = batch.deals, batch.state
    deal = versions["deal"].to_numpy()
    close_day = last_values(batch.events["close_date"], state.height)[deal]
    at = versions["at"]
    billing = np.asarray([b.value for b in BILLING])[deals.terms.billing[deal]]
    author = owner_at(batch.events["owner"], deal, at.to_numpy())
    return versions.select(
        "id",
        pl.lit(None, dtype=pl.String).alias("external_id"),
        (pl.col("deal") + starts.opportunities).alias("opportunity_id"),
        "version",
        _statuses(rng, versions, state["stage"].to_numpy()),
        pl.lit(state["currency"].to_numpy()[deal]).alias("currency"),
        pl.lit(month_end(close_day) + 1).cast(pl.Int32).cast(pl.Date).alias("start_date"),
        pl.lit(deals.terms.months[deal]).alias("term_months"),
        pl.lit(billing).alias("billing_frequency"),
        pl.lit(deals.terms.payment_days[deal]).alias("payment_terms_days"),
        pl.col("primary").alias("is_primary"),
        pl.lit(price_book_id).alias("price_book_id"),
        pl.lit(author).alias("created_by_id"),
        _utc(at).alias("created_at"),
        _utc(at).alias("updated_at"),
        pl.lit(1).alias("row_version"),
    )


def _utc(micros: pl.Series) -> pl.Series:
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _lines(
    batch: Batch,
    versions: pl.DataFrame,
    catalogue: Catalogue,
    params: DemoParameters,
    starts: Starts,
) -> pl.DataFrame:
    """The lines of every version: same products and quantities, the version's net prices."""
    deals, lines = batch.deals, batch.lines
    frame = pl.DataFrame(
        {
            "deal": lines.deal,
            "line_no": lines.line_no,
            "product_id": catalogue.product_id[lines.product],
            "quantity": lines.quantity,
            "list": lines.list_cents,
            "net_first": net_cents(lines, deals.rate_first, params.quotes),
            "net_final": net_cents(lines, deals.rate_final, params.quotes),
        }
    )
    joined = versions.select("deal", "version", "id").join(frame, on="deal").sort("id", "line_no")
    net = pl.when(pl.col("version") == 1).then("net_first").otherwise("net_final")
    return joined.select(
        pl.int_range(starts.quote_lines, starts.quote_lines + pl.len()).alias("id"),
        pl.col("id").alias("quote_id"),
        "line_no",
        "product_id",
        pl.col("quantity").cast(pl.Decimal(18, 4)),
        _money(pl.col("list")).alias("list_unit_price"),
        _money(net).alias("net_unit_price"),
        pl.lit(None, dtype=pl.String).alias("description"),
    )


def _money(value: pl.Expr) -> pl.Expr:
    """Cents as Decimal(38, 2)."""
    return value.cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"))


def _clauses(
    rng: np.random.Generator,
    batch: Batch,
    versions: pl.DataFrame,
    params: DemoParameters,
    starts: Starts,
) -> pl.DataFrame:
    """Non-standard clauses on primary quotes, at each segment's rate."""
    primary = versions.filter("primary")
    segment = batch.deals.segment[primary["deal"].to_numpy()]
    found = clauses(rng, segment, params.segments, params.quotes)
    quote_id = primary["id"].to_numpy()[found["quote"].to_numpy()]
    return found.select(
        pl.int_range(starts.quote_clauses, starts.quote_clauses + pl.len()).alias("id"),
        pl.lit(quote_id).alias("quote_id"),
        "kind",
        "parameters",
        "text",
    )
