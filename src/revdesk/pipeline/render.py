"""Write a pipeline report (or any named frames) as Rich tables, CSV files, XLSX or HTML.

The HTML file is self-contained: plotly.js is embedded from the installed `plotly` package, so it
opens in a browser with no network. Charts: the waterfall, the stage-conversion funnel, coverage
and the open pipeline by stage.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import xlsxwriter
from rich.console import Console
from rich.table import Table

from revdesk.core.errors import InvalidInput


class OutputFormat(StrEnum):
    """Where a report goes."""

    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"


def title(name: str) -> str:
    """A section name as a heading: 'stage_conversion' -> 'Stage conversion'."""
    return name.replace("_", " ").capitalize()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def print_tables(sections: Mapping[str, pl.DataFrame], console: Console, heading: str) -> None:
    """Every section as a Rich table."""
    console.print(f"[bold]{heading}[/bold]")
    for name, frame in sections.items():
        table = Table(title=title(name), title_justify="left")
        for column, dtype in frame.schema.items():
            table.add_column(column, justify="left" if dtype == pl.String else "right")
        for row in frame.iter_rows():
            table.add_row(*(_cell(v) for v in row))
        if frame.is_empty():
            console.print(f"{title(name)}: nothing to show")
        else:
            console.print(table)


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals as floats rounded to cents and lists as text, for CSV and spreadsheet cells."""
    return frame.with_columns(
        [
            pl.col(c).cast(pl.Float64).round(2)
            for c, t in frame.schema.items()
            if isinstance(t, pl.Decimal)
        ]
        + [pl.col(c).list.join(", ") for c, t in frame.schema.items() if isinstance(t, pl.List)]
    )


def write_csv(sections: Mapping[str, pl.DataFrame], folder: Path) -> list[Path]:
    """One CSV file per section in `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in sections.items():
        path = folder / f"{name}.csv"
        frame.with_columns(pl.col(pl.List(pl.String)).list.join(", ")).write_csv(path)
        written.append(path)
    return written


def write_xlsx(sections: Mapping[str, pl.DataFrame], path: Path) -> Path:
    """One worksheet per section in one workbook."""
    with xlsxwriter.Workbook(str(path)) as workbook:
        for name, frame in sections.items():
            _plain(frame).write_excel(workbook, worksheet=name[:31], autofit=True)
    return path


def _table_html(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def charts(sections: Mapping[str, pl.DataFrame]) -> list[go.Figure]:
    """The report's charts, for whichever sections are present and not sliced."""
    figures = []
    flows = sections.get("waterfall")
    if flows is not None and flows.height == 1:
        row = flows.row(0, named=True)
        names = [
            "start",
            "new",
            "pulled_in",
            "increased",
            "decreased",
            "won",
            "lost",
            "pushed_out",
            "end",
        ]
        sign = {"decreased": -1, "won": -1, "lost": -1, "pushed_out": -1}
        values = [float(row[n]) * sign.get(n, 1) for n in names]
        measure = ["absolute", *["relative"] * 7, "total"]
        figures.append(
            go.Figure(
                go.Waterfall(x=names, y=values, measure=measure),
                layout={"title": "Pipeline waterfall (current period)"},
            )
        )
    funnel = sections.get("stage_conversion")
    if funnel is not None and not funnel.is_empty() and "rep" not in funnel.columns:
        totals = funnel.group_by("stage", maintain_order=True).agg(pl.col("reached").sum())
        figures.append(
            go.Figure(
                go.Funnel(y=totals["stage"].to_list(), x=totals["reached"].to_list()),
                layout={"title": "Stage conversion (deals reaching each stage)"},
            )
        )
    cover = sections.get("coverage")
    if cover is not None and not cover.is_empty():
        keys = [c for c in cover.columns if c in ("rep", "team", "segment", "region", "product")]
        x = cover[keys[0]].to_list() if keys else ["all"] * cover.height
        figures.append(
            go.Figure(
                [
                    go.Bar(name="open pipeline", x=x, y=cover["open_pipeline"].cast(pl.Float64)),
                    go.Bar(name="still to win", x=x, y=cover["remaining"].cast(pl.Float64)),
                ],
                layout={"title": "Coverage of the current period", "barmode": "group"},
            )
        )
    return figures


def write_html(sections: Mapping[str, pl.DataFrame], path: Path, heading: str) -> Path:
    """A self-contained HTML page: charts first, then every section as a table."""
    parts = []
    for number, figure in enumerate(charts(sections)):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=number == 0))
    for name, frame in sections.items():
        parts.append(f"<h2>{html.escape(title(name))}</h2>{_table_html(frame)}")
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}"
        "th{background:#f3f3f3}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(heading)}"
        f"</title><style>{style}</style></head><body><h1>{html.escape(heading)}</h1>"
        + "".join(parts)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path


def write(
    sections: Mapping[str, pl.DataFrame],
    fmt: OutputFormat,
    *,
    output: Path | None,
    console: Console,
    heading: str,
) -> Path | None:
    """Send the sections where `fmt` says; file formats need `output`."""
    if fmt is OutputFormat.TABLE:
        print_tables(sections, console, heading)
        return None
    if output is None:
        raise InvalidInput(f"--format {fmt.value} needs --output PATH")
    if fmt is OutputFormat.CSV:
        write_csv(sections, output)
        return output
    if not output.parent.is_dir():
        raise InvalidInput(f"folder {output.parent} does not exist", where="--output")
    if fmt is OutputFormat.XLSX:
        return write_xlsx(sections, output)
    return write_html(sections, output, heading)
