"""Use cases of the demo company: build it into the database, and read its key figures.

`build_demo` owns one transaction: it wipes every table, writes the organisation and then the
opportunities batch by batch with the bulk writer (COPY on PostgreSQL), and commits once at the
end, so a failed or interrupted run leaves the previous data untouched (all-or-nothing, as an
import). Memory stays bounded by one batch: each batch's frames are written and dropped before
the next is generated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from revdesk.approvals.policies import shipped_policy_path
from revdesk.core.clock import start_of_day, utcnow
from revdesk.core.errors import InvalidInput
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import dataset, frames
from revdesk.crm.bulk import BulkWriter
from revdesk.crm.service import count_records
from revdesk.crm.tables import OpportunityHistory, Quote, QuoteLine
from revdesk.db.uow import Database
from revdesk.demo.approval_history import write_approval_history
from revdesk.demo.figures import KeyFigures, key_figures
from revdesk.demo.forecast_calls import CallBook
from revdesk.demo.generator import BATCH_TABLES, ORG_TABLES, DemoGenerator
from revdesk.demo.model import STAGE_NAMES, DemoParameters, as_dict
from revdesk.demo.records import Starts
from revdesk.demo.tables import DemoDefect, DemoRun
from revdesk.demo.timeline import World, window_start
from revdesk.schema import metadata

MIN_SCALE = 100
MAX_SCALE = 10_000_000

Progress = Callable[[int, int], None]
"""Called after each batch with (opportunities written, opportunities in total)."""


@dataclass(frozen=True)
class DemoResult:
    """What a run wrote: its id, the rows per table and how long it took."""

    run_id: int
    counts: dict[str, int]
    seconds: float


def check_scale(scale: int) -> int:
    """Return `scale` if it is a supported number of opportunities, else InvalidInput."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise InvalidInput(
            f"--scale must be between {MIN_SCALE:,} and {MAX_SCALE:,} opportunities, not {scale:,}"
        )
    return scale


def demo_world(
    *,
    scale: int,
    today: date,
    calendar: FiscalCalendar,
    base_currency: str,
    params: DemoParameters,
) -> World:
    """The world a run simulates: `scale` deals over the history window ending today."""
    start = window_start(today, calendar, params.pipeline.history_quarters)
    return World(check_scale(scale), today, start, calendar.start_month, base_currency)


