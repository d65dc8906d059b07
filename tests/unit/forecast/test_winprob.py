"""The win-probability model: honest training set, calibration, skips."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from revdesk.forecast.timeline import Timeline
from revdesk.forecast.winprob import FEATURES, features, train, win_probability
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, company, materialize

Q1 = CALENDAR.parse("FY2027-Q1")


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return Timeline(materialize(company(700, seed=21)), CALENDAR, now=NOW)


def test_the_model_trains_only_on_quarters_that_ended_before_the_moment(timeline: Timeline) -> None:
    snap = timeline.as_of(eod("2026-03-01"), Q1)

    model = train(snap)

    assert not isinstance(model, str), model
    assert model.quarters[-1] == "FY2026-Q4"  # the quarter before FY2027-Q1
    assert model.closed >= 200


def test_probabilities_are_calibrated_on_held_out_deals(timeline: Timeline) -> None:
    result = win_probability(timeline.as_of(eod("2026-03-01"), Q1))

    assert result.ran, result.skipped_reason
    assert result.probabilities is not None
    p = result.probabilities["p"]
    assert p.is_between(0, 1).all()
    assert result.p10 is not None
    assert result.p90 is not None
    assert result.point is not None
    assert result.p10 <= result.point <= result.p90


def test_too_few_closed_deals_leave_the_model_out() -> None:
    deals = [
        deal(i, "2025-06-01", "100", "2025-07-01", ends=("2025-07-01", "Won")) for i in range(1, 20)
    ]
    deals += [deal(100, "2026-01-05", "100", "2026-03-01")]
    small = Timeline(materialize(deals), CALENDAR, now=NOW)

    result = win_probability(small.as_of(eod("2026-02-15"), Q1))

    assert not result.ran
    assert result.skipped_reason is not None
    assert (
        "needs at least 2 completed quarters" in result.skipped_reason
        or "200" in result.skipped_reason
    )


def test_a_period_not_started_is_left_out(timeline: Timeline) -> None:
    result = win_probability(timeline.as_of(eod("2026-03-01"), CALENDAR.parse("FY2027-Q2")))

    assert not result.ran
    assert "has not started" in (result.skipped_reason or "")


def test_features_are_the_documented_columns(timeline: Timeline) -> None:
    book = timeline.as_of(eod("2026-03-01"), Q1).book.with_columns(pl.lit(60).alias("days_left"))

    matrix = features(book, ("enterprise", "smb"))

    assert matrix.shape == (book.height, len(FEATURES))
    assert set(np.unique(matrix[:, FEATURES.index("segment")])) <= {0.0, 1.0}
