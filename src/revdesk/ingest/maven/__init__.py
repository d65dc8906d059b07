"""The Maven Analytics "CRM Sales Opportunities" data set: accounts, products, teams, pipeline.

    extract = extract_maven(Path("../shared/data/maven-crm"))

What becomes what: each regional office is a team; each manager and sales agent a user (agents
report to their manager; e-mails are placeholders at maven.invalid); each account an account
(revenue is in millions of USD; `subsidiary_of` is the parent); each product a product with a
USD list price; each deal an opportunity owned by its agent, with the product kept as the extra
attribute `product`. Stages are Prospecting, Engaging, Won and Lost. The data has no history,
so the importer writes what the dates imply: the deal entered Engaging on its engage date and
reached Won or Lost, with its amount and close date, on its close date. Each of those stage
changes also records the forecast category its stage implies (pipeline while Engaging, then
closed or omitted), so that a past moment's view does not read the deal's final category.

The known defects are reported as warnings, with counts and example rows: the misspelt sector
is corrected, the product spelt "GTXPro" is read as "GTX Pro", open deals without an account
are imported without one, lost deals' close_value 0 is imported as no amount (the value is
unknown, not zero), open deals have no amount or close date, and deals without an engage date
are dated at the import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.ingest.canonical import Extract
from revdesk.ingest.convert import Converter
from revdesk.ingest.maven import deals
from revdesk.ingest.model import Severity
from revdesk.ingest.read import RawTable, find_files, open_source, read_table
from revdesk.ingest.values import close_match, country_codes, placeholder_emails

SOURCE: Final = "maven"
FILES: Final = {
    "accounts": {"accounts"},
    "products": {"products"},
    "sales_teams": {"salesteams"},
    "sales_pipeline": {"salespipeline"},
}
INDUSTRIES: Final = (
    "apparel", "banking", "biotechnology", "construction", "consulting", "education",
    "electronics", "employment", "energy", "entertainment", "finance", "government",
    "healthcare", "hospitality", "insurance", "manufacturing", "marketing", "media", "medical",
    "retail", "services", "software", "technology", "telecommunications", "transportation",
)  # fmt: skip


def key(column: str) -> pl.Expr:
    """The external id Maven records get: `maven:` and their name or id."""
    return pl.format("maven:{}", pl.col(column))


def extract_maven(folder: Path, *, encoding: str | None = None) -> Extract:
    """Read the four Maven CSV files into canonical frames and the known defects as warnings."""
    found = find_files(folder, FILES)
    missing = sorted(set(FILES) - set(found))
    if missing:
        names = ", ".join(f"{m}.csv" for m in missing)
        raise InvalidInput(f"the Maven data set needs {names}", where=str(folder))
    extract = Extract(SOURCE, str(folder), history_source=SOURCE, implied_categories=True)
    tables = {}
    for name, path in found.items():
        source = open_source(path, encoding)
        tables[name] = read_table(source)
        extract.files[source.name] = source
        extract.dialects[source.name] = f"Maven CRM {name}"
    _people(extract, tables["sales_teams"])
    _accounts(extract, tables["accounts"])
    products = _products(extract, tables["products"])
    deals.pipeline(extract, tables["sales_pipeline"], products)
    return extract


def _people(extract: Extract, table: RawTable) -> None:
    """Managers and agents as users (agents report to their manager); offices as teams."""
    conv = Converter(table, "users")
    for column in ("sales_agent", "manager"):
        conv.check(conv.raw(column).is_null(), column, "missing value")
    frame, problems = conv.finish()
    extract.add_problems(problems)
    rows = frame.with_columns(
        agent=conv.raw("sales_agent"),
        manager=conv.raw("manager"),
        office=conv.raw("regional_office"),
    )
    people = _managers_then_agents(rows)
    extract.put(
        "users",
        people.select(
            key("name").alias("external_id"),
            "name",
            placeholder_emails(people["name"], f"{SOURCE}.invalid").alias("email"),
            "role",
            pl.when(pl.col("manager").is_not_null()).then(key("manager")).alias("manager"),
            pl.col("office").alias("team"),
            "_file",
            "_row",
        ),
    )
    offices = rows.drop_nulls("office").unique("office", keep="first", maintain_order=True)
    extract.put(
        "teams",
        offices.select(pl.col("office").alias("name"), pl.col("office").alias("region"),
                       "_file", "_row"),
    )  # fmt: skip


def _managers_then_agents(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per person: name, manager, office, role (a manager's office is their team's)."""
    agents = rows.select(
        pl.col("agent").alias("name"), "manager", "office", pl.lit("rep").alias("role"),
        "_file", "_row",
    )  # fmt: skip
    bosses = (
        rows.group_by("manager", maintain_order=True)
        .agg(pl.col("office").first(), pl.col("_file").first(), pl.col("_row").first())
        .select(
            pl.col("manager").alias("name"),
            pl.lit(None, pl.String).alias("manager"),
            "office",
            pl.lit("manager").alias("role"),
            "_file",
            "_row",
        )
    )
    return (
        pl.concat([bosses, agents])
        .drop_nulls("name")
        .unique("name", keep="first", maintain_order=True)
    )


