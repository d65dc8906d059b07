"""Calibrated intervals from a method's out-of-sample record, against hand-computed cases."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

import numpy as np
import pytest

from revdesk.forecast.calibrate import (
    MIN_SCORES,
    calibrate,
    past_scores,
    remap,
    score,
    stretch,
    stretched,
    t90,
)
from revdesk.forecast.model import Method, MethodResult
from revdesk.forecast.timeline import AsOf, LookAhead, Timeline
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, materialize

Q1 = CALENDAR.parse("FY2027-Q1")  # 2026-02-01 .. 2026-04-30


def test_t_quantiles_are_the_textbook_ones() -> None:
    assert t90(1) == pytest.approx(3.077684)
    assert t90(3) == pytest.approx(1.637744)
    assert t90(8) == pytest.approx(1.396815)
    assert t90(500) == pytest.approx(1.281552)  # the normal beyond the table
    with pytest.raises(ValueError, match="degree of freedom"):
        t90(0)


def test_a_score_is_the_log_error_in_units_of_the_half_interval_on_its_side() -> None:
    band = (50.0, 100.0, 200.0)  # ln 2 below and above the median

    assert score(400.0, band) == pytest.approx(2.0)  # ln 4 / ln 2
    assert score(100.0, band) == pytest.approx(0.0)
    assert score(25.0, band) == pytest.approx(-2.0)  # ln 0.25 / ln 2
    assert score(100 * math.sqrt(2), band) == pytest.approx(0.5)
    assert score(75.0, (50.0, 100.0, 400.0)) == pytest.approx(math.log(0.75) / math.log(2))


def test_no_score_without_an_actual_or_a_usable_band() -> None:
    assert score(0.0, (50.0, 100.0, 200.0)) is None
    assert score(80.0, (0.0, 100.0, 200.0)) is None  # P10 of 0: no log
    assert score(80.0, (100.0, 100.0, 200.0)) is None  # no spread below the median


def test_the_stretch_is_t_with_n_degrees_of_freedom_times_the_rms_score() -> None:
    # scores 1, -1, 2, 0: rms sqrt((1 + 1 + 4 + 0) / 4) = 1.224745; t(0.9; 4) = 1.533206
    assert stretch(np.array([1.0, -1.0, 2.0, 0.0])) == pytest.approx(1.877786, abs=1e-6)
    assert MIN_SCORES == 3
    assert stretch(np.array([1.0, -1.0])) is None


def test_a_right_simulation_keeps_its_interval_with_many_quarters() -> None:
    # scores of a calibrated lognormal simulation: N(0, 1) / z(0.9); rms -> 1 / 1.281552
    scores = np.full(1000, 1 / 1.281552)

    assert stretch(scores) == pytest.approx(1.0, abs=1e-6)


def test_the_interval_stretches_around_the_median_in_logs() -> None:
    assert stretched((50.0, 100.0, 200.0), 2.0) == pytest.approx((25.0, 100.0, 400.0))
    assert stretched((50.0, 100.0, 400.0), 0.5) == pytest.approx((70.710678, 100.0, 200.0))


def test_samples_move_like_the_interval() -> None:
    moved = remap(np.array([0.0, 50.0, 100.0, 200.0]), 100.0, 2.0)

    assert moved.tolist() == pytest.approx([0.0, 25.0, 100.0, 400.0])


def four_quarters() -> Timeline:
    deals = [
        deal(1, "2025-05-01", "800", "2025-06-30", ends=("2025-06-20", "Won")),  # FY2026-Q2
        deal(2, "2025-08-02", "1500", "2025-09-30", ends=("2025-09-20", "Won")),  # FY2026-Q3
        deal(3, "2025-11-02", "3000", "2025-12-15", ends=("2025-12-10", "Won")),  # FY2026-Q4
        deal(4, "2026-01-20", "5000", "2026-03-31", "Proposal"),  # open in FY2027-Q1
    ]
    return Timeline(materialize(deals), CALENDAR, now=NOW)


def simulated(low: str, mid: str, high: str, *, samples: list[float] | None = None) -> MethodResult:
    return MethodResult(
        Method.MARKOV,
        point=Decimal(mid),
        p10=Decimal(low),
        p50=Decimal(mid),
        p90=Decimal(high),
        samples=np.array(samples or [float(mid)]),
        note="simulated",
    )


def test_past_forecasts_are_made_at_the_same_offset_with_only_what_was_known_then() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)  # 9 days into the quarter
    seen: list[tuple[str, datetime, list[int]]] = []

    def rerun(past: AsOf) -> MethodResult:
        seen.append((past.period.label, past.at, past.book["id"].to_list()))
        with pytest.raises(LookAhead):
            past.won_in(past.period)  # the past quarter was not over at its own moment
        return simulated("500", "1000", "2000")

    scores = past_scores(snap, Method.MARKOV, rerun)

    assert seen == [
        ("FY2026-Q2", eod("2025-05-10"), [1]),
        ("FY2026-Q3", eod("2025-08-10"), [2]),
        ("FY2026-Q4", eod("2025-11-10"), [3]),
    ]
    # actuals 800, 1500, 3000 against a median of 1000 and ln 2 on either side
    expected = [math.log(0.8) / math.log(2), math.log(1.5) / math.log(2), math.log(3) / math.log(2)]
    assert scores.tolist() == pytest.approx(expected)


def test_past_forecasts_run_once_per_method_quarter_and_offset() -> None:
    timeline = four_quarters()
    calls: list[str] = []

    def rerun(past: AsOf) -> MethodResult:
        calls.append(past.period.label)
        return simulated("500", "1000", "2000")

    past_scores(timeline.as_of(eod("2026-02-10"), Q1), Method.MARKOV, rerun)
    past_scores(timeline.as_of(eod("2026-02-10"), Q1), Method.MARKOV, rerun)
    past_scores(timeline.as_of(eod("2026-02-10"), Q1), Method.WIN_PROBABILITY, rerun)

    assert calls == ["FY2026-Q2", "FY2026-Q3", "FY2026-Q4"] * 2


def test_a_quarter_not_over_at_the_moment_cannot_be_used() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)

    with pytest.raises(LookAhead):
        snap.earlier(Q1)


def test_the_method_reports_its_interval_stretched_on_its_record() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)
    raw = simulated("500", "1000", "2000", samples=[250.0, 1000.0, 4000.0])

    result = calibrate(snap, raw, lambda past: simulated("500", "1000", "2000"))

    # scores -0.321928, 0.584963, 1.584963: rms 0.992963; c = 1.637744 x 0.992963 = 1.626219
    assert float(result.p10 or 0) == pytest.approx(1000 * 0.5**1.626219, abs=0.01)  # 323.94
    assert float(result.p90 or 0) == pytest.approx(1000 * 2**1.626219, abs=0.01)  # 3087.03
    assert (result.point, result.p50) == (Decimal("1000"), Decimal("1000"))
    assert result.samples is not None
    assert result.samples.tolist() == pytest.approx(
        [1000 * 0.25**1.626219, 1000.0, 1000 * 4**1.626219], rel=1e-5
    )
    assert "stretched × 1.63 on 3 past quarters" in result.note


def test_without_enough_past_forecasts_the_simulation_gives_the_interval() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)
    raw = simulated("500", "1000", "2000")

    result = calibrate(snap, raw, lambda past: MethodResult.skipped(Method.MARKOV, "too early"))

    assert (result.p10, result.p50, result.p90) == (Decimal(500), Decimal(1000), Decimal(2000))
    assert "interval from the simulation alone (0 past quarter(s) scored" in result.note


def test_a_method_left_out_stays_left_out() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)
    raw = MethodResult.skipped(Method.MARKOV, "too early")

    assert calibrate(snap, raw, lambda past: raw) is raw
