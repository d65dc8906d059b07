"""Large Salesforce history files, read in batches and parked on disk by opportunity.

A Data Loader OpportunityHistory or OpportunityFieldHistory file with more rows than the batch
size is not read whole: each batch is converted (its problems reported as usual, its bad
snapshots left out) and written to a `Spill`. When the import plans the history, each partition
is turned into field changes on its own (`history.changes`, `history.tracked`): all the snapshots
of one opportunity are in one partition, so "the previous snapshot" is still the previous row.
Memory then depends on the batch size, not on the size of the history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import polars as pl

from revdesk.ingest.canonical import conform
from revdesk.ingest.convert import Converter, without_deleted
from revdesk.ingest.dates import DateOrder
from revdesk.ingest.model import problem_frame
from revdesk.ingest.read import RawTable, SourceFile, iter_table
from revdesk.ingest.salesforce import deals, history
from revdesk.ingest.salesforce.files import TARGET, Headers, renamed
from revdesk.ingest.spill import Spill
from revdesk.ingest.stagedefs import merged
from revdesk.ingest.values import DecimalMark

DEFAULT_BATCH_ROWS: Final = 100_000
STREAMED: Final = ("OpportunityHistory", "OpportunityFieldHistory")
_KINDS: Final = {"OpportunityHistory": "snapshots", "OpportunityFieldHistory": "fields"}


@dataclass(frozen=True, slots=True)
class Deferred:
    """A history file left on disk: read in batches when the history is converted."""

    source: SourceFile
    headers: Headers
    keep: Callable[[str], bool]
    lines: int


@dataclass(frozen=True, slots=True)
class Parsing:
    """What converting a batch needs: the date order and decimal mark found for the export."""

    order: DateOrder | None
    mark: DecimalMark


def batches(obj: str, files: dict[str, Deferred | RawTable], rows: int) -> Iterator[RawTable]:
    """The object's file as raw tables: batches of a deferred file, or the one table read."""
    found = files[obj]
    if isinstance(found, RawTable):
        yield found
        return
    for batch in iter_table(found.source, found.keep, rows):
        yield without_deleted(renamed(batch, obj, found.headers), TARGET[obj])


def spill_history(
    files: dict[str, Deferred | RawTable],
    settings: Parsing,
    *,
    batch_rows: int,
    hints: list[pl.DataFrame],
    problems: list[pl.DataFrame],
) -> Spill:
    """Convert the history files batch by batch into a spill; collect stage hints and problems."""
    lines = sum(f.lines if isinstance(f, Deferred) else f.frame.height for f in files.values())
    spill = Spill.for_rows(lines, batch_rows=batch_rows)
    snapshots = "OpportunityHistory" in files
    found_hints: list[pl.DataFrame] = []
    for obj in (o for o in STREAMED if o in files):
        for table in batches(obj, files, batch_rows):
            if obj == "OpportunityHistory":
                found_hints.append(deals.history_hints(table))
            frame, found = _convert(obj, table, settings)
            problems.append(found)
            if obj == "OpportunityHistory":
                frame = history.marked(frame, found)
            spill.write(_KINDS[obj], frame)
        del files[obj]
    hints.append(merged(found_hints))
    spill.assemble = lambda kinds: _assemble(kinds, snapshots=snapshots)
    return spill


def _convert(obj: str, table: RawTable, settings: Parsing) -> tuple[pl.DataFrame, pl.DataFrame]:
    conv = Converter(table, "history", order=settings.order, mark=settings.mark)
    if obj == "OpportunityHistory":
        history.snapshots(conv)
    else:
        history.field_changes(conv)
    return conv.finish()


def _assemble(kinds: dict[str, pl.DataFrame], *, snapshots: bool) -> pl.DataFrame:
    """One partition's canonical history: snapshot changes, then the field-history rows."""
    parts = []
    if "snapshots" in kinds:
        parts.append(history.changes(kinds["snapshots"], problem_frame()))
    if "fields" in kinds:
        only = tuple(
            f
            for f in ("stage", "amount", "close_date", "forecast_category", "owner")
            if not snapshots or f not in history.SNAPSHOT_FIELDS
        )
        parts.append(history.tracked(kinds["fields"], only))
    parts = [p for p in parts if p.height]
    return conform("history", pl.concat(parts)) if parts else conform("history", _empty())


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"opportunity": pl.String(), "_file": pl.Categorical(),
                                "_row": pl.Int64()})  # fmt: skip
