"""Large histories read in batches and spilled to disk: the same import, on SQLite and PostgreSQL.

The dev-org sample's OpportunityHistory has 62 rows; with a batch size of 10 it is read in seven
batches and planned in seven partitions, as a history of millions of rows would be.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select

from ingest_support import history_rows
from revdesk.crm import frames
from revdesk.crm.tables import OpportunityHistory
from revdesk.db.uow import Database
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.service import ImportOptions, run_import

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
BATCH = 10


def _counts(report: object) -> dict[str, tuple[int, int, int, int]]:
    counts = report.counts  # type: ignore[attr-defined]
    return {k: (v.created, v.updated, v.unchanged, v.rejected) for k, v in counts.items()}


def _history(database: Database) -> list[tuple[object, ...]]:
    with database.uow() as uow:
        opps = frames.opportunities(uow.session).select("id", "external_id")
        rows = frames.history(uow.session).join(opps, left_on="opportunity_id", right_on="id")
    columns = ["external_id", "field", "old_value", "new_value", "changed_at"]
    return rows.select(columns).sort(columns, nulls_last=False).rows()


def test_a_batched_history_imports_the_same_rows_and_again_changes_nothing(
    database: Database, devorg: Path
) -> None:
    # given the sample read in batches of 10 history rows
    extract = extract_salesforce(devorg, batch_rows=BATCH)
    assert extract.spill is not None
    assert extract.spill.partitions == 7

    # when it is imported twice
    first = run_import(database, extract, options=ImportOptions(), at=AT)
    again = run_import(
        database, extract_salesforce(devorg, batch_rows=BATCH), options=ImportOptions(), at=AT
    )

    # then the history is the one the whole-file import writes, and the re-import adds nothing
    assert first.committed
    assert _counts(first)["opportunities"] == (31, 0, 0, 0)
    assert _counts(first)["history"] == (155, 0, 0, 0)
    assert _counts(again)["history"] == (0, 0, 155, 0)
    assert sum(c.created + c.updated for c in again.counts.values()) == 0
    assert history_rows(database) == 155
    deal = [r for r in _history(database) if r[0] == "006Hp000015Yh7kIAC"]
    assert [(r[1], r[2], r[3]) for r in deal] == [
        ("amount", None, "15000.0000"),
        ("close_date", None, "2018-10-01"),
        ("close_date", "2018-10-01", "2023-09-06"),
        ("forecast_category", None, "pipeline"),
        ("stage", None, "Qualification"),
    ]


def _broken_history(devorg: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(devorg, folder)
    path = folder / "OpportunityHistory.csv"
    lines = path.read_text().splitlines()
    assert lines[1].startswith('"008Hp00002evx1TIAQ","006Hp000015Yh7kIAC"')
    lines[1] = lines[1].replace('"15000"', '"-15000"', 1)  # row 2: a negative amount
    path.write_text("\n".join(lines) + "\n")
    return folder


def test_a_bad_history_row_in_a_batch_refuses_the_whole_import(
    database: Database, devorg: Path, tmp_path: Path
) -> None:
    # given a history whose row 2 (in the first batch) has a negative amount
    extract = extract_salesforce(_broken_history(devorg, tmp_path), batch_rows=BATCH)

    # when it is imported without --skip-invalid
    report = run_import(database, extract, options=ImportOptions(), at=AT)

    # then nothing is written and the error names file, row, column, value and reason
    assert report.outcome == "refused"
    errors = {(e["file"], e["row"], e["column"], e["value"], e["reason"]) for e in report.errors}
    assert ("OpportunityHistory.csv", 2, "Amount", "-15000", "negative amount") in errors
    assert history_rows(database) == 0
    with database.uow() as uow:
        assert frames.opportunities(uow.session).height == 0


def test_skip_invalid_rejects_that_deals_whole_history_and_writes_the_rejected_rows(
    database: Database, devorg: Path, tmp_path: Path
) -> None:
    # given the same broken history, read in batches
    extract = extract_salesforce(_broken_history(devorg, tmp_path), batch_rows=BATCH)
    rejected = tmp_path / "rejected.csv"

    # when it is imported with --skip-invalid
    report = run_import(
        database, extract, options=ImportOptions(skip_invalid=True, rejected_path=rejected), at=AT
    )

    # then the deal's history is left out whole: the bad snapshot and the four changes of its
    # other snapshot (which alone would date the deal's first values wrongly), and the bad row
    # is in the rejected-rows file with its original values
    assert report.committed
    assert _counts(report)["opportunities"] == (31, 0, 0, 0)
    assert _counts(report)["history"] == (150, 0, 0, 5)
    assert not [r for r in _history(database) if r[0] == "006Hp000015Yh7kIAC"]
    errors = {(e["row"], e["column"], e["reason"]) for e in report.errors}
    assert (2, "Amount", "negative amount") in errors
    assert (33, "OpportunityId", "another history row of this opportunity was rejected") in errors
    rows = pl.read_csv(rejected, infer_schema=False)
    bad = rows.filter(pl.col("reason") == "negative amount").row(0, named=True)
    assert (bad["file"], bad["row"], bad["column"], bad["value"]) == (
        "OpportunityHistory.csv", "2", "Amount", "-15000",
    )  # fmt: skip
    assert '"OpportunityId": "006Hp000015Yh7kIAC"' in bad["record"]


def test_a_dry_run_of_a_batched_history_writes_nothing(database: Database, devorg: Path) -> None:
    # given the sample read in batches
    extract = extract_salesforce(devorg, batch_rows=BATCH)

    # when it is dry-run
    report = run_import(database, extract, options=ImportOptions(dry_run=True), at=AT)

    # then it reports what it would create and writes nothing
    assert report.outcome == "dry-run"
    assert _counts(report)["history"] == (155, 0, 0, 0)
    assert history_rows(database) == 0


def test_a_changed_deal_in_a_batched_reimport_records_the_change_as_history(
    database: Database, devorg: Path, tmp_path: Path
) -> None:
    # given the sample imported, then an export where one deal's amount went 15000 -> 17500
    run_import(database, extract_salesforce(devorg, batch_rows=BATCH), options=ImportOptions(),
               at=AT)  # fmt: skip
    folder = tmp_path / "export"
    shutil.copytree(devorg, folder)
    path = folder / "opportunity.csv"
    old = '"Dickenson Mobile Generators","","Qualification","2","15000"'
    path.write_text(path.read_text().replace(old, old.replace('"15000"', '"17500"')))

    # when the changed export is imported, its history read in batches
    report = run_import(
        database, extract_salesforce(folder, batch_rows=BATCH), options=ImportOptions(), at=AT
    )

    # then the deal is updated and the difference is one import-time history row
    assert _counts(report)["opportunities"] == (0, 1, 30, 0)
    assert _counts(report)["history"] == (1, 0, 155, 0)
    with database.uow() as uow:
        query = select(OpportunityHistory).where(OpportunityHistory.source == "import:salesforce")
        rows = [
            (r.field, r.old_value, r.new_value, r.changed_at) for r in uow.session.scalars(query)
        ]
    assert rows == [("amount", "15000.0000", "17500.0000", AT)]
