"""Score the default hygiene rules against the demo company's injected defects.

Builds the demo company (seed 42, today 2026-11-23, default 20,000 opportunities) into a
temporary SQLite file, runs the shipped hygiene rules as of that day and prints, per defect
kind, true and false positives, false negatives, precision and recall, plus the run time.

    .venv/bin/python benchmarks/bench_hygiene.py [--scale 20000] [--seed 42]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select

from revdesk.core.fiscal import FiscalCalendar
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import build_demo, demo_world
from revdesk.demo.tables import DemoDefect
from revdesk.pipeline.hygiene import default_config, evaluate, score_against_truth
from revdesk.pipeline.report import current
from revdesk.pipeline.service import load_frames

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def main() -> None:
    """Build, evaluate, score."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database.connect(f"sqlite:///{Path(folder) / 'hygiene.db'}")
        upgrade(db.engine)
        world = demo_world(
            scale=args.scale,
            today=TODAY,
            calendar=FiscalCalendar(),
            base_currency="USD",
            params=DemoParameters(),
        )
        build_demo(db, world=world, seed=args.seed)
        with db.uow() as uow:
            data = load_frames(uow.session, base_currency="USD")
            rows = uow.session.execute(
                select(DemoDefect.entity, DemoDefect.entity_id, DemoDefect.kind)
            ).all()
        db.dispose()
    truth = pl.DataFrame(
        rows, schema={"entity": pl.String, "entity_id": pl.Int64, "kind": pl.String}, orient="row"
    )
    start = time.perf_counter()
    flags = evaluate(
        default_config(),
        deals=current(data, NOW),
        history=data.history,
        stages=data.stages,
        contacts=data.contacts,
        now=NOW,
    )
    seconds = time.perf_counter() - start
    print(
        f"{args.scale:,} opportunities, seed {args.seed}: {flags.height:,} flags in {seconds:.2f} s"
    )
    with pl.Config(tbl_rows=20, tbl_width_chars=120):
        print(score_against_truth(flags, truth))


if __name__ == "__main__":
    main()
