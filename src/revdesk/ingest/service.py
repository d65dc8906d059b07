"""The import use case: validate everything, then upsert it all in one transaction, or nothing.

    extract = extract_salesforce(folder, base_currency=settings.base_currency)
    report = run_import(db, extract, options=ImportOptions(dry_run=True))

One transaction holds the whole import. It first takes the import lock (a second concurrent
import gets Conflict at once), reads the rows the import touches, plans every record type (see
`revdesk.ingest.plan`), and writes only when there is no error, or when `skip_invalid` lets the
valid rows through. A dry run plans and rolls back. The report (and the rejected rows, when any)
are written to files afterwards; a committed run is also recorded in `import_runs`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from revdesk.core.clock import utcnow
from revdesk.crm.bulk import BulkWriter
from revdesk.db.uow import Database
from revdesk.ingest import store
from revdesk.ingest.canonical import Extract
from revdesk.ingest.model import (
    ImportReport,
    NoProgress,
    ObjectCounts,
    Progress,
    Severity,
    summarise_problems,
)
from revdesk.ingest.plan import ObjectPlan, Planner
from revdesk.ingest.plan_deals import plan_history, plan_opportunities, plan_stages, stage_table
from revdesk.ingest.plan_lines import plan_lines
from revdesk.ingest.read import read_rows
from revdesk.ingest.specs import SPECS
from revdesk.ingest.stubs import add_stubs
from revdesk.ingest.tables import ImportRun

_GENERIC = (
    "teams",
    "users",
    "accounts",
    "contacts",
    "products",
    "price_books",
    "price_book_entries",
)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to run an import and where to put its report and rejected rows."""

    dry_run: bool = False
    skip_invalid: bool = False
    rejected_path: Path | None = None
    report_path: Path | None = None


def run_import(
    db: Database,
    extract: Extract,
    *,
    options: ImportOptions,
    progress: Progress | None = None,
    at: datetime | None = None,
) -> ImportReport:
    """Validate and (unless refused or dry) write the extract; return the report."""
    moment = at or utcnow()
    report = ImportReport(
        extract.source,
        extract.location,
        moment,
        options.dry_run,
        options.skip_invalid,
        files=dict(extract.dialects),
    )
    with db.uow() as uow:
        session = uow.session
        if not options.dry_run:
            store.lock(session)
        writer = BulkWriter(session)
        plans, problems = _plan(session, extract, writer, moment)
        summarise_problems(report, problems)
        report.counts = {p.obj: p.counts for p in plans}
        if _writable(report, options):
            _write(session, writer, plans, moment, progress or NoProgress())
            report.finished_at = utcnow()
            report.run_id = _record(session, extract, report, options)
            uow.commit()
            report.committed = True
    report.finished_at = report.finished_at or utcnow()
    _files(report, problems, extract, options)
    return report


def _writable(report: ImportReport, options: ImportOptions) -> bool:
    return not options.dry_run and (report.error_count == 0 or options.skip_invalid)


def _needed(extract: Extract) -> dict[str, list[str]]:
    """Per record type, the stored columns the plan compares or resolves against."""
    needed: dict[str, set[str]] = {obj: set() for obj in SPECS}
    for obj, frame in extract.frames.items():
        if obj not in SPECS:
            continue
        spec = SPECS[obj]
        needed[obj] |= {spec.key, "name", *spec.unique, *frame.columns}
        needed[obj] |= {r.fk for r in spec.refs if r.column in frame.columns}
        for ref in spec.refs:
            if ref.column in frame.columns:
                target = SPECS[ref.target]
                needed[ref.target] |= {target.key, "name", *target.unique}
                if ref.stub:  # records created from names carry these columns
                    needed[ref.target] |= {"external_id", "email", "role"}
    if extract.has_history or "line_items" in extract.frames:
        needed["opportunities"].add("external_id")
        needed["products"].add("external_id")
        needed["users"].add("external_id")
    if "stage" in extract.frame("opportunities").columns:
        needed["opportunities"] |= {"closed_at"}
    needed["stages"] |= {"name", "default_probability", "forecast_category", "status"}
    return {obj: sorted(cols) for obj, cols in needed.items()}


def _read_existing(session: Session, extract: Extract) -> dict[str, pl.DataFrame]:
    existing = {}
    for obj, columns in _needed(extract).items():
        spec = SPECS[obj]
        if columns:
            existing[obj] = store.read_rows(session, spec.table, columns)
        else:
            rules = store.column_rules(spec.table)
            keep = [c for c in ("id", spec.key, "name") if c in rules]
            existing[obj] = pl.DataFrame(schema={c: rules[c].dtype for c in keep})
    return existing


