"""`revdesk forecast`: run the methods side by side, backtest them, submit and roll up calls."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from revdesk.cli_support import DatabaseOption, console, errors, open_database, settings_for
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput
from revdesk.forecast.backtest import parse_periods, parse_weeks
from revdesk.forecast.chart import write_charts
from revdesk.forecast.run import parse_methods
from revdesk.forecast.service import (
    find_user,
    forecast_accuracy,
    forecast_backtest,
    forecast_run,
    rollup_view,
    submit_call,
)
from revdesk.pipeline.cli import parse_as_of
from revdesk.pipeline.render import OutputFormat, write

forecast_app = typer.Typer(help="Forecasts, backtests and submitted calls.", no_args_is_help=True)

PeriodOption = Annotated[str, typer.Option("--period", help="fiscal quarter, e.g. FY2027-Q1")]
MethodOption = Annotated[
    str,
    typer.Option(
        "--method",
        help="all, or any of stage_weighted, conversion, markov, win_probability, submitted",
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="YYYY-MM-DD: as known at the end of that day")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="where the tables go")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", help="file (xlsx, html) or folder (csv) to write")
]
PeriodsOption = Annotated[int, typer.Option("--periods", help="completed quarters to score")]


def _need_output(fmt: OutputFormat, output: Path | None) -> None:
    if fmt is not OutputFormat.TABLE and output is None:
        raise InvalidInput(f"--format {fmt.value} needs --output PATH")


def _amount(raw: str, option: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"{raw!r} is not an amount", where=option) from None
    if not value.is_finite():
        raise InvalidInput(f"{raw!r} is not an amount", where=option)
    return value


@forecast_app.command("run")
def run(  # noqa: PLR0917 - Typer maps each parameter to an option
    period: PeriodOption,
    method: MethodOption = "all",
    as_of: AsOfOption = None,
    categories: Annotated[
        Path | None, typer.Option("--categories", help="YAML mapping stages to categories")
    ] = None,
    output_chart: Annotated[
        Path | None,
        typer.Option("--output-chart", help="chart file stem; writes .png and .html"),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    database: DatabaseOption = None,
) -> None:
    """Every method's forecast for a quarter side by side, and the distribution chart."""
    settings = settings_for(database)
    now = utcnow()
    methods, moment = parse_methods(method), parse_as_of(as_of, now) if as_of else None
    _need_output(fmt, output)
    db = open_database(settings)
    with db.uow() as uow:
        view = forecast_run(
            uow.session,
            calendar=settings.fiscal_calendar,
            base_currency=settings.base_currency,
            period=period,
            at=moment,
            now=now,
            methods=methods,
            categories=categories,
        )
    db.dispose()
    heading = (
        f"Forecast of {view.period.label} as of {view.at:%Y-%m-%d %H:%M} UTC "
        f"({view.base_currency}); won so far {view.won_so_far:,.0f}"
    )
    sections = view.sections()
    if fmt is OutputFormat.TABLE:
        sections = {**sections, "methods": view.table.drop("note", "left_out_because")}
    written = write(sections, fmt, output=output, console=console, heading=heading)
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")
    if fmt is OutputFormat.TABLE:
        for result in view.results:
            if result.note:
                console.print(f"{result.method.value}: {result.note}", highlight=False)
    target = output_chart or Path(f"forecast-{view.period.label}")
    if any(r.ran for r in view.results):
        paths = write_charts(view.results, target, heading=heading, currency=view.base_currency)
        console.print("[green]chart: " + ", ".join(str(p) for p in paths) + "[/green]")
    for result in view.results:
        if not result.ran:
            console.print(
                f"left out {result.method.value}: {result.skipped_reason}", highlight=False
            )


@forecast_app.command("backtest")
def backtest_command(  # noqa: PLR0917
    periods: PeriodsOption = 8,
    weeks: Annotated[str, typer.Option("--weeks", help="weeks of the quarter, e.g. 1,4,8,12")] = (
        "1,4,8,12"
    ),
    method: MethodOption = "all",
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    database: DatabaseOption = None,
) -> None:
    """Forecast past quarters as of past weeks from what was known then; score every method."""
    settings = settings_for(database)
    count, week_list, methods = parse_periods(periods), parse_weeks(weeks), parse_methods(method)
    _need_output(fmt, output)
    db = open_database(settings)
    with db.uow() as uow:
        result = forecast_backtest(
            uow.session,
            calendar=settings.fiscal_calendar,
            base_currency=settings.base_currency,
            periods=count,
            weeks=week_list,
            methods=methods,
            now=utcnow(),
        )
    db.dispose()
    labels = f"{result.periods[0].label}..{result.periods[-1].label}"
    heading = f"Backtest of {len(result.periods)} quarters ({labels}) at weeks {weeks}"
    sections = result.sections()
    if fmt is OutputFormat.TABLE:
        sections = {
            "summary": result.summary.select(
                "method", "week", "periods", "mape", "bias", "coverage", "brier", "left_out"
            ),
            "calibration": result.calibration.filter(result.calibration["week"].is_null()),
        }
    written = write(sections, fmt, output=output, console=console, heading=heading)
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")
    for note in result.notes:
        errors.print(f"note: {note}", highlight=False)
    reasons = result.summary.filter(result.summary["left_out"] > 0).unique("method", keep="first")
    for name, reason in reasons.select("method", "left_out_because").iter_rows():
        console.print(f"left out {name} (some or all quarters), e.g.: {reason}", highlight=False)


