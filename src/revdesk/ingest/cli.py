"""`revdesk import ...`: Salesforce, HubSpot, the Maven CRM data set and any CSV with a mapping.

Every subcommand reads its files, validates them against the database, prints the report and
saves it as JSON. An import with errors writes nothing unless --skip-invalid is given; the
rejected rows go to a CSV file with their reasons. --dry-run validates without writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from revdesk.cli_support import DatabaseOption, console, errors, open_database, settings_for
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput
from revdesk.ingest.canonical import Extract
from revdesk.ingest.csvmap import extract_csv, load_mapping
from revdesk.ingest.dates import DateOrder
from revdesk.ingest.hubspot import extract_hubspot
from revdesk.ingest.maven import extract_maven
from revdesk.ingest.render import Bars, render
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.service import ImportOptions, run_import

import_app = typer.Typer(
    help="Import data: Salesforce and HubSpot exports, the Maven CRM data set, any CSV.",
    no_args_is_help=True,
)

DryRun = Annotated[bool, typer.Option("--dry-run", help="validate and report; write nothing")]
SkipInvalid = Annotated[
    bool, typer.Option("--skip-invalid", help="import the valid rows; reject the others")
]
Rejected = Annotated[
    Path | None, typer.Option("--rejected", help="CSV of rejected rows with their reasons")
]
Report = Annotated[Path | None, typer.Option("--report", help="where to save the JSON report")]
Order = Annotated[
    DateOrder | None,
    typer.Option("--date-order", help="how to read dates like 02/03/24: dmy or mdy"),
]
Encoding = Annotated[
    str | None, typer.Option("--encoding", help="file encoding (default: detected)")
]


def _options(
    source: str, *, dry_run: bool, skip_invalid: bool, rejected: Path | None, report: Path | None
) -> ImportOptions:
    stem = f"revdesk-import-{source}-{utcnow().strftime('%Y%m%d-%H%M%S')}"
    return ImportOptions(
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejected_path=rejected or Path(f"{stem}-rejected.csv"),
        report_path=report or Path(f"{stem}.json"),
    )


def _run(extract: Extract, options: ImportOptions, database: str | None) -> None:
    db = open_database(settings_for(database))
    try:
        with Bars(console) as bars:
            report = run_import(db, extract, options=options, progress=bars)
    finally:
        db.dispose()
    render(report, console)
    if not report.committed and report.error_count:
        errors.print(f"[red]error:[/red] import refused: {report.error_count:,} problems")
        raise typer.Exit(2)


def _read(what: str, read: Any) -> Extract:
    with console.status(f"reading {what} ..."):
        extract: Extract = read()
    return extract


@import_app.command("salesforce")
def salesforce(  # noqa: PLR0917 - Typer maps each parameter to an option
    folder: Annotated[Path, typer.Argument(help="folder of Salesforce export CSV files")],
    date_order: Order = None,
    encoding: Encoding = None,
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    rejected: Rejected = None,
    report: Report = None,
    database: DatabaseOption = None,
) -> None:
    """Import a folder of Salesforce exports (Data Loader or report exports)."""
    settings = settings_for(database)
    extract = _read(
        str(folder),
        lambda: extract_salesforce(
            folder,
            date_order=date_order,
            base_currency=settings.base_currency,
            encoding=encoding,
            batch_rows=settings.import_batch_rows,
        ),
    )
    options = _options(
        "salesforce", dry_run=dry_run, skip_invalid=skip_invalid, rejected=rejected, report=report
    )
    _run(extract, options, database)


def _stage_map(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read the stage map: {exc}", where=str(path)) from None
    valid = isinstance(data, dict) and all(
        isinstance(p, str)
        and isinstance(m, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in m.items())
        for p, m in data.items()
    )
    if not valid:
        raise InvalidInput("expected {pipeline: {hubspot stage: revdesk stage}}", where=str(path))
    return data  # type: ignore[no-any-return]


@import_app.command("hubspot")
def hubspot(  # noqa: PLR0917 - Typer maps each parameter to an option
    path: Annotated[
        Path, typer.Argument(help="deals CSV, or a folder with deals/companies/contacts")
    ],
    stage_map: Annotated[
        Path | None, typer.Option("--stage-map", help="YAML {pipeline: {stage: revdesk stage}}")
    ] = None,
    date_order: Order = None,
    encoding: Encoding = None,
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    rejected: Rejected = None,
    report: Report = None,
    database: DatabaseOption = None,
) -> None:
    """Import a HubSpot deals export (with companies and contacts when given)."""
    settings = settings_for(database)
    stages = _stage_map(stage_map)
    extract = _read(
        str(path),
        lambda: extract_hubspot(
            path,
            date_order=date_order,
            base_currency=settings.base_currency,
            stage_map=stages,
            encoding=encoding,
        ),
    )
    options = _options(
        "hubspot", dry_run=dry_run, skip_invalid=skip_invalid, rejected=rejected, report=report
    )
    _run(extract, options, database)


@import_app.command("maven")
def maven(  # noqa: PLR0917 - Typer maps each parameter to an option
    folder: Annotated[Path, typer.Argument(help="folder of the Maven CRM data set")],
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    rejected: Rejected = None,
    report: Report = None,
    database: DatabaseOption = None,
) -> None:
    """Import the Maven Analytics CRM Sales Opportunities data set."""
    settings_for(database)
    extract = _read(str(folder), lambda: extract_maven(folder))
    options = _options(
        "maven", dry_run=dry_run, skip_invalid=skip_invalid, rejected=rejected, report=report
    )
    _run(extract, options, database)


@import_app.command("csv")
def csv(  # noqa: PLR0917 - Typer maps each parameter to an option
    file: Annotated[Path, typer.Argument(help="the CSV file")],
    mapping: Annotated[Path, typer.Option("--mapping", help="mapping YAML (see docs/import.md)")],
    date_order: Order = None,
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    rejected: Rejected = None,
    report: Report = None,
    database: DatabaseOption = None,
) -> None:
    """Import any CSV file into one record type, as a mapping file says."""
    settings = settings_for(database)
    spec = load_mapping(mapping)
    extract = _read(
        str(file),
        lambda: extract_csv(
            file, spec, date_order=date_order, base_currency=settings.base_currency
        ),
    )
    options = _options(
        spec.source or "csv",
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejected=rejected,
        report=report,
    )
    _run(extract, options, database)
