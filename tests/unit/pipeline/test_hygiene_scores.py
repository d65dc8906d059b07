"""Quality scores, fix lists and ground-truth scoring, each against hand-computed numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from revdesk.core.errors import InvalidInput
from revdesk.demo.tables import DefectKind
from revdesk.pipeline.hygiene import (
    DEFECT_KINDS,
    FLAG_SCHEMA,
    fix_list,
    quality_scores,
    score_against_truth,
)

DEALS = pl.DataFrame(
    {
        "id": [1, 2, 3, 4, 5, 6, 7],
        "name": ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"],
        "status": ["open"] * 6 + ["won"],
        "owner_id": [7, 7, 8, 9, 9, 9, 7],
        "rep": ["Ann", "Ann", "Bob", "Cy", "Cy", "Cy", "Ann"],
        "team": ["East", "East", "East", "West", "West", "West", "East"],
        "close_date": [
            date(2026, 12, 31),
            date(2026, 11, 30),
            date(2026, 10, 31),
            None,
            date(2026, 12, 1),
            date(2026, 12, 2),
            date(2026, 9, 30),
        ],
    }
)


def flag(
    entity_id: int,
    rule_id: str,
    field: str | None,
    *,
    severity: str = "warning",
    owner_id: int | None = 7,
    entity: str = "opportunity",
) -> dict[str, Any]:
    rule_type = {
        "stale": "stale",
        "no-next-step": "missing_field",
        "no-amount": "missing_field",
        "late": "past_close_date",
        "no-close-date": "missing_field",
        "dupe": "duplicate",
        "orphan": "orphan_contact",
    }[rule_id]
    return {
        "entity": entity,
        "entity_id": entity_id,
        "rule_id": rule_id,
        "rule_type": rule_type,
        "severity": severity,
        "owner_id": owner_id,
        "field": field,
        "detail": f"{rule_id} on {entity_id}",
    }


def flags(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=FLAG_SCHEMA, orient="row")


FLAGS = flags(
    flag(1, "stale", "last_activity_at"),
    flag(1, "no-next-step", "next_step", severity="error"),
    flag(3, "late", "close_date", owner_id=8),
    flag(4, "late", "close_date", owner_id=3, severity="info"),
    flag(7, "stale", "last_activity_at"),  # a closed deal: not counted
    flag(2, "orphan", "account_id", entity="contact", owner_id=None),  # contact 2, not deal 2
)


def test_scores_per_rep_and_team() -> None:
    scores = quality_scores(FLAGS, DEALS)

    # Ann: 2 open, 1 flagged (2 flags) -> 50.0; Bob: 1 of 1 -> 0.0; Cy: 1 of 3 -> 66.7.
    assert scores["rep"].rows() == [
        ("Bob", 1, 1, 1, 0.0),
        ("Ann", 2, 1, 2, 50.0),
        ("Cy", 3, 1, 1, 66.7),
    ]
    assert scores["rep"].columns == ["rep", "open_deals", "flagged_deals", "flags", "score"]
    # East: deals 1-3, two flagged, three flags -> 33.3; West: 1 of 3 -> 66.7.
    assert scores["team"].rows() == [("East", 3, 2, 3, 33.3), ("West", 3, 1, 1, 66.7)]


def test_scores_per_field_list_requested_fields_even_when_clean() -> None:
    scores = quality_scores(FLAGS, DEALS, fields=["amount", "next_step"])

    # 6 open deals: close_date flagged on 2 -> 66.7; next_step and last_activity_at on 1 -> 83.3.
    assert scores["field"].rows() == [
        ("close_date", 6, 2, 66.7),
        ("last_activity_at", 6, 1, 83.3),
        ("next_step", 6, 1, 83.3),
        ("amount", 6, 0, 100.0),
    ]


def test_scores_with_no_open_deals_are_null() -> None:
    closed = DEALS.with_columns(pl.lit("won").alias("status"))

    scores = quality_scores(FLAGS, closed, fields=["amount"])

    assert scores["rep"].is_empty()
    assert scores["field"].rows() == [("amount", 0, 0, None)]


def test_scores_round_half_away_from_zero() -> None:
    # 1 flagged of 8 open -> 87.5 exactly; of 16 -> 93.75 -> 93.8.
    many = pl.DataFrame(
        {"id": range(1, 17), "status": ["open"] * 16, "rep": ["A"] * 8 + ["B"] * 8},
        schema={"id": pl.Int64, "status": pl.String, "rep": pl.String},
    ).with_columns(pl.lit("T").alias("team"))
    one_each = flags(flag(1, "stale", "last_activity_at"), flag(9, "stale", "last_activity_at"))

    scores = quality_scores(one_each, many)

    assert scores["rep"]["score"].to_list() == [87.5, 87.5]
    assert scores["team"]["score"].to_list() == [87.5]
    assert quality_scores(one_each.head(1), many)["team"]["score"].to_list() == [93.8]


def test_fix_list_per_owner_worst_first_then_by_close_date() -> None:
    todo = fix_list(FLAGS, DEALS)

    assert todo.columns == [
        "owner_id",
        "owner",
        "severity",
        "entity",
        "entity_id",
        "name",
        "close_date",
        "rule_id",
        "field",
        "detail",
    ]
    assert todo.select("owner_id", "owner", "severity", "entity_id", "name", "rule_id").rows() == [
        (3, None, "info", 4, "Delta", "late"),  # a manager who owns no deal: pass users
        (7, "Ann", "error", 1, "Alpha", "no-next-step"),
        (7, "Ann", "warning", 7, "Golf", "stale"),  # closes 2026-09-30, before Alpha
        (7, "Ann", "warning", 1, "Alpha", "stale"),
        (8, "Bob", "warning", 3, "Charlie", "late"),
        (None, "(sales ops)", "warning", 2, None, "orphan"),
    ]


def test_fix_list_names_owners_from_users_when_given() -> None:
    users = pl.DataFrame({"id": [3, 7, 8], "name": ["Max Manager", "Ann Archer", "Bob Baker"]})

    todo = fix_list(FLAGS, DEALS, users=users)

    assert todo["owner"].to_list() == [
        "Max Manager",
        "Ann Archer",
        "Ann Archer",
        "Ann Archer",
        "Bob Baker",
        "(sales ops)",
    ]


def test_fix_list_needs_the_deal_columns() -> None:
    with pytest.raises(InvalidInput, match="deals has no column\\(s\\) rep"):
        fix_list(FLAGS, DEALS.drop("rep"))


def test_defect_kinds_are_the_demo_generator_kinds() -> None:
    assert tuple(kind.value for kind in DefectKind) == DEFECT_KINDS


def test_precision_and_recall_per_kind() -> None:
    found = flags(
        flag(1, "stale", "last_activity_at"),
        flag(2, "stale", "last_activity_at"),
        flag(3, "stale", "last_activity_at"),
        flag(1, "no-next-step", "next_step"),
        flag(4, "no-close-date", "close_date"),  # no defect kind: not scored
        flag(5, "dupe", None),
        flag(9, "orphan", "account_id", entity="contact", owner_id=None),
    )
    truth = pl.DataFrame(
        {
            "entity": ["opportunity"] * 5 + ["contact", "opportunity"],
            "entity_id": [1, 2, 4, 1, 6, 9, 9],
            "kind": [
                "stale",
                "stale",
                "stale",
                "missing_next_step",
                "duplicate",
                "orphan_contact",
                "missing_amount",
            ],
        }
    )

    scored = score_against_truth(found, truth)

    # stale: flagged 1, 2, 3; true 1, 2, 4 -> tp 2, fp 1, fn 1 -> precision 2/3, recall 2/3.
    assert scored.rows() == [
        ("past_close_date", 0, 0, 0, None, None),
        ("stale", 2, 1, 1, pytest.approx(2 / 3), pytest.approx(2 / 3)),
        ("missing_next_step", 1, 0, 0, 1.0, 1.0),
        ("missing_amount", 0, 0, 1, None, 0.0),
        ("duplicate", 0, 1, 1, 0.0, 0.0),
        ("probability_mismatch", 0, 0, 0, None, None),
        ("orphan_contact", 1, 0, 0, 1.0, 1.0),
    ]
    assert scored.columns == [
        "kind",
        "true_positives",
        "false_positives",
        "false_negatives",
        "precision",
        "recall",
    ]


def test_a_kind_flagged_by_two_rules_counts_each_record_once() -> None:
    found = flags(flag(1, "stale", "last_activity_at"), flag(1, "stale", "last_activity_at"))
    truth = pl.DataFrame({"entity": ["opportunity"], "entity_id": [1], "kind": ["stale"]})

    scored = score_against_truth(found, truth).filter(pl.col("kind") == "stale")

    assert scored.rows() == [("stale", 1, 0, 0, 1.0, 1.0)]


def test_truth_kinds_the_rules_do_not_know_are_listed_last() -> None:
    truth = pl.DataFrame({"entity": ["opportunity"], "entity_id": [1], "kind": ["zombie"]})

    scored = score_against_truth(flags(), truth)

    assert scored.row(-1) == ("zombie", 0, 0, 1, None, 0.0)
