"""`revdesk pipeline report` and `revdesk hygiene run`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.clock import end_of_day, utcnow
from revdesk.core.errors import InvalidInput
from revdesk.pipeline.grouping import check_slices
from revdesk.pipeline.hygiene import default_config, load_config_file
from revdesk.pipeline.render import OutputFormat, write
from revdesk.pipeline.service import (
    HygieneResult,
    hygiene_run,
    pipeline_review,
    stage_discipline,
)

pipeline_app = typer.Typer(help="Pipeline analytics.", no_args_is_help=True)
hygiene_app = typer.Typer(help="CRM hygiene rules.", no_args_is_help=True)

AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="YYYY-MM-DD; the report as known at the end of that day"),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="where the report goes")]
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="hygiene rules YAML (default: the shipped set)")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", help="file (xlsx, html) or folder (csv) to write")
]


def parse_as_of(raw: str | None, now: datetime) -> datetime:
    """The moment a report is about: the end of the given day, or now."""
    if raw is None:
        return now
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{raw!r} is not a date (expected YYYY-MM-DD)", where="--as-of"
        ) from None
    return min(end_of_day(day), now) if day == now.date() else end_of_day(day)


def parse_by(raw: list[str] | None) -> list[str]:
    """Slices from repeated or comma-separated --by options."""
    names = [part.strip() for item in raw or [] for part in item.split(",") if part.strip()]
    try:
        return check_slices(names)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, where="--by") from None


def read_targets(path: Path | None) -> pl.DataFrame | None:
    """A targets CSV: a `target` column plus one column per slice."""
    if path is None:
        return None
    try:
        frame = pl.read_csv(path, infer_schema=False)
        return frame.with_columns(pl.col("target").str.strip_chars().cast(pl.Decimal(38, 4)))
    except (OSError, pl.exceptions.PolarsError) as exc:
        reason = str(exc).splitlines()[0]
        raise InvalidInput(f"cannot read targets: {reason}", where=str(path)) from None


@pipeline_app.command("report")
def report(  # noqa: PLR0917 - Typer maps each parameter to an option
    as_of: AsOfOption = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="slice by team, rep, segment, region, product or period"),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    targets: Annotated[
        Path | None, typer.Option("--targets", help="CSV of targets for coverage")
    ] = None,
    with_hygiene: Annotated[
        bool,
        typer.Option("--hygiene", help="add the hygiene run's sections (one read of the CRM)"),
    ] = False,
    rules: RulesOption = None,
    database: DatabaseOption = None,
) -> None:
    """Pipeline by stage, coverage, conversion, win rates, cycle, velocity, waterfall, cohorts."""
    settings = settings_for(database)
    now = utcnow()
    moment, slices, goal = parse_as_of(as_of, now), parse_by(by), read_targets(targets)
    config = load_config_file(rules) if rules is not None else default_config()
    if fmt is not OutputFormat.TABLE and output is None:
        raise InvalidInput(f"--format {fmt.value} needs --output PATH")
    db = open_database(settings)
    with db.uow() as uow:
        result, checks = pipeline_review(
            uow.session,
            at=moment,
            now=now,
            calendar=settings.fiscal_calendar,
            base_currency=settings.base_currency,
            by=slices,
            targets=goal,
            config=config if with_hygiene else None,
        )
    db.dispose()
    heading = (
        f"Pipeline as of {moment:%Y-%m-%d %H:%M} UTC — current period {result.period.label}, "
        f"trailing year {result.trailing[0].label}..{result.trailing[1].label} "
        f"({result.base_currency})"
    )
    sections = result.sections
    if checks is not None:
        sections = {**sections, **_hygiene_sections(checks, fmt)}
    written = write(sections, fmt, output=output, console=console, heading=heading)
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")


@pipeline_app.command("discipline")
def discipline(
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    database: DatabaseOption = None,
) -> None:
    """Stage playbook, deals sitting in a stage without its criteria, rep vs team conversion."""
    settings = settings_for(database)
    if fmt is not OutputFormat.TABLE and output is None:
        raise InvalidInput(f"--format {fmt.value} needs --output PATH")
    db = open_database(settings)
    now = utcnow()
    with db.uow() as uow:
        sections = stage_discipline(
            uow.session,
            now=now,
            calendar=settings.fiscal_calendar,
            base_currency=settings.base_currency,
        )
    db.dispose()
    heading = f"Stage discipline at {now:%Y-%m-%d %H:%M} UTC"
    written = write(sections, fmt, output=output, console=console, heading=heading)
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")


def _hygiene_sections(result: HygieneResult, fmt: OutputFormat) -> dict[str, pl.DataFrame]:
    """The hygiene sections; on screen, the first 50 flags and fixes with their key columns."""
    sections = result.sections()
    if fmt is not OutputFormat.TABLE:
        return sections
    return {
        **sections,
        "flags": result.flags.select("entity", "entity_id", "rule_id", "severity", "detail").head(
            50
        ),
        "fix_list": result.fixes.select("owner", "severity", "name", "rule_id", "detail").head(50),
    }


@hygiene_app.command("run")
def hygiene(
    rules: RulesOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    database: DatabaseOption = None,
) -> None:
    """Flag every open deal and contact that breaks a hygiene rule; scores and fix list."""
    settings = settings_for(database)
    config = load_config_file(rules) if rules is not None else default_config()
    if fmt is not OutputFormat.TABLE and output is None:
        raise InvalidInput(f"--format {fmt.value} needs --output PATH")
    db = open_database(settings)
    with db.uow() as uow:
        result = hygiene_run(
            uow.session, config=config, now=utcnow(), base_currency=settings.base_currency
        )
    db.dispose()
    heading = f"CRM hygiene at {result.now:%Y-%m-%d %H:%M} UTC: {result.flags.height:,} flags"
    written = write(
        _hygiene_sections(result, fmt), fmt, output=output, console=console, heading=heading
    )
    if written is not None:
        console.print(f"[green]wrote {written}[/green]")
