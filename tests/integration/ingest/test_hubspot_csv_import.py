"""HubSpot exports and mapped CSV files imported on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from revdesk.crm import frames
from revdesk.crm.service import count_records
from revdesk.db.uow import Database
from revdesk.ingest.csvmap import extract_csv, load_mapping
from revdesk.ingest.hubspot import extract_hubspot
from revdesk.ingest.service import ImportOptions, run_import


def test_hubspot_deals_companies_and_contacts(database: Database, data: Path) -> None:
    report = run_import(database, extract_hubspot(data / "hubspot"), options=ImportOptions())

    assert report.committed, report.errors
    assert report.counts["users"].created == 2  # the owners, known by name only
    created = {f.reason: f.count for f in report.findings if f.object == "opportunities"}
    assert created["no account has this name: one is created"] == 1
    with database.uow() as uow:
        counts = count_records(uow.session)
        # Initech is named by a deal but not in the companies file: it is created
        assert (counts["opportunities"], counts["accounts"], counts["contacts"]) == (5, 4, 2)
        assert counts["stages"] == 5
        users = frames.users(uow.session)
        assert sorted(users["email"].to_list()) == [
            "jane.doe@hubspot.invalid",
            "john.roe@hubspot.invalid",
        ]


def test_a_mapped_csv_with_errors_is_refused_then_imported_without_the_bad_row(
    database: Database, data: Path, tmp_path: Path
) -> None:
    mapping = load_mapping(data / "csv" / "deals.yaml")
    refused = run_import(database, extract_csv(data / "csv" / "deals.csv", mapping),
                         options=ImportOptions())  # fmt: skip
    with database.uow() as uow:
        assert count_records(uow.session)["opportunities"] == 0

    rejected = tmp_path / "rejected.csv"
    report = run_import(
        database, extract_csv(data / "csv" / "deals.csv", mapping),
        options=ImportOptions(skip_invalid=True, rejected_path=rejected),
    )  # fmt: skip

    assert refused.outcome == "refused"
    assert report.counts["opportunities"].created == 2
    assert report.counts["opportunities"].rejected == 1
    assert pl.read_csv(rejected)["row"].unique().to_list() == [4]
    with database.uow() as uow:
        opps = frames.opportunities(uow.session).sort("external_id")
        assert opps["external_id"].to_list() == ["pd:D-1", "pd:D-2"]
        assert opps["currency"].to_list() == ["EUR", "EUR"]
