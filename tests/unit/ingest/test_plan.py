"""Planning against stored rows, without a database: creates, updates, rejections, references."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest

from revdesk.ingest import store
from revdesk.ingest.canonical import conform
from revdesk.ingest.model import problem_frame
from revdesk.ingest.plan import Planner
from revdesk.ingest.plan_deals import plan_history, plan_opportunities
from revdesk.ingest.specs import SPECS

AT = datetime(2026, 1, 1, tzinfo=UTC)
RULES = {spec.table: store.column_rules(spec.table) for spec in SPECS.values()}


def _reserver() -> Iterator[int]:
    yield from range(100, 10_000)


def _planner(**existing: pl.DataFrame) -> Planner:
    counter = _reserver()

    def reserve(table: str, count: int) -> range:
        start = next(counter)
        for _ in range(count - 1):
            next(counter)
        return range(start, start + count)

    stored = {
        obj: existing.get(obj, pl.DataFrame(schema={"id": pl.Int64, spec.key: pl.String,
                                                    "name": pl.String}))
        for obj, spec in SPECS.items()
    }  # fmt: skip
    return Planner(rules=RULES, existing=stored, problems=problem_frame(), at=AT, reserve=reserve)


def _staged(obj: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows).with_columns(
        pl.lit("f.csv").alias("_file"), pl.int_range(2, len(rows) + 2).alias("_row")
    )
    return conform(obj, frame)


def _reasons(planner: Planner) -> list[tuple[int, str, str]]:
    found = planner.all_problems().filter(pl.col("severity") == "error")
    return sorted(found.select("row", "column", "reason").rows())


def test_new_changed_and_unchanged_rows_are_told_apart() -> None:
    stored = pl.DataFrame({"id": [1, 2], "external_id": ["a", "b"], "name": ["Acme", "Globex"],
                           "industry": ["Tech", "Retail"]})  # fmt: skip
    planner = _planner(accounts=stored)
    staged = _staged("accounts", [
        {"external_id": "a", "name": "Acme", "industry": "Tech"},
        {"external_id": "b", "name": "Globex", "industry": "Energy"},
        {"external_id": "c", "name": "Initech", "industry": None},
    ])  # fmt: skip

    plan = planner.plan(SPECS["accounts"], staged)

    assert (plan.counts.created, plan.counts.updated, plan.counts.unchanged) == (1, 1, 1)
    assert plan.updates.select("id", "industry").rows() == [(2, "Energy")]
    assert plan.creates.select("id", "name").rows() == [(100, "Initech")]
    assert plan.creates["extra"].to_list() == ["{}"]  # the table's default


def test_duplicates_missing_values_and_long_text_are_errors() -> None:
    planner = _planner()
    staged = _staged("accounts", [
        {"external_id": "a", "name": "Acme"},
        {"external_id": "a", "name": "Acme again"},
        {"external_id": "b", "name": None},
        {"external_id": "c", "name": "x" * 300},
    ])  # fmt: skip

    plan = planner.plan(SPECS["accounts"], staged)

    assert plan.counts.rejected == 4
    assert _reasons(planner) == [
        (2, "external_id", "duplicate id"),
        (3, "external_id", "duplicate id"),
        (4, "name", "missing value"),
        (5, "name", "longer than 255 characters"),
    ]


def test_references_to_missing_and_rejected_records_are_errors() -> None:
    planner = _planner()
    planner.plan(SPECS["accounts"], _staged("accounts", [
        {"external_id": "a", "name": "Acme"}, {"external_id": "bad", "name": None},
    ]))  # fmt: skip
    staged = _staged("contacts", [
        {"external_id": "c1", "last_name": "Lee", "account": "a"},
        {"external_id": "c2", "last_name": "Kay", "account": "bad"},
        {"external_id": "c3", "last_name": "Oz", "account": "nowhere"},
    ])  # fmt: skip

    plan = planner.plan(SPECS["contacts"], staged)

    assert plan.creates.select("external_id", "account_id").rows() == [("c1", 100)]
    assert [r for r in _reasons(planner) if r[1] == "account"] == [
        (3, "account", "refers to a rejected account"),
        (4, "account", "reference to a missing account"),
    ]


def test_parents_resolve_among_new_rows_and_rejections_cascade() -> None:
    planner = _planner()
    staged = _staged("accounts", [
        {"external_id": "root", "name": None},  # rejected: no name
        {"external_id": "child", "name": "Child", "parent": "root"},
        {"external_id": "grandchild", "name": "Grandchild", "parent": "child"},
        {"external_id": "solo", "name": "Solo"},
        {"external_id": "kid", "name": "Kid", "parent": "solo"},
    ])  # fmt: skip

    plan = planner.plan(SPECS["accounts"], staged)

    assert plan.creates["external_id"].to_list() == ["solo", "kid"]
    assert plan.creates["parent_id"].to_list() == [None, None]  # set in a second pass
    assert plan.links.rows() == [(plan.creates["id"][1], plan.creates["id"][0])]
    assert plan.counts.rejected == 3


def test_a_unique_value_held_by_another_record_is_an_error() -> None:
    stored = pl.DataFrame({"id": [1], "external_id": ["u1"], "name": ["Ann"],
                           "email": ["ann@x.example"]})  # fmt: skip
    planner = _planner(users=stored)
    staged = _staged("users", [
        {"external_id": "u2", "name": "Other Ann", "email": "ann@x.example"},
        {"external_id": "u3", "name": "Bo", "email": "bo@x.example"},
    ])  # fmt: skip

    planner.plan(SPECS["users"], staged)

    assert _reasons(planner) == [(2, "email", "already used by another user")]


STAGES = pl.DataFrame(
    {
        "name": ["Open", "Won"],
        "default_probability": [Decimal(20), Decimal(100)],
        "forecast_category": ["pipeline", "closed"],
        "status": ["open", "won"],
    },
    schema_overrides={"default_probability": pl.Decimal(38, 4)},
)


def _stored_opportunity() -> pl.DataFrame:
    return pl.DataFrame(
        {"id": [7], "external_id": ["o1"], "name": ["Deal"], "stage": ["Open"],
         "amount": [Decimal(100)], "currency": ["USD"], "closed_at": [None]},
        schema_overrides={"amount": pl.Decimal(38, 4), "closed_at": pl.Datetime("us", "UTC")},
    )  # fmt: skip


def test_a_changed_opportunity_records_one_history_row_per_changed_field() -> None:
    planner = _planner(opportunities=_stored_opportunity())
    staged = _staged("opportunities", [
        {"external_id": "o1", "name": "Deal", "stage": "Won", "amount": Decimal(150),
         "currency": "USD"},
    ])  # fmt: skip

    plan = plan_opportunities(planner, staged, STAGES, "salesforce")

    assert plan.history.select("opportunity_id", "field", "old_value", "new_value").rows() == [
        (7, "stage", "Open", "Won"),
        (7, "amount", "100.0000", "150.0000"),
    ]
    assert set(plan.history["source"]) == {"import:salesforce"}
    assert plan.updates["closed_at"].to_list() == [AT]


def test_unknown_stages_are_rejected_and_new_deals_take_stage_defaults() -> None:
    planner = _planner()
    staged = _staged("opportunities", [
        {"external_id": "o1", "name": "A", "stage": "Won", "currency": "USD"},
        {"external_id": "o2", "name": "B", "stage": "Lost?", "currency": "USD"},
    ])  # fmt: skip

    plan = plan_opportunities(planner, staged, STAGES, "csv")

    created = plan.creates.row(0, named=True)
    assert (created["probability"], created["forecast_category"], created["type"]) == (
        Decimal(100),
        "closed",
        "new",
    )
    assert created["closed_at"] == AT
    assert _reasons(planner) == [(3, "stage", "unknown stage")]


@pytest.mark.parametrize("watermark", [None, datetime(2024, 1, 2, tzinfo=UTC)])
def test_source_history_already_stored_is_not_written_again(watermark: datetime | None) -> None:
    planner = _planner(opportunities=_stored_opportunity())
    staged = _staged("history", [
        {"opportunity": "o1", "field": "stage", "old_value": None, "new_value": "Open",
         "changed_at": datetime(2024, 1, 1, tzinfo=UTC)},
        {"opportunity": "o1", "field": "amount", "old_value": "90", "new_value": "100",
         "changed_at": datetime(2024, 1, 3, tzinfo=UTC)},
    ])  # fmt: skip
    marks = pl.DataFrame(
        {"opportunity_id": [7], "_last": [watermark]},
        schema={"opportunity_id": pl.Int64, "_last": pl.Datetime("us", "UTC")},
    )

    plan = plan_history(planner, [staged], stages=STAGES, source="salesforce",
                        watermarks=marks.drop_nulls(), synthetic=pl.DataFrame())  # fmt: skip

    expected = 2 if watermark is None else 1
    assert (plan.counts.created, plan.counts.unchanged) == (expected, 2 - expected)


def test_one_bad_history_row_rejects_the_opportunitys_whole_history() -> None:
    planner = _planner(opportunities=_stored_opportunity())
    staged = _staged("history", [
        {"opportunity": "o1", "field": "stage", "old_value": None, "new_value": "Open",
         "changed_at": datetime(2024, 1, 1, tzinfo=UTC)},
        {"opportunity": "o1", "field": "stage", "old_value": "Open", "new_value": "Nowhere",
         "changed_at": datetime(2024, 1, 2, tzinfo=UTC)},
    ])  # fmt: skip

    plan = plan_history(planner, [staged], stages=STAGES, source="x",
                        watermarks=pl.DataFrame(schema={"opportunity_id": pl.Int64,
                                                        "_last": pl.Datetime("us", "UTC")}),
                        synthetic=pl.DataFrame())  # fmt: skip

    assert plan.counts.rejected == 2
    assert plan.creates.is_empty()
