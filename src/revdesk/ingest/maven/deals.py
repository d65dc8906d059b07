"""The Maven pipeline: deals, their stages, the history their dates imply, and the defects."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.crm.model import ForecastCategory, StageStatus
from revdesk.ingest.canonical import Extract
from revdesk.ingest.convert import Converter
from revdesk.ingest.dates import UTC_MICROS
from revdesk.ingest.model import Severity
from revdesk.ingest.read import RawTable

OPEN: Final = ("Prospecting", "Engaging")


def _squash(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _product_names(conv: Converter, products: list[str]) -> pl.Series:
    """Products as products.csv spells them; near spellings ('GTXPro') are corrected."""
    raw = conv.raw("product")
    by_key = {_squash(p): p for p in products}
    fixes = {
        v: by_key[_squash(v)]
        for v in raw.drop_nulls().unique().to_list()
        if v not in products and _squash(v) in by_key
    }
    conv.check(
        raw.is_in(list(fixes)),
        "product",
        "product not in products.csv: read as the product spelt alike",
        severity=Severity.WARNING,
    )
    unknown = raw.is_not_null() & ~raw.is_in(products) & ~raw.is_in(list(fixes))
    conv.check(unknown, "product", "product not in products.csv", severity=Severity.WARNING)
    return raw.replace(fixes)


def pipeline(extract: Extract, table: RawTable, products: list[str]) -> None:
    """Deals as opportunities, the stage definitions, and the implied stage history."""
    conv = Converter(table, "opportunities")
    ident, stage = conv.raw("opportunity_id"), conv.raw("deal_stage")
    conv.check(ident.is_null(), "opportunity_id", "missing value")
    conv.put("external_id", pl.select(pl.format("maven:{}", pl.lit(ident))).to_series())
    product = _product_names(conv, products)
    account = conv.raw("account")
    name = pl.select(
        pl.when(pl.lit(account).is_not_null())
        .then(pl.format("{} {}", pl.lit(account), pl.lit(product)))
        .otherwise(pl.format("{} ({})", pl.lit(product).fill_null("deal"), pl.lit(ident)))
    ).to_series()
    conv.put("name", name)
    conv.put("account", pl.select(pl.format("maven:{}", pl.lit(account))).to_series())
    conv.put("owner", pl.select(pl.format("maven:{}", pl.lit(conv.raw("sales_agent")))).to_series())
    conv.text("stage", "deal_stage", required=True)
    conv.put("currency", pl.Series(["USD"] * conv.height))
    conv.date("close_date", "close_date")
    conv.decimal("amount", "close_value", negative=False)
    if conv.date("created_at", "engage_date"):
        conv.put("created_at", conv.columns["created_at"].cast(UTC_MICROS))
    closed = ~stage.is_in(OPEN)
    conv.put("closed_at", conv.columns["close_date"].cast(UTC_MICROS).set(~closed, None))
    conv.put(
        "extra",
        pl.select(pl.struct(pl.lit(product).alias("product")).struct.json_encode()).to_series(),
    )
    _defects(conv, stage, account)
    frame, problems = conv.finish()
    extract.add_problems(problems)
    extract.put("opportunities", frame)
    extract.put("stages", stages(frame))
    extract.put("history", implied_history(frame))


def _defects(conv: Converter, stage: pl.Series, account: pl.Series) -> None:
    """The data set's known defects, as warnings with counts and example rows."""
    is_open = stage.is_in(OPEN)
    amount = conv.columns["amount"]
    conv.check(
        is_open & account.is_null(),
        "account",
        "open deal has no account",
        severity=Severity.WARNING,
        value=conv.raw("opportunity_id"),
    )
    lost_zero = (stage == "Lost") & (amount == 0)
    conv.check(
        lost_zero,
        "close_value",
        "lost deal has close_value 0: imported without an amount",
        severity=Severity.WARNING,
    )
    conv.put("amount", amount.set(lost_zero.fill_null(False), None))
    blank = is_open & amount.is_null() & conv.columns["close_date"].is_null()
    conv.check(
        blank,
        "close_value",
        "open deal has no amount and no close date",
        severity=Severity.WARNING,
        value=stage,
    )
    conv.check(
        conv.raw("engage_date").is_null(),
        "engage_date",
        "no engage date: the deal is dated at the import",
        severity=Severity.WARNING,
        value=stage,
    )


def stages(frame: pl.DataFrame) -> pl.DataFrame:
    """Prospecting and Engaging (open), Won and Lost; Engaging's probability is the win rate."""
    counts = frame["stage"].value_counts()
    seen = dict(zip(counts["stage"].to_list(), counts["count"].to_list(), strict=True))
    won, lost = seen.get("Won", 0), seen.get("Lost", 0)
    rate = Decimal(round(100 * won / (won + lost))) if won + lost else Decimal(50)
    rows = [
        ("Prospecting", 1, Decimal(10), ForecastCategory.PIPELINE, StageStatus.OPEN),
        ("Engaging", 2, rate, ForecastCategory.PIPELINE, StageStatus.OPEN),
        ("Won", 3, Decimal(100), ForecastCategory.CLOSED, StageStatus.WON),
        ("Lost", 4, Decimal(0), ForecastCategory.OMITTED, StageStatus.LOST),
    ]
    first = frame.group_by("stage").agg(pl.col("_file").first(), pl.col("_row").min())
    where = {r["stage"]: (r["_file"], r["_row"]) for r in first.iter_rows(named=True)}
    extra = sorted(set(seen) - {r[0] for r in rows} - {None})
    rows += [
        (s, 5 + i, Decimal(50), ForecastCategory.PIPELINE, StageStatus.OPEN)
        for i, s in enumerate(extra)
    ]
    return pl.DataFrame(
        [
            (n, o, p, c.value, s.value, *where.get(n, ("sales_pipeline.csv", 1)))
            for n, o, p, c, s in rows
        ],
        schema={
            "name": pl.String,
            "sort_order": pl.Int64,
            "default_probability": pl.Decimal(38, 4),
            "forecast_category": pl.String,
            "status": pl.String,
            "_file": pl.String,
            "_row": pl.Int64,
        },
        orient="row",
    )


def implied_history(frame: pl.DataFrame) -> pl.DataFrame:
    """Engaging from the engage date; Won/Lost, amount and close date from the close date."""
    engaged = frame.filter(pl.col("created_at").is_not_null()).select(
        pl.col("external_id").alias("opportunity"),
        pl.lit("stage").alias("field"),
        pl.lit(None, pl.String).alias("old_value"),
        pl.lit("Engaging").alias("new_value"),
        pl.col("created_at").alias("changed_at"),
        "_file",
        "_row",
    )
    closed = frame.filter(pl.col("closed_at").is_not_null() & pl.col("created_at").is_not_null())
    base = closed.select(
        pl.col("external_id").alias("opportunity"),
        "closed_at",
        "_file",
        "_row",
        "stage",
        "amount",
        "close_date",
    )
    parts = [engaged]
    for field, old, new in (
        ("stage", pl.lit("Engaging"), pl.col("stage")),
        ("amount", pl.lit(None, pl.String), pl.col("amount").cast(pl.String)),
        ("close_date", pl.lit(None, pl.String), pl.col("close_date").cast(pl.String)),
    ):
        parts.append(
            base.filter(new.is_not_null()).select(
                "opportunity",
                pl.lit(field).alias("field"),
                old.alias("old_value"),
                new.alias("new_value"),
                pl.col("closed_at").alias("changed_at"),
                "_file",
                "_row",
            )
        )
    return pl.concat(parts)
