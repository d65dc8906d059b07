"""HubSpot deal stages, mapped per pipeline.

A deal's stage is named by its pipeline and its stage (a label such as "Contract Sent" or an
internal id such as "contractsent", which becomes its label). With a stage map
(`{pipeline: {hubspot stage: revdesk stage}}`, from YAML) those names are used. Without one,
stages of the default pipeline ("Sales Pipeline") keep their label and stages of any other
pipeline are named "<pipeline>: <stage>", so that two pipelines' "Closed Won" stay apart.

Stage definitions come from the default pipeline's known stages (their usual probabilities),
from the deals' "Deal probability" and "Forecast category", and from the stage's name ('won',
'lost') or "Is Closed Won".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import ForecastCategory, StageStatus
from revdesk.ingest.convert import Converter
from revdesk.ingest.dates import UTC_MICROS
from revdesk.ingest.values import forecast_category, parse_bool, parse_decimal

DEFAULT_PIPELINES: Final = ("sales pipeline", "default", "")
KNOWN: Final = {
    "appointmentscheduled": ("Appointment Scheduled", 1, 20),
    "qualifiedtobuy": ("Qualified To Buy", 2, 40),
    "presentationscheduled": ("Presentation Scheduled", 3, 60),
    "decisionmakerboughtin": ("Decision Maker Bought-In", 4, 80),
    "contractsent": ("Contract Sent", 5, 90),
    "closedwon": ("Closed Won", 6, 100),
    "closedlost": ("Closed Lost", 7, 0),
}


def _key(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _labels(raw: pl.Series) -> pl.Series:
    """Internal stage ids ('contractsent') as their labels; labels stay as they are."""
    mapping = {
        value: KNOWN[_key(value)][0]
        for value in raw.drop_nulls().unique().to_list()
        if _key(value) in KNOWN
    }
    return raw.replace(mapping)


def _named(
    pipeline: pl.Series, label: pl.Series, stage_map: Mapping[str, Mapping[str, str]]
) -> pl.Series:
    frame = pl.DataFrame({"p": pipeline.fill_null(""), "s": label})
    default = pl.col("p").str.to_lowercase().is_in(list(DEFAULT_PIPELINES))
    named = pl.when(default).then(pl.col("s")).otherwise(pl.format("{}: {}", "p", "s"))
    result = frame.select(named.alias("stage")).to_series()
    if not stage_map:
        return result
    pairs = {(p, s): target for p, stages in stage_map.items() for s, target in stages.items()}
    keys = frame.select(pl.struct("p", "s")).to_series().to_list()
    mapped = [pairs.get((k["p"], k["s"])) for k in keys]  # a dict lookup per deal: one pass
    return pl.Series("stage", mapped, dtype=pl.String).fill_null(result)


def apply(
    conv: Converter, stage_map: Mapping[str, Mapping[str, str]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Put the deals' RevDesk stage, probability, forecast category, closed_at and extras."""
    column = next((c for c in ("Deal Stage", "dealstage") if conv.has(c)), None)
    if column is None:
        raise InvalidInput("the deals file has no Deal Stage column", where=conv.table.file.name)
    conv.check(conv.raw(column).is_null(), column, "missing value")
    pipeline = conv.raw("Pipeline") if conv.has("Pipeline") else conv.raw("pipeline")
    label = _labels(conv.raw(column))
    conv.put("stage", _named(pipeline, label, stage_map))
    conv.put("_pipeline", pipeline)
    conv.put("_hs_stage", label)
    if won := next((c for c in ("Is Closed Won", "hs_is_closed_won") if conv.has(c)), None):
        conv.put("_won", parse_bool(conv.raw(won)))
    if prob := next(
        (c for c in ("Deal probability", "hs_deal_stage_probability") if conv.has(c)), None
    ):
        value = parse_decimal(conv.raw(prob))
        percent = value.zip_with((value > 1).fill_null(False), value * 100)
        conv.check(conv.raw(prob).is_not_null() & value.is_null(), prob, "unparseable number")
        conv.put("probability", percent)
    if fc := next(
        (c for c in ("Forecast category", "hs_manual_forecast_category") if conv.has(c)), None
    ):
        conv.put("forecast_category", forecast_category(conv.raw(fc)))
    extra = pl.DataFrame({"pipeline": pipeline, "hubspot_stage": label})
    conv.put(
        "extra",
        extra.select(pl.struct("hubspot_stage", "pipeline").struct.json_encode()).to_series(),
    )
    conv.report_unused()
    frame, problems = conv.finish()
    return _closing(frame), problems


