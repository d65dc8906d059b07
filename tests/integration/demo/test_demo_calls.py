"""The demo build writes forecast calls that the forecasting side reads back and rolls up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl

from revdesk.core.clock import end_of_day
from revdesk.core.fiscal import FiscalCalendar
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_world
from revdesk.forecast.rollup import submitted
from revdesk.forecast.service import load_timeline

TODAY = date(2026, 11, 23)
CALENDAR = FiscalCalendar()


def test_the_demo_company_calls_its_quarters_and_managers_override_some(
    database: Database,
) -> None:
    params = replace(DemoParameters(), batch_size=400)
    world = demo_world(
        scale=1200, today=TODAY, calendar=CALENDAR, base_currency="USD", params=params
    )
    build_demo(database, world=world, seed=5, params=params)

    with database.uow() as uow:
        timeline = load_timeline(
            uow.session,
            calendar=CALENDAR,
            base_currency="USD",
            now=datetime(2026, 11, 23, 12, tzinfo=UTC),
        )
    calls = timeline.submissions_until(end_of_day(TODAY))
    quarter = CALENDAR.parse("FY2027-Q2")
    result = submitted(timeline.as_of(end_of_day(date(2026, 5, 29)), quarter))  # week 5

    assert calls.height > 0
    assert set(calls["kind"].unique()) == {"submit", "override"}
    assert calls.filter(pl.col("kind") == "override")["reason"].is_not_null().all()
    assert calls["submitted_at"].max() < datetime(2026, 11, 23, tzinfo=UTC)
    assert result.ran, result.skipped_reason
    assert result.point is not None
    assert result.best_case is not None
    assert 0 < result.point <= result.best_case
