"""The hygiene defect definitions on hand-built records, and on a generated company."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl

from revdesk.demo.defects import copy_names, normalised_name
from revdesk.demo.generator import CompanyFrames
from revdesk.demo.model import STAGE_NAMES, STAGE_PROBABILITY
from revdesk.demo.truth import defects_as_of

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, tzinfo=UTC)
CLEAN = {
    "account_id": 1,
    "status": "open",
    "amount": Decimal(1000),
    "close_date": TODAY,
    "probability": Decimal(20),
    "default_probability": Decimal(20),
    "next_step": "Call",
    "created_at": NOW - timedelta(days=40),
    "last_activity_at": NOW - timedelta(days=30),
}
SCHEMA = {
    "id": pl.Int64,
    "account_id": pl.Int64,
    "name": pl.String,
    "status": pl.String,
    "amount": pl.Decimal(38, 4),
    "close_date": pl.Date,
    "probability": pl.Decimal(5, 2),
    "default_probability": pl.Decimal(5, 2),
    "next_step": pl.String,
    "created_at": pl.Datetime("us", "UTC"),
    "last_activity_at": pl.Datetime("us", "UTC"),
}


def _deal(id_: int, name: str, **changes: object) -> dict[str, object]:
    return {"id": id_, "name": name, **CLEAN, **changes}


def _found(deals: list[dict[str, object]], contacts: pl.DataFrame | None = None) -> set[tuple]:
    frame = pl.DataFrame(deals, schema=SCHEMA)
    people = (
        contacts
        if contacts is not None
        else pl.DataFrame(
            {"id": [], "account_id": []}, schema={"id": pl.Int64, "account_id": pl.Int64}
        )
    )
    found = defects_as_of(frame, people, TODAY)
    return {(r["kind"], r["entity_id"], r["detail"]) for r in found.iter_rows(named=True)}


def test_a_clean_open_deal_on_every_boundary_has_no_defect() -> None:
    # closes today, last activity exactly 30 days ago, probability 10 points off is tolerated
    assert _found([_deal(1, "A #1", probability=Decimal(30))]) == set()


def test_each_definition_on_its_own() -> None:
    deals = [
        _deal(1, "A #1", close_date=TODAY - timedelta(days=1)),
        _deal(2, "A #2", last_activity_at=NOW - timedelta(days=30, microseconds=1)),
        _deal(3, "A #3", last_activity_at=None),
        _deal(4, "A #4", next_step="  "),
        _deal(5, "A #5", next_step=None),
        _deal(6, "A #6", amount=None),
        _deal(7, "A #7", probability=Decimal("30.01")),
        _deal(8, "A #8", status="won", amount=None, close_date=TODAY - timedelta(days=9)),
    ]
    contacts = pl.DataFrame({"id": [1, 2], "account_id": [1, None]})

    assert _found(deals, contacts) == {
        ("past_close_date", 1, None),
        ("stale", 2, None),
        ("stale", 3, None),
        ("missing_next_step", 4, None),
        ("missing_next_step", 5, None),
        ("missing_amount", 6, None),
        ("probability_mismatch", 7, None),
        ("orphan_contact", 2, None),
    }


def test_a_duplicate_is_a_later_near_identical_deal_of_the_same_account() -> None:
    later = CLEAN["created_at"] + timedelta(days=14)  # type: ignore[operator]
    deals = [
        _deal(1, "Acme - New Business #1"),
        _deal(2, "ACME - NEW BUSINESS #1", created_at=later, amount=Decimal(1100)),
        _deal(3, "Acme - New Business #1 (copy)", created_at=later + timedelta(days=1)),
        _deal(4, "Acme - New Business #1", created_at=later, amount=Decimal(1221)),  # > 10% off
        _deal(5, "Acme - New Business #1", created_at=later, account_id=2),
        _deal(6, "Acme - New Business #2", created_at=later),
    ]

    assert _found(deals) == {("duplicate", 2, "1"), ("duplicate", 3, "2")}


def test_copy_names_normalise_to_their_original() -> None:
    names = pl.DataFrame({"name": ["Acme & Sons Co - Renewal #3"] * 4, "variant": [0, 1, 2, 3]})

    keys = names.select(normalised_name(copy_names(pl.col("name"), pl.col("variant"))))

    assert keys.to_series().to_list() == ["acme sons co renewal 3"] * 4


def test_the_definitions_find_exactly_the_injected_defects(company: CompanyFrames) -> None:
    stage = dict(zip(STAGE_NAMES, STAGE_PROBABILITY, strict=True))
    status = dict(zip(STAGE_NAMES, ["open"] * 5 + ["won", "lost"], strict=True))
    deals = company.tables["opportunities"].with_columns(
        status=pl.col("stage").replace_strict(status),
        default_probability=pl.col("stage").replace_strict(stage).cast(pl.Decimal(5, 2)),
    )
    truth = company.truth.sort("entity", "kind", "entity_id")

    found = defects_as_of(deals, company.tables["contacts"], TODAY)

    assert found.equals(truth)
    assert set(truth["kind"].unique()) >= {"past_close_date", "stale", "missing_next_step"}
