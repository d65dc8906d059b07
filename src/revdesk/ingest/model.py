"""Problems and the import report: what an import found, did, and refused.

A problem is one row of a Polars frame (PROBLEM_SCHEMA): severity, object, file, row, column,
value and reason. Reasons are generic ("unparseable date") and the offending text goes in
`value`, so that problems group into findings with a count and a few example rows::

    >>> frame = problem_frame([Problem("opportunities", "opportunity.csv", 7, "CloseDate",
    ...                                "31/02/24", "unparseable date")])
    >>> [f.count for f in findings(frame)]
    [1]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol

import polars as pl

EXAMPLES: Final = 3
"""How many example rows a finding shows."""
DETAIL_LIMIT: Final = 1000
"""How many individual errors the JSON report lists (all of them go to the rejected-rows CSV)."""


class Severity(StrEnum):
    """An error rejects its row; a warning is reported and the row is imported."""

    ERROR = "error"
    WARNING = "warning"


PROBLEM_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "severity": pl.String(),
    "object": pl.String(),
    "file": pl.String(),
    "row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "reason": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one value of one row of one file."""

    object: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    severity: Severity = Severity.ERROR


def problem_frame(items: Iterable[Problem] = ()) -> pl.DataFrame:
    """Problems as a frame of PROBLEM_SCHEMA."""
    rows = [
        {
            "severity": p.severity.value,
            "object": p.object,
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "reason": p.reason,
        }
        for p in items
    ]
    return pl.DataFrame(rows, schema=dict(PROBLEM_SCHEMA))


def flag(
    frame: pl.DataFrame,
    mask: pl.Expr,
    *,
    object: str,
    column: str | None,
    reason: str | pl.Expr,
    value: pl.Expr | None = None,
    severity: Severity = Severity.ERROR,
) -> pl.DataFrame:
    """A problem for every row of `frame` (which has `_file` and `_row`) where `mask` holds."""
    if value is None:
        value = pl.col(column) if column is not None and column in frame.columns else pl.lit(None)
    return (
        frame.filter(mask)
        .select(
            pl.lit(severity.value).alias("severity"),
            pl.lit(object).alias("object"),
            pl.col("_file").cast(pl.String).alias("file"),
            pl.col("_row").cast(pl.Int64).alias("row"),
            pl.lit(column, dtype=pl.String).alias("column"),
            value.cast(pl.String).alias("value"),
            (pl.lit(reason) if isinstance(reason, str) else reason).cast(pl.String).alias("reason"),
        )
        .cast(pl.Schema(PROBLEM_SCHEMA))
    )


def concat_problems(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """All problems of `frames` in one frame (empty frames allowed)."""
    parts = [f.select(list(PROBLEM_SCHEMA)) for f in frames if f.height]
    return pl.concat(parts) if parts else problem_frame()


def error_rows(problems: pl.DataFrame, object: str) -> pl.DataFrame:
    """The distinct (_file, _row) pairs that have an error for `object`."""
    return (
        problems.filter((pl.col("severity") == Severity.ERROR.value) & (pl.col("object") == object))
        .select(pl.col("file").cast(pl.Categorical).alias("_file"), pl.col("row").alias("_row"))
        .unique()
    )


@dataclass(frozen=True, slots=True)
class Finding:
    """Problems of one kind: how many, and a few example rows with their values."""

    severity: str
    object: str
    file: str
    column: str | None
    reason: str
    count: int
    examples: list[dict[str, Any]]


def findings(problems: pl.DataFrame) -> list[Finding]:
    """Group problems by severity, object, file, column and reason, errors first."""
    if problems.is_empty():
        return []
    keys = ["severity", "object", "file", "column", "reason"]
    grouped = (
        problems.group_by(keys, maintain_order=True)
        .agg(
            pl.len().alias("count"),
            pl.struct("row", "value").sort_by("row").head(EXAMPLES).alias("examples"),
        )
        .sort("severity", maintain_order=True)
    )
    return [
        Finding(
            severity=row["severity"],
            object=row["object"],
            file=row["file"],
            column=row["column"],
            reason=row["reason"],
            count=row["count"],
            examples=row["examples"],
        )
        for row in grouped.iter_rows(named=True)
    ]


@dataclass(slots=True)
class ObjectCounts:
    """What an import did to one record type."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        """Rows seen in the files."""
        return self.created + self.updated + self.unchanged + self.rejected


@dataclass(slots=True)
class ImportReport:
    """Everything an import run reports: counts per record type, findings, what was written."""

    source: str
    location: str
    started_at: datetime
    dry_run: bool
    skip_invalid: bool
    files: dict[str, str] = field(default_factory=dict)
    counts: dict[str, ObjectCounts] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    committed: bool = False
    finished_at: datetime | None = None
    rejected_file: str | None = None
    report_file: str | None = None
    run_id: int | None = None

    @property
    def outcome(self) -> str:
        """One word: committed, dry-run or refused."""
        if self.committed:
            return "committed"
        return "dry-run" if self.dry_run else "refused"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["outcome"] = self.outcome
        data["counts"] = {k: {**asdict(v), "total": v.total} for k, v in self.counts.items()}
        data["errors_listed"] = len(self.errors)
        return data


def summarise_problems(report: ImportReport, problems: pl.DataFrame) -> None:
    """Fill the report's findings, counts of errors and warnings, and the listed errors."""
    errors = problems.filter(pl.col("severity") == Severity.ERROR.value)
    report.findings = findings(problems)
    report.error_count = errors.height
    report.warning_count = problems.height - errors.height
    report.errors = errors.sort("file", "row", maintain_order=True).head(DETAIL_LIMIT).to_dicts()


class Progress(Protocol):
    """Where an import reports how far it got (the CLI draws progress bars from this)."""

    def start(self, label: str, total: int) -> None:
        """A step of `total` rows begins."""

    def advance(self, label: str, rows: int) -> None:
        """`rows` more rows of the step are done."""


class NoProgress:
    """Progress that goes nowhere (tests, scripts)."""

    def start(self, label: str, total: int) -> None:
        """Ignore."""

    def advance(self, label: str, rows: int) -> None:
        """Ignore."""
