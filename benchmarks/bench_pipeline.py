"""Time the full pipeline report plus the hygiene run on the demo company, and compare three
metrics against a straightforward pandas implementation in the same run.

Builds the demo company (seed 42, today 2026-11-23) into a fresh PostgreSQL database
`revdesk_bench_pipeline` (or a temporary SQLite file), then, in a child process so that the peak
RSS is the analytics' alone: reads every frame, builds the report as of today, runs the default
hygiene rules, and times the pandas and Polars versions of: the as-of stage and amount with the
open pipeline by stage, the win rate by rep, and the median sales cycle by segment.

    .venv/bin/python benchmarks/bench_pipeline.py                    # 100,000 deals, PostgreSQL
    .venv/bin/python benchmarks/bench_pipeline.py --scale 1000000
    .venv/bin/python benchmarks/bench_pipeline.py --database sqlite
    .venv/bin/python benchmarks/bench_pipeline.py --scale 1000000 --reuse   # keep the database

With --reuse (PostgreSQL only) the database is kept after the run, and a later run with --reuse
skips the build when the database already holds `--scale` opportunities.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import polars as pl
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from revdesk.core.fiscal import FiscalCalendar
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_world
from revdesk.pipeline.hygiene import default_config, evaluate, fix_list, quality_scores
from revdesk.pipeline.metrics import outcomes, pipeline_by_stage
from revdesk.pipeline.report import build_report, current, snapshot
from revdesk.pipeline.service import load_frames

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, tzinfo=UTC)
CALENDAR = FiscalCalendar()
BENCH_DB = "revdesk_bench_pipeline"
POSTGRES = os.environ.get(
    "REVDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, work):  # type: ignore[no-untyped-def]
    """Run `work`, print its wall-clock and CPU seconds (this process, all threads)."""
    start, cpu = time.perf_counter(), _cpu()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:7.2f} s   cpu {_cpu() - cpu:6.2f} s", flush=True)
    return result, seconds


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def analytics(url: str) -> None:
    """Read, report and hygiene on `url`; then the pandas comparison. Prints the figures."""
    cpu = _cpu()
    db = Database.connect(url)
    with db.uow() as uow:
        data, read = _timed(
            "read every frame", lambda: load_frames(uow.session, base_currency="USD")
        )
    db.dispose()
    print(f"  ({data.opportunities.height:,} opportunities, {data.history.height:,} history rows)")
    _, report = _timed(
        "pipeline report (all sections)", lambda: build_report(data, at=NOW, calendar=CALENDAR)
    )

    def hygiene() -> None:
        deals = current(data, NOW)
        flags = evaluate(
            default_config(),
            deals=deals,
            history=data.history,
            stages=data.stages,
            contacts=data.contacts,
            now=NOW,
        )
        quality_scores(flags, deals)
        fix_list(flags, deals, users=data.users)

    _, rules = _timed("hygiene run (default rules)", hygiene)
    total = read + report + rules
    print(
        f"  TOTAL read + report + hygiene      {total:7.2f} s   cpu {_cpu() - cpu:6.2f} s   "
        f"peak RSS {_peak_mib():,.0f} MiB   load {_load()}"
    )
    compare(data)


def compare(data) -> None:  # type: ignore[no-untyped-def]
    """Three metrics in pandas (straightforward) and in RevDesk's Polars code, same inputs."""
    start = datetime(2025, 11, 23, tzinfo=UTC)
    polars_seconds = _timed("polars: 3 metrics incl. as-of", lambda: _polars_three(data, start))[1]
    opps = data.opportunities.select(
        "id", "owner_id", "account_id", "stage", "amount", "created_at", "closed_at", "close_date"
    ).to_pandas()
    hist = data.history.to_pandas()
    users, accounts = data.users.to_pandas(), data.accounts.to_pandas()
    stages = data.stages.to_pandas()
    pandas_seconds = _timed(
        "pandas: the same 3 metrics",
        lambda: _pandas_three(opps, hist, users, accounts, stages, start),
    )[1]
    print(f"  pandas / polars ratio              {pandas_seconds / polars_seconds:7.1f} x")


