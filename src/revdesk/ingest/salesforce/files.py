"""Which Salesforce object each file holds, which dialect it is in, and its headers as API names.

Data Loader and data-export files use API names (`StageName`, in any case); report exports use
labels (`Stage`, `Opportunity Name`) and name related records (`Account Name`, which becomes the
relationship path `Account.Name`). A file is matched to its object by its name (case-insensitive:
`opportunity.csv`, `Opportunity.csv`), else by the headers it has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from revdesk.ingest.model import Problem, Severity, problem_frame
from revdesk.ingest.read import RawTable

API: Final[Mapping[str, list[str]]] = {
    "User": [
        "Id",
        "Name",
        "FirstName",
        "LastName",
        "Email",
        "Username",
        "Title",
        "IsActive",
        "UserRoleId",
        "ManagerId",
        "CreatedDate",
        "UserType",
        "ProfileId",
        "UserRole.Name",
        "Manager.Name",
        "Profile.Name",
        "IsDeleted",
    ],
    "UserRole": ["Id", "Name", "ParentRoleId"],
    "Account": [
        "Id",
        "Name",
        "ParentId",
        "Parent.Name",
        "Industry",
        "AnnualRevenue",
        "NumberOfEmployees",
        "BillingCountry",
        "OwnerId",
        "Owner.Name",
        "CreatedDate",
        "CurrencyIsoCode",
        "IsDeleted",
    ],
    "Contact": [
        "Id",
        "AccountId",
        "Account.Name",
        "FirstName",
        "LastName",
        "Email",
        "Title",
        "CreatedDate",
        "IsDeleted",
    ],
    "Product2": ["Id", "Name", "ProductCode", "Description", "IsActive", "Family", "IsDeleted"],
    "Pricebook2": ["Id", "Name", "IsActive", "IsStandard", "IsDeleted"],
    "PricebookEntry": [
        "Id",
        "Pricebook2Id",
        "Product2Id",
        "UnitPrice",
        "IsActive",
        "CurrencyIsoCode",
        "IsDeleted",
    ],
    "Opportunity": [
        "Id",
        "Name",
        "AccountId",
        "Account.Name",
        "StageName",
        "StageSortOrder",
        "Amount",
        "Probability",
        "CloseDate",
        "Type",
        "NextStep",
        "LeadSource",
        "IsClosed",
        "IsWon",
        "ForecastCategory",
        "ForecastCategoryName",
        "OwnerId",
        "Owner.Name",
        "CreatedDate",
        "LastActivityDate",
        "CurrencyIsoCode",
        "IsDeleted",
    ],
    "OpportunityHistory": [
        "Id",
        "OpportunityId",
        "CreatedById",
        "CreatedDate",
        "StageName",
        "Amount",
        "CloseDate",
        "Probability",
        "ForecastCategory",
        "IsDeleted",
    ],
    "OpportunityLineItem": [
        "Id",
        "OpportunityId",
        "Product2Id",
        "PricebookEntryId",
        "Quantity",
        "UnitPrice",
        "ListPrice",
        "TotalPrice",
        "Description",
        "SortOrder",
        "ServiceDate",
        "CurrencyIsoCode",
        "IsDeleted",
    ],
    "OpportunityFieldHistory": [
        "Id",
        "OpportunityId",
        "CreatedById",
        "CreatedDate",
        "Field",
        "OldValue",
        "NewValue",
        "DataType",
        "IsDeleted",
    ],
}
OBJECTS: Final = tuple(API)
TARGET: Final[Mapping[str, str]] = {
    "User": "users",
    "UserRole": "teams",
    "Account": "accounts",
    "Contact": "contacts",
    "Product2": "products",
    "Pricebook2": "price_books",
    "PricebookEntry": "price_book_entries",
    "Opportunity": "opportunities",
    "OpportunityHistory": "history",
    "OpportunityFieldHistory": "history",
    "OpportunityLineItem": "line_items",
}

_COMMON: Final = {"created date": "CreatedDate", "created": "CreatedDate"}
LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "User": {
        "user id": "Id",
        "full name": "Name",
        "name": "Name",
        "first name": "FirstName",
        "last name": "LastName",
        "email": "Email",
        "username": "Username",
        "title": "Title",
        "active": "IsActive",
        "role": "UserRole.Name",
        "role id": "UserRoleId",
        "manager": "Manager.Name",
        "manager id": "ManagerId",
        "profile": "Profile.Name",
        **_COMMON,
    },
    "UserRole": {"role id": "Id", "role name": "Name", "parent role id": "ParentRoleId"},
    "Account": {
        "account id": "Id",
        "account name": "Name",
        "parent account id": "ParentId",
        "parent account": "Parent.Name",
        "industry": "Industry",
        "annual revenue": "AnnualRevenue",
        "employees": "NumberOfEmployees",
        "billing country": "BillingCountry",
        "account owner": "Owner.Name",
        "account owner id": "OwnerId",
        "account currency": "CurrencyIsoCode",
        "annual revenue currency": "CurrencyIsoCode",
        **_COMMON,
    },
    "Contact": {
        "contact id": "Id",
        "first name": "FirstName",
        "last name": "LastName",
        "email": "Email",
        "title": "Title",
        "account id": "AccountId",
        "account name": "Account.Name",
        **_COMMON,
    },
    "Product2": {
        "product id": "Id",
        "product name": "Name",
        "product code": "ProductCode",
        "product family": "Family",
        "active": "IsActive",
        "product description": "Description",
    },
    "Pricebook2": {"price book id": "Id", "price book name": "Name", "active": "IsActive"},
    "PricebookEntry": {
        "price book entry id": "Id",
        "price book id": "Pricebook2Id",
        "product id": "Product2Id",
        "list price": "UnitPrice",
        "active": "IsActive",
        "currency": "CurrencyIsoCode",
    },
    "Opportunity": {
        "opportunity id": "Id",
        "opportunity name": "Name",
        "account id": "AccountId",
        "account name": "Account.Name",
        "stage": "StageName",
        "stage name": "StageName",
        "amount": "Amount",
        "amount currency": "CurrencyIsoCode",
        "opportunity currency": "CurrencyIsoCode",
        "currency": "CurrencyIsoCode",
        "probability (%)": "Probability",
        "probability": "Probability",
        "close date": "CloseDate",
        "type": "Type",
        "opportunity type": "Type",
        "next step": "NextStep",
        "lead source": "LeadSource",
        "closed": "IsClosed",
        "won": "IsWon",
        "forecast category": "ForecastCategoryName",
        "opportunity owner": "Owner.Name",
        "owner name": "Owner.Name",
        "owner full name": "Owner.Name",
        "opportunity owner id": "OwnerId",
        "owner id": "OwnerId",
        "last activity": "LastActivityDate",
        **_COMMON,
    },
    "OpportunityHistory": {
        "opportunity id": "OpportunityId",
        "stage": "StageName",
        "to stage": "StageName",
        "amount": "Amount",
        "close date": "CloseDate",
        "probability (%)": "Probability",
        "forecast category": "ForecastCategory",
        "last modified": "CreatedDate",
        "edit date": "CreatedDate",
        **_COMMON,
    },
    "OpportunityLineItem": {
        "opportunity product id": "Id",
        "opportunity id": "OpportunityId",
        "product id": "Product2Id",
        "quantity": "Quantity",
        "sales price": "UnitPrice",
        "list price": "ListPrice",
        "total price": "TotalPrice",
        "line description": "Description",
        "date": "ServiceDate",
    },
    "OpportunityFieldHistory": {
        "opportunity id": "OpportunityId",
        "field / event": "Field",
        "field": "Field",
        "old value": "OldValue",
        "new value": "NewValue",
        "edit date": "CreatedDate",
        **_COMMON,
    },
}
_STEMS: Final = {
    **{obj: {obj.lower(), obj.lower() + "s"} for obj in OBJECTS},
    "OpportunityLineItem": {"opportunitylineitem", "opportunitylineitems", "opportunityproducts"},
}
# headers that only one object's report export has, for files named otherwise
_SIGNATURES: Final = (
    ("OpportunityFieldHistory", {"field / event", "old value", "new value"}),
    ("OpportunityHistory", {"opportunity id", "to stage"}),
    ("Opportunity", {"opportunity name", "stage"}),
    ("Opportunity", {"opportunity name", "close date"}),
    ("Contact", {"first name", "last name", "account name"}),
    ("Account", {"account name", "industry"}),
    ("User", {"username", "email"}),
    ("Product2", {"product name", "product code"}),
)


def stems() -> dict[str, set[str]]:
    """File stems (lower case, no punctuation) that hold each object."""
    return {obj: set(names) for obj, names in _STEMS.items()}


def guess_object(headers: list[str]) -> str | None:
    """The object a report export holds, told by its headers; None if they say nothing."""
    keys = {_norm(h) for h in headers}
    for obj, needed in _SIGNATURES:
        if needed <= keys:
            return obj
    return None


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower())


@dataclass(frozen=True, slots=True)
class Headers:
    """A file's headers as API names, and what that says about its dialect."""

    renames: dict[str, str]
    dialect: str
    custom: list[str]
    ignored: list[str]


