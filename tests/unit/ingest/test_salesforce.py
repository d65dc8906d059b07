"""Salesforce exports as canonical frames: the dev-org sample and both dialects."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.ingest.dates import DateOrder
from revdesk.ingest.model import findings, problem_frame
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.salesforce.history import changes

ROOT = Path(__file__).parents[3]
DEVORG = ROOT.parent / "shared" / "data" / "salesforce-devorg"
DATA = ROOT / "tests" / "data" / "ingest"


def test_the_dev_org_sample_becomes_canonical_frames() -> None:
    extract = extract_salesforce(DEVORG)

    heights = {k: v.height for k, v in extract.frames.items()}
    assert heights == {
        "teams": 18,
        "users": 8,
        "accounts": 13,
        "contacts": 20,
        "products": 17,
        "price_book_entries": 34,
        "price_books": 2,
        "opportunities": 31,
        "history": 155,  # 31 first snapshots x 4 fields + 31 close-date changes
        "stages": 9,
    }
    assert extract.problems.filter(pl.col("severity") == "error").is_empty()


def test_dev_org_stages_come_from_the_data_in_order() -> None:
    stages = extract_salesforce(DEVORG).frames["stages"]

    assert stages["name"].to_list()[:2] == ["Prospecting", "Qualification"]
    won = stages.filter(pl.col("name") == "Closed Won").row(0, named=True)
    assert (won["status"], won["forecast_category"], won["default_probability"]) == (
        "won",
        "closed",
        Decimal(100),
    )


def test_consecutive_snapshots_become_changes_with_old_values() -> None:
    history = extract_salesforce(DEVORG).frames["history"]
    deal = history.filter(pl.col("opportunity") == "006Hp000015Yh7kIAC").sort("field")

    assert deal.select("field", "old_value", "new_value").rows() == [
        ("amount", None, "15000.0000"),
        ("close_date", None, "2018-10-01"),
        ("close_date", "2018-10-01", "2023-09-06"),
        ("forecast_category", None, "pipeline"),
        ("stage", None, "Qualification"),
    ]


def test_changes_compare_each_snapshot_with_the_one_before() -> None:
    at = [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)]
    snaps = pl.DataFrame(
        {
            "opportunity": ["o1", "o1", "o1"],
            "changed_at": at,
            "changed_by": [None, None, None],
            "_order": ["3", "1", "2"],
            "stage": ["A", "B", "B"],
            "amount": ["10", "10", "20"],
            "_file": pl.Series(["h.csv"] * 3, dtype=pl.Categorical),
            "_row": [2, 3, 4],
        }
    )
    result = changes(snaps, problem_frame())

    assert result.select("field", "old_value", "new_value", "_row").rows() == [
        ("stage", None, "A", 2),
        ("stage", "A", "B", 3),
        ("amount", None, "10", 2),
        ("amount", "10", "20", 4),
    ]


def test_data_loader_dialect_with_upper_case_headers_and_field_history() -> None:
    extract = extract_salesforce(DATA / "salesforce-dataloader")

    owner = extract.frames["history"].filter(pl.col("field") == "owner")
    assert owner.select("old_value", "new_value").rows() == [
        ("005000000000002AAA", "005000000000003AAA")
    ]
    users = extract.frames["users"].select("name", "role", "team", "manager").rows()
    assert users[2] == ("Rita Rep", "rep", "Western Sales Team", "005000000000002AAA")
    assert "Salesforce Opportunity, Data Loader (API names)" in extract.dialects.values()
    deleted = [f for f in findings(extract.problems) if f.reason == "deleted record skipped"]
    assert [f.count for f in deleted] == [1]


def test_report_dialect_with_labels_locale_dates_and_footers() -> None:
    extract = extract_salesforce(DATA / "salesforce-report")

    opp = extract.frames["opportunities"].row(3, named=True)
    assert opp["external_id"] == "006000000000004AAA"  # 15-character id made 18
    assert (opp["owner_name"], opp["account_name"], opp["currency"]) == (
        "Rita Rep",
        "Globex",
        "EUR",
    )
    assert opp["amount"] == Decimal(8000)
    assert str(opp["close_date"]) == "2024-06-30"
    reasons = {f.reason for f in findings(extract.problems)}
    assert "report footer ignored" in reasons
    assert all("report export" in d for d in extract.dialects.values())


def test_ambiguous_report_dates_are_refused_unless_the_order_is_given(tmp_path: Path) -> None:
    (tmp_path / "Opportunity.csv").write_text(
        '"Opportunity ID","Opportunity Name","Stage","Close Date"\n'
        '"006000000000001","A","Prospecting","2/3/2024"\n'
    )
    with pytest.raises(InvalidInput, match="--date-order"):
        extract_salesforce(tmp_path)

    extract = extract_salesforce(tmp_path, date_order=DateOrder.DMY)
    assert str(extract.frames["opportunities"]["close_date"][0]) == "2024-03-02"


def test_a_folder_without_salesforce_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")

    with pytest.raises(InvalidInput, match="no Salesforce export files"):
        extract_salesforce(tmp_path)


def test_line_items_find_products_through_price_book_entries_and_divide_totals() -> None:
    items = extract_salesforce(DATA / "salesforce-dataloader").frames["line_items"]

    assert items.select("product", "quantity", "net_unit_price").rows() == [
        ("01t000000000001AAA", Decimal(80), Decimal(90)),
        ("01t000000000002AAA", Decimal(10), Decimal("25.5")),  # from PricebookEntryId
        ("01t000000000002AAA", Decimal(200), Decimal(25)),  # TotalPrice 5000 / Quantity 200
    ]