def _polars_three(data, start: datetime) -> None:  # type: ignore[no-untyped-def]
    deals = snapshot(data, NOW)
    pipeline_by_stage(deals, data.stages, CALENDAR)
    outcomes(deals, start.date(), NOW.date(), CALENDAR, by=["rep"])
    outcomes(deals, start.date(), NOW.date(), CALENDAR, by=["segment"])


def _pandas_three(opps, hist, users, accounts, stages, start):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """As-of stage/amount by the last change at or before NOW, then three group-bys."""
    seen = hist[hist["changed_at"] <= pd.Timestamp(NOW)].sort_values(["changed_at", "id"])
    state = opps[opps["created_at"] <= pd.Timestamp(NOW)].copy()
    for field, column in (("stage", "stage"), ("amount", "amount")):
        last = seen[seen["field"] == field].groupby("opportunity_id")["new_value"].last()
        state[column] = state["id"].map(last).fillna(state[column].astype("string"))
    state["amount"] = pd.to_numeric(state["amount"], errors="coerce")
    state = state.merge(stages[["name", "status"]], left_on="stage", right_on="name", how="left")
    by_stage = state[state["status"] == "open"].groupby("stage")["amount"].agg(["count", "sum"])
    closed = state[
        state["status"].isin(["won", "lost"])
        & (pd.to_datetime(state["close_date"]) >= pd.Timestamp(start.date()))
    ]
    closed = closed.merge(
        users[["id", "name"]], left_on="owner_id", right_on="id", how="left", suffixes=("", "_user")
    )
    win_rate = closed.groupby("name_user")["status"].apply(lambda s: (s == "won").mean())
    won = closed[closed["status"] == "won"].merge(
        accounts[["id", "segment"]],
        left_on="account_id",
        right_on="id",
        how="left",
        suffixes=("", "_account"),
    )
    cycle = (won["closed_at"] - won["created_at"]) / timedelta(days=1)
    median_cycle = cycle.groupby(won["segment"]).median()
    return by_stage, win_rate, median_cycle


def _build(url: str, scale: int) -> None:
    db = Database.connect(url)
    upgrade(db.engine)
    world = demo_world(
        scale=scale, today=TODAY, calendar=CALENDAR, base_currency="USD", params=DemoParameters()
    )
    result = build_demo(db, world=world, seed=42)
    db.dispose()
    print(
        f"built {scale:,} opportunities ({result.counts['history']:,} history rows) "
        f"in {result.seconds:.1f} s",
        flush=True,
    )


def _child(url: str) -> None:
    subprocess.run([sys.executable, __file__, "--analytics", url], check=True)


def main() -> None:
    """Build the company, then run the analytics in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--database", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database; skip the build if it is there"
    )
    parser.add_argument("--analytics", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.analytics:
        analytics(args.analytics)
        return
    print(
        f"pipeline report + hygiene, {args.scale:,} deals, {args.database}; polars "
        f"{pl.__version__}, pandas {pd.__version__}"
    )
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _build(url, args.scale)
            _child(url)
        return
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    url = make_url(POSTGRES).set(database=BENCH_DB).render_as_string(hide_password=False)
    if args.reuse and _built(admin, url) == args.scale:
        print(f"reusing {BENCH_DB} ({args.scale:,} opportunities)", flush=True)
        _child(url)
        return
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        _build(url, args.scale)
        _child(url)
    finally:
        if not args.reuse:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def _built(admin, url: str) -> int | None:  # type: ignore[no-untyped-def]
    """Opportunities in the kept benchmark database, or None when there is none."""
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": BENCH_DB}
        ).first()
    if exists is None:
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM opportunities")).scalar_one())
    except Exception:  # a half-built database is rebuilt
        return None
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
