"""Salesforce Account, Contact, Product2, Pricebook2 and PricebookEntry as canonical frames."""

from __future__ import annotations

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.ingest.convert import Converter, currency
from revdesk.ingest.model import Severity
from revdesk.ingest.values import country_codes, currency_in_amount, salesforce_id


def sf_id(conv: Converter, target: str, column: str, *, required: bool = False) -> bool:
    """A Salesforce id column (15- or 18-character) in its 18-character form."""
    if not conv.has(column):
        if required:
            raise_missing(conv, column)
        return False
    ids = salesforce_id(conv.raw(column))
    if required:
        conv.check(ids.is_null(), column, "missing value")
    conv.put(target, ids)
    return True


def raise_missing(conv: Converter, column: str) -> None:
    """Refuse a file that lacks a column every row needs."""
    raise InvalidInput(f"the file has no {column} column", where=conv.table.file.name)


def custom_fields(conv: Converter) -> None:
    """Keep every `__c` column as an extra attribute."""
    conv.keep_as_extra([c for c in conv.table.columns if c.lower().endswith("__c")])


def accounts(conv: Converter, base_currency: str) -> None:
    """Account: name, parent, industry, country, size, revenue, owner, custom fields."""
    sf_id(conv, "external_id", "Id", required=True)
    conv.text("name", "Name", required=True)
    sf_id(conv, "parent", "ParentId")
    conv.text("parent_name", "Parent.Name")
    conv.text("industry", "Industry")
    if conv.has("BillingCountry"):
        raw = conv.raw("BillingCountry")
        codes, near = country_codes(raw)
        conv.check(near, "BillingCountry", "country name corrected", severity=Severity.WARNING)
        conv.check(
            raw.is_not_null() & codes.is_null(),
            "BillingCountry",
            "unknown country: left empty",
            severity=Severity.WARNING,
        )
        conv.put("country", codes)
    conv.integer("employees", "NumberOfEmployees")
    conv.check(conv.columns.get("employees", pl.Series([0])) < 0, "NumberOfEmployees", "negative")
    if conv.decimal("annual_revenue", "AnnualRevenue", negative=False):
        written = conv.raw("CurrencyIsoCode").fill_null(
            currency_in_amount(conv.raw("AnnualRevenue"))
        )
        currency(conv, "annual_revenue_currency", "CurrencyIsoCode", base_currency, values=written)
    sf_id(conv, "owner", "OwnerId")
    conv.text("owner_name", "Owner.Name")
    conv.datetime("created_at", "CreatedDate")
    custom_fields(conv)


def contacts(conv: Converter) -> None:
    """Contact: names, e-mail, title, account, custom fields."""
    sf_id(conv, "external_id", "Id", required=True)
    sf_id(conv, "account", "AccountId")
    conv.text("account_name", "Account.Name")
    conv.text("first_name", "FirstName")
    conv.text("last_name", "LastName", required=True)
    conv.text("email", "Email")
    conv.text("title", "Title")
    conv.datetime("created_at", "CreatedDate")
    custom_fields(conv)


def products(conv: Converter) -> None:
    """Product2: the product code is the SKU; blank or shared codes fall back to the id."""
    sf_id(conv, "external_id", "Id", required=True)
    conv.text("name", "Name", required=True)
    ids = conv.columns["external_id"]
    code = conv.raw("ProductCode")
    shared = code.is_duplicated() & code.is_not_null()
    conv.check(
        shared,
        "ProductCode",
        "product code shared by several products: the id is the SKU",
        severity=Severity.WARNING,
    )
    conv.put("sku", code.zip_with(code.is_not_null() & ~shared, ids))
    conv.text("family", "Family")
    conv.boolean("active", "IsActive")
    conv.text("description", "Description")


def price_books(conv: Converter) -> None:
    """Pricebook2: name, standard flag, active flag."""
    sf_id(conv, "external_id", "Id", required=True)
    conv.text("name", "Name", required=True)
    conv.boolean("is_standard", "IsStandard")
    conv.boolean("active", "IsActive")


def price_book_entries(conv: Converter, base_currency: str) -> None:
    """PricebookEntry: a product's list price in one currency of one price book."""
    sf_id(conv, "external_id", "Id", required=True)
    sf_id(conv, "price_book", "Pricebook2Id", required=True)
    sf_id(conv, "product", "Product2Id", required=True)
    if conv.decimal("list_price", "UnitPrice", negative=False):
        conv.check(conv.raw("UnitPrice").is_null(), "UnitPrice", "missing value")
    currency(conv, "currency", "CurrencyIsoCode", base_currency)
    conv.boolean("active", "IsActive")


def books_from_entries(entries: pl.DataFrame) -> pl.DataFrame:
    """Price books named after their ids, for exports without Pricebook2."""
    return (
        entries.filter(pl.col("price_book").is_not_null())
        .group_by("price_book", maintain_order=True)
        .agg(pl.col("_file").first(), pl.col("_row").first())
        .select(
            pl.col("price_book").alias("external_id"),
            pl.format("Salesforce price book {}", "price_book").alias("name"),
            "_file",
            "_row",
        )
    )


def line_items(conv: Converter, entries: pl.DataFrame | None, base_currency: str) -> None:
    """OpportunityLineItem: product (Product2Id, else through PricebookEntryId), quantity, prices.

    The sales price is UnitPrice, else TotalPrice divided by Quantity; the list price ListPrice.
    """
    sf_id(conv, "external_id", "Id", required=True)
    sf_id(conv, "opportunity", "OpportunityId", required=True)
    product = salesforce_id(conv.raw("Product2Id"))
    if conv.has("PricebookEntryId") and entries is not None and "product" in entries.columns:
        by_entry = dict(zip(entries["external_id"].to_list(), entries["product"].to_list(),
                            strict=True))  # fmt: skip
        entry = salesforce_id(conv.raw("PricebookEntryId"))
        product = product.fill_null(entry.replace_strict(by_entry, default=None))
    conv.check(product.is_null(), "Product2Id", "missing value")
    conv.put("product", product)
    conv.decimal("quantity", "Quantity", negative=False)
    conv.decimal("list_unit_price", "ListPrice", negative=False)
    conv.decimal("net_unit_price", "UnitPrice", negative=False)
    if conv.decimal("_total", "TotalPrice", negative=False) and "quantity" in conv.columns:
        total, quantity = conv.columns.pop("_total"), conv.columns["quantity"]
        per_unit = (total / quantity.set(quantity == 0, None)).cast(pl.Decimal(38, 6))
        given = conv.columns.get("net_unit_price", pl.Series([None] * conv.height))
        conv.put("net_unit_price", given.cast(pl.Decimal(38, 6)).fill_null(per_unit))
    conv.text("description", "Description")
    conv.integer("sort", "SortOrder")
    conv.date("start_date", "ServiceDate")
    currency(conv, "currency", "CurrencyIsoCode", base_currency)
