"""`revdesk approvals stats`: approval cycle time, SLA breaches and volume from the command line.

    revdesk approvals stats --by approver --since 2026-01-01
    revdesk approvals stats --by week --json

`revdesk.cli` registers `approvals_stats` as the `stats` command of the `approvals` group
(`stats_app` runs it on its own). Reads only; bad input exits 2 with one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from revdesk.approvals.analytics import CycleStats, Grouping
from revdesk.approvals.analytics_hours import windowed
from revdesk.approvals.analytics_report import ApprovalStats, approval_stats
from revdesk.approvals.analytics_service import approval_history
from revdesk.approvals.calendar import BusinessCalendar, load_calendar_file
from revdesk.approvals.cli import parse_since
from revdesk.approvals.directory import Directory
from revdesk.approvals.service import load_directory
from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.clock import utcnow

__all__ = ["approvals_stats", "stats_app"]

stats_app = typer.Typer(help="Approval analytics: cycle time, SLA breaches, volume.")

CalendarOption = Annotated[
    Path | None,
    typer.Option(
        "--calendar",
        help="business-hours calendar YAML (default: Monday-Friday 09:00-17:00 UTC)",
    ),
]
_HEADINGS = {
    "step_id": "step",
    "rule_id": "rule",
    "week": "ISO week",
    "count": "decisions",
    "median_hours": "median h",
    "p90_hours": "p90 h",
    "mean_hours": "mean h",
    "median_business_hours": "median bh",
    "p90_business_hours": "p90 bh",
    "mean_business_hours": "mean bh",
    "with_sla": "with SLA",
    "breached": "breached",
    "open_breached": "open, late",
    "breach_rate": "breach rate",
    "approved": "approved",
    "rejected": "rejected",
}


@stats_app.callback(invoke_without_command=True)
def approvals_stats(
    since: Annotated[
        str | None, typer.Option("--since", help="requests submitted on or after YYYY-MM-DD")
    ] = None,
    by: Annotated[Grouping, typer.Option("--by", help="step, rule, approver or week")] = (
        Grouping.STEP
    ),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
    calendar_file: CalendarOption = None,
    database: DatabaseOption = None,
) -> None:
    """Cycle time (median, p90, mean hours), SLA breach rate and volume of approval steps."""
    day = parse_since(since)
    calendar = BusinessCalendar() if calendar_file is None else load_calendar_file(calendar_file)
    db = open_database(settings_for(database))
    try:
        with db.uow() as uow:
            history = approval_history(uow.session, since=day)
            directory = load_directory(uow.session)
    finally:
        db.dispose()
    hours = windowed(calendar.windows)
    stats = approval_stats(
        history.steps, history.requests, by, as_of=utcnow(), business_hours=hours
    )
    table = _labelled(stats.table, directory) if by is Grouping.APPROVER else stats.table
    if as_json:
        data = stats.to_dict()
        data["rows"] = table.to_dicts()
        console.print_json(json.dumps(data))
        return
    _print(stats, table, since)


def _labelled(table: pl.DataFrame, directory: Directory) -> pl.DataFrame:
    """The approver table with each approver's name and role after the id."""
    names = {u.id: f"{u.name} ({u.role})" for u in directory.users()}
    label = pl.col("approver_id").replace_strict(names, default="?", return_dtype=pl.String())
    return table.insert_column(1, table.select(label.alias("approver")).to_series())


def _print(stats: ApprovalStats, frame: pl.DataFrame, since: str | None) -> None:
    scope = f"submitted since {since}" if since else "on record"
    console.print(
        f"{stats.steps:,} steps of {stats.requests:,} approval requests {scope}, "
        f"as of {stats.as_of:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
    table = Table(title=f"Approval steps by {stats.by}")
    labels = (stats.by.key, "approver")
    for name in frame.columns:
        heading = "id" if name == "approver_id" else _HEADINGS.get(name, name)
        table.add_column(heading, justify="left" if name in labels else "right")
    for row in frame.iter_rows():
        table.add_row(*[_cell(name, value) for name, value in zip(frame.columns, row, strict=True)])
    if frame.is_empty():
        table.add_row("no decided or open steps")
    console.print(table)
    _print_outcomes(stats)


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name == "breach_rate" and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) and not name.endswith("_id") else str(value)


def _print_outcomes(stats: ApprovalStats) -> None:
    table = Table(title="Approval requests by outcome")
    for name in ("outcome", "requests", "share"):
        table.add_column(name, justify="left" if name == "outcome" else "right")
    for status, count, share in stats.outcomes.iter_rows():
        table.add_row(status, f"{count:,}", f"{share:.1%}")
    console.print(table)
    console.print(f"End to end (submit to close): {_cycle(stats.end_to_end)}", highlight=False)
    if stats.end_to_end_business is not None and stats.end_to_end_business.count:
        console.print(f"  in business hours: {_cycle(stats.end_to_end_business)}", highlight=False)


def _cycle(stats: CycleStats) -> str:
    if stats.count == 0:
        return "no closed requests"
    return (
        f"{stats.count:,} closed requests, median {stats.median:,.2f} h, "
        f"p90 {stats.p90:,.2f} h, mean {stats.mean:,.2f} h"
    )
