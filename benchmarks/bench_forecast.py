"""Time a forecast backtest: N quarters x the given weeks x every method, on the demo company.

Builds the demo company (default 100,000 opportunities, seed 42) into a temporary SQLite file,
or reads an existing database with `--database`, then times the three phases of
`revdesk forecast backtest` separately: reading the CRM frames, building the timeline (the
versions of every opportunity) and the backtest itself (every method at every moment). Prints
the phases, the peak RSS and the week-4 scores.

    .venv/bin/python benchmarks/bench_forecast.py                       # 100,000 opportunities
    .venv/bin/python benchmarks/bench_forecast.py --scale 20000
    .venv/bin/python benchmarks/bench_forecast.py --database sqlite:///revdesk.db
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from revdesk.core.fiscal import FiscalCalendar
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_world
from revdesk.forecast.backtest import backtest, backtest_periods, parse_weeks
from revdesk.forecast.service import load_timeline

TODAY = date(2026, 11, 23)
CALENDAR = FiscalCalendar()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="opportunities to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", help="an existing database to read instead")
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--weeks", default="1,4,8,12")
    return parser.parse_args()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(scale: int, seed: int, folder: Path) -> str:
    url = f"sqlite:///{folder / 'forecast-bench.db'}"
    db = Database.connect(url)
    upgrade(db.engine)
    world = demo_world(
        scale=scale, today=TODAY, calendar=CALENDAR, base_currency="USD", params=DemoParameters()
    )
    started = time.perf_counter()
    build_demo(db, world=world, seed=seed)
    print(
        f"built the demo company ({scale:,} opportunities) in {time.perf_counter() - started:.1f} s"
    )
    db.dispose()
    return url


def main() -> None:
    """Run the benchmark and print its figures."""
    args = _arguments()
    weeks = parse_weeks(args.weeks)
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or _build(args.scale, args.seed, Path(folder))
        if args.database:
            now = datetime.now(UTC)
        db = Database.connect(url)
        started, cpu_started = time.perf_counter(), time.process_time()
        with db.uow() as uow:
            timeline = load_timeline(uow.session, calendar=CALENDAR, base_currency="USD", now=now)
        loaded, cpu_loaded = time.perf_counter(), time.process_time()
        db.dispose()
        periods, notes = backtest_periods(timeline, args.periods)
        result = backtest(timeline, periods=periods, weeks=weeks)
        done, cpu_done = time.perf_counter(), time.process_time()
    moments = len(periods) * len(weeks)
    print(
        f"read {timeline.opportunity_count:,} opportunities and built the timeline in "
        f"{loaded - started:.1f} s; backtest of "
        f"{len(periods)} quarters ({periods[0].label}..{periods[-1].label}) x {len(weeks)} "
        f"weeks = {moments} moments x 5 methods in {done - loaded:.1f} s; "
        f"total {done - started:.1f} s"
    )
    print(
        f"CPU time (all threads): timeline {cpu_loaded - cpu_started:.1f} s, backtest "
        f"{cpu_done - cpu_loaded:.1f} s; load average {os.getloadavg()[0]:.1f} at the end"
    )
    for note in notes:
        print(f"note: {note}")
    print(
        f"peak RSS {_peak_mib():,.0f} MiB; polars {pl.__version__}, {pl.thread_pool_size()} "
        f"threads, {os.cpu_count()} CPUs"
    )
    with pl.Config(tbl_rows=40, tbl_cols=12, tbl_width_chars=140, float_precision=3):
        print(
            result.summary.select(
                "method", "week", "periods", "mape", "bias", "coverage", "brier", "left_out"
            )
        )
    inside = result.forecasts.group_by("method").agg(
        pl.col("inside").sum().alias("inside"), pl.col("inside").count().alias("intervals")
    )
    print(inside.filter(pl.col("intervals") > 0).sort("method"))


if __name__ == "__main__":
    main()
