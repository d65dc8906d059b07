"""Time the approval analytics on synthetic step instances (`revdesk approvals-stats` minus I/O).

Builds N step rows (default 1,000,000) with numpy and a fixed seed: 4 steps per request on
average, 9 step ids, 1-2 of 50 rules per step, 220 approvers, a year of openings on working
days during New York office hours, log-normal decision times, SLAs of 8-40 hours; statuses
80 % approved, 8 % rejected, 4 % carried over, 3 % skipped, 3 % pending, 2 % bypassed. Then
times every figure: cycle time per step, rule, approver and week (wall clock, then business
hours on the shipped calendar examples/calendars/standard.yaml, New York 09:00-17:00 with
holidays, columnar), SLA breaches, volume, request outcomes and end-to-end time, the whole
report per grouping, and the measured step durations that `policy simulate` uses.

    .venv/bin/python benchmarks/bench_approval_analytics.py              # N = 1,000,000
    .venv/bin/python benchmarks/bench_approval_analytics.py --n 100000
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl

from revdesk.approvals.analytics import (
    Grouping,
    cycle_times,
    end_to_end,
    outcome_mix,
    sla_breaches,
    step_durations,
    volume,
)
from revdesk.approvals.analytics_hours import windowed
from revdesk.approvals.analytics_report import approval_stats
from revdesk.approvals.calendar import load_calendar_file

SEED = 20_261_123
START = datetime(2025, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)
CALENDAR = Path(__file__).resolve().parents[1] / "examples" / "calendars" / "standard.yaml"
STEPS = ["manager", "vp", "cfo", "finance", "legal", "product", "deal_desk", "ops", "security"]
STATUSES = ["approved", "rejected", "carried_over", "skipped", "pending", "bypassed"]
WEIGHTS = [0.80, 0.08, 0.04, 0.03, 0.03, 0.02]
MICROS_PER_HOUR = 3_600_000_000
T = TypeVar("T")


def _moment(micros: pl.Expr) -> pl.Expr:
    return (pl.lit(START) + pl.duration(microseconds=micros)).dt.cast_time_unit("us")


def _rules() -> pl.Expr:
    """One rule, or two for 30 % of the steps."""
    first = pl.format("rule-{}", pl.col("first"))
    second = pl.format("rule-{}", pl.col("second"))
    return (
        pl.when(pl.col("two")).then(pl.concat_list(first, second)).otherwise(pl.concat_list(first))
    )


def history(n: int, seed: int = SEED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(steps, requests): n synthetic step rows and their requests."""
    rng = np.random.default_rng(seed)
    requests = max(n // 4, 1)
    request = np.sort(rng.integers(1, requests + 1, n))
    day = rng.integers(0, 365, n)
    weekday = (START.weekday() + day) % 7
    day = np.where(weekday >= 5, day + 7 - weekday, day)  # steps open on working days
    office = rng.integers(0, 8 * MICROS_PER_HOUR, n)  # 14:00-22:00 UTC: 09:00-17:00 EST
    opened = (day * 24 + 14) * MICROS_PER_HOUR + office
    spent = (rng.lognormal(mean=2.0, sigma=1.0, size=n) * MICROS_PER_HOUR).astype(np.int64)
    sla = rng.choice([8, 16, 24, 40], n)
    first, second = rng.integers(0, 50, n), rng.integers(0, 50, n)
    status = rng.choice(STATUSES, n, p=WEIGHTS)
    steps = pl.DataFrame(
        {
            "request_id": request,
            "quote_id": request + 1_000_000,
            "step_id": rng.choice(STEPS, n),
            "chain_id": "commercial",
            "first": first,
            "second": second,
            "two": rng.random(n) < 0.3,
            "approver_id": rng.integers(1, 221, n),
            "opened": opened,
            "spent": spent,
            "status": status,
            "sla_hours": sla.astype(np.float64),
        }
    )
    decided = pl.col("status").is_in(["approved", "rejected", "carried_over", "bypassed"])
    person = pl.col("status").is_in(["approved", "rejected"])
    steps = steps.select(
        "request_id",
        "quote_id",
        "step_id",
        "chain_id",
        _rules().alias("rules"),
        pl.when(person).then(pl.col("approver_id")).alias("approver_id"),
        pl.when(pl.col("status") != "skipped").then(_moment(pl.col("opened"))).alias("opened_at"),
        pl.when(decided).then(_moment(pl.col("opened") + pl.col("spent"))).alias("decided_at"),
        pl.when(pl.col("status") != "skipped")
        .then(_moment(pl.col("opened") + pl.col("sla_hours").cast(pl.Int64) * MICROS_PER_HOUR))
        .alias("due_at"),
        "status",
        "sla_hours",
    )
    return steps, _requests(steps, rng)


def _requests(steps: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One request per request_id: submitted at its first opening, closed at its last decision."""
    spans = steps.group_by("request_id").agg(
        pl.col("quote_id").first(),
        pl.col("opened_at").min().alias("submitted_at"),
        pl.col("decided_at").max().alias("closed_at"),
        (pl.col("status") == "pending").any().alias("open"),
    )
    outcome = rng.choice(
        ["approved", "rejected", "recalled", "returned", "withdrawn"],
        spans.height,
        p=[0.85, 0.08, 0.03, 0.03, 0.01],
    )
    return spans.with_columns(pl.Series("outcome", outcome)).select(
        "request_id",
        "quote_id",
        pl.when(pl.col("open"))
        .then(pl.lit("pending"))
        .otherwise(pl.col("outcome"))
        .alias("status"),
        pl.col("submitted_at").fill_null(pl.lit(START).dt.cast_time_unit("us")),
        pl.when(pl.col("open")).then(None).otherwise(pl.col("closed_at")).alias("closed_at"),
    )


def timed(label: str, work: Callable[[], T]) -> T:
    """Run `work` once; print its wall-clock and process CPU time (all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label}: {wall:.2f} s wall, {used:.2f} s CPU")
    return result


def main() -> None:
    """Generate, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    steps, requests = timed(f"generated {args.n:,} step rows", lambda: history(args.n))
    statuses = dict(steps["status"].value_counts().sort("status").iter_rows())
    print(f"  {requests.height:,} requests; statuses {statuses}")
    calendar = windowed(load_calendar_file(CALENDAR).windows)
    overall = time.perf_counter(), time.process_time()
    for by in (Grouping.STEP, Grouping.RULE, Grouping.APPROVER, Grouping.WEEK):
        timed(f"cycle_times by {by}, wall clock", lambda by=by: cycle_times(steps, by))
    for by in (Grouping.STEP, Grouping.APPROVER):
        timed(f"sla_breaches by {by}", lambda by=by: sla_breaches(steps, by, as_of=AS_OF))
    timed(
        "volume by approver and by week",
        lambda: (volume(steps, Grouping.APPROVER), volume(steps, Grouping.WEEK)),
    )
    timed("outcome mix + end to end", lambda: (outcome_mix(requests), end_to_end(requests)))
    by_step = timed(
        "cycle_times by step, business hours (calendar)",
        lambda: cycle_times(steps, Grouping.STEP, business_hours=calendar),
    )
    durations = step_durations(by_step)
    print(f"  measured step durations (business hours): {dict(sorted(durations.items()))}")
    for by in (Grouping.STEP, Grouping.APPROVER):
        timed(
            f"approval_stats by {by} with business hours (the whole report)",
            lambda by=by: approval_stats(steps, requests, by, as_of=AS_OF, business_hours=calendar),
        )
    wall, cpu = time.perf_counter() - overall[0], time.process_time() - overall[1]
    print(f"all of the above: {wall:.2f} s wall, {cpu:.2f} s CPU")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads, cpus = pl.thread_pool_size(), os.cpu_count()
    print(f"peak RSS {peak:,.0f} MiB; polars {pl.__version__}, {threads} threads, {cpus} CPUs")


if __name__ == "__main__":
    main()
