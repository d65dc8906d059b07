"""The Maven CRM data set: what becomes what, and the known defects as warnings."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.ingest.maven import extract_maven
from revdesk.ingest.model import findings

MAVEN = Path(__file__).parents[4] / "shared" / "data" / "maven-crm"


@pytest.fixture(scope="module")
def warnings() -> dict[str, int]:
    extract = extract_maven(MAVEN)
    return {f.reason: f.count for f in findings(extract.problems) if f.severity == "warning"}


def test_every_file_becomes_its_records() -> None:
    extract = extract_maven(MAVEN)

    heights = {k: v.height for k, v in extract.frames.items()}
    assert heights == {
        "users": 41,  # 35 agents and 6 managers
        "teams": 3,  # regional offices
        "accounts": 85,
        "products": 7,
        "price_books": 1,
        "price_book_entries": 7,
        "opportunities": 8800,
        "stages": 4,
        "history": 25960,
    }
    assert extract.problems.filter(pl.col("severity") == "error").is_empty()


@pytest.mark.parametrize(
    ("reason", "count"),
    [
        ("sector misspelt: corrected", 12),
        ("product not in products.csv: read as the product spelt alike", 1480),
        ("open deal has no account", 1425),
        ("lost deal has close_value 0: imported without an amount", 2473),
        ("open deal has no amount and no close date", 2089),
        ("no engage date: the deal is dated at the import", 500),
        ("country name misspelt: corrected", 1),
    ],
)
def test_known_defects_are_warnings_with_counts(
    warnings: dict[str, int], reason: str, count: int
) -> None:
    assert warnings[reason] == count


def test_typos_are_corrected_in_the_records() -> None:
    extract = extract_maven(MAVEN)

    assert "technolgy" not in extract.frames["accounts"]["industry"].to_list()
    products = extract.frames["opportunities"]["extra"].str.json_path_match("$.product")
    assert "GTXPro" not in products.to_list()
    assert (products == "GTX Pro").sum() == 1480


def test_lost_deals_have_no_amount_and_stages_have_the_win_rate() -> None:
    extract = extract_maven(MAVEN)
    opps = extract.frames["opportunities"]

    assert opps.filter(pl.col("stage") == "Lost")["amount"].null_count() == 2473
    stages = extract.frames["stages"].select("name", "status", "default_probability").rows()
    assert [s[:2] for s in stages] == [
        ("Prospecting", "open"),
        ("Engaging", "open"),
        ("Won", "won"),
        ("Lost", "lost"),
    ]
    assert stages[1][2] == 63  # 4,238 won of 6,711 closed


def test_a_folder_missing_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account\nA\n")

    with pytest.raises(InvalidInput, match=r"needs products.csv, sales_pipeline.csv"):
        extract_maven(tmp_path)
