"""Stage discipline: criteria gaps and process consistency, against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from revdesk.core.fiscal import FiscalCalendar
from revdesk.pipeline.discipline import criteria_gaps, playbook, process_consistency
from revdesk.pipeline.flow import stage_path

STAGES = pl.DataFrame(
    {
        "name": ["Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        "sort_order": [1, 2, 3, 4, 5],
        "status": ["open", "open", "open", "won", "lost"],
        "default_probability": [Decimal(20), Decimal(60), Decimal(80), Decimal(100), Decimal(0)],
        "forecast_category": ["pipeline", "best_case", "commit", "closed", "omitted"],
        "required_fields": [["amount"], ["close_date", "next_step"], ["competitors"], [], []],
        "playbook": ["Qualify.", "Propose.", "Negotiate.", "", ""],
    },
    schema_overrides={"default_probability": pl.Decimal(38, 2)},
)


def test_the_playbook_lists_exit_criteria_per_stage_in_order() -> None:
    rows = playbook(STAGES).select("stage", "exit_criteria", "playbook").rows()

    assert rows[:3] == [
        ("Discovery", "amount", "Qualify."),
        ("Proposal", "close_date, next_step", "Propose."),
        ("Negotiation", "competitors", "Negotiate."),
    ]


def test_gaps_are_criteria_of_passed_gates_and_to_do_those_of_the_current_stage() -> None:
    deals = pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "name": ["a", "b", "c", "d"],
            "rep": ["Ann"] * 4,
            "team": ["T"] * 4,
            "status": ["open", "open", "open", "won"],
            "stage": ["Negotiation", "Proposal", "Discovery", "Closed Won"],
            "amount": [None, Decimal(5), Decimal(5), None],
            "close_date": [date(2027, 1, 1), None, None, None],
            "next_step": ["  ", "call", None, None],
            "competitors": [[], ["X"], [], []],
        },
        schema_overrides={"amount": pl.Decimal(38, 4)},
    )

    rows = criteria_gaps(deals, STAGES).select("id", "gaps", "to_do").rows()

    # 1 in Negotiation passed Discovery (amount) and Proposal (next_step blank); to do: competitors
    # 2 in Proposal: to do close_date; 3 in Discovery has its amount: nothing; 4 is closed
    assert rows == [(1, "amount, next_step", "competitors"), (2, "", "close_date")]


def test_process_consistency_compares_each_rep_with_the_team() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    # Ann: 5 deals, all Discovery -> Proposal then lost; Bob: 5 deals lost in Discovery
    moves = []
    for n in range(10):
        moves.append((n, "Discovery", datetime(2026, 3, 1, tzinfo=UTC)))
        if n < 5:
            moves.append((n, "Proposal", datetime(2026, 3, 5, tzinfo=UTC)))
        moves.append((n, "Closed Lost", datetime(2026, 3, 10, tzinfo=UTC)))
    history = pl.DataFrame(
        [
            {
                "id": i,
                "opportunity_id": o,
                "field": "stage",
                "old_value": None,
                "new_value": s,
                "changed_at": t,
            }
            for i, (o, s, t) in enumerate(moves)
        ],
        schema={
            "id": pl.Int64,
            "opportunity_id": pl.Int64,
            "field": pl.String,
            "old_value": pl.String,
            "new_value": pl.String,
            "changed_at": pl.Datetime("us", "UTC"),
        },
    )
    deals = pl.DataFrame(
        {
            "id": list(range(10)),
            "status": ["lost"] * 10,
            "close_date": [date(2026, 3, 10)] * 10,
            "team": ["T"] * 10,
            "rep": ["Ann"] * 5 + ["Bob"] * 5,
        }
    )

    result = process_consistency(
        deals,
        stage_path(history, STAGES, at),
        STAGES,
        FiscalCalendar(2),
        start=date(2026, 2, 1),
        end=date(2026, 4, 30),
    )

    discovery = {
        r["rep"]: r for r in result.filter(pl.col("stage") == "Discovery").rows(named=True)
    }
    assert discovery["Ann"]["conversion_to_next"] == 1.0
    assert discovery["Bob"]["conversion_to_next"] == 0.0
    assert discovery["Ann"]["team_conversion"] == pytest.approx(0.5)
    assert (discovery["Ann"]["gap_points"], discovery["Ann"]["outlier"]) == (50.0, True)
    assert (discovery["Bob"]["gap_points"], discovery["Bob"]["outlier"]) == (-50.0, True)
