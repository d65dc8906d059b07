"""Pure rules of the revenue data core."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import (
    BillingFrequency,
    ForecastCategory,
    StageDefinition,
    StageStatus,
    reporting_chain,
)


def test_the_reporting_chain_runs_from_the_manager_to_the_top() -> None:
    assert reporting_chain(7, {7: 3, 3: 1, 1: None}) == [3, 1]
    assert reporting_chain(1, {7: 3, 3: 1, 1: None}) == []


def test_a_loop_in_the_reporting_chain_is_refused() -> None:
    with pytest.raises(InvalidInput, match="loops back to user 7"):
        reporting_chain(7, {7: 3, 3: 7})


def test_exit_criteria_list_the_missing_fields_in_order() -> None:
    stage = StageDefinition(
        "Negotiation",
        5,
        Decimal(80),
        ForecastCategory.COMMIT,
        StageStatus.OPEN,
        ("amount", "close_date", "next_step"),
    )

    missing = stage.missing_exit_fields({"amount": Decimal(5), "close_date": None, "next_step": ""})

    assert missing == ["close_date", "next_step"]
    assert not stage.is_closed


def test_a_stage_with_an_unknown_exit_field_or_bad_probability_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown exit-criteria field"):
        StageDefinition(
            "X", 1, Decimal(10), ForecastCategory.PIPELINE, StageStatus.OPEN, ("budget",)
        )
    with pytest.raises(InvalidInput, match="outside 0-100"):
        StageDefinition("X", 1, Decimal(101), ForecastCategory.PIPELINE, StageStatus.OPEN)


def test_billing_frequencies_know_their_months() -> None:
    assert [f.months for f in BillingFrequency] == [1, 3, 6, 12, 0]