def build_demo(
    db: Database,
    *,
    world: World,
    seed: int,
    params: DemoParameters | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Replace every record with a freshly generated demo company, in one transaction."""
    params = params or DemoParameters()
    began = time.perf_counter()
    with db.uow() as uow:
        session = uow.session
        dataset.wipe(session, metadata)
        run = _start_run(session, world, seed, params)
        writer = BulkWriter(session)
        _write(writer, "stages", _stages(writer))
        generator = DemoGenerator(world, params, seed=seed, starts=_starts(writer, ORG_TABLES))
        for name, frame in generator.organisation().items():
            _write(writer, name, frame)
        _write_defects(writer, run.id, generator.organisation_defects())
        org = generator.organisation()
        calls = CallBook(world, org["users"], org["exchange_rates"], seed=seed)
        _write_batches(writer, generator, run.id, progress, calls.observe)
        start = writer.reserve("forecast_submissions", 0).start
        _write(writer, "forecast_submissions", calls.frame(start=start))
        _write_approvals(writer, world, seed)
        writer.finish()
        run.finished_at = utcnow()
        counts = count_records(session)
        uow.commit()
    return DemoResult(run.id, counts, time.perf_counter() - began)


def _write_approvals(writer: BulkWriter, world: World, seed: int) -> int:
    """Run the quotes through the approval workflow (requests, decisions, audit log)."""
    now = start_of_day(world.today + timedelta(days=1)) - timedelta(seconds=1)
    return write_approval_history(
        writer,
        policy_path=shipped_policy_path(),
        base_currency=world.base_currency,
        seed=seed,
        now=int(now.timestamp()) * 1_000_000,
    )


def _start_run(session: Session, world: World, seed: int, params: DemoParameters) -> DemoRun:
    """Record the run: seed, scale, today and every parameter."""
    recorded = {
        "model": as_dict(params),
        "window_start": world.start.isoformat(),
        "fiscal_year_start_month": world.fiscal_start_month,
        "base_currency": world.base_currency,
    }
    run = DemoRun(
        seed=seed, scale=world.scale, today=world.today, parameters=recorded, started_at=utcnow()
    )
    session.add(run)
    session.flush()
    return run


def _starts(writer: BulkWriter, tables: tuple[str, ...]) -> dict[str, int]:
    """The next free id of each table (reserving nothing)."""
    return {name: writer.reserve(name, 0).start for name in tables}


def _write(writer: BulkWriter, name: str, frame: pl.DataFrame) -> None:
    """Reserve the frame's ids (which the generator numbered from the same start) and insert."""
    ids = writer.reserve(name, frame.height)
    if frame.height and int(frame["id"][0]) != ids.start:
        raise RuntimeError(f"{name}: generated ids start at {frame['id'][0]}, not {ids.start}")
    if "parent_id" in frame.columns:  # parents before children: SQLite checks each row
        frame = frame.sort(pl.col("parent_id").is_not_null(), maintain_order=True)
    writer.insert(name, frame)


def _write_batches(
    writer: BulkWriter,
    generator: DemoGenerator,
    run_id: int,
    progress: Progress | None,
    observe: Callable[[dict[str, pl.DataFrame]], None],
) -> None:
    """Generate and write the opportunities batch by batch."""
    done, total = 0, generator.world.scale
    for number, size in enumerate(generator.batch_sizes()):
        starts = Starts(**_starts(writer, BATCH_TABLES))
        rows = generator.batch(number, size, starts)
        for name in BATCH_TABLES:
            _write(writer, name, rows.frames[name])
        _write_defects(writer, run_id, rows.defects)
        observe(rows.frames)
        done += size
        if progress is not None:
            progress(done, total)


def _write_defects(writer: BulkWriter, run_id: int, defects: pl.DataFrame) -> None:
    """Write ground-truth rows of the run."""
    start = writer.reserve(DemoDefect.__tablename__, 0).start
    frame = defects.select(
        pl.int_range(start, start + pl.len(), dtype=pl.Int64).alias("id"),
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        "entity",
        "entity_id",
        "kind",
        "detail",
    )
    _write(writer, DemoDefect.__tablename__, frame)


def _stages(writer: BulkWriter) -> pl.DataFrame:
    """The pipeline stages of the bundled sample company (names, probabilities, playbooks)."""
    stages = dataset.sample_company().stages
    if tuple(s.name for s in stages) != STAGE_NAMES:
        raise RuntimeError("the sample company's stages no longer match the demo model's")
    start = writer.reserve("stages", 0).start
    return pl.DataFrame(
        {
            "id": [start + i for i in range(len(stages))],
            "name": [s.name for s in stages],
            "sort_order": [s.order for s in stages],
            "default_probability": pl.Series([s.probability for s in stages]).cast(
                pl.Decimal(5, 2)
            ),
            "forecast_category": [s.forecast_category.value for s in stages],
            "status": [s.status.value for s in stages],
            "required_fields": [_json_list(s.required_fields) for s in stages],
            "playbook": [s.playbook for s in stages],
            "active": [True] * len(stages),
        }
    )


def _json_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def demo_figures(db: Database, *, fiscal_start_month: int) -> KeyFigures:
    """The key figures of the company in the database (see `revdesk.demo.figures`)."""
    with db.uow() as uow:
        session = uow.session
        deals = _deal_frame(session)
        pushes = _push_frame(session)
        quotes = _quote_frame(session)
    return key_figures(deals, pushes, quotes, fiscal_start_month=fiscal_start_month)


_DEAL_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "account_id": pl.Int64(),
    "type": pl.String(),
    "stage": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
    "closed_at": pl.Datetime("us", "UTC"),
}


def _deal_frame(session: Session) -> pl.DataFrame:
    """id, segment, type, status, created_at, closed_at of every opportunity."""
    deals = frames.read_frame(session, metadata.tables["opportunities"], _DEAL_COLUMNS)
    segments = frames.accounts(session).select(pl.col("id").alias("account_id"), "segment")
    status = frames.stages(session).select(pl.col("name").alias("stage"), "status")
    joined = deals.join(segments, on="account_id", how="left").join(status, on="stage")
    return joined.select("id", "segment", "type", "status", "created_at", "closed_at")


def _push_frame(session: Session) -> pl.DataFrame:
    """Per opportunity, how many close-date changes moved the date later (ISO text compares)."""
    h = OpportunityHistory
    query = (
        select(h.opportunity_id, func.count())
        .where(h.field == "close_date", h.old_value.is_not(None), h.new_value > h.old_value)
        .group_by(h.opportunity_id)
    )
    schema = {"id": pl.Int64, "pushes": pl.Int64}
    return pl.DataFrame(session.execute(query).all(), schema=schema, orient="row")


def _quote_frame(session: Session) -> pl.DataFrame:
    """Per primary quote: its deal, creation moment, list value and net value."""
    line = QuoteLine
    query = (
        select(
            Quote.opportunity_id,
            Quote.created_at,
            func.sum(line.quantity * line.list_unit_price),
            func.sum(line.quantity * line.net_unit_price),
        )
        .join(line, line.quote_id == Quote.id)
        .where(Quote.is_primary.is_(True))
        .group_by(Quote.id, Quote.opportunity_id, Quote.created_at)
    )
    rows = [(o, c, float(lv), float(nv)) for o, c, lv, nv in session.execute(query)]
    schema: dict[str, pl.DataType] = {
        "id": pl.Int64(),
        "created_at": pl.Datetime("us", "UTC"),
        "list_value": pl.Float64(),
        "net_value": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
