"""Factories: small companies as documents, with hand-computable figures."""

from __future__ import annotations

from typing import Any

STAGES: list[dict[str, Any]] = [
    {"name": "Discovery", "order": 1, "probability": 20, "forecast_category": "pipeline"},
    {
        "name": "Proposal",
        "order": 2,
        "probability": 60,
        "forecast_category": "best_case",
        "required_fields": ["amount", "close_date"],
    },
    {"name": "Negotiation", "order": 3, "probability": 80, "forecast_category": "commit"},
    {
        "name": "Closed Won",
        "order": 4,
        "probability": 100,
        "forecast_category": "closed",
        "status": "won",
    },
    {
        "name": "Closed Lost",
        "order": 5,
        "probability": 0,
        "forecast_category": "omitted",
        "status": "lost",
    },
]


def tiny_company(**overrides: Any) -> dict[str, Any]:
    """Three people, two accounts, four deals; fiscal year from February (FY named by end year).

    Deals and their fiscal quarters (start month 2):
      open-usd  Proposal,    USD 10,000, closes 2026-12-15 -> FY2027-Q4
      open-eur  Discovery,   EUR  1,000, closes 2027-03-01 -> FY2028-Q1 (EUR at 1.10 -> 1,100)
      won       Closed Won,  USD  5,000, closes 2026-05-10 -> FY2027-Q2
      lost      Closed Lost, USD  2,500, closes 2026-05-20 -> FY2027-Q2
    """
    doc: dict[str, Any] = {
        "name": "Tiny",
        "teams": [{"name": "Sales", "region": "NA"}],
        "users": [
            {
                "key": "vp",
                "name": "Vera Vp",
                "email": "vp@t.example",
                "role": "vp",
                "team": "Sales",
            },
            {
                "key": "mgr",
                "name": "Max Mgr",
                "email": "mgr@t.example",
                "role": "manager",
                "manager": "vp",
                "team": "Sales",
            },
            {
                "key": "rep",
                "name": "Rita Rep",
                "email": "rep@t.example",
                "role": "rep",
                "manager": "mgr",
                "team": "Sales",
            },
        ],
        "stages": STAGES,
        "exchange_rates": [
            {"currency": "EUR", "base": "USD", "valid_from": "2026-01-01", "rate": "1.10"}
        ],
        "products": [
            {
                "sku": "PLAT",
                "name": "Platform",
                "family": "Platform",
                "prices": [
                    {"currency": "USD", "list": "100", "floor": "70", "cost": "20"},
                    {"currency": "EUR", "list": "90", "floor": "63", "cost": "18"},
                ],
            }
        ],
        "accounts": [
            {
                "key": "acme",
                "name": "Acme",
                "segment": "enterprise",
                "region": "NA",
                "owner": "rep",
            },
            {
                "key": "globex",
                "name": "Globex",
                "segment": "smb",
                "region": "EMEA",
                "currency": "EUR",
                "owner": "rep",
            },
        ],
        "contacts": [
            {"account": "acme", "last_name": "Buyer", "buying_role": "economic_buyer"},
            {"account": None, "last_name": "Orphan"},
        ],
        "opportunities": [
            _opp(
                "open-usd",
                "acme",
                "USD",
                "2026-03-01T09:00:00Z",
                {
                    "stage": "Discovery",
                    "owner": "rep",
                    "amount": "8000",
                    "close_date": "2026-11-30",
                },
                [
                    {
                        "at": "2026-04-01T10:00:00Z",
                        "by": "rep",
                        "stage": "Proposal",
                        "amount": "10000",
                    },
                    {"at": "2026-06-01T10:00:00Z", "by": "rep", "close_date": "2026-12-15"},
                ],
                quotes=[
                    {
                        "start_date": "2027-01-01",
                        "term_months": 12,
                        "primary": True,
                        "lines": [{"sku": "PLAT", "quantity": 10, "net": "80"}],
                        "clauses": [{"kind": "liability_cap", "parameters": {"multiple": 2}}],
                    }
                ],
            ),
            _opp(
                "open-eur",
                "globex",
                "EUR",
                "2026-05-01T09:00:00Z",
                {
                    "stage": "Discovery",
                    "owner": "rep",
                    "amount": "1000",
                    "close_date": "2027-03-01",
                },
                [],
            ),
            _opp(
                "won",
                "acme",
                "USD",
                "2026-02-01T09:00:00Z",
                {
                    "stage": "Discovery",
                    "owner": "rep",
                    "amount": "5000",
                    "close_date": "2026-05-10",
                },
                [{"at": "2026-05-10T15:00:00Z", "by": "rep", "stage": "Closed Won"}],
            ),
            _opp(
                "lost",
                "globex",
                "USD",
                "2026-02-01T09:00:00Z",
                {"stage": "Proposal", "owner": "rep", "amount": "2500", "close_date": "2026-05-20"},
                [{"at": "2026-05-20T15:00:00Z", "by": "rep", "stage": "Closed Lost"}],
            ),
        ],
    }
    doc.update(overrides)
    return doc


def _opp(  # noqa: PLR0917 - reads as a table row
    key: str,
    account: str,
    currency: str,
    created: str,
    initial: dict[str, Any],
    changes: list[dict[str, Any]],
    quotes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "name": f"{key} deal",
        "account": account,
        "currency": currency,
        "created": created,
        "initial": initial,
        "changes": changes,
        "quotes": quotes or [],
    }