def _accounts(extract: Extract, table: RawTable) -> None:
    conv = Converter(table, "accounts")
    name = conv.raw("account")
    conv.check(name.is_null(), "account", "missing value")
    conv.put("external_id", pl.select(pl.format("maven:{}", pl.lit(name))).to_series())
    conv.put("name", name)
    _sector(conv)
    codes, near = country_codes(conv.raw("office_location"))
    conv.check(
        near, "office_location", "country name misspelt: corrected", severity=Severity.WARNING
    )
    conv.check(
        conv.raw("office_location").is_not_null() & codes.is_null(),
        "office_location",
        "unknown country: left empty",
        severity=Severity.WARNING,
    )
    conv.put("country", codes)
    conv.integer("employees", "employees")
    if conv.decimal("annual_revenue", "revenue", negative=False):
        millions = conv.columns["annual_revenue"] * 1_000_000
        conv.put("annual_revenue", millions)
        conv.put("annual_revenue_currency", pl.Series(["USD"] * conv.height))
    parent = conv.raw("subsidiary_of")
    conv.put("parent", pl.select(pl.format("maven:{}", pl.lit(parent))).to_series())
    conv.keep_as_extra([c for c in ("year_established",) if conv.has(c)])
    frame, problems = conv.finish()
    extract.add_problems(problems)
    extract.put("accounts", frame)


def _sector(conv: Converter) -> None:
    sector = conv.raw("sector").str.to_lowercase()
    fixes = {}
    for value in sector.drop_nulls().unique().to_list():  # a dozen distinct sectors
        match = close_match(value, INDUSTRIES)
        if match is not None:
            fixes[value] = match
    typo = sector.is_in(list(fixes))
    conv.check(typo, "sector", "sector misspelt: corrected", severity=Severity.WARNING)
    conv.put("industry", sector.replace(fixes))


def _products(extract: Extract, table: RawTable) -> list[str]:
    conv = Converter(table, "products")
    name = conv.raw("product")
    conv.check(name.is_null(), "product", "missing value")
    conv.put("external_id", pl.select(pl.format("maven:{}", pl.lit(name))).to_series())
    conv.put("sku", name)
    conv.put("name", name)
    conv.text("family", "series")
    conv.decimal("list_price", "sales_price", negative=False)
    frame, problems = conv.finish()
    extract.add_problems(problems)
    extract.put("products", frame.drop("list_price", strict=False))
    book = pl.DataFrame(
        {
            "external_id": ["maven:list-prices"],
            "name": ["Maven CRM list prices"],
            "is_standard": [False],
            "_file": [table.file.name],
            "_row": [1],
        }
    )
    extract.put("price_books", book)
    if "list_price" in frame.columns:
        entries = frame.select(
            pl.format("{}:USD", "external_id").alias("external_id"),
            pl.lit("maven:list-prices").alias("price_book"),
            pl.col("external_id").alias("product"),
            pl.lit("USD").alias("currency"),
            "list_price",
            "_file",
            "_row",
        )
        extract.put("price_book_entries", entries)
    return name.drop_nulls().to_list()
