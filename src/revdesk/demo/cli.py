"""`revdesk demo`: build the synthetic demo company into the database and show its key figures."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput
from revdesk.db.uow import Database
from revdesk.demo.figures import KeyFigures
from revdesk.demo.model import DemoParameters
from revdesk.demo.service import DemoResult, build_demo, demo_figures, demo_world
from revdesk.demo.timeline import World

_WHOLE = re.compile(r"\d{1,3}(?:[,_]\d{3})+|\d+")


def whole_number(text: str, option: str) -> int:
    """Read `text` as a whole number (digits, optionally grouped by ',' or '_')."""
    cleaned = text.strip()
    if not _WHOLE.fullmatch(cleaned):
        raise InvalidInput(f"{option} must be a whole number, not {text!r}")
    return int(cleaned.replace(",", "").replace("_", ""))


def iso_day(text: str | None) -> date:
    """Read `--today` as YYYY-MM-DD; default: today's date in UTC."""
    if text is None:
        return utcnow().date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--today must be a date as YYYY-MM-DD, not {text!r}") from None


ScaleOption = Annotated[str, typer.Option(help="opportunities to generate, 100 to 10,000,000")]
SeedOption = Annotated[str, typer.Option(help="random seed (same seed, scale, today: same data)")]
TodayOption = Annotated[
    str | None, typer.Option(help="the simulated today, YYYY-MM-DD; default: today (UTC)")
]
FiguresOption = Annotated[
    bool, typer.Option("--figures/--no-figures", help="print the key figures afterwards")
]


def demo(
    database: DatabaseOption = None,
    scale: ScaleOption = "20000",
    seed: SeedOption = "42",
    today: TodayOption = None,
    figures: FiguresOption = True,
) -> None:
    """Replace every record with a realistic synthetic company (deterministic for a seed)."""
    count, number, day = (
        whole_number(scale, "--scale"),
        whole_number(seed, "--seed"),
        iso_day(today),
    )
    settings = settings_for(database)
    calendar = settings.fiscal_calendar
    params = DemoParameters()
    world = demo_world(scale=count, today=day, calendar=calendar,
                       base_currency=settings.base_currency, params=params)  # fmt: skip
    db = open_database(settings)
    try:
        result = _build(db, world, number, params)
        console.print(
            f"[green]demo company built in {result.seconds:.1f} s[/green] (seed {number}, "
            f"today {day.isoformat()}): "
            + ", ".join(f"{n:,} {kind}" for kind, n in result.counts.items())
        )
        if figures:
            print_figures(demo_figures(db, fiscal_start_month=calendar.start_month))
    finally:
        db.dispose()


def _build(db: Database, world: World, seed: int, params: DemoParameters) -> DemoResult:
    """Build the company while a progress bar counts the opportunities written."""
    with _progress() as bar:
        task = bar.add_task("opportunities", total=world.scale)

        def _advance(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        return build_demo(db, world=world, seed=seed, params=params, progress=_advance)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def print_figures(figures: KeyFigures) -> None:
    """Print the key figures with their documented ranges."""
    table = Table(title="Key figures of the demo company")
    for name in ("figure", "segment", "value", "deals", "documented range"):
        table.add_column(name, justify="left" if name in {"figure", "segment"} else "right")
    for row in figures.table.iter_rows(named=True):
        days = "days" in row["figure"]
        shown = f"{row['value']:.0f}" if days else f"{row['value']:.1%}"
        expected = ""
        if row["low"] is not None:
            low, high = row["low"], row["high"]
            expected = f"{low:.0f}-{high:.0f}" if days else f"{low:.0%}-{high:.0%}"
        table.add_row(row["figure"], row["segment"], shown, f"{row['deals']:,}", expected)
    console.print(table)
