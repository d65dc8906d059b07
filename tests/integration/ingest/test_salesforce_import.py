"""Salesforce imports on SQLite and PostgreSQL: upserts, history, all-or-nothing, reports."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import select

from ingest_support import history_rows
from revdesk.crm import frames
from revdesk.crm.asof import OPPORTUNITY_SCHEMA, as_of
from revdesk.crm.service import count_records
from revdesk.crm.tables import Opportunity, OpportunityHistory, Quote
from revdesk.db.uow import Database
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.service import ImportOptions, run_import
from revdesk.ingest.tables import ImportRun

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _counts(report: object) -> dict[str, tuple[int, int, int, int]]:
    counts = report.counts  # type: ignore[attr-defined]
    return {k: (v.created, v.updated, v.unchanged, v.rejected) for k, v in counts.items()}


def test_the_dev_org_sample_imports_once_and_again_changes_nothing(
    database: Database, devorg: Path
) -> None:
    first = run_import(database, extract_salesforce(devorg), options=ImportOptions(), at=AT)
    again = run_import(database, extract_salesforce(devorg), options=ImportOptions(), at=AT)

    assert first.committed
    assert _counts(first)["opportunities"] == (31, 0, 0, 0)
    assert _counts(first)["history"] == (155, 0, 0, 0)
    assert all(c[0] == 0 and c[1] == 0 for c in _counts(again).values())
    with database.uow() as uow:
        assert count_records(uow.session) | {"quotes": 0} == {
            "users": 8, "teams": 18, "accounts": 13, "contacts": 20, "products": 17,
            "stages": 9, "opportunities": 31, "history": 155, "quotes": 0, "quote_lines": 0,
        }  # fmt: skip
        assert len(uow.session.scalars(select(ImportRun)).all()) == 2


def _changed_export(devorg: Path, tmp_path: Path, amount: str) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(devorg, folder)
    path = folder / "opportunity.csv"
    text = path.read_text()
    old = '"Dickenson Mobile Generators","","Qualification","2","15000"'
    assert old in text
    path.write_text(text.replace(old, old.replace('"15000"', f'"{amount}"')))
    return folder


def test_a_changed_amount_updates_the_deal_and_writes_one_history_row(
    database: Database, devorg: Path, tmp_path: Path
) -> None:
    run_import(database, extract_salesforce(devorg), options=ImportOptions(), at=AT)
    before = history_rows(database)

    report = run_import(database, extract_salesforce(_changed_export(devorg, tmp_path, "17500")),
                        options=ImportOptions(), at=AT)  # fmt: skip

    assert _counts(report)["opportunities"] == (0, 1, 30, 0)
    assert history_rows(database) == before + 1
    with database.uow() as uow:
        deal = uow.session.scalars(
            select(Opportunity).where(Opportunity.external_id == "006Hp000015Yh7kIAC")
        ).one()
        change = uow.session.scalars(
            select(OpportunityHistory).where(OpportunityHistory.source == "import:salesforce")
        ).one()
        assert (deal.amount, deal.version) == (Decimal(17500), 2)
        assert (change.opportunity_id, change.field, change.old_value, change.new_value) == (
            deal.id, "amount", "15000.0000", "17500.0000",
        )  # fmt: skip
        assert change.changed_at == AT
        snapshot = as_of(
            frames.opportunities(uow.session).select(list(OPPORTUNITY_SCHEMA)),
            frames.history(uow.session),
            frames.stages(uow.session),
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        assert snapshot.filter(pl.col("id") == deal.id)["amount"].to_list() == [Decimal(15000)]


def test_a_dry_run_reports_and_writes_nothing(database: Database, devorg: Path) -> None:
    report = run_import(database, extract_salesforce(devorg), options=ImportOptions(dry_run=True))

    assert report.outcome == "dry-run"
    assert _counts(report)["opportunities"] == (31, 0, 0, 0)
    with database.uow() as uow:
        assert set(count_records(uow.session).values()) == {0}


def _broken_export(devorg: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(devorg, folder)
    path = folder / "opportunity.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace('"2023-08-25 00:00:00"', '"the 25th"')  # row 4: bad date
    lines[5] = lines[5].replace('"270000"', '"-5"', 1)  # row 6: negative amount
    path.write_text("\n".join(lines) + "\n")
    return folder


def test_an_import_with_errors_writes_nothing(
    database: Database, devorg: Path, tmp_path: Path
) -> None:
    report = run_import(
        database, extract_salesforce(_broken_export(devorg, tmp_path)),
        options=ImportOptions(rejected_path=tmp_path / "rejected.csv",
                              report_path=tmp_path / "report.json"),
    )  # fmt: skip

    assert report.outcome == "refused"
    errors = {(e["file"], e["row"], e["column"], e["value"], e["reason"]) for e in report.errors}
    assert ("opportunity.csv", 4, "CloseDate", "the 25th", "unparseable date") in errors
    assert ("opportunity.csv", 6, "Amount", "-5", "negative amount") in errors
    with database.uow() as uow:
        assert set(count_records(uow.session).values()) == {0}
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["outcome"] == "refused"
    assert saved["error_count"] == report.error_count


def test_skip_invalid_imports_the_rest_and_writes_the_rejected_rows(
    database: Database, devorg: Path, tmp_path: Path
) -> None:
    rejected = tmp_path / "rejected.csv"
    report = run_import(
        database, extract_salesforce(_broken_export(devorg, tmp_path)),
        options=ImportOptions(skip_invalid=True, rejected_path=rejected),
    )  # fmt: skip

    assert report.committed
    assert _counts(report)["opportunities"] == (29, 0, 0, 2)
    # the rejected deals' history goes with them: 2 x 5 rows
    assert _counts(report)["history"] == (145, 0, 0, 10)
    rows = pl.read_csv(rejected, infer_schema=False)
    first = rows.filter(pl.col("file") == "opportunity.csv").sort("row").row(0, named=True)
    assert (first["row"], first["column"], first["reason"]) == (
        "4",
        "CloseDate",
        "unparseable date",
    )
    assert json.loads(first["record"])["Name"] == "United Oil Office Portable Generators"


def test_both_salesforce_dialects_describe_the_same_deals(database: Database, data: Path) -> None:
    run_import(database, extract_salesforce(data / "salesforce-dataloader"),
               options=ImportOptions(), at=AT)  # fmt: skip
    stored = history_rows(database)

    report = run_import(database, extract_salesforce(data / "salesforce-report"),
                        options=ImportOptions(), at=AT)  # fmt: skip

    assert report.committed
    assert _counts(report)["opportunities"][0] == 0  # every deal matched by its (15-char) id
    assert history_rows(database) == stored  # and none of their tracked fields differ
    with database.uow() as uow:
        owners = uow.session.execute(
            select(Opportunity.name, Opportunity.owner_id, Opportunity.currency).order_by(
                Opportunity.external_id
            )
        ).all()
        assert [o[2] for o in owners] == ["USD", "USD", "USD", "EUR"]
        assert len({o[1] for o in owners}) == 2  # Rita and Max, found by name


def test_the_data_loader_fixture_keeps_history_custom_fields_and_the_chain(
    database: Database, data: Path
) -> None:
    report = run_import(database, extract_salesforce(data / "salesforce-dataloader"),
                        options=ImportOptions(), at=AT)  # fmt: skip

    assert report.committed, report.errors
    with database.uow() as uow:
        deal = uow.session.scalars(
            select(Opportunity).where(Opportunity.external_id == "006000000000001AAA")
        ).one()
        assert deal.extra == {"COMPETITOR__C": "Globex"}
        snapshot = as_of(
            frames.opportunities(uow.session).select(list(OPPORTUNITY_SCHEMA)),
            frames.history(uow.session),
            frames.stages(uow.session),
            datetime(2024, 1, 25, tzinfo=UTC),
        ).filter(pl.col("id") == deal.id)
        assert snapshot.select("stage", "amount").row(0) == ("Qualification", Decimal(8000))
        users = {u["name"]: u for u in frames.users(uow.session).iter_rows(named=True)}
        assert users["Rita Rep"]["manager_id"] == users["Max Manager"]["id"]  # via the roles


def test_line_items_become_a_quote_whose_lines_a_changed_export_replaces(
    database: Database, data: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    shutil.copytree(data / "salesforce-dataloader", folder)
    first = run_import(database, extract_salesforce(folder), options=ImportOptions(), at=AT)
    items = folder / "OPPORTUNITYLINEITEM.csv"
    items.write_text(items.read_text().replace('"80","90","100","7200"', '"85","90","100","7650"'))
    second = run_import(database, extract_salesforce(folder), options=ImportOptions(), at=AT)
    third = run_import(database, extract_salesforce(folder), options=ImportOptions(), at=AT)

    assert _counts(first)["quotes"] == (2, 0, 0, 0)
    assert _counts(first)["line_items"] == (3, 0, 0, 0)
    assert _counts(second)["quotes"] == (0, 1, 1, 0)
    assert _counts(third)["quotes"] == (0, 0, 2, 0)
    with database.uow() as uow:
        lines = frames.primary_quote_lines(uow.session)
        assert lines.is_empty()  # imported quotes are drafts, not the primary quote
        quote = uow.session.scalars(
            select(Quote).where(Quote.external_id.like("oli:%")).order_by(Quote.id)
        ).first()
        assert quote is not None
        assert (quote.version, quote.status, quote.row_version) == (1, "draft", 2)
        assert [(line.line_no, line.quantity, line.net_unit_price) for line in quote.lines] == [
            (1, Decimal(85), Decimal(90)),
            (2, Decimal(10), Decimal("25.5")),
        ]
