"""The Maven CRM data set imported on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from revdesk.crm import frames
from revdesk.crm.asof import OPPORTUNITY_SCHEMA, as_of
from revdesk.crm.service import count_records
from revdesk.db.uow import Database
from revdesk.ingest.maven import extract_maven
from revdesk.ingest.service import ImportOptions, run_import


def test_maven_imports_with_its_defects_reported(database: Database, maven: Path) -> None:
    report = run_import(database, extract_maven(maven), options=ImportOptions())
    again = run_import(database, extract_maven(maven), options=ImportOptions())

    assert report.committed
    assert (report.error_count, report.warning_count) == (0, 7980)
    assert {f.count for f in report.findings} >= {12, 1480, 1425, 2473, 2089, 500}
    assert sum(c.created + c.updated for c in again.counts.values()) == 0
    with database.uow() as uow:
        counts = count_records(uow.session)
        assert (counts["opportunities"], counts["users"], counts["accounts"]) == (8800, 41, 85)
        opps = frames.opportunities(uow.session)
        assert opps["account_id"].null_count() == 1425
        users = frames.users(uow.session)
        assert users.filter(pl.col("role") == "manager").height == 6
        assert users.filter(pl.col("manager_id").is_null()).height == 6


def test_the_implied_history_rebuilds_the_pipeline_as_of_mid_2017(
    database: Database, maven: Path
) -> None:
    run_import(database, extract_maven(maven), options=ImportOptions())

    with database.uow() as uow:
        snapshot = as_of(
            frames.opportunities(uow.session).select(list(OPPORTUNITY_SCHEMA)),
            frames.history(uow.session),
            frames.stages(uow.session),
            datetime(2017, 6, 30, 23, 59, tzinfo=UTC),
        )
    stages = dict(snapshot.group_by("stage").len().rows())
    assert set(stages) <= {"Engaging", "Won", "Lost"}  # prospecting deals are dated later
    # a deal that closed after mid-2017 was still engaging then, with no amount yet
    later = snapshot.filter(pl.col("stage") == "Engaging")
    assert later.height > 0
    assert later["amount"].null_count() == later.height


def test_a_deal_won_later_is_in_the_pipeline_category_as_of_before_it_closed(
    database: Database, maven: Path
) -> None:
    # given the Maven deals imported (stage history implied by the engage and close dates)
    run_import(database, extract_maven(maven), options=ImportOptions())
    moment = datetime(2017, 6, 30, 23, 59, tzinfo=UTC)

    # when the pipeline is rebuilt as of mid-2017
    with database.uow() as uow:
        opps = frames.opportunities(uow.session).select(list(OPPORTUNITY_SCHEMA))
        snapshot = as_of(opps, frames.history(uow.session), frames.stages(uow.session), moment)

    # then a deal won after that moment shows Engaging's category then, not its final one
    won_later = opps.filter((pl.col("stage") == "Won") & (pl.col("closed_at") > moment)).select(
        "id", pl.col("forecast_category").alias("final")
    )
    then = snapshot.join(won_later, on="id")
    assert then.height > 0
    assert set(then["final"]) == {"closed"}
    assert set(then["stage"]) == {"Engaging"}
    assert set(then["forecast_category"]) == {"pipeline"}
    # and a deal lost before that moment is omitted then, as its stage says
    lost = snapshot.filter(pl.col("stage") == "Lost")
    assert lost.height > 0
    assert set(lost["forecast_category"]) == {"omitted"}


def test_each_implied_stage_change_has_its_category_change(database: Database, maven: Path) -> None:
    # given the Maven deals imported
    run_import(database, extract_maven(maven), options=ImportOptions())

    # when the history is read back
    with database.uow() as uow:
        history = frames.history(uow.session)

    # then every stage change between stages of different categories has a category change
    # at the same moment: Engaging (pipeline) on the engage date, Won (closed) or Lost
    # (omitted) on the close date
    stage = history.filter(pl.col("field") == "stage").select(
        "opportunity_id", "changed_at", pl.col("new_value").alias("stage")
    )
    category = history.filter(pl.col("field") == "forecast_category").select(
        "opportunity_id", "changed_at", "old_value", pl.col("new_value").alias("category")
    )
    paired = stage.join(category, on=["opportunity_id", "changed_at"], how="left")
    implied = {"Engaging": "pipeline", "Won": "closed", "Lost": "omitted"}
    assert paired.height == category.height
    assert paired["category"].null_count() == 0
    assert all(implied[s] == c for s, c in paired.select("stage", "category").iter_rows())
    assert set(paired.filter(pl.col("stage") == "Engaging")["old_value"].to_list()) == {None}