def api_headers(obj: str, headers: list[str]) -> Headers:
    """Map headers to API names (case-insensitive API names first, then report labels)."""
    api = {name.lower(): name for name in API[obj]}
    labels = LABELS[obj]
    renames: dict[str, str] = {}
    custom, ignored = [], []
    by_api = by_label = 0
    for header in headers:
        key = _norm(header)
        if key.endswith("__c"):
            custom.append(header)
        elif key in api and api[key] not in renames.values():
            renames[header] = api[key]
            by_api += 1
        elif key in labels and labels[key] not in renames.values():
            renames[header] = labels[key]
            by_label += 1
        else:
            ignored.append(header)
    dialect = "report export (labels)" if by_label > by_api else "Data Loader (API names)"
    return Headers(renames, dialect, custom, ignored)


def renamed(table: RawTable, obj: str, headers: Headers) -> RawTable:
    """The table with API-name headers (custom columns keep theirs)."""
    frame = table.frame.rename({k: v for k, v in headers.renames.items() if k in table.columns})
    problems = table.problems
    if headers.ignored and headers.dialect.startswith("report"):
        note = Problem(
            TARGET[obj],
            table.file.name,
            1,
            None,
            ", ".join(headers.ignored),
            "columns not imported (no Salesforce field of this object)",
            Severity.WARNING,
        )
        problems = pl.concat([problems, problem_frame([note])])
    return RawTable(table.file, frame, problems)