def _status(frame: pl.DataFrame) -> pl.Expr:
    name = pl.col("_hs_stage").str.to_lowercase()
    won = pl.col("_won") if "_won" in frame.columns else pl.lit(None, pl.Boolean)
    return (
        pl.when(won.fill_null(False) | name.str.contains(r"\bwon\b"))
        .then(pl.lit(StageStatus.WON.value))
        .when(name.str.contains(r"\blost\b"))
        .then(pl.lit(StageStatus.LOST.value))
        .otherwise(pl.lit(StageStatus.OPEN.value))
    )


def _closing(frame: pl.DataFrame) -> pl.DataFrame:
    """Closed deals closed at the start of their close date."""
    closed = _status(frame) != StageStatus.OPEN.value
    day = pl.col("close_date").cast(UTC_MICROS) if "close_date" in frame.columns else None
    if day is None:
        return frame
    return frame.with_columns(pl.when(closed).then(day).alias("closed_at"))


def _grouped(frame: pl.DataFrame) -> pl.DataFrame:
    """Per stage: its HubSpot label, pipeline, status and the deals' usual values."""
    columns: dict[str, pl.DataType] = {
        "probability": pl.Decimal(38, 4),
        "forecast_category": pl.String(),
    }
    for name, dtype in columns.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    return (
        frame.with_columns(_status(frame).alias("status"))
        .group_by("stage", maintain_order=True)
        .agg(
            pl.col("_hs_stage").first(),
            pl.col("_pipeline").first(),
            pl.col("status").mode().first(),
            pl.col("probability").drop_nulls().mode().first().alias("_p"),
            pl.col("forecast_category").drop_nulls().mode().first().alias("_c"),
            pl.col("_file").first(),
            pl.col("_row").first(),
        )
    )


def _by_status(won: object, lost: object, other: object) -> pl.Expr:
    rank = pl.col("_rank")
    return (
        pl.when(rank == 1)
        .then(pl.lit(won))
        .when(rank == 2)
        .then(pl.lit(lost))
        .otherwise(pl.lit(other))
    )


def definitions(frame: pl.DataFrame) -> pl.DataFrame:
    """A definition per stage: known HubSpot defaults, else what the deals say."""
    known = {label: (order, Decimal(p)) for label, order, p in KNOWN.values()}
    order = pl.col("_hs_stage").replace_strict(
        {k: v[0] for k, v in known.items()}, default=None, return_dtype=pl.Int64
    )
    probability = pl.col("_hs_stage").replace_strict(
        {k: v[1] for k, v in known.items()}, default=None, return_dtype=pl.Decimal(38, 4)
    )
    rank = pl.col("status").replace_strict({"open": 0, "won": 1, "lost": 2}, return_dtype=pl.Int64)
    pipeline = pl.col("_pipeline").fill_null("")
    fallback = _by_status(100, 0, 50).cast(pl.Decimal(38, 4))
    categories = (ForecastCategory.CLOSED, ForecastCategory.OMITTED, ForecastCategory.PIPELINE)
    return (
        _grouped(frame)
        .with_columns(rank.alias("_rank"), order.alias("_order"))
        .with_columns(
            pl.coalesce("_p", probability, fallback).alias("default_probability"),
            pl.coalesce("_c", _by_status(*(c.value for c in categories))).alias(
                "forecast_category"
            ),
            (~pipeline.str.to_lowercase().is_in(list(DEFAULT_PIPELINES))).alias("_other"),
        )
        .sort("_other", pipeline, "_rank", pl.col("_order").fill_null(99), "default_probability")
        .select(
            pl.col("stage").alias("name"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("sort_order"),
            "default_probability",
            "forecast_category",
            "status",
            "_file",
            "_row",
        )
    )
