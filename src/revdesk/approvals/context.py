"""The built-in variables of a policy, for one quote (Python values) or many (Polars frames).

Conditions can read, without declaring them, every deal economics figure of the quote (in its
own currency, and the main ones in the base currency), its terms and the facts of its deal,
plus `lines` and `clauses` with their fields. The full list with meanings is in
docs/approval-policy.md; `QUOTE_VARIABLES`, `LINE_FIELDS` and `CLAUSE_FIELDS` are its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final

from revdesk.approvals.expr.checker import Type
from revdesk.core.money import currency_code
from revdesk.pricing.economics import LineEconomics, QuoteEconomics
from revdesk.pricing.fixed import mul
from revdesk.pricing.model import ClauseView, LineView, QuoteView

__all__ = [
    "BASE_FIGURES",
    "CLAUSE_FIELDS",
    "ECONOMICS_FIGURES",
    "LINE_FIELDS",
    "QUOTE_VARIABLES",
    "QuoteContext",
    "clause_parameters",
    "quote_values",
]

N, S, B = Type.NUMBER, Type.STRING, Type.BOOL

ECONOMICS_FIGURES: Final = (
    "list_total",
    "net_total",
    "discount_amount",
    "discount",
    "recurring_tcv",
    "one_time_total",
    "tcv",
    "acv",
    "arr",
    "first_year_value",
    "cost_total",
    "gross_profit",
    "margin",
    "payment_terms_cost",
    "max_line_discount",
)
BASE_FIGURES: Final = ("net_total", "tcv", "acv", "arr", "first_year_value")
"""Figures also offered in the base currency, as `<name>_base`."""

QUOTE_VARIABLES: Final[Mapping[str, Type]] = MappingProxyType(
    {
        **dict.fromkeys(ECONOMICS_FIGURES, N),
        "fx_rate": N,
        **{f"{name}_base": N for name in BASE_FIGURES},
        "term_months": N,
        "payment_terms_days": N,
        "line_count": N,
        "clause_count": N,
        "ramped": B,
        "currency": S,
        "billing_frequency": S,
        "opportunity_type": S,
        "stage": S,
        "segment": S,
        "region": S,
        "industry": S,
        "account_name": S,
        "clause_kinds": Type.STRINGS,
        "lines": Type.LINES,
        "clauses": Type.CLAUSES,
    }
)
LINE_FIELDS: Final[Mapping[str, Type]] = MappingProxyType(
    {
        "sku": S,
        "family": S,
        "recurring": B,
        "ramped": B,
        "below_floor": B,
        "line_no": N,
        "quantity": N,
        "list_unit_price": N,
        "net_unit_price": N,
        "unit_cost": N,
        "floor_price": N,
        "list_total": N,
        "net_total": N,
        "cost_total": N,
        "discount": N,
        "unit_discount": N,
        "margin": N,
        "ramp_concession": N,
        "min_net_unit_price": N,
    }
)
CLAUSE_FIELDS: Final[Mapping[str, Type]] = MappingProxyType(
    {"kind": S, "parameters": Type.PARAMETERS}
)
_QUANTUM: Final = Decimal("1e-10")


@dataclass(frozen=True, slots=True)
class QuoteContext:
    """A quote as a policy sees it: the view, and its currency's rate to the base currency.

    >>> QuoteContext(view, fx_rate=Decimal("1.155"), base_currency="USD")
    """

    view: QuoteView
    fx_rate: Decimal = Decimal(1)
    base_currency: str = "USD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_currency", currency_code(self.base_currency))


def clause_parameters(parameters: Mapping[str, object]) -> dict[str, Decimal]:
    """The numeric parameters of a clause, to ten places (text such as "99.95" counts)."""
    numbers: dict[str, Decimal] = {}
    for name, value in parameters.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            continue
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            continue
        if number.is_finite():
            numbers[name] = number.quantize(_QUANTUM, ROUND_HALF_UP)
    return numbers


def _line(view: LineView, economics: LineEconomics) -> Mapping[str, object]:
    return {
        "sku": view.sku,
        "family": view.family,
        "recurring": view.recurring,
        "ramped": economics.ramped,
        "below_floor": economics.below_floor,
        "line_no": Decimal(view.line_no),
        "quantity": view.quantity,
        "list_unit_price": view.list_unit_price,
        "net_unit_price": view.net_unit_price,
        "unit_cost": view.unit_cost or Decimal(0),
        "floor_price": view.floor_price or Decimal(0),
        "list_total": economics.list_total,
        "net_total": economics.net_total,
        "cost_total": economics.cost_total,
        "discount": economics.discount,
        "unit_discount": economics.unit_discount,
        "margin": economics.margin,
        "ramp_concession": economics.ramp_concession,
        "min_net_unit_price": economics.min_net_unit_price,
    }


def _clause(clause: ClauseView) -> Mapping[str, object]:
    return {"kind": clause.kind, "parameters": clause_parameters(clause.parameters)}


def quote_values(context: QuoteContext, economics: QuoteEconomics) -> dict[str, object]:
    """Every built-in variable of the quote, by name (numbers as Decimal)."""
    view, deal = context.view, context.view.deal
    values: dict[str, object] = {name: getattr(economics, name) for name in ECONOMICS_FIGURES}
    values["fx_rate"] = context.fx_rate
    for name in BASE_FIGURES:
        values[f"{name}_base"] = mul(getattr(economics, name), context.fx_rate)
    values.update(
        term_months=Decimal(view.term_months),
        payment_terms_days=Decimal(view.payment_terms_days),
        line_count=Decimal(len(view.lines)),
        clause_count=Decimal(len(view.clauses)),
        ramped=any(line.ramps for line in view.lines),
        currency=view.currency,
        billing_frequency=str(view.billing_frequency),
        opportunity_type=deal.opportunity_type,
        stage=deal.stage,
        segment=deal.segment,
        region=deal.region,
        industry=deal.industry,
        account_name=deal.account_name,
        clause_kinds=tuple(sorted({clause.kind for clause in view.clauses})),
        lines=tuple(_line(v, e) for v, e in zip(view.lines, economics.lines, strict=True)),
        clauses=tuple(_clause(clause) for clause in view.clauses),
    )
    return values
