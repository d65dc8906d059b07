"""The stage-transition model and the Monte Carlo: hand-computed rates, exact vs simulated."""

from __future__ import annotations

import numpy as np
import pytest

from revdesk.core.clock import start_of_day
from revdesk.forecast import markov as markov_module
from revdesk.forecast import markov_fit
from revdesk.forecast.markov import POOLED, Chain, estimate, markov, win_within
from revdesk.forecast.simulate import (
    effect_noise,
    logit,
    quarter_effect,
    sigmoid,
    simulate,
    spread,
)
from revdesk.forecast.timeline import Timeline
from unit.forecast.handmade import CALENDAR, at, deal, eod
from unit.forecast.synthetic import NOW, company, materialize


def test_simulated_totals_are_reproducible_and_bounded() -> None:
    values = np.array([100.0, 200.0, 300.0])
    probabilities = np.array([0.5, 0.1, 0.9])
    extra = np.array([10.0, 20.0])
    shifts = np.array([-1.0, 0.0, 1.0])

    first = simulate(1000.0, values, probabilities, extra, shifts=shifts, runs=500, seed=1)
    second = simulate(1000.0, values, probabilities, extra, shifts=shifts, runs=500, seed=1)

    assert np.array_equal(first, second)
    assert first.min() >= 1010.0
    assert first.max() <= 1620.0


def test_certain_outcomes_give_exact_totals() -> None:
    values = np.array([100.0, 200.0])

    won = simulate(5.0, values, np.array([1.0, 1.0]), np.array([7.0]), runs=50)
    lost = simulate(5.0, values, np.array([0.0, 0.0]), np.array([7.0]), runs=50)

    assert set(won.tolist()) == {312.0}
    assert set(lost.tolist()) == {12.0}


def test_without_quarter_effects_the_simulated_mean_is_the_expected_value() -> None:
    rng = np.random.default_rng(3)
    values = rng.uniform(100, 1000, 400)
    probabilities = rng.uniform(0, 1, 400)
    extra = np.array([0.0, 50.0, 100.0])

    totals = simulate(0.0, values, probabilities, extra, runs=20_000, seed=2)

    assert totals.mean() == pytest.approx(float(probabilities @ values) + 50.0, rel=0.005)


def test_quarter_effects_widen_the_distribution() -> None:
    rng = np.random.default_rng(4)
    values = rng.uniform(100, 1000, 2000)
    probabilities = rng.uniform(0.1, 0.9, 2000)
    extra = np.array([0.0])

    narrow = simulate(0.0, values, probabilities, extra, runs=4000)
    wide = simulate(
        0.0,
        values,
        probabilities,
        extra,
        shifts=spread(np.array([-0.3, 0.2, 0.4, -0.1])),
        runs=4000,
    )

    assert np.std(wide) > 3 * np.std(narrow)
    assert np.median(wide) == pytest.approx(np.median(narrow), rel=0.02)


def test_the_quarter_effect_shifts_log_odds_to_hit_the_target() -> None:
    p = np.array([0.2, 0.5, 0.8])
    values = np.array([100.0, 100.0, 100.0])

    assert quarter_effect(p, values, 150.0) == pytest.approx(0.0, abs=1e-6)
    shift = quarter_effect(p, values, 200.0)
    assert float(sigmoid(logit(p) + shift) @ values) == pytest.approx(200.0, rel=1e-6)


def test_the_spread_is_a_t_predictive_interval_without_the_luck_already_simulated() -> None:
    effects = np.array([-0.2, 0.0, 0.2])  # sample sd 0.2

    levels = spread(effects)
    luck_only = spread(effects, np.array([0.04, 0.04, 0.04]))  # all of the variance is luck

    assert levels.size == 41
    assert float(np.mean(levels)) == pytest.approx(0.0, abs=1e-9)
    # the 90th percentile of t with 2 degrees of freedom is 1.886; scale 0.2 x sqrt(4/3)
    assert float(np.quantile(levels, 0.9, method="inverted_cdf")) == pytest.approx(
        1.886 * 0.2 * np.sqrt(4 / 3), rel=0.08
    )
    assert luck_only.tolist() == [0.0]
    assert spread(np.array([0.3])).tolist() == [0.0]


def test_the_luck_in_a_measured_effect_shrinks_with_more_deals() -> None:
    few = effect_noise(np.full(10, 0.5), np.full(10, 100.0), 0.0)
    many = effect_noise(np.full(1000, 0.5), np.full(1000, 100.0), 0.0)

    # equal deals: variance 1 / (n p (1 - p)) = 4 / n
    assert few == pytest.approx(0.4)
    assert many == pytest.approx(0.004)


