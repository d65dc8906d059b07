"""The `revdesk` command line (Typer + Rich).

Each command validates its input, opens one unit of work through a service and prints the
result. Every deliberate failure (`RevDeskError`) becomes one red line on stderr and a non-zero
exit code; only a bug shows a traceback.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from revdesk.approvals.analytics_cli import approvals_stats
from revdesk.approvals.cli import policy_app
from revdesk.approvals.routing_cli import approvals_app, audit_app
from revdesk.auth.cli import users_app
from revdesk.cli_support import (
    DatabaseOption,
    console,
    errors,
    open_database,
    settings_for,
)
from revdesk.core.clock import utcnow
from revdesk.core.errors import Conflict, RevDeskError
from revdesk.crm import dataset
from revdesk.crm.service import company_summary, count_records
from revdesk.crm.summary import Summary
from revdesk.db.migrate import current_revision, head_revision, upgrade
from revdesk.demo.cli import demo
from revdesk.forecast.cli import forecast_app
from revdesk.ingest.cli import import_app
from revdesk.pipeline.cli import hygiene_app, pipeline_app
from revdesk.schema import metadata
from revdesk.web.cli import serve

app = typer.Typer(
    help="RevDesk: the revenue desk for sales operations and the deal desk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
sample_app = typer.Typer(help="The small bundled sample company.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sample_app, name="sample")
app.add_typer(import_app, name="import")
app.command("demo")(demo)
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(hygiene_app, name="hygiene")
app.add_typer(policy_app, name="policy")
app.add_typer(forecast_app, name="forecast")
app.add_typer(approvals_app, name="approvals")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.command("serve")(serve)
approvals_app.command("stats")(approvals_stats)


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Create the database or migrate it to the newest schema."""
    db = open_database(settings_for(database), migrated=False)
    upgrade(db.engine)
    console.print(f"[green]database at revision {current_revision(db.engine)}[/green]")
    db.dispose()


@db_app.command("current")
def db_current(database: DatabaseOption = None) -> None:
    """Show the schema revision of the database and of this code."""
    db = open_database(settings_for(database), migrated=False)
    console.print(f"database: {current_revision(db.engine)}  code: {head_revision(db.engine)}")
    db.dispose()


@sample_app.command("load")
def sample_load(
    database: DatabaseOption = None,
    replace: Annotated[bool, typer.Option(help="wipe every record first")] = False,
) -> None:
    """Load the small hand-written sample company."""
    db = open_database(settings_for(database))
    doc = dataset.sample_company()
    with db.uow() as uow:
        existing = count_records(uow.session)["opportunities"]
        if existing and not replace:
            raise Conflict(
                f"the database already holds {existing} opportunities; "
                "use --replace to wipe it and load the sample"
            )
        if replace:
            dataset.wipe(uow.session, metadata)
        counts = dataset.load_company(uow.session, doc)
        uow.commit()
    console.print(
        f"[green]loaded {doc.name}:[/green] "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items())
    )
    db.dispose()


@app.command()
def summary(database: DatabaseOption = None) -> None:
    """Counts, open pipeline by stage and fiscal quarter, won and lost by quarter."""
    settings = settings_for(database)
    db = open_database(settings)
    with db.uow() as uow:
        counts, result = company_summary(
            uow.session,
            base_currency=settings.base_currency,
            calendar=settings.fiscal_calendar,
            today=utcnow().date(),
        )
    db.dispose()
    console.print("  ".join(f"[bold]{n:,}[/bold] {kind}" for kind, n in counts.items()))
    _print_pipeline(result)
    _print_closed(result)


def _money(value: Decimal | None) -> str:
    return f"{value or 0:,.0f}"


def _print_pipeline(result: Summary) -> None:
    frame = result.open_pipeline
    quarters = sorted(set(frame["quarter"].to_list()))
    table = Table(title=f"Open pipeline by stage and close quarter ({result.base_currency})")
    table.add_column("stage")
    for quarter in quarters:
        table.add_column(quarter, justify="right")
    table.add_column("total", justify="right", style="bold")
    for stage in dict.fromkeys(frame["stage"].to_list()):
        rows = frame.filter(stage=stage)
        cells = dict(zip(rows["quarter"].to_list(), rows["amount"].to_list(), strict=True))
        total = sum(cells.values(), Decimal(0))
        table.add_row(stage, *[_money(cells.get(q)) for q in quarters], _money(total))
    if not quarters:
        table.add_row("no open deals")
    console.print(table)


def _print_closed(result: Summary) -> None:
    table = Table(title=f"Closed business by fiscal quarter ({result.base_currency})")
    for name in ("quarter", "won", "won amount", "lost", "lost amount", "win rate"):
        table.add_column(name, justify="left" if name == "quarter" else "right")
    for row in result.closed_by_quarter.iter_rows(named=True):
        table.add_row(
            row["quarter"],
            str(row["won_deals"]),
            _money(row["won_amount"]),
            str(row["lost_deals"]),
            _money(row["lost_amount"]),
            f"{row['win_rate']:.0%}",
        )
    if result.closed_by_quarter.is_empty():
        table.add_row("no closed deals", "", "", "", "", "")
    console.print(table)


def main() -> None:
    """Entry point: run the app, turning deliberate errors into one readable line."""
    try:
        app()
    except RevDeskError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
