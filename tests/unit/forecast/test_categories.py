"""Forecast categories from stages, remapped by YAML, and the category columns."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import ForecastCategory
from revdesk.forecast.categories import (
    CategoryMap,
    category_columns,
    load_categories,
    load_categories_file,
)
from unit.forecast.synthetic import stages_frame

STAGES = stages_frame()


def test_the_default_mapping_is_the_stage_definitions() -> None:
    mapping = CategoryMap.from_stages(STAGES)

    assert mapping.of("Discovery") is ForecastCategory.PIPELINE
    assert mapping.of("Negotiation") is ForecastCategory.COMMIT
    assert mapping.of("Won") is ForecastCategory.CLOSED


def test_a_file_remaps_the_stages_it_names() -> None:
    mapping = load_categories("version: 1\nstages:\n  Proposal: commit\n", STAGES, source="c.yaml")

    assert mapping.of("Proposal") is ForecastCategory.COMMIT
    assert mapping.of("Discovery") is ForecastCategory.PIPELINE


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("stages:\n  Proposal: maybe\n", "c.yaml:2:13", "unknown category 'maybe'"),
        ("stages:\n  Demo: commit\n", "c.yaml:2:9", "unknown stage 'Demo'"),
        ("stages:\n  Won: commit\n", "c.yaml:2:8", "always closed"),
        ("stages:\n  Discovery: closed\n", "c.yaml:2:14", "is open; it cannot be closed"),
        ("version: 2\nstages: {}\n", "c.yaml:1:10", "unsupported version"),
        ("colours: 1\n", "c.yaml:1:1", "expected a mapping"),
        ("stages:\n  Proposal: commit\n  Proposal: pipeline\n", "c.yaml:3:3", "given twice"),
    ],
)
def test_a_wrong_file_names_the_line_and_the_reason(text: str, where: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        load_categories(text, STAGES, source="c.yaml")

    assert caught.value.where == where


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the category mapping"):
        load_categories_file(tmp_path / "nope.yaml", STAGES)


def test_category_columns_accumulate_into_commit_and_best_case_calls() -> None:
    deals = pl.DataFrame(
        {
            "stage": ["Negotiation", "Negotiation", "Proposal", "Discovery"],
            "value": [100.0, 50.0, 200.0, 400.0],
        }
    )

    table = category_columns(deals, 1000.0, CategoryMap.from_stages(STAGES))

    rows = {r["category"]: r for r in table.iter_rows(named=True)}
    assert float(rows["closed"]["call"]) == 1000.0
    assert (rows["commit"]["deals"], float(rows["commit"]["amount"])) == (2, 150.0)
    assert float(rows["commit"]["call"]) == 1150.0
    assert float(rows["best_case"]["call"]) == 1350.0
    assert float(rows["pipeline"]["call"]) == 1750.0
    assert rows["omitted"]["call"] is None