def hand_chain() -> Chain:
    """Two open stages; exits depend on time in stage and on the quarter-end zone."""
    n_bucket = len(markov_module.BUCKET_WEEKS)
    rate = np.zeros((1, 2, n_bucket, 2))
    rate[0, 0, :, 0], rate[0, 0, :, 1] = 0.05, 0.10  # stage A: faster at quarter end
    rate[0, 1, :2, :], rate[0, 1, 2:, :] = 0.08, 0.02  # stage B: slows down after 4 weeks
    destination = np.zeros((1, 2, n_bucket, 2, 4))
    destination[0, 0, :, :, 1] = 0.6  # A -> B
    destination[0, 0, :, :, 3] = 0.4  # A -> lost
    destination[0, 1, :, :, 2] = 0.7  # B -> won
    destination[0, 1, :, :, 3] = 0.3  # B -> lost
    return Chain((POOLED,), {}, ("A", "B"), rate, destination, moves=100)


def test_the_exact_recursion_matches_a_day_by_day_monte_carlo() -> None:
    chain = hand_chain()
    late = np.array([False] * 30 + [True] * 14)
    exact = win_within(chain, late)
    rng = np.random.default_rng(11)
    paths = 40_000
    for stage, age in ((0, 0), (1, 3), (1, 40)):
        current = np.full(paths, stage)
        days = np.full(paths, age)
        won = np.zeros(paths, dtype=bool)
        for zone in late.astype(int):
            live = current >= 0
            bucket = (
                np.searchsorted(
                    np.array([7 * w for w in markov_module.BUCKET_WEEKS]), days, side="right"
                )
                - 1
            )
            leave_p = 1 - np.exp(-chain.rate[0, np.maximum(current, 0), bucket, zone])
            leaving = live & (rng.random(paths) < leave_p)
            mix = chain.destination[0, np.maximum(current, 0), bucket, zone]
            draw = rng.random(paths)
            target = (draw[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
            won |= leaving & (target == 2)
            moved_open = leaving & (target < 2)
            current = np.where(leaving & (target >= 2), -1, np.where(moved_open, target, current))
            days = np.where(moved_open, 0, np.minimum(days + 1, markov_module.MAX_DAYS))
        simulated = won.mean()
        error = np.sqrt(simulated * (1 - simulated) / paths)
        assert exact[0, stage, age] == pytest.approx(simulated, abs=4 * error + 1e-3)


def test_rates_and_destinations_are_moves_over_days_in_each_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(markov_fit, "PSEUDO_DAYS", 1e-9)
    monkeypatch.setattr(markov_fit, "PSEUDO_MOVES", 1e-9)
    deals = [
        # Discovery 10 days (bucket 0-2 weeks), then Proposal until the moment
        deal(1, "2025-08-01", "1000", "2025-10-01", later=[("2025-08-11", "stage", "Proposal")]),
        # Discovery 20 days: 14 in bucket 0, 6 in bucket 2-4 weeks, then lost
        deal(2, "2025-08-01", "1000", "2025-10-01", ends=("2025-08-21", "Lost")),
    ]
    for item in deals:  # move the changes to 09:00, the creation time, for whole days
        item.events = [(t.replace(hour=9), f, v) for t, f, v in item.events]
    timeline = Timeline(materialize(deals), CALENDAR, now=NOW)
    snap = timeline.as_of(eod("2025-08-31"), CALENDAR.parse("FY2026-Q3"))

    chain = estimate(snap, start_of_day(at("2025-08-01").date()), snap.at)

    discovery, proposal = chain.stages.index("Discovery"), chain.stages.index("Proposal")
    assert chain.moves == 2
    assert chain.rate[-1, discovery, 0, 0] == pytest.approx(1 / 24)  # 1 move in 10 + 14 days
    assert chain.rate[-1, discovery, 1, 0] == pytest.approx(1 / 6)  # 1 move in 6 days
    assert chain.destination[-1, discovery, 0, 0, proposal] == pytest.approx(1.0)
    assert chain.destination[-1, discovery, 1, 0, -1] == pytest.approx(1.0)  # lost
    assert chain.rate[-1, proposal, 0, 0] == pytest.approx(0.0)


def test_markov_gives_ordered_quantiles_around_its_point_and_is_reproducible() -> None:
    timeline = Timeline(materialize(company(500, seed=8)), CALENDAR, now=NOW)
    period = CALENDAR.parse("FY2027-Q1")

    first = markov(timeline.as_of(eod("2026-02-22"), period))
    again = markov(timeline.as_of(eod("2026-02-22"), period))

    assert first.ran, first.skipped_reason
    assert first.p10 is not None
    assert first.p50 is not None
    assert first.p90 is not None
    assert first.point is not None
    assert first.p10 <= first.p50 <= first.p90
    assert first.p10 <= first.point <= first.p90
    assert (first.point, first.p10, first.p90) == (again.point, again.p10, again.p90)
    assert first.probabilities is not None
    assert first.probabilities["p"].is_between(0, 1).all()


def test_markov_without_history_is_left_out_with_the_reason() -> None:
    timeline = Timeline(materialize([deal(1, "2026-01-10", "10", "2026-03-01")]), CALENDAR, now=NOW)

    result = markov(timeline.as_of(eod("2026-02-01"), CALENDAR.parse("FY2027-Q1")))

    assert not result.ran
    assert result.skipped_reason is not None
    assert "completed quarters" in result.skipped_reason
