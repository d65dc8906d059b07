"""Salesforce exports: a folder of object files in the Data Loader or the report dialect.

    extract = extract_salesforce(Path("export/"), date_order=None, base_currency="USD")

Each present file among Account, Contact, User, UserRole, Opportunity, OpportunityHistory,
OpportunityFieldHistory, OpportunityLineItem, Product2, Pricebook2 and PricebookEntry is read
(names matched without regard to case; report exports named otherwise are recognised by their
headers), its headers are mapped to API names, and it becomes canonical frames. Locale dates
need a day/month order: the given one, else the one the data proves, else the import is refused
asking for --date-order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.ingest import stagedefs
from revdesk.ingest.canonical import Extract
from revdesk.ingest.convert import Converter, without_deleted
from revdesk.ingest.dates import DateOrder, detect_date_order
from revdesk.ingest.model import Problem, Severity, concat_problems, problem_frame
from revdesk.ingest.read import (
    RawTable,
    count_lines,
    find_files,
    list_csv,
    open_source,
    read_header,
    read_table,
)
from revdesk.ingest.salesforce import deals, history, people, records
from revdesk.ingest.salesforce.files import (
    TARGET,
    Headers,
    api_headers,
    guess_object,
    renamed,
    stems,
)
from revdesk.ingest.salesforce.spilled import (
    DEFAULT_BATCH_ROWS,
    STREAMED,
    Deferred,
    Parsing,
    batches,
    spill_history,
)
from revdesk.ingest.values import DecimalMark, detect_decimal_mark

SOURCE = "salesforce"
_NUMBERS = ("Amount", "AnnualRevenue", "UnitPrice", "Probability")


def _locate(
    folder: Path, encoding: str | None, extract: Extract, batch_rows: int
) -> tuple[dict[str, RawTable], dict[str, Deferred]]:
    found = find_files(folder, stems())
    notes = []
    for path in list_csv(folder):
        if path in found.values():
            continue
        obj = guess_object(read_header(open_source(path, encoding)))
        if obj is not None and obj not in found:
            found[obj] = path
        else:
            notes.append(
                Problem(
                    "file",
                    path.name,
                    None,
                    None,
                    None,
                    "file ignored: not a Salesforce object export",
                    Severity.WARNING,
                )
            )
    if not found:
        raise_nothing(folder)
    extract.add_problems(problem_frame(notes))
    tables: dict[str, RawTable] = {}
    deferred: dict[str, Deferred] = {}
    for obj, path in found.items():
        source = open_source(path, encoding)
        headers = api_headers(obj, read_header(source))
        wanted = set(headers.renames) | set(headers.custom)
        extract.files[source.name] = source
        extract.dialects[source.name] = f"Salesforce {obj}, {headers.dialect}"
        if _batched(obj, headers):
            lines = count_lines(path)
            if lines > batch_rows:  # too large to hold: read in batches when converted
                deferred[obj] = Deferred(source, headers, wanted.__contains__, lines)
                continue
        table = renamed(read_table(source, keep=wanted.__contains__), obj, headers)
        tables[obj] = without_deleted(table, TARGET[obj])
    return tables, deferred


def _batched(obj: str, headers: Headers) -> bool:
    """Files read in batches when large: Data Loader history, and opportunities with ids."""
    if not headers.dialect.startswith("Data Loader"):
        return False
    return obj in STREAMED or (obj == "Opportunity" and "Id" in headers.renames.values())


def raise_nothing(folder: Path) -> None:
    """Refuse a folder with no Salesforce export in it."""
    raise InvalidInput(
        "no Salesforce export files found (expected e.g. Opportunity.csv, Account.csv)",
        where=str(folder),
    )


def _date_columns(tables: dict[str, RawTable]) -> list[pl.Series]:
    """Date values that are not ISO (those are the only ones a day/month order matters for)."""
    return [
        t.frame[c].filter(t.frame[c].str.slice(4, 1) != "-")
        for t in tables.values()
        for c in t.columns
        if c.endswith("Date") or c in ("OldValue", "NewValue")
    ]


def _mark(tables: dict[str, RawTable], reports: set[str]) -> DecimalMark:
    """Data Loader writes plain numbers; report exports may use a decimal comma."""
    return detect_decimal_mark(
        t.frame[c] for o, t in tables.items() if o in reports for c in _NUMBERS if c in t.columns
    )


class _Run:
    """One extraction: the tables, the settings they need, and the extract being filled."""

    def __init__(
        self,
        tables: dict[str, RawTable],
        extract: Extract,
        order: DateOrder | None,
        base_currency: str,
        *,
        deferred: dict[str, Deferred],
        batch_rows: int,
    ) -> None:
        self.tables = tables
        self.deferred = deferred
        self.batch_rows = batch_rows
        self.extract = extract
        self.order = order
        reports = {o for o, t in tables.items() if "report" in extract.dialects[t.file.name]}
        self.mark = _mark(tables, reports)
        self.base = base_currency

    def convert(self, obj: str, target: str, fill: Callable[[Converter], object]) -> pl.DataFrame:
        """Convert one file into `target`'s canonical frame, if the file is there.

        The raw table is let go of afterwards: a history file can take gigabytes.
        """
        table = self.tables.pop(obj, None)
        if obj in self.deferred:  # a large Data Loader file: converted a batch at a time
            files: dict[str, Deferred | RawTable] = {obj: self.deferred.pop(obj)}
            tables = batches(obj, files, self.batch_rows)
        elif table is not None:
            tables = iter([table])
        else:
            return pl.DataFrame()
        frames = []
        for part in tables:
            conv = Converter(part, target, order=self.order, mark=self.mark)
            fill(conv)
            frame, problems = conv.finish()
            self.extract.add_problems(problems)
            frames.append(frame)
        return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]


def extract_salesforce(
    folder: Path,
    *,
    date_order: DateOrder | None = None,
    base_currency: str = "USD",
    encoding: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Extract:
    """Read a folder of Salesforce exports into canonical frames and problems.

    A Data Loader history file of more than `batch_rows` rows is read in batches and spilled
    to disk by opportunity (`extract.spill`) rather than held in memory.
    """
    extract = Extract(SOURCE, str(folder), history_source=SOURCE)
    tables, deferred = _locate(folder, encoding, extract, batch_rows)
    order = date_order or detect_date_order(_date_columns(tables))
    run = _Run(tables, extract, order, base_currency, deferred=deferred, batch_rows=batch_rows)
    _people(run)
    _records(run)
    hints = _deals(run)
    if any(o in deferred for o in STREAMED):
        _spilled_history(run, hints, batch_rows)
    else:
        _history(run, hints)
    _stages(run, hints)
    return extract


def _people(run: _Run) -> None:
    roles = people.NO_ROLES
    if "UserRole" in run.tables:
        conv = Converter(run.tables["UserRole"], "teams", order=run.order)
        roles, problems = people.roles_frame(conv)
        run.extract.add_problems(problems)
        run.extract.put("teams", people.teams(roles))
    users = run.convert("User", "users", lambda c: people.users(c, roles))
    if users.height:
        run.extract.put("users", users)


def _records(run: _Run) -> None:
    for obj, target, fill in (
        ("Account", "accounts", lambda c: records.accounts(c, run.base)),
        ("Contact", "contacts", records.contacts),
        ("Product2", "products", records.products),
        ("Pricebook2", "price_books", records.price_books),
        ("PricebookEntry", "price_book_entries", lambda c: records.price_book_entries(c, run.base)),
    ):
        frame = run.convert(obj, target, fill)
        if frame.height:
            run.extract.put(target, frame)
    entries = run.extract.frames.get("price_book_entries")
    items = run.convert("OpportunityLineItem", "line_items",
                        lambda c: records.line_items(c, entries, run.base))  # fmt: skip
    if items.height:
        run.extract.put("line_items", items)
    if entries is not None and "price_books" not in run.extract.frames:
        run.extract.put("price_books", records.books_from_entries(entries))
        note = Problem(
            "price_books",
            str(entries["_file"][0]),
            None,
            None,
            None,
            "no Pricebook2 file: price books are named after their ids",
            Severity.WARNING,
        )
        run.extract.add_problems(problem_frame([note]))


def _deals(run: _Run) -> list[pl.DataFrame]:
    hints: list[pl.DataFrame] = []

    def fill(conv: Converter) -> None:
        """Convert the opportunities and keep their stage hints."""
        hints.append(deals.opportunities(conv, run.base))

    frame = run.convert("Opportunity", "opportunities", fill)
    if frame.height:
        run.extract.put("opportunities", frame)
    return [stagedefs.merged(hints)] if len(hints) > 1 else hints


def _history(run: _Run, hints: list[pl.DataFrame]) -> None:
    parts: list[pl.DataFrame] = []
    snapshot_fields: tuple[str, ...] = ()
    if "OpportunityHistory" in run.tables:
        hints.append(deals.history_hints(run.tables["OpportunityHistory"]))
        snaps = run.convert("OpportunityHistory", "history", history.snapshots)
        parts.append(history.changes(snaps, run.extract.problems))
        del snaps
        snapshot_fields = history.SNAPSHOT_FIELDS
    if "OpportunityFieldHistory" in run.tables:
        frame = run.convert("OpportunityFieldHistory", "history", history.field_changes)
        only = tuple(
            f
            for f in ("stage", "amount", "close_date", "forecast_category", "owner")
            if f not in snapshot_fields
        )
        parts.append(history.tracked(frame, only))
    parts = [p for p in parts if p.height]
    if parts:
        run.extract.put("history", pl.concat(parts))


def _spilled_history(run: _Run, hints: list[pl.DataFrame], batch_rows: int) -> None:
    files: dict[str, Deferred | RawTable] = {o: run.deferred.pop(o) for o in STREAMED
                                             if o in run.deferred}  # fmt: skip
    files.update({o: run.tables.pop(o) for o in STREAMED if o in run.tables})
    problems: list[pl.DataFrame] = []
    run.extract.spill = spill_history(
        files, Parsing(run.order, run.mark), batch_rows=batch_rows, hints=hints, problems=problems
    )
    run.extract.add_problems(concat_problems(problems))


def _stages(run: _Run, hints: list[pl.DataFrame]) -> None:
    proposed = stagedefs.stages(hints)
    if proposed.height:
        run.extract.put("stages", proposed)
