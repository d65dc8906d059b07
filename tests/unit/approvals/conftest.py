"""Shared test data for approvals: a small directory, a small policy, quotes built by hand.

The people: Vera Vp (vp) manages Max Mgr (manager), who manages Rita Rep (rep) and Ray Rep
(rep); Fiona Finance and Frank Finance (finance), Lena Legal (legal) and Carl Cfo (cfo), who
manages nobody and has no manager.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from approvals_support import POLICY
from revdesk.approvals.context import QuoteContext
from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.crm.model import BillingFrequency, Role
from revdesk.pricing.model import ClauseView, DealFacts, LineView, QuoteView

RITA, RAY, MAX, VERA, FIONA, FRANK, LENA, CARL = 1, 2, 3, 4, 5, 6, 7, 8


@pytest.fixture
def people() -> Directory:
    """The small organisation of the module doc."""
    return Directory(
        [
            DirectoryUser(RITA, "Rita Rep", "rita@t.example", Role.REP, MAX),
            DirectoryUser(RAY, "Ray Rep", "ray@t.example", Role.REP, MAX),
            DirectoryUser(MAX, "Max Mgr", "max@t.example", Role.MANAGER, VERA),
            DirectoryUser(VERA, "Vera Vp", "vera@t.example", Role.VP),
            DirectoryUser(FIONA, "Fiona Finance", "fiona@t.example", Role.FINANCE, CARL),
            DirectoryUser(FRANK, "Frank Finance", "frank@t.example", Role.FINANCE, CARL),
            DirectoryUser(LENA, "Lena Legal", "lena@t.example", Role.LEGAL, CARL),
            DirectoryUser(CARL, "Carl Cfo", "carl@t.example", Role.CFO),
        ]
    )


QuoteMaker = Callable[..., QuoteContext]


@pytest.fixture
def make_quote() -> QuoteMaker:
    """A quote of 10 seats at list 100 for 12 months, billed annually, net 30, owned by Rita.

    Keyword arguments: `net` (unit price, default 100, i.e. no discount), `days`, `lines`
    (replaces the line), `clauses` (kind -> parameters), `segment`, `region`, `owner`, `fx`.
    """

    def make(
        *,
        net: str = "100",
        days: int = 30,
        lines: tuple[LineView, ...] | None = None,
        clauses: dict[str, dict[str, object]] | None = None,
        segment: str = "enterprise",
        region: str = "NA",
        owner: int | None = RITA,
        fx: str = "1",
        quote_id: int = 1,
        kind: str = "new",
    ) -> QuoteContext:
        line = LineView(
            1, "PLAT", True, Decimal(10), Decimal(100), Decimal(net), unit_cost=Decimal(20)
        )
        view = QuoteView(
            quote_id=quote_id,
            currency="USD",
            start_date=date(2027, 1, 1),
            term_months=12,
            billing_frequency=BillingFrequency.ANNUAL,
            payment_terms_days=days,
            lines=lines if lines is not None else (line,),
            clauses=tuple(ClauseView(k, v) for k, v in (clauses or {}).items()),
            deal=DealFacts(
                opportunity_id=quote_id,
                opportunity_type=kind,
                segment=segment,
                region=region,
                owner_id=owner,
            ),
        )
        return QuoteContext(view, fx_rate=Decimal(fx))

    return make


@pytest.fixture
def policy_text() -> str:
    """The small policy: manager above 10 %, VP above 20 %, finance beyond net 60."""
    return POLICY