def _plan(
    session: Session, extract: Extract, writer: BulkWriter, at: datetime
) -> tuple[list[ObjectPlan], pl.DataFrame]:
    """Plan every record type in dependency order; return the plans and all problems."""
    existing = _read_existing(session, extract)
    frames = dict(extract.frames)
    notes = add_stubs(frames, existing, extract.source)
    tables = [*(spec.table for spec in SPECS.values()), "quotes", "quote_lines"]
    rules = {name: store.column_rules(name) for name in tables}
    problems = pl.concat([extract.problems, notes]) if notes.height else extract.problems
    planner = Planner(
        rules=rules, existing=existing, problems=problems, at=at, reserve=writer.reserve
    )
    plans = [planner.plan(SPECS[obj], frames[obj]) for obj in _GENERIC if obj in frames]
    stage_plan = plan_stages(planner, frames.get("stages", pl.DataFrame()), existing["stages"])
    plans.append(stage_plan)
    stages = stage_table(existing["stages"], stage_plan)
    synthetic = pl.DataFrame()
    if "opportunities" in frames:
        deals = plan_opportunities(planner, frames["opportunities"], stages, extract.source)
        plans.append(deals)
        synthetic = deals.history
    source = extract.history_source or extract.source
    if extract.has_history:
        plans.append(
            plan_history(planner, extract.history_parts(), stages=stages, source=source,
                         watermarks=store.watermarks(session, source), synthetic=synthetic,
                         sink=_sink(extract), categories=extract.implied_categories,
                         partitions=extract.spill.partitions if extract.spill else 1)
        )  # fmt: skip
    elif not synthetic.is_empty():
        counts = ObjectCounts(created=synthetic.height)
        empty = pl.DataFrame()
        plans.append(ObjectPlan("history", "opportunity_history", synthetic, empty, empty, counts))
    if "line_items" in frames:
        quotes, lines = store.imported_quotes(session)
        plans.extend(plan_lines(planner, frames["line_items"], quotes=quotes, lines=lines))
    return plans, planner.all_problems()


def _sink(extract: Extract) -> Callable[[pl.DataFrame], Path] | None:
    """Where planned history rows go when the history is spilled: Parquet files beside it."""
    spill = extract.spill
    if spill is None:
        return None

    def write(rows: pl.DataFrame) -> Path:
        """Park one part's planned rows on disk."""
        path = spill.path(f"planned-{uuid.uuid4().hex}")
        rows.write_parquet(path, compression="lz4", statistics=False)
        return path

    return write


def _write(
    session: Session,
    writer: BulkWriter,
    plans: list[ObjectPlan],
    at: datetime,
    progress: Progress,
) -> None:
    """Write every plan in order: deletions, creates (bulk), updates, then self references."""
    for plan in plans:
        if not plan.clear.is_empty():
            store.delete_where(session, plan.table, "quote_id", plan.clear)
        created = plan.counts.created if plan.spilled else plan.creates.height
        progress.start(plan.obj, created + plan.updates.height)
        advance = partial(progress.advance, plan.obj)
        with store.bulk_load(session, plan.table, created):
            for part in _creates(plan):
                creates = _with_ids(writer, plan.table, part)
                store.insert_rows(writer, plan.table, creates, advance)
        bump = plan.table == "opportunities"  # the optimistic-lock counter of deals
        store.update_rows(session, plan.table, plan.updates, at=at, bump=bump)
        progress.advance(plan.obj, plan.updates.height)
        store.update_rows(session, plan.table, plan.links, at=at)
        # written: let go of the rows now, before the next (larger) record type is written
        plan.creates, plan.updates, plan.links = (
            plan.creates.clear(),
            pl.DataFrame(),
            pl.DataFrame(),
        )
    writer.finish()


def _with_ids(writer: BulkWriter, name: str, creates: pl.DataFrame) -> pl.DataFrame:
    """The rows with newly reserved ids, unless they have theirs already."""
    if creates.is_empty() or "id" in creates.columns:
        return creates
    span = writer.reserve(name, creates.height)
    ids = pl.int_range(span.start, span.stop, dtype=pl.Int64, eager=True)
    return creates.with_columns(ids.alias("id"))


def _creates(plan: ObjectPlan) -> Iterator[pl.DataFrame]:
    """The plan's creates: those in memory, then each spilled file's (read one at a time)."""
    yield plan.creates
    for path in plan.spilled:
        yield pl.read_parquet(path)
        path.unlink(missing_ok=True)


def _record(
    session: Session, extract: Extract, report: ImportReport, options: ImportOptions
) -> int:
    run = ImportRun(
        source=extract.source,
        location=extract.location[:1000],
        started_at=report.started_at,
        finished_at=report.finished_at,
        skip_invalid=options.skip_invalid,
        error_count=report.error_count,
        warning_count=report.warning_count,
        report=json.loads(json.dumps(report.to_dict(), default=str)),
    )
    session.add(run)
    session.flush()
    return run.id


def _files(
    report: ImportReport, problems: pl.DataFrame, extract: Extract, options: ImportOptions
) -> None:
    if options.rejected_path is not None and report.error_count:
        write_rejected(options.rejected_path, problems, extract)
        report.rejected_file = str(options.rejected_path)
    if options.report_path is not None:
        report.report_file = str(options.report_path)
        options.report_path.write_text(
            json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8"
        )


def write_rejected(path: Path, problems: pl.DataFrame, extract: Extract) -> int:
    """Write every error with the original row it rejects (as JSON) to a CSV file."""
    errors = problems.filter(pl.col("severity") == Severity.ERROR.value)
    records: list[dict[str, object]] = []
    for (file,), group in errors.group_by("file", maintain_order=True):
        source = extract.files.get(str(file))
        rows = group["row"].drop_nulls().to_list()
        originals = read_rows(source, rows) if source is not None and rows else {}
        for row in group.iter_rows(named=True):
            original = originals.get(row["row"]) if row["row"] is not None else None
            record = json.dumps(original, ensure_ascii=False) if original else None
            records.append({**row, "record": record})
    frame = pl.DataFrame(records, schema={**dict(errors.schema), "record": pl.String})
    frame.drop("severity").write_csv(path)
    return frame.height
