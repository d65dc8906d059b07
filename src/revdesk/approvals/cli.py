"""`revdesk policy check | preview | simulate`: approval policies from the command line.

Every refusal is one line, `error: <file>:<line>:<col>: <reason>`, with exit code 2 (bad input),
3 (database) or 4 (quote not found); nothing is written to the database.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from revdesk.approvals.analytics_hours import windowed
from revdesk.approvals.analytics_service import simulation_durations
from revdesk.approvals.calendar import BusinessCalendar, load_calendar_file
from revdesk.approvals.loader import load_policy_file
from revdesk.approvals.policy import Policy
from revdesk.approvals.render import policy_summary, print_plan, print_simulation, simulation_data
from revdesk.approvals.service import load_directory, preview_quote, simulate_change
from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.errors import InvalidInput

__all__ = ["policy_app"]

policy_app = typer.Typer(help="Approval policies: check, preview, simulate.", no_args_is_help=True)

STANDARD = Path("examples/policies/standard.yaml")


class Format(StrEnum):
    """How results are printed."""

    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="table or json")]
PolicyOption = Annotated[
    Path, typer.Option("--policy", help="the policy in force (default: the shipped standard)")
]


def _load(path: Path, database: str | None, *, directory: bool = True) -> Policy:
    """Load `path`: first on its own (syntax and names), then against the users in the database."""
    policy = load_policy_file(path)
    if not directory:
        return policy
    db = open_database(settings_for(database))
    try:
        with db.uow() as uow:
            people = load_directory(uow.session)
        return load_policy_file(path, directory=people)
    finally:
        db.dispose()


def read_durations(path: Path | None) -> dict[str, Decimal] | None:
    """A step_durations CSV (columns step, hours) as hours per step."""
    if path is None:
        return None
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise InvalidInput(f"cannot read step durations: {exc.strerror}", where=str(path)) from None
    hours: dict[str, Decimal] = {}
    for number, row in enumerate(rows, start=2):
        try:
            hours[row["step"].strip()] = Decimal(row["hours"].strip())
        except (KeyError, AttributeError, InvalidOperation):
            raise InvalidInput(
                "expected columns step and hours, with hours a number", where=f"{path}:{number}:1"
            ) from None
    return hours


def parse_since(raw: str | None) -> date | None:
    """--since as a date."""
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{raw!r} is not a date (expected YYYY-MM-DD)", where="--since"
        ) from None


@policy_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="the policy file (YAML)")],
    database: DatabaseOption = None,
    no_directory: Annotated[
        bool, typer.Option("--no-directory", help="do not check approvers against the users")
    ] = False,
) -> None:
    """Validate a policy file: syntax, names, types, chains, approvers."""
    policy = _load(file, database, directory=not no_directory)
    console.print(f"[green]ok[/green] {policy_summary(policy)}", highlight=False)


@policy_app.command("preview")
def preview_command(
    quote_id: Annotated[int, typer.Argument(help="the quote's id")],
    policy_file: PolicyOption = STANDARD,
    fmt: FormatOption = Format.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Which rules fire for a quote, why, and who must approve (or that none is needed)."""
    policy = _load(policy_file, database)
    settings = settings_for(database)
    db = open_database(settings)
    try:
        with db.uow() as uow:
            plan = preview_quote(
                uow.session, policy, quote_id, base_currency=settings.base_currency
            )
    finally:
        db.dispose()
    if fmt is Format.JSON:
        console.print_json(json.dumps(plan.to_dict()))
    else:
        print_plan(console, plan)


@policy_app.command("simulate")
def simulate_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    new: Annotated[Path, typer.Argument(help="the proposed policy file")],
    since: Annotated[
        str | None, typer.Option("--since", help="quotes created on or after YYYY-MM-DD")
    ] = None,
    current: Annotated[Path, typer.Option("--current", help="the policy in force")] = STANDARD,
    step_durations: Annotated[
        Path | None,
        typer.Option(
            "--step-durations",
            help="CSV of hours per step (default: medians measured from the approval history)",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="changed deals to list")] = 20,
    fmt: FormatOption = Format.TABLE,
    calendar_file: Annotated[
        Path | None,
        typer.Option("--calendar", help="business hours for measured durations (YAML)"),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Replay a proposed policy against past quotes and compare it with the policy in force."""
    day, durations = parse_since(since), read_durations(step_durations)
    calendar = BusinessCalendar() if calendar_file is None else load_calendar_file(calendar_file)
    proposed, in_force = _load(new, database), _load(current, database)
    settings = settings_for(database)
    db = open_database(settings)
    try:
        with db.uow() as uow:
            used, source = simulation_durations(
                uow.session, durations, business_hours=windowed(calendar.windows)
            )
            report = simulate_change(
                uow.session,
                proposed,
                in_force,
                since=day,
                base_currency=settings.base_currency,
                durations=used,
                limit=limit,
            )
    finally:
        db.dispose()
    if fmt is Format.JSON:
        console.print_json(json.dumps({**simulation_data(report), "durations_source": source}))
    else:
        console.print(source, highlight=False)
        print_simulation(console, report)


def _register_activate() -> None:
    from revdesk.approvals.routing_cli import activate_command  # noqa: PLC0415 - it imports us

    policy_app.command("activate")(activate_command)


_register_activate()
