"""The import report for people: Rich tables of files, counts and findings, and progress bars."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from revdesk.ingest.model import EXAMPLES, ImportReport

_MAX_FINDINGS = 40


class Bars:
    """A progress bar per record type while an import writes (the service's Progress)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, label: str, total: int) -> None:
        """Add a bar for a record type."""
        if total:
            self._tasks[label] = self._progress.add_task(f"writing {label}", total=total)

    def advance(self, label: str, rows: int) -> None:
        """Move a record type's bar."""
        if label in self._tasks:
            self._progress.advance(self._tasks[label], rows)  # type: ignore[arg-type]


def _examples(examples: list[dict[str, object]]) -> str:
    parts = []
    for example in examples[:EXAMPLES]:
        row, value = example.get("row"), example.get("value")
        shown = "" if value is None else f" {str(value)[:40]!r}"
        parts.append(f"row {row}{shown}" if row is not None else shown.strip())
    return "; ".join(p for p in parts if p)


def render(report: ImportReport, console: Console) -> None:
    """Print the report: files and dialects, counts per record type, findings, the outcome."""
    files = Table(title=f"Import from {report.source}: {report.location}", title_justify="left")
    files.add_column("file")
    files.add_column("read as")
    for name, dialect in report.files.items():
        files.add_row(name, dialect)
    console.print(files)
    counts = Table(title="Records", title_justify="left")
    for name in ("record type", "created", "updated", "unchanged", "rejected"):
        counts.add_column(name, justify="left" if name == "record type" else "right")
    for obj, c in report.counts.items():
        if c.total:
            counts.add_row(
                obj,
                f"{c.created:,}",
                f"{c.updated:,}",
                f"{c.unchanged:,}",
                f"[red]{c.rejected:,}[/red]" if c.rejected else "0",
            )
    console.print(counts)
    _findings(report, console)
    _outcome(report, console)


def _findings(report: ImportReport, console: Console) -> None:
    if not report.findings:
        console.print("[green]no problems found[/green]")
        return
    table = Table(
        title=f"Problems: {report.error_count:,} errors, {report.warning_count:,} warnings",
        title_justify="left",
    )
    for name in ("", "record type", "file", "column", "reason", "rows", "examples"):
        table.add_column(name, overflow="fold")
    for finding in report.findings[:_MAX_FINDINGS]:
        mark = "[red]error[/red]" if finding.severity == "error" else "[yellow]warning[/yellow]"
        table.add_row(
            mark,
            finding.object,
            finding.file,
            finding.column or "",
            finding.reason,
            f"{finding.count:,}",
            _examples(finding.examples),
        )
    console.print(table)
    hidden = len(report.findings) - _MAX_FINDINGS
    if hidden > 0:
        console.print(f"... and {hidden} more kinds of problem (see the JSON report)")


def _outcome(report: ImportReport, console: Console) -> None:
    if report.committed:
        rejected = sum(c.rejected for c in report.counts.values())
        note = f", {rejected:,} rows rejected" if rejected else ""
        console.print(f"[green]imported[/green] (run {report.run_id}{note})")
    elif report.dry_run:
        console.print("[cyan]dry run: nothing was written[/cyan]")
    else:
        console.print(
            f"[red]refused: {report.error_count:,} errors, nothing was written[/red] "
            "(fix them, or give --skip-invalid to import the valid rows)"
        )
    if report.report_file:
        console.print(f"report: {report.report_file}")
    if report.rejected_file:
        console.print(f"rejected rows: {report.rejected_file}")
