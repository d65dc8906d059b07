"""Stage discipline: the stage playbook, deals sitting in a stage without its criteria, and
process consistency (each rep's stage conversion against their team's).

A stage's `required_fields` are its exit criteria: what a deal must have before it moves past
the stage. A deal in stage S has therefore *passed* the gates of every earlier open stage; a
missing field required by one of those is a **gap** (it got through without meeting the
criteria). A field required by S itself is **to do** before the deal may move on.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from revdesk.core.fiscal import FiscalCalendar
from revdesk.pipeline.flow import stage_conversion, stage_order
from revdesk.pipeline.grouping import OPEN
from revdesk.pipeline.hygiene_rules import EXIT_FIELDS

# How far (in conversion points) a rep may be from the team before it is called out, and the
# minimum number of deals reaching the stage for the comparison to mean anything.
DEVIATION_POINTS: Final = 15.0
MIN_REACHED: Final = 5


def playbook(stages: pl.DataFrame) -> pl.DataFrame:
    """Stage definitions in order: probability, category, exit criteria and playbook text."""
    return stages.sort("sort_order").select(
        pl.col("name").alias("stage"),
        "status",
        "default_probability",
        "forecast_category",
        pl.col("required_fields").list.join(", ").alias("exit_criteria"),
        "playbook",
    )


def _missing(column: str) -> pl.Expr:
    value = pl.col(column)
    if column == "competitors":
        return value.is_null() | (value.list.len() == 0)
    if column == "next_step":
        return value.is_null() | (value.str.strip_chars() == "")
    return value.is_null()


def criteria_gaps(deals: pl.DataFrame, stages: pl.DataFrame) -> pl.DataFrame:
    """Open deals missing exit criteria: of gates already passed (gaps) and of their stage."""
    ranks = stage_order(stages).join(
        stages.select("name", "required_fields"), on="name", how="left"
    )
    required = (
        ranks.filter(pl.col("status") == OPEN)
        .select("rank", pl.col("required_fields").alias("field"))
        .explode("field")
        .filter(pl.col("field").is_in([f for f in EXIT_FIELDS if f in deals.columns]))
    )
    open_deals = deals.filter(pl.col("status") == OPEN).join(
        ranks.select(pl.col("name").alias("stage"), pl.col("rank").alias("_now")),
        on="stage",
        how="left",
    )
    checks = open_deals.join(required, how="cross").filter(pl.col("rank") <= pl.col("_now"))
    missing = (
        pl.concat(
            [
                checks.filter(pl.col("field") == name)
                .filter(_missing(name))
                .select("id", "field", (pl.col("rank") < pl.col("_now")).alias("passed"))
                for name in required["field"].unique().to_list()
            ],
            how="vertical",
        )
        if required.height
        else pl.DataFrame(schema={"id": pl.Int64, "field": pl.String, "passed": pl.Boolean})
    )
    per_deal = missing.group_by("id").agg(
        pl.col("field").filter(pl.col("passed")).unique().sort().alias("gaps"),
        pl.col("field").filter(~pl.col("passed")).unique().sort().alias("to_do"),
    )
    return (
        open_deals.join(per_deal, on="id", how="inner")
        .select(
            "id",
            "name",
            "rep",
            "team",
            "stage",
            pl.col("gaps").list.join(", "),
            pl.col("to_do").list.join(", "),
        )
        .sort("stage", "rep", "id")
    )


def process_consistency(
    deals: pl.DataFrame,
    path: pl.DataFrame,
    stages: pl.DataFrame,
    calendar: FiscalCalendar,
    *,
    start: date,
    end: date,
) -> pl.DataFrame:
    """Each rep's stage-to-next conversion against their team's, with the gap in points."""
    reps = stage_conversion(deals, path, stages, calendar, start=start, end=end, by=["team", "rep"])
    teams = stage_conversion(deals, path, stages, calendar, start=start, end=end, by=["team"])
    if reps.is_empty():
        return reps
    joined = reps.join(
        teams.select("team", "stage", pl.col("conversion_to_next").alias("team_conversion")),
        on=["team", "stage"],
        how="left",
    )
    gap = (pl.col("conversion_to_next") - pl.col("team_conversion")) * 100
    return joined.select(
        "team",
        "rep",
        "stage",
        "reached",
        "conversion_to_next",
        "team_conversion",
        gap.round(1).alias("gap_points"),
        ((gap.abs() > DEVIATION_POINTS) & (pl.col("reached") >= MIN_REACHED)).alias("outlier"),
    )