@forecast_app.command("submit")
def submit(  # noqa: PLR0917
    period: PeriodOption,
    user: Annotated[str, typer.Option("--user", help="who submits: id or e-mail")],
    commit: Annotated[str, typer.Option("--commit", help="the commit amount")],
    best_case: Annotated[str, typer.Option("--best-case", help="the best-case amount")],
    currency: Annotated[
        str | None, typer.Option("--currency", help="ISO code; default the base currency")
    ] = None,
    for_user: Annotated[
        str | None,
        typer.Option("--for", help="override this person's call (a manager above them only)"),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why (overrides)")] = None,
    database: DatabaseOption = None,
) -> None:
    """Submit a commit and best case for your tree, or override a report's call with a reason."""
    settings = settings_for(database)
    amounts = _amount(commit, "--commit"), _amount(best_case, "--best-case")
    db = open_database(settings)
    with db.uow() as uow:
        by_id = find_user(uow.session, user, where="--user")
        user_id = find_user(uow.session, for_user, where="--for") if for_user else by_id
        row = submit_call(
            uow.session,
            calendar=settings.fiscal_calendar,
            period=period,
            user_id=user_id,
            by_id=by_id,
            commit=amounts[0],
            best_case=amounts[1],
            currency=currency or settings.base_currency,
            at=utcnow(),
            reason=reason,
        )
        uow.commit()
        summary = (
            f"{row.kind.value} #{row.id} for {row.period}: commit {row.commit:,.2f}, "
            f"best case {row.best_case:,.2f} {row.currency}"
        )
    db.dispose()
    console.print(f"[green]recorded {summary}[/green]")


@forecast_app.command("rollup")
def rollup_command(  # noqa: PLR0917
    period: PeriodOption,
    manager: Annotated[
        str | None, typer.Option("--manager", help="id or e-mail; default every tree")
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    database: DatabaseOption = None,
) -> None:
    """Each person's call in a manager's tree: own, rolled up from reports, overridden."""
    settings = settings_for(database)
    now = utcnow()
    moment = parse_as_of(as_of, now)
    _need_output(fmt, output)
    db = open_database(settings)
    with db.uow() as uow:
        root = find_user(uow.session, manager, where="--manager") if manager else None
        view = rollup_view(
            uow.session,
            calendar=settings.fiscal_calendar,
            base_currency=settings.base_currency,
            period=period,
            at=moment,
            manager_id=root,
        )
    db.dispose()
    company = (
        f"company commit {view.company_commit:,.2f}, best case {view.company_best_case:,.2f}"
        if view.company_commit is not None
        else "no company call yet"
    )
    heading = f"Roll-up of {view.period.label} as of {moment:%Y-%m-%d %H:%M} UTC: {company}"
    written = write({"rollup": view.table}, fmt, output=output, console=console, heading=heading)
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")


@forecast_app.command("accuracy")
def accuracy(  # noqa: PLR0917
    periods: PeriodsOption = 8,
    weeks: Annotated[str, typer.Option("--weeks", help="weeks of the quarter, e.g. 4")] = "4",
    method: MethodOption = "all",
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    database: DatabaseOption = None,
) -> None:
    """Each method's and each submitter's accuracy over past quarters: who calls high or low."""
    settings = settings_for(database)
    count, week_list, methods = parse_periods(periods), parse_weeks(weeks), parse_methods(method)
    _need_output(fmt, output)
    db = open_database(settings)
    with db.uow() as uow:
        sections, notes = forecast_accuracy(
            uow.session,
            calendar=settings.fiscal_calendar,
            base_currency=settings.base_currency,
            periods=count,
            weeks=week_list,
            methods=methods,
            now=utcnow(),
        )
    db.dispose()
    heading = f"Forecast accuracy over the last {count} quarters at weeks {weeks}"
    written = write(sections, fmt, output=output, console=console, heading=heading)
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")
    for note in notes:
        errors.print(f"note: {note}", highlight=False)
