"""Forecast submissions and runs on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from factories import tiny_company
from revdesk.core.errors import InvalidInput, PermissionDenied
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm.dataset import load_company, parse_company
from revdesk.db.uow import Database
from revdesk.forecast.model import Method, SubmissionKind
from revdesk.forecast.service import (
    find_user,
    forecast_backtest,
    forecast_run,
    rollup_view,
    submit_call,
)
from revdesk.forecast.tables import ForecastSubmission

CAL = FiscalCalendar(start_month=2)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
PERIOD = "FY2027-Q4"


@pytest.fixture
def company(database: Database) -> dict[str, int]:
    with database.uow() as uow:
        load_company(uow.session, parse_company(tiny_company(), where="test"))
        uow.commit()
        return {
            key: find_user(uow.session, f"{key}@t.example", where="test")
            for key in ("vp", "mgr", "rep")
        }


def _submit(database: Database, user: int, by: int, commit: str, best: str, **kw: object) -> int:
    with database.uow() as uow:
        row = submit_call(
            uow.session,
            calendar=CAL,
            period=PERIOD,
            user_id=user,
            by_id=by,
            commit=Decimal(commit),
            best_case=Decimal(best),
            currency=str(kw.get("currency", "USD")),
            at=kw.get("at", NOW),  # type: ignore[arg-type]
            reason=kw.get("reason"),  # type: ignore[arg-type]
        )
        uow.commit()
        return row.id


def test_every_submission_is_kept_and_names_the_one_it_supersedes(
    database: Database, company: dict[str, int]
) -> None:
    rep = company["rep"]
    first = _submit(database, rep, rep, "100", "200", at=NOW - timedelta(days=2))
    second = _submit(database, rep, rep, "150", "250", at=NOW - timedelta(days=1))

    with database.uow() as uow:
        rows = uow.session.scalars(select(ForecastSubmission).order_by(ForecastSubmission.id)).all()
        assert [(r.id, r.commit, r.supersedes_id) for r in rows] == [
            (first, Decimal("100.0000"), None),
            (second, Decimal("150.0000"), first),
        ]
        assert rows[0].kind is SubmissionKind.SUBMIT
        assert rows[0].submitted_at == NOW - timedelta(days=2)


def test_a_manager_overrides_with_a_reason_and_the_override_wins(
    database: Database, company: dict[str, int]
) -> None:
    rep, mgr = company["rep"], company["mgr"]
    _submit(database, rep, rep, "100", "200", at=NOW - timedelta(days=2))
    _submit(database, rep, mgr, "80", "120", reason="deal slipping", at=NOW - timedelta(days=1))

    with database.uow() as uow:
        view = rollup_view(uow.session, calendar=CAL, base_currency="USD", period=PERIOD, at=NOW)

    assert (view.company_commit, view.company_best_case) == (Decimal("80.00"), Decimal("120.00"))
    rep_row = view.table.filter(view.table["user_id"] == rep).row(0, named=True)
    assert (rep_row["source"], rep_row["reason"], rep_row["override_by"]) == (
        "override",
        "deal slipping",
        "Max Mgr",
    )


def test_an_override_needs_a_reason_and_a_manager_above(
    database: Database, company: dict[str, int]
) -> None:
    rep, mgr = company["rep"], company["mgr"]

    with pytest.raises(InvalidInput, match="needs a reason"):
        _submit(database, rep, mgr, "80", "120")
    with pytest.raises(PermissionDenied, match="not a manager"):
        _submit(database, mgr, rep, "80", "120", reason="I know better")
    with pytest.raises(InvalidInput, match="below commit"):
        _submit(database, rep, rep, "200", "100")
    with pytest.raises(InvalidInput, match="not a fiscal quarter"), database.uow() as uow:
        submit_call(
            uow.session, calendar=CAL, period="FY2027", user_id=rep, by_id=rep,
            commit=Decimal(1), best_case=Decimal(1), currency="USD", at=NOW,
        )  # fmt: skip


def test_a_run_shows_every_method_and_says_why_some_were_left_out(
    database: Database, company: dict[str, int]
) -> None:
    rep = company["rep"]
    _submit(database, rep, rep, "5000", "9000", currency="EUR", at=NOW - timedelta(hours=1))

    with database.uow() as uow:
        view = forecast_run(
            uow.session, calendar=CAL, base_currency="USD", period=PERIOD, at=None, now=NOW,
            methods=list(Method),
        )  # fmt: skip

    by_method = {r.method: r for r in view.results}
    # open-usd: Proposal (60%) USD 10,000 closing 2026-12-15; nothing won yet
    assert by_method[Method.STAGE_WEIGHTED].point == Decimal("6000.00")
    assert not by_method[Method.MARKOV].ran
    assert "completed quarters" in (by_method[Method.MARKOV].skipped_reason or "")
    # the EUR call converted at 1.10
    assert by_method[Method.SUBMITTED].point == Decimal("5500.00")
    assert view.table.height == len(Method)


@pytest.mark.parametrize(
    ("period", "at", "message"),
    [
        ("FY2020-Q1", None, "ends before the first opportunity"),
        ("FY2029-Q1", None, "more than a year"),
        ("FY2027-Q3", None, "after FY2027-Q3 ended"),
        ("FY2028-Q2", None, "no deal closes in FY2028-Q2"),
        ("FY2027-Q4", datetime(2025, 1, 1, tzinfo=UTC), "before the first opportunity"),
    ],
)
def test_a_period_outside_the_data_is_refused(
    database: Database, company: dict[str, int], period: str, at: datetime | None, message: str
) -> None:
    with database.uow() as uow, pytest.raises(InvalidInput, match=message):
        forecast_run(
            uow.session, calendar=CAL, base_currency="USD", period=period, at=at, now=NOW,
            methods=list(Method),
        )  # fmt: skip


def test_a_backtest_of_a_young_company_says_how_many_quarters_it_found(
    database: Database, company: dict[str, int]
) -> None:
    with database.uow() as uow:
        result = forecast_backtest(
            uow.session, calendar=CAL, base_currency="USD", periods=8, weeks=[1, 4],
            methods=list(Method), now=NOW,
        )  # fmt: skip

    assert [p.label for p in result.periods] == ["FY2027-Q2"]
    assert result.notes == ["only 1 completed quarter(s) with closed deals; backtested those"]
    weighted = result.summary.filter(result.summary["method"] == "stage_weighted")
    assert weighted["periods"].to_list() == [1, 1]
