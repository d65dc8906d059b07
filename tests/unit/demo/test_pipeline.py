"""Stage paths, days in stage, quarter-end clustering and close-date pushes, on small arrays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from revdesk.demo.model import (
    DISCOVERY,
    ENTERPRISE,
    LOST,
    NEGOTIATION,
    PROPOSAL,
    PROSPECTING,
    SMB,
    SOLUTION,
    WON,
    DemoParameters,
    PipelineParameters,
)
from revdesk.demo.pipeline import (
    close_date_changes,
    cluster_wins,
    loss_stage,
    median_days,
    stage_paths,
)
from revdesk.demo.timeline import US_PER_DAY

STRAIGHT = replace(PipelineParameters(), skip_rate=0.0, regression_rate=0.0)


def _rng() -> np.random.Generator:
    return np.random.default_rng(1)


def test_median_days_depend_on_segment_stage_and_size() -> None:
    params = DemoParameters()
    segment = np.array([SMB, ENTERPRISE, ENTERPRISE])
    stage = np.array([PROSPECTING, SOLUTION, SOLUTION])
    size = np.array([1.0, 1.0, 16.0])  # 16 x the median: 16 ** 0.25 = 2 x the days

    assert median_days(segment, stage, size, params).tolist() == [5.0, 35.0, 70.0]


def test_without_skips_or_regressions_a_deal_climbs_one_stage_at_a_time() -> None:
    entry = np.array([PROSPECTING, PROSPECTING, DISCOVERY])
    top = np.array([NEGOTIATION, SOLUTION, PROPOSAL])
    won = np.array([True, False, True])

    paths = stage_paths(_rng(), entry, top, won, STRAIGHT)

    assert paths.tolist() == [
        [0, 1, 2, 3, 4, WON, -1, -1],
        [0, 1, 2, LOST, -1, -1, -1, -1],
        [1, 2, 3, WON, -1, -1, -1, -1],
    ]


def test_skips_jump_one_stage_and_a_regression_happens_once() -> None:
    skipping = replace(STRAIGHT, skip_rate=1.0)
    regressing = replace(STRAIGHT, regression_rate=1.0)
    entry, top, won = np.array([PROSPECTING]), np.array([NEGOTIATION]), np.array([True])

    assert stage_paths(_rng(), entry, top, won, skipping).tolist() == [
        [0, 2, 4, WON, -1, -1, -1, -1]
    ]
    assert stage_paths(_rng(), entry, top, won, regressing).tolist() == [[0, 1, 0, 1, 2, 3, 4, WON]]


def test_lost_deals_die_at_or_after_their_entry_stage() -> None:
    entry = np.full(2_000, PROPOSAL)

    stages = loss_stage(_rng(), entry, PipelineParameters())

    assert set(stages.tolist()) == {PROPOSAL, NEGOTIATION}


def test_wins_early_in_a_quarter_are_pulled_into_the_last_two_weeks_of_the_previous_one() -> None:
    params = replace(PipelineParameters(), pull_in_rate=1.0, slide_rate=1.0)
    q3_start = 20_392  # 2025-11-01, first day of FY2026-Q4 (fiscal year from February)
    close = np.array([q3_start + 2, q3_start + 45, q3_start + 70, q3_start + 2]) * US_PER_DAY
    before = np.full(4, (q3_start - 60) * US_PER_DAY)
    won = np.array([True, True, True, False])

    moved = cluster_wins(_rng(), close, before, won, start_month=2, params=params) // US_PER_DAY

    previous_end, this_end = q3_start - 1, q3_start + 91  # 2025-10-31 and 2026-01-31
    assert previous_end - 13 <= moved[0] <= previous_end  # pulled in
    assert moved[1] == q3_start + 45  # mid-quarter: stays
    assert this_end - 13 <= moved[2] <= this_end  # slid to the last two weeks
    assert moved[3] == q3_start + 2  # a loss is not clustered


def test_close_dates_are_pushed_before_they_lapse_until_the_deal_closes() -> None:
    n = 5_000
    rng = _rng()
    created = rng.integers(0, 300, n) * US_PER_DAY
    close_at = created + rng.integers(1, 400, n) * US_PER_DAY
    planned = created // US_PER_DAY + rng.integers(7, 60, n)

    at, value, valid = close_date_changes(
        rng, created, close_at, planned, push_days=np.full(n, 30.0), params=PipelineParameters()
    )

    close_day = close_at // US_PER_DAY
    last = valid.sum(axis=1) - 1
    rows = np.arange(n)
    assert (value[rows, last] >= close_day).all()  # never lapses before the close
    pushes = valid[:, 1:]
    assert (at[:, 1:][pushes] // US_PER_DAY <= value[:, :-1][pushes]).all()  # before it lapses
    assert (np.diff(at, axis=1)[pushes] > 0).all()
