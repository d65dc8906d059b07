"""HubSpot exports: a deals file, optionally with companies and contacts (a file or a folder).

    extract = extract_hubspot(Path("deals.csv"))             # deals only
    extract = extract_hubspot(Path("hubspot/"), stage_map=Path("stages.yaml"))

Files in a folder are told apart by name (deals, companies, contacts) or by their headers.
Headers are HubSpot's property labels ("Deal Name", "Deal Stage") or internal names
("dealname", "dealstage"). Records get the external id `hubspot:<Record ID>`; deals refer to
their company by "Associated Company IDs" (the first one) or by name, and to their owner by
name ("Deal owner"). Deal stages are mapped per pipeline (see `hubspot.stages`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.ingest.canonical import Extract
from revdesk.ingest.convert import Converter, currency
from revdesk.ingest.dates import DateOrder, detect_date_order
from revdesk.ingest.hubspot import stages
from revdesk.ingest.model import Severity
from revdesk.ingest.read import RawTable, list_csv, open_source, read_header, read_table
from revdesk.ingest.values import country_codes, opportunity_type

SOURCE: Final = "hubspot"
IDS: Final = ("Record ID", "hs_object_id", "Deal ID", "Company ID", "Contact ID", "ID")
_SIGNS: Final = {
    "deals": ("deal name", "dealname", "deal stage", "dealstage"),
    "companies": ("company name", "company domain name", "domain"),
    "contacts": ("first name", "firstname", "last name", "lastname"),
}


def _kind(path: Path, headers: Sequence[str]) -> str | None:
    name = path.stem.lower()
    for kind in ("deals", "companies", "contacts"):
        if kind.rstrip("s")[:6] in name:
            return kind
    lowered = {h.strip().lower() for h in headers}
    for kind, signs in _SIGNS.items():
        if lowered & set(signs):
            return kind
    return None


def _tables(path: Path, encoding: str | None, extract: Extract) -> dict[str, RawTable]:
    paths = [path] if path.is_file() else list_csv(path)
    found: dict[str, RawTable] = {}
    for candidate in paths:
        source = open_source(candidate, encoding)
        kind = "deals" if path.is_file() else _kind(candidate, read_header(source))
        if kind is None or kind in found:
            continue
        found[kind] = read_table(source)
        extract.files[source.name] = source
        extract.dialects[source.name] = f"HubSpot {kind} export"
    if "deals" not in found:
        raise InvalidInput(
            "no HubSpot deals export found (a CSV with 'Deal Name')", where=str(path)
        )
    return found


def first(conv: Converter, names: Sequence[str]) -> str | None:
    """The first of `names` the file has (case-insensitive), as the converter knows it."""
    return next((n for n in names if conv.has(n)), None)


def record_ids(conv: Converter, names: Sequence[str] = IDS, *, required: bool = False) -> bool:
    """`hubspot:<id>` external ids from the first id column present (a list keeps its first)."""
    column = first(conv, names)
    if column is None:
        if required:
            raise InvalidInput("the file has no Record ID column", where=conv.table.file.name)
        return False
    raw = conv.raw(column).str.split(";").list.first().str.strip_chars()
    if required:
        conv.check(raw.is_null(), column, "missing value")
    target = "external_id" if required else "account"
    conv.put(target, pl.select(pl.format("hubspot:{}", pl.lit(raw))).to_series())
    return True


def _text(conv: Converter, target: str, names: Sequence[str], *, required: bool = False) -> None:
    column = first(conv, names)
    if column is not None:
        conv.text(target, column, required=required)


def extract_hubspot(
    path: Path,
    *,
    date_order: DateOrder | None = None,
    base_currency: str = "USD",
    stage_map: Mapping[str, Mapping[str, str]] | None = None,
    encoding: str | None = None,
) -> Extract:
    """Read a HubSpot deals export (and companies and contacts) into canonical frames."""
    extract = Extract(SOURCE, str(path), history_source=SOURCE)
    tables = _tables(path, encoding, extract)
    dates = [t.frame[c] for t in tables.values() for c in t.columns if "date" in c.lower()]
    order = date_order or detect_date_order(dates)
    if "companies" in tables:
        _companies(extract, Converter(tables["companies"], "accounts", order=order), base_currency)
    if "contacts" in tables:
        _contacts(extract, Converter(tables["contacts"], "contacts", order=order))
    conv = Converter(tables["deals"], "opportunities", order=order)
    deals(conv, base_currency)
    frame, problems = stages.apply(conv, stage_map or {})  # reports unused columns
    extract.add_problems(problems)
    extract.put("opportunities", frame.drop("_pipeline", "_hs_stage", "_won", strict=False))
    extract.put("stages", stages.definitions(frame))
    return extract


COMPANY_IDS: Final = (
    "Associated Company IDs",
    "Associated Company IDs (Primary)",
    "Associated Company ID",
    "associatedcompanyid",
)
COMPANY_NAMES: Final = ("Associated Company", "Associated Company (Primary)", "Company name")


def deals(conv: Converter, base_currency: str) -> None:
    """Deal columns (labels or internal names) as canonical opportunity columns."""
    record_ids(conv, required=True)
    _text(conv, "name", ("Deal Name", "dealname"), required=True)
    record_ids(conv, COMPANY_IDS)
    _text(conv, "account_name", COMPANY_NAMES)
    _text(conv, "owner_name", ("Deal owner", "Deal Owner", "HubSpot Owner", "Owner"))
    if (column := first(conv, ("Amount", "amount"))) is not None:
        conv.decimal("amount", column, negative=False)
    code = first(conv, ("Currency", "Deal currency code", "deal_currency_code"))
    currency(conv, "currency", code or "Currency", base_currency)
    if (column := first(conv, ("Close Date", "closedate"))) is not None:
        conv.date("close_date", column)
    for target, names in (
        ("created_at", ("Create Date", "createdate")),
        ("last_activity_at", ("Last Activity Date", "notes_last_updated")),
    ):
        if (column := first(conv, names)) is not None:
            conv.datetime(target, column)
    _text(conv, "next_step", ("Next step", "hs_next_step"))
    _text(conv, "lost_reason", ("Closed lost reason", "closed_lost_reason"))
    _deal_type(conv)


def _deal_type(conv: Converter) -> None:
    """HubSpot's newbusiness/existingbusiness (or labels) as RevDesk opportunity types."""
    column = first(conv, ("Deal Type", "dealtype"))
    if column is None:
        return
    kinds = opportunity_type(conv.raw(column).str.replace("existingbusiness", "existing"))
    unknown = conv.raw(column).is_not_null() & kinds.is_null()
    conv.check(unknown, column, "unknown deal type: new", severity=Severity.WARNING)
    conv.put("type", kinds)


