"""Simulating a policy change on four hand-made quotes, every figure computed by hand.

Current policy: manager above 10 % (8 h), VP above 20 % (16 h), finance beyond net 60 (16 h).
New policy: manager above 15 %, the rest unchanged, plus legal for a liability cap (24 h).

    quote  discount  terms  clause          current               new
    1      0 %       30                     -                     -
    2      12 %      30                     manager (8 h)         -
    3      25 %      90                     manager, vp, finance  manager, vp, finance
                                            (8 + 16 || 16 = 24 h) (24 h)
    4      20 %      30     liability_cap   manager (8 h)         manager || legal (24 h)
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from revdesk.approvals.context import QuoteContext
from revdesk.approvals.directory import Directory
from revdesk.approvals.loader import load_policy
from revdesk.approvals.plan import PlanOutcome
from revdesk.approvals.policy import Policy
from revdesk.approvals.simulate import (
    ChangedDeal,
    DurationSource,
    Load,
    OutcomeCount,
    SimulationReport,
    StepCount,
    simulate,
)
from revdesk.pricing.frames import frames_from_views

CURRENT = """\
version: 1
name: Current
effective_from: 2026-01-01
chains:
  commercial: {steps: [manager, vp]}
  finance: {steps: [finance]}
rules:
  - {id: d10, when: discount > 0.10, step: manager, approver: {field: owner.manager},
     sla_hours: 8, reason: x}
  - {id: d20, when: discount > 0.20, step: vp, approver: {role: vp}, sla_hours: 16, reason: x}
  - {id: terms, when: payment_terms_days > 60, step: finance, approver: {role: finance},
     sla_hours: 16, reason: x}
"""
NEW = (
    CURRENT.replace("version: 1", "version: 2")
    .replace("name: Current", "name: New")
    .replace("discount > 0.10", "discount > 0.15")
    .replace(
        "  finance: {steps: [finance]}", "  finance: {steps: [finance]}\n  legal: {steps: [legal]}"
    )
    + "  - {id: cap, when: \"'liability_cap' in clause_kinds\", step: legal,\n"
    "     approver: {user: lena@t.example}, sla_hours: 24, reason: x}\n"
)


@pytest.fixture
def report(people: Directory, make_quote: Callable[..., QuoteContext]) -> SimulationReport:
    quotes = [
        make_quote(quote_id=1),
        make_quote(quote_id=2, net="88"),
        make_quote(quote_id=3, net="75", days=90),
        make_quote(quote_id=4, net="80", clauses={"liability_cap": {"multiple": 2}}),
    ]
    current = load_policy(CURRENT, source="current.yaml", directory=people)
    new = load_policy(NEW, source="new.yaml", directory=people)
    return simulate(new, current, frames_from_views(q.view for q in quotes), people)


def test_outcomes_and_steps_under_both_policies(report: SimulationReport) -> None:
    assert report.quotes == 4
    assert report.outcomes == (
        OutcomeCount(PlanOutcome.APPROVAL_REQUIRED, 3, 2),
        OutcomeCount(PlanOutcome.AUTO_APPROVED, 0, 0),
        OutcomeCount(PlanOutcome.NOT_REQUIRED, 1, 2),
    )
    assert report.steps == (
        StepCount("finance", 1, 1, 0, 0),
        StepCount("legal", 0, 1, 1, 0),
        StepCount("manager", 3, 2, 0, 1),
        StepCount("vp", 1, 1, 0, 0),
    )


def test_the_deals_whose_approvals_change(report: SimulationReport) -> None:
    assert report.changed_count == 2
    assert report.changed == (
        ChangedDeal(
            2,
            PlanOutcome.APPROVAL_REQUIRED,
            PlanOutcome.NOT_REQUIRED,
            (),
            ("manager",),
            Decimal("-8.00"),
        ),
        ChangedDeal(
            4,
            PlanOutcome.APPROVAL_REQUIRED,
            PlanOutcome.APPROVAL_REQUIRED,
            ("legal",),
            (),
            Decimal("16.00"),
        ),
    )


def test_load_per_approver_and_per_role(report: SimulationReport) -> None:
    assert report.approvers == (
        Load("max@t.example", "Max Mgr (manager)", 3, 2),
        Load("fiona@t.example", "Fiona Finance (finance)", 1, 1),
        Load("frank@t.example", "Frank Finance (finance)", 1, 1),
        Load("vera@t.example", "Vera Vp (vp)", 1, 1),
        Load("lena@t.example", "Lena Legal (legal)", 0, 1),
    )
    assert report.roles == (
        Load("manager", "manager", 3, 2),
        Load("finance", "finance", 1, 1),
        Load("vp", "vp", 1, 1),
        Load("legal", "legal", 0, 1),
    )


def test_cycle_time_from_sla_hours(report: SimulationReport) -> None:
    cycle = report.cycle

    assert cycle.source is DurationSource.SLA
    # current: 0, 8, 24, 8 -> 10; new: 0, 0, 24, 24 -> 12; changed deals 2 and 4: -8, +16
    assert (cycle.current_mean, cycle.new_mean, cycle.added_mean, cycle.added_mean_changed) == (
        Decimal("10.00"),
        Decimal("12.00"),
        Decimal("2.00"),
        Decimal("4.00"),
    )
    assert cycle.durations["legal"] == 24
    assert cycle.without_duration == ()


def test_measured_durations_replace_sla_hours(
    people: Directory, make_quote: Callable[..., QuoteContext]
) -> None:
    quotes = [make_quote(quote_id=3, net="75", days=90)]
    current = load_policy(CURRENT, source="current.yaml", directory=people)
    frames = frames_from_views(q.view for q in quotes)

    some = simulate(current, current, frames, people, durations={"manager": Decimal(2)})
    every = simulate(
        current,
        current,
        frames,
        people,
        durations={"manager": Decimal(2), "vp": Decimal(3), "finance": Decimal(30)},
    )

    assert (some.cycle.source, some.cycle.measured, some.cycle.current_mean) == (
        DurationSource.MIXED,
        ("manager",),
        Decimal("18.00"),  # max(2 + 16, 16)
    )
    assert (every.cycle.source, every.cycle.current_mean, every.cycle.added_mean) == (
        DurationSource.MEASURED,
        Decimal("30.00"),
        Decimal("0.00"),  # max(2 + 3, 30)
    )
    assert every.changed_count == 0


def test_chains_that_wait_for_others_add_up(
    people: Directory, make_quote: Callable[..., QuoteContext]
) -> None:
    waiting = CURRENT.replace(
        "finance: {steps: [finance]}", "finance: {steps: [finance], after: [commercial]}"
    )
    current = load_policy(CURRENT, source="current.yaml", directory=people)
    new: Policy = load_policy(waiting, source="new.yaml", directory=people)
    frames = frames_from_views([make_quote(quote_id=3, net="75", days=90).view])

    report = simulate(new, current, frames, people)

    assert (report.cycle.current_mean, report.cycle.new_mean) == (
        Decimal("24.00"),
        Decimal("40.00"),
    )
    assert report.changed_count == 0
