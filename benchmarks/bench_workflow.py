"""Time the approval workflow: the demo's history step, `audit verify`, and single decisions.

On a fresh, migrated database (a temporary SQLite file, or a PostgreSQL database
`revdesk_bench_workflow` created and dropped around the run): build the demo company (20,000
deals by default) and report the seconds of its approval-history step and the rows it wrote;
walk the audit chain; then submit and fully approve N sample-style requests through the service
(one transaction per action, as the CLI and web do) and report p50/p99 per decision.

    .venv/bin/python benchmarks/bench_workflow.py                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_workflow.py --database sqlite --scale 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

import revdesk.demo.service as demo_service
from revdesk.approvals import service as svc
from revdesk.approvals.tables import ApprovalRequest, ApprovalStep, AuditLog
from revdesk.core.errors import RevDeskError
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm.tables import Opportunity, Quote
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters

TODAY = date(2026, 11, 23)
BENCH_DB = "revdesk_bench_workflow"
AT = datetime(2026, 11, 23, 11, tzinfo=UTC)
POSTGRES = os.environ.get(
    "REVDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _history(db: Database, scale: int) -> None:
    seconds: list[float] = []
    original = demo_service._write_approvals

    def timed(*args: object, **kwargs: object) -> int:
        began = time.perf_counter()
        written = original(*args, **kwargs)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - began)
        return written

    demo_service._write_approvals = timed
    world = demo_service.demo_world(
        scale=scale, today=TODAY, calendar=FiscalCalendar(), base_currency="USD",
        params=DemoParameters(),
    )  # fmt: skip
    build = demo_service.build_demo(db, world=world, seed=42)
    with db.uow() as uow:
        s = uow.session
        counts = [s.scalar(select(func.count()).select_from(t)) for t in
                  (ApprovalRequest, ApprovalStep, AuditLog)]  # fmt: skip
    print(f"  demo build {build.seconds:.1f} s, of which approval history {seconds[0]:.2f} s: "
          f"{counts[0]:,} requests, {counts[1]:,} steps, {counts[2]:,} audit entries")  # fmt: skip
    began = time.perf_counter()
    with db.uow() as uow:
        report = svc.verify_audit(uow.session)
    spent = time.perf_counter() - began
    print(f"  audit verify: {report.checked:,} entries in {spent:.2f} s "
          f"({report.checked / spent:,.0f}/s), ok={report.ok}")  # fmt: skip


def _submits(db: Database) -> None:
    """Submit every draft quote (as its deal's owner) whose steps all name somebody."""
    with db.uow() as uow:
        drafts = uow.session.execute(
            select(Quote.id, Opportunity.owner_id)
            .join(Opportunity, Opportunity.id == Quote.opportunity_id)
            .where(Quote.status == "draft")
        ).all()
        policy = svc.active_policy(uow.session).policy
    timings: list[float] = []
    for quote_id, owner_id in drafts:
        began = time.perf_counter()
        try:
            with db.uow() as uow:
                svc.submit(uow.session, quote_id=quote_id, actor_id=owner_id, policy=policy,
                           base_currency="USD", at=AT)  # fmt: skip
                uow.commit()
        except RevDeskError:
            continue
        timings.append(time.perf_counter() - began)
    _print("submit", timings)


def _print(what: str, timings: list[float]) -> None:
    if not timings:
        return
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"  {what} (one transaction each, n={len(timings)}): "
          f"p50 {statistics.median(timings) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")  # fmt: skip


def _decisions(db: Database, rounds: int) -> None:
    with db.uow() as uow:
        pending = svc.list_requests(uow.session, status=None, limit=100_000)
    open_requests = [r.request_id for r in pending if r.status == "pending"][:rounds]
    timings: list[float] = []
    at = datetime(2026, 11, 23, 12, tzinfo=UTC)
    for request_id in open_requests:
        with db.uow() as uow:
            view = svc.request_view(uow.session, request_id=request_id)
        for step in view.steps:
            for assignment in step.assignments:
                if step.status != "pending" or not assignment.active or assignment.decision:
                    continue
                began = time.perf_counter()
                with db.uow() as uow:
                    svc.approve(uow.session, request_id=request_id, step_row_id=step.id,
                                actor_id=assignment.user_id, at=at)  # fmt: skip
                    uow.commit()
                timings.append(time.perf_counter() - began)
                at += timedelta(seconds=1)
                break
    _print("approve", timings)


def _run(url: str, scale: int, rounds: int) -> None:
    db = Database.connect(url)
    upgrade(db.engine)
    _history(db, scale)
    _submits(db)
    _decisions(db, rounds)
    db.dispose()


def main() -> None:
    """Run the cases the arguments name."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=50, help="pending requests to decide")
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for backend in args.database or ["sqlite", "postgresql"]:
        print(f"{backend}, scale {args.scale:,}")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                _run(f"sqlite:///{Path(folder) / 'bench.db'}", args.scale, args.rounds)
            continue
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        try:
            url = make_url(POSTGRES).set(database=BENCH_DB).render_as_string(False)
            _run(url, args.scale, args.rounds)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
