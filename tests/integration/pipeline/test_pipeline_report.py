"""The pipeline report on a real database (SQLite and PostgreSQL), end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from factories import tiny_company
from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm.dataset import load_company, parse_company
from revdesk.db.uow import Database
from revdesk.pipeline.hygiene import default_config
from revdesk.pipeline.service import hygiene_run, pipeline_report, pipeline_review
from revdesk.pipeline.waterfall import reconciles

CAL = FiscalCalendar(start_month=2)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _report(database: Database, at: datetime, by: list[str] | None = None):  # type: ignore[no-untyped-def]
    with database.uow() as uow:
        load_company(uow.session, parse_company(tiny_company(), where="test"))
        uow.commit()
    with database.uow() as uow:
        return pipeline_report(
            uow.session, at=at, now=NOW, calendar=CAL, base_currency="USD", by=by or []
        )


def test_the_report_today_matches_the_tiny_company(database: Database) -> None:
    report = _report(database, NOW)

    stages = report.sections["pipeline_by_stage"].rows()
    # open: Discovery EUR 1,000 at 1.10 = 1,100; Proposal USD 10,000
    assert stages == [
        ("Discovery", 1, Decimal("1100.0000")),
        ("Proposal", 1, Decimal("10000.0000")),
    ]
    outcome = report.sections["outcomes"].row(0, named=True)
    assert (outcome["won_deals"], outcome["lost_deals"], outcome["win_rate"]) == (1, 1, 0.5)
    assert report.period.label == "FY2027-Q4"
    assert reconciles(report.sections["waterfall"]).all()


def test_a_report_in_the_past_sees_only_what_was_known_then(database: Database) -> None:
    # on 15 March 2026 the open-usd deal was in Discovery at 8,000; won and lost were open
    report = _report(database, datetime(2026, 3, 15, 23, tzinfo=UTC))

    stages = {stage: amount for stage, _, amount in report.sections["pipeline_by_stage"].rows()}
    assert stages == {"Discovery": Decimal("13000.0000"), "Proposal": Decimal("2500.0000")}
    assert report.sections["outcomes"].row(0, named=True)["won_deals"] == 0


def test_slices_reconcile_on_their_own(database: Database) -> None:
    report = _report(database, NOW, by=["segment"])

    flows = report.sections["waterfall"]
    assert set(flows["segment"]) <= {"enterprise", "smb"}
    assert reconciles(flows).all()


def test_a_moment_before_the_data_is_refused(database: Database) -> None:
    with pytest.raises(InvalidInput, match="before the first opportunity"):
        _report(database, datetime(2020, 1, 1, tzinfo=UTC))


def test_the_review_is_the_report_and_the_hygiene_run_from_one_read(database: Database) -> None:
    # given the tiny company and the report and hygiene run made separately
    report = _report(database, NOW)
    with database.uow() as uow:
        hygiene = hygiene_run(uow.session, config=default_config(), now=NOW, base_currency="USD")

    # when both come from one review
    with database.uow() as uow:
        both, checks = pipeline_review(
            uow.session,
            at=NOW,
            now=NOW,
            calendar=CAL,
            base_currency="USD",
            by=[],
            config=default_config(),
        )

    # then every section is the same
    assert checks is not None
    assert both.sections.keys() == report.sections.keys()
    for name, frame in report.sections.items():
        assert both.sections[name].equals(frame), name
    assert checks.flags.equals(hygiene.flags)
    assert checks.fixes.equals(hygiene.fixes)
