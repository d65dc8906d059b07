"""Time `revdesk demo`: build the demo company into SQLite and PostgreSQL at given scales.

Each case runs in its own process (so that the peak RSS is that case's alone) on a fresh,
migrated database: a temporary SQLite file, or a PostgreSQL database `revdesk_bench_demo` that
is created and dropped around the run. Prints opportunities and history rows per second, the
seconds the build took (generation and writing, one transaction) and the peak resident set size.

    .venv/bin/python benchmarks/bench_demo.py                        # 100,000 on both databases
    .venv/bin/python benchmarks/bench_demo.py --scale 1000000 --database sqlite
    .venv/bin/python benchmarks/bench_demo.py --database postgresql+psycopg://me@db/postgres
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from revdesk.core.fiscal import FiscalCalendar
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_world

TODAY = date(2026, 11, 23)
SEED = 42
BENCH_DB = "revdesk_bench_demo"
POSTGRES = os.environ.get(
    "REVDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="opportunities (repeatable)")
    parser.add_argument(
        "--database",
        action="append",
        help="sqlite, postgresql, or a PostgreSQL server URL (repeatable)",
    )
    parser.add_argument("--case", nargs=2, metavar=("SCALE", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args()


def run_case(scale: int, url: str) -> None:
    """Build the company once into `url` (already migrated) and print the figures."""
    db = Database.connect(url)
    world = demo_world(
        scale=scale, today=TODAY, calendar=FiscalCalendar(), base_currency="USD",
        params=DemoParameters(),
    )  # fmt: skip
    result = build_demo(db, world=world, seed=SEED)
    db.dispose()
    history = result.counts["history"]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{db.dialect:<10} {scale:>10,} opportunities {history:>12,} history rows "
        f"{result.seconds:8.1f} s {scale / result.seconds:>10,.0f} opp/s "
        f"{history / result.seconds:>12,.0f} history/s  peak RSS {peak_mib:,.0f} MiB",
        flush=True,
    )


def _sqlite(scale: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _migrate(url)
        _child(scale, url)


def _postgres(scale: int, server: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    url = make_url(server).set(database=BENCH_DB).render_as_string(hide_password=False)
    try:
        _migrate(url)
        _child(scale, url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    db = Database.connect(url)
    upgrade(db.engine)
    db.dispose()


def _child(scale: int, url: str) -> None:
    """Run one case in a fresh interpreter, so its peak memory is its own."""
    subprocess.run([sys.executable, __file__, "--case", str(scale), url], check=True, timeout=3600)


def main() -> None:
    """Run every (scale, database) case asked for; default 100,000 on SQLite and PostgreSQL."""
    args = _arguments()
    if args.case:
        run_case(int(args.case[0]), args.case[1])
        return
    for scale in args.scale or [100_000]:
        for database in args.database or ["sqlite", "postgresql"]:
            if database == "sqlite":
                _sqlite(scale)
            else:
                _postgres(scale, POSTGRES if database == "postgresql" else database)


if __name__ == "__main__":
    main()