def _companies(extract: Extract, conv: Converter, base_currency: str) -> None:
    record_ids(conv, required=True)
    _text(conv, "name", ("Company name", "Name", "name"), required=True)
    _text(conv, "industry", ("Industry", "industry"))
    if (column := first(conv, ("Number of Employees", "numberofemployees"))) is not None:
        conv.integer("employees", column)
    if (column := first(conv, ("Annual Revenue", "annualrevenue"))) is not None:
        conv.decimal("annual_revenue", column, negative=False)
        conv.put("annual_revenue_currency", pl.Series([base_currency] * conv.height))
    if (column := first(conv, ("Country/Region", "Country", "country"))) is not None:
        codes, near = country_codes(conv.raw(column))
        conv.check(
            conv.raw(column).is_not_null() & codes.is_null(),
            column,
            "unknown country: left empty",
            severity=Severity.WARNING,
        )
        conv.check(near, column, "country name corrected", severity=Severity.WARNING)
        conv.put("country", codes)
    _text(conv, "owner_name", ("Company owner", "Company Owner"))
    if (column := first(conv, ("Create Date", "createdate"))) is not None:
        conv.datetime("created_at", column)
    frame, problems = conv.finish()
    extract.add_problems(problems)
    extract.put("accounts", frame)


def _contacts(extract: Extract, conv: Converter) -> None:
    record_ids(conv, required=True)
    _text(conv, "first_name", ("First Name", "firstname"))
    _text(conv, "last_name", ("Last Name", "lastname"), required=True)
    _text(conv, "email", ("Email", "email"))
    _text(conv, "title", ("Job Title", "jobtitle"))
    record_ids(conv, ("Associated Company IDs", "Associated Company ID", "associatedcompanyid"))
    _text(conv, "account_name", ("Associated Company", "Company Name", "company"))
    if (column := first(conv, ("Create Date", "createdate"))) is not None:
        conv.datetime("created_at", column)
    frame, problems = conv.finish()
    extract.add_problems(problems)
    extract.put("contacts", frame)
