"""Import a Salesforce Data Loader export of N opportunities (5 history snapshots each).

Writes the export with `dataloader_export.py`, then imports it into a fresh SQLite file and,
when the server answers, a fresh PostgreSQL database, each in its own process so that the peak
resident set size (the kernel's high-water mark `VmHWM`) is the import's alone. (`ru_maxrss`
is not: it survives the exec, so a child started by a parent that has just written a 1 GB
export reports the parent's size.) Prints the time of each phase,
rows per second and the peak RSS.

    .venv/bin/python benchmarks/bench_import.py                 # N = 100,000
    .venv/bin/python benchmarks/bench_import.py 1000000 --only postgresql
    .venv/bin/python benchmarks/bench_import.py 1000000 --snapshots 10   # twice the history
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.salesforce.spilled import DEFAULT_BATCH_ROWS
from revdesk.ingest.service import ImportOptions, run_import

sys.path.insert(0, str(Path(__file__).parent))

from dataloader_export import write_export

PG_ADMIN = os.environ.get(
    "REVDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Timer:
    """Progress that records when each table's writing starts and how many rows it took."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.steps: list[tuple[str, int, float]] = []

    def start(self, label: str, total: int) -> None:
        self.steps.append((label, total, time.perf_counter()))

    def advance(self, label: str, rows: int) -> None:
        pass


def _peak_mib() -> float:
    """This process's peak resident set size (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def child(folder: str, url: str, batch_rows: str) -> None:
    """Run in a subprocess: one import, then print its figures as JSON."""
    db = Database.connect(url)
    upgrade(db.engine)
    began = time.perf_counter()
    extract = extract_salesforce(Path(folder), batch_rows=int(batch_rows))
    read = time.perf_counter()
    timer = Timer()
    report = run_import(db, extract, options=ImportOptions(), progress=timer)
    done = time.perf_counter()
    first_write = timer.steps[0][2] if timer.steps else done
    rows = {k: v.created for k, v in report.counts.items()}
    print(json.dumps({
        "read": read - began, "plan": first_write - read, "write": done - first_write,
        "total": done - began, "rows": rows, "outcome": report.outcome,
        "errors": report.error_count,
        "peak_mib": _peak_mib(),
    }))  # fmt: skip
    db.dispose()


def _postgres() -> tuple[str, str] | None:
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"revdesk_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # any failure means "no PostgreSQL here"
        print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
        return None
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(  # noqa: PLR0917 - a benchmark helper
    folder: Path, url: str, label: str, opportunities: int, history: int, batch_rows: int
) -> None:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), url, str(batch_rows)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    written = sum(figures["rows"].values())
    source_rows = opportunities + history
    print(
        f"{label:<10} read {figures['read']:6.1f} s  validate {figures['plan']:6.1f} s  "
        f"write {figures['write']:6.1f} s  total {figures['total']:6.1f} s  "
        f"{source_rows / figures['total']:>9,.0f} source rows/s  "
        f"{written / figures['total']:>9,.0f} rows written/s  "
        f"peak RSS {figures['peak_mib']:,.0f} MiB  ({figures['outcome']})"
    )
    print(f"{'':<10} rows written: {figures['rows']}")


def main() -> None:
    """Write the export, import it into each database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--batch-rows", type=int, default=DEFAULT_BATCH_ROWS,
        help="history rows read (and planned) at a time (REVDESK_IMPORT_BATCH_ROWS)",
    )  # fmt: skip
    parser.add_argument("--snapshots", type=int, default=5, help="history rows per opportunity")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        began = time.perf_counter()
        written = write_export(folder, args.n, args.snapshots)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"export: {written} ({size:,.0f} MiB) in {time.perf_counter() - began:.1f} s, "
              f"batch {args.batch_rows:,} rows; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        opps, hist = written["Opportunity.csv"], written["OpportunityHistory.csv"]
        if args.only in (None, "sqlite"):
            _run(folder, f"sqlite:///{tmp}/bench.db", "SQLite", opps, hist, args.batch_rows)
        if args.only in (None, "postgresql") and (pg := _postgres()) is not None:
            try:
                _run(folder, pg[1], "PostgreSQL", opps, hist, args.batch_rows)
            finally:
                _drop(pg[0])


if __name__ == "__main__":
    main()
