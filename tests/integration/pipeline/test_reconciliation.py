"""The waterfall reconciles and hygiene finds the injected defects on real and demo data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import select

from ingest_support import DEVORG, MAVEN
from revdesk.core.fiscal import FiscalCalendar
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_world
from revdesk.demo.tables import DemoDefect
from revdesk.ingest.maven import extract_maven
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.service import ImportOptions, run_import
from revdesk.pipeline.hygiene import default_config, evaluate, score_against_truth
from revdesk.pipeline.report import build_report, current
from revdesk.pipeline.service import load_frames
from revdesk.pipeline.waterfall import reconciles

CAL = FiscalCalendar(start_month=2)
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _reconciles_every_month(database: Database, first: datetime, last: datetime) -> int:
    with database.uow() as uow:
        data = load_frames(uow.session, base_currency="USD")
    checked = 0
    moment = first
    while moment <= last:
        for by in ([], ["rep"], ["segment", "product"]):
            flows = build_report(data, at=moment, calendar=CAL, by=by).sections["waterfall"]
            assert reconciles(flows).all(), (moment, by)
            checked += flows.height
        month = moment.month % 12 + 1
        moment = moment.replace(year=moment.year + (month == 1), month=month)
    return checked


def _demo(database: Database, scale: int) -> None:
    world = demo_world(
        scale=scale, today=TODAY, calendar=CAL, base_currency="USD", params=DemoParameters()
    )
    build_demo(database, world=world, seed=7)


def test_the_waterfall_reconciles_on_the_demo_company(database: Database) -> None:
    _demo(database, 1_500)

    checked = _reconciles_every_month(database, datetime(2024, 6, 15, tzinfo=UTC), NOW)

    assert checked > 30


def test_the_waterfall_reconciles_on_the_maven_data(database: Database) -> None:
    run_import(database, extract_maven(MAVEN), options=ImportOptions())

    assert (
        _reconciles_every_month(
            database, datetime(2016, 11, 15, tzinfo=UTC), datetime(2017, 12, 31, tzinfo=UTC)
        )
        > 20
    )


def test_the_waterfall_reconciles_on_the_salesforce_sample(database: Database) -> None:
    run_import(database, extract_salesforce(DEVORG), options=ImportOptions())
    with database.uow() as uow:
        created = load_frames(uow.session, base_currency="USD").opportunities["created_at"]
    first = created.min()
    assert isinstance(first, datetime)

    assert _reconciles_every_month(database, first, NOW) > 0


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_hygiene_finds_the_injected_defects_of_the_demo_company(database: Database) -> None:
    _demo(database, 4_000)
    with database.uow() as uow:
        data = load_frames(uow.session, base_currency="USD")
        truth = pl.DataFrame(
            uow.session.execute(
                select(DemoDefect.entity, DemoDefect.entity_id, DemoDefect.kind)
            ).all(),
            schema={"entity": pl.String, "entity_id": pl.Int64, "kind": pl.String},
            orient="row",
        )
    flags = evaluate(
        default_config(),
        deals=current(data, NOW),
        history=data.history,
        stages=data.stages,
        contacts=data.contacts,
        now=NOW,
    )

    scores = score_against_truth(flags, truth).filter(pl.col("true_positives") > 0)

    assert scores.height == 7
    assert scores["precision"].min() >= 0.95
    assert scores["recall"].min() >= 0.95
