"""Calibrated intervals from a method's out-of-sample record, against hand-computed cases."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from revdesk.forecast.calibrate import (
    MIN_ERRORS,
    Interval,
    calibrated,
    interval,
    log_errors,
    past_errors,
    remap,
    t90,
)
from revdesk.forecast.model import Method
from revdesk.forecast.timeline import AsOf, LookAhead, Timeline
from unit.forecast.handmade import CALENDAR, deal, eod
from unit.forecast.synthetic import NOW, materialize

Q1 = CALENDAR.parse("FY2027-Q1")  # 2026-02-01 .. 2026-04-30


def test_t_quantiles_are_the_textbook_ones() -> None:
    assert t90(1) == pytest.approx(3.077684)
    assert t90(2) == pytest.approx(1.885618)
    assert t90(7) == pytest.approx(1.414924)
    assert t90(500) == pytest.approx(1.281552)  # the normal beyond the table
    with pytest.raises(ValueError, match="degree of freedom"):
        t90(0)


def test_log_errors_skip_pairs_without_a_forecast_or_an_actual() -> None:
    forecasts = np.array([100.0, 200.0, 0.0, 50.0])
    actuals = np.array([150.0, 100.0, 80.0, 0.0])

    errors = log_errors(forecasts, actuals)

    assert errors.tolist() == pytest.approx([math.log(1.5), math.log(0.5)])


def test_the_interval_is_the_t_predictive_interval_of_the_log_errors() -> None:
    # errors 0.1, -0.1, 0.3: mean 0.1, sd sqrt((0 + 0.04 + 0.04) / 2) = 0.2, n = 3
    # half width = t(0.9; 2) x 0.2 x sqrt(1 + 1/3) = 1.885618 x 0.2 x 1.154701 = 0.435465
    found = interval(1000.0, np.array([0.1, -0.1, 0.3]))

    assert found is not None
    assert (found.errors, found.mean, found.sd) == (3, pytest.approx(0.1), pytest.approx(0.2))
    assert found.p50 == pytest.approx(1105.171, abs=1e-3)  # 1000 x e^0.1
    assert found.p10 == pytest.approx(715.006, abs=1e-3)  # 1000 x e^(0.1 - 0.435465)
    assert found.p90 == pytest.approx(1708.242, abs=1e-3)  # 1000 x e^(0.1 + 0.435465)


def test_too_few_errors_or_no_forecast_give_no_interval() -> None:
    assert MIN_ERRORS == 3
    assert interval(1000.0, np.array([0.1, -0.1])) is None
    assert interval(0.0, np.array([0.1, -0.1, 0.3])) is None


def test_remap_moves_the_simulated_quantiles_onto_the_calibrated_ones() -> None:
    samples = np.array([0.0, 50.0, 100.0, 150.0, 200.0])
    target = Interval(p10=80.0, p50=120.0, p90=220.0, errors=3, mean=0.0, sd=0.0)

    moved = remap(samples, (50.0, 100.0, 150.0), target)

    # below the median distances scale by 40 / 50 = 0.8, above by 100 / 50 = 2
    assert moved.tolist() == [40.0, 80.0, 120.0, 220.0, 320.0]


def test_remap_never_goes_below_zero_and_only_shifts_a_half_without_spread() -> None:
    samples = np.array([10.0, 10.0, 10.0, 30.0])
    target = Interval(p10=0.5, p50=5.0, p90=45.0, errors=3, mean=0.0, sd=0.0)

    moved = remap(samples, (10.0, 10.0, 30.0), target)

    assert moved.tolist() == [5.0, 5.0, 5.0, 45.0]
    assert remap(np.array([0.0]), (10.0, 20.0, 30.0), target).tolist() == [0.0]


def four_quarters() -> Timeline:
    deals = [
        deal(1, "2025-05-01", "800", "2025-06-30", ends=("2025-06-20", "Won")),  # FY2026-Q2
        deal(2, "2025-08-02", "1500", "2025-09-30", ends=("2025-09-20", "Won")),  # FY2026-Q3
        deal(3, "2025-11-02", "3000", "2025-12-15", ends=("2025-12-10", "Won")),  # FY2026-Q4
        deal(4, "2026-01-20", "5000", "2026-03-31", "Proposal"),  # open in FY2027-Q1
    ]
    return Timeline(materialize(deals), CALENDAR, now=NOW)


def test_past_forecasts_are_made_at_the_same_offset_with_only_what_was_known_then() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)  # 9 days into the quarter
    seen: list[tuple[str, datetime, datetime]] = []

    def stub(past: AsOf) -> float:
        seen.append((past.period.label, past.at, past.book["id"].to_list()))
        with pytest.raises(LookAhead):
            past.won_in(past.period)  # the past quarter was not over at its own moment
        return 1000.0

    errors = past_errors(snap, Method.MARKOV, stub)

    assert seen == [
        ("FY2026-Q2", eod("2025-05-10"), [1]),
        ("FY2026-Q3", eod("2025-08-10"), [2]),
        ("FY2026-Q4", eod("2025-11-10"), [3]),
    ]
    assert errors.tolist() == pytest.approx([math.log(0.8), math.log(1.5), math.log(3.0)])


def test_past_forecasts_are_made_once_per_method_quarter_and_offset() -> None:
    timeline = four_quarters()
    calls: list[str] = []

    def stub(past: AsOf) -> float:
        calls.append(past.period.label)
        return 1000.0

    past_errors(timeline.as_of(eod("2026-02-10"), Q1), Method.MARKOV, stub)
    past_errors(timeline.as_of(eod("2026-02-10"), Q1), Method.MARKOV, stub)
    past_errors(timeline.as_of(eod("2026-02-10"), Q1), Method.WIN_PROBABILITY, stub)

    assert calls == ["FY2026-Q2", "FY2026-Q3", "FY2026-Q4"] * 2


def test_a_quarter_not_over_at_the_moment_cannot_be_used() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)

    with pytest.raises(LookAhead):
        snap.earlier(Q1)


def test_the_method_reports_the_calibrated_interval_and_maps_its_samples() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)
    samples = np.linspace(500.0, 1500.0, 1001)

    band = calibrated(snap, Method.MARKOV, 1000.0, samples, lambda _past: 1000.0)

    # errors ln 0.8, ln 1.5, ln 3: mean ln(3.6) / 3 = 0.426978, sd 0.661140 (n - 1)
    mean = math.log(3.6) / 3
    half = 1.885618 * 0.661140 * math.sqrt(4 / 3)
    assert band.p50 == pytest.approx(1000 * math.exp(mean), rel=1e-6)
    assert band.p10 == pytest.approx(1000 * math.exp(mean - half), rel=1e-5)
    assert band.p90 == pytest.approx(1000 * math.exp(mean + half), rel=1e-5)
    assert np.quantile(band.samples, [0.1, 0.5, 0.9]) == pytest.approx(
        [band.p10, band.p50, band.p90], rel=1e-6
    )
    assert "calibrated on 3 past quarters" in band.note


def test_without_enough_past_forecasts_the_simulation_gives_the_interval() -> None:
    snap = four_quarters().as_of(eod("2026-02-10"), Q1)
    samples = np.linspace(500.0, 1500.0, 1001)

    band = calibrated(snap, Method.MARKOV, 1000.0, samples, lambda past: None)

    assert (band.p10, band.p50, band.p90) == (600.0, 1000.0, 1400.0)
    assert band.samples is samples
    assert "simulation alone: 0 past out-of-sample forecast(s)" in band.note
