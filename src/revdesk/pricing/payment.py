"""The cost of payment terms: what paying every invoice `days` late is worth today.

Invoices follow the billing frequency and are issued in advance, at the start of each billing
period: month offsets 0, p, 2p, ... before the end of the term, where p is 1, 3, 6 or 12 months
(`upfront`: one invoice at offset 0 for the whole term). Invoice k covers months
`k*p + 1 .. min((k+1)*p, term)`; one-time lines go on the first invoice.

At an annual discount rate r, money due at year t is worth `(1 + r) ** -t` today. Invoice k is
issued at `t_k = offset_k / 12` and paid at `t_k + days / 365`, so its payment terms cost

    factor_k = (1 + r) ** -t_k - (1 + r) ** -(t_k + days / 365)

per unit of invoice amount, held to ten decimal places (half-up). The cost of the quote's
payment terms is the sum of `amount_k * factor_k`, rounded half-up to ten places once.

For the columnar engine a period of constant monthly value covering months `s..e` has the weight
`sum_k overlap_k * factor_k` (`period_weight`), so its cost is `monthly value * weight`; the
weights depend only on (s, e, p, days, rate) and are computed here once per distinct key.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import Final

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import BillingFrequency

__all__ = [
    "DEFAULT_DISCOUNT_RATE",
    "billing_months",
    "check_rate",
    "invoice_factor",
    "invoice_offsets",
    "period_weight",
]

DEFAULT_DISCOUNT_RATE: Final = Decimal("0.10")
"""Annual rate used for the payment-terms cost when the policy names none."""

_CONTEXT: Final = Context(prec=50, rounding=ROUND_HALF_UP)
_FACTOR_QUANTUM: Final = Decimal("1e-10")


def check_rate(rate: Decimal) -> Decimal:
    """Return `rate` if it is a usable annual discount rate (0 <= rate < 1)."""
    if not isinstance(rate, Decimal) or not Decimal(0) <= rate < Decimal(1):
        raise InvalidInput(f"the annual discount rate must be between 0 and 1, not {rate}")
    return rate


def billing_months(frequency: BillingFrequency, term_months: int) -> int:
    """Months covered by one invoice (`upfront`: the whole term)."""
    return frequency.months or term_months


def invoice_offsets(frequency: BillingFrequency, term_months: int) -> range:
    """Month offsets (0 = start of term) at which invoices are issued."""
    return range(0, term_months, billing_months(frequency, term_months))


@lru_cache(maxsize=4096)
def invoice_factor(rate: Decimal, days: int, offset_months: int) -> Decimal:
    """Cost per unit of an invoice issued `offset_months` in and paid `days` late."""
    if days == 0 or rate == 0:
        return Decimal(0)
    growth = _CONTEXT.add(Decimal(1), rate)
    issued = _CONTEXT.divide(Decimal(offset_months), Decimal(12))
    paid = _CONTEXT.add(issued, _CONTEXT.divide(Decimal(days), Decimal(365)))
    value_issued = _CONTEXT.power(growth, -issued)
    value_paid = _CONTEXT.power(growth, -paid)
    return _CONTEXT.subtract(value_issued, value_paid).quantize(_FACTOR_QUANTUM, ROUND_HALF_UP)


@lru_cache(maxsize=65536)
def period_weight(rate: Decimal, days: int, period_months: int, first: int, last: int) -> Decimal:
    """Sum over invoices of (months of `first..last` the invoice covers) x its factor.

    `first = last = 0` stands for a one-time line, billed whole on the first invoice.
    """
    if first == 0:
        return invoice_factor(rate, days, 0)
    total = Decimal(0)
    for offset in range(((first - 1) // period_months) * period_months, last, period_months):
        overlap = min(last, offset + period_months) - max(first, offset + 1) + 1
        if overlap > 0:
            total += overlap * invoice_factor(rate, days, offset)
    return total
