"""Preview and simulation on the sample company's quotes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from revdesk.approvals.context_frames import evaluation_frames
from revdesk.approvals.loader import load_policy_file
from revdesk.approvals.plan import ApprovalPlan, PlanOutcome
from revdesk.approvals.policy import Policy
from revdesk.approvals.program import run_policy
from revdesk.approvals.service import (
    load_directory,
    preview_quote,
    quote_context,
    quote_rates,
    simulate_change,
)
from revdesk.core.errors import NotFound
from revdesk.crm.dataset import load_company, sample_company
from revdesk.crm.tables import Opportunity, Quote
from revdesk.db.uow import Database
from revdesk.pricing.columnar import QUOTE_FIGURES, economics_frame
from revdesk.pricing.economics import quote_economics
from revdesk.pricing.service import get_quote_view_or_raise, quote_frames

STANDARD = Path(__file__).resolve().parents[3] / "examples" / "policies" / "standard.yaml"


@pytest.fixture
def sample(database: Database) -> Database:
    with database.uow() as uow:
        load_company(uow.session, sample_company())
        uow.commit()
    return database


def quote_id(session: Session, deal: str, version: int = 1) -> int:
    found = session.scalar(
        select(Quote.id)
        .join(Opportunity, Quote.opportunity_id == Opportunity.id)
        .where(Opportunity.external_id == deal, Quote.version == version)
    )
    assert found is not None
    return found


def plan_of(session: Session, policy: Policy, deal: str, version: int = 1) -> ApprovalPlan:
    return preview_quote(session, policy, quote_id(session, deal, version), base_currency="USD")


def standard(session: Session) -> Policy:
    return load_policy_file(STANDARD, directory=load_directory(session))


def test_the_halcyon_renegotiation_needs_every_chain(sample: Database) -> None:
    with sample.uow() as uow:
        plan = plan_of(uow.session, standard(uow.session), "o_halcyon_exp", version=2)

    assert plan.outcome is PlanOutcome.APPROVAL_REQUIRED
    assert [f.rule_id for f in plan.fired] == [
        "large-deal-review",
        "discount-over-10",
        "discount-over-20",
        "price-below-floor",
        "payment-terms-over-60",
        "legal-terms",
    ]
    people = {
        (chain.chain_id, step.position, step.step_id): [a.label for a in step.approvers]
        for chain in plan.chains
        for step in chain.steps
    }
    assert people == {
        ("desk", 1, "deal_desk_review"): ["role deal_desk: Grace Kim"],
        ("commercial", 1, "manager"): ["manager of Ben Okafor: Marcus Bell"],
        ("commercial", 2, "vp"): ["authority matrix vp (enterprise/NA): Dana Whitfield"],
        ("commercial", 3, "cfo"): ["role cfo: Rachel Adler"],
        ("finance", 1, "finance"): ["role finance: Hannah Schultz"],
        ("legal", 1, "legal"): ["role legal: Omar Haddad"],
    }
    assert plan.chains[1].after == ("desk",)
    # 300 seats at 62 vs 85 and 900 at 6.50 vs 12, over 36 months: 1 - 880,200 / 1,306,800
    assert plan.values["discount"] == Decimal("0.3264462810")
    assert plan.values["below_floor_lines"] == 1
    assert plan.values["legal_clauses"] == 2


def test_a_price_lock_goes_to_finance_and_product(sample: Database) -> None:
    with sample.uow() as uow:
        plan = plan_of(uow.session, standard(uow.session), "w_meridian_platform")

    steps = {step.step_id: [a.label for a in step.approvers] for step in plan.steps}
    assert steps["finance"] == ["role finance: Hannah Schultz"]
    assert steps["product"] == ["group product_council, role cfo: Rachel Adler"]
    assert plan.values["price_lock_years"] == 3


def test_small_and_ramped_quotes(sample: Database) -> None:
    with sample.uow() as uow:
        policy = standard(uow.session)
        lumen = plan_of(uow.session, policy, "o_lumen_exp")
        nordhavn = plan_of(uow.session, policy, "w_nordhavn")

    assert lumen.outcome is PlanOutcome.NOT_REQUIRED
    assert [s.step_id for s in nordhavn.steps] == ["manager"]
    # EUR 34,200 ACV at the rate in force on 2026-01-13 (1.16 from 2025-08-01)
    assert nordhavn.values["acv"] == Decimal("34200")
    assert nordhavn.values["acv_base"] == Decimal("39672")
    assert nordhavn.values["ramped"] is True


def test_the_columnar_run_agrees_with_every_preview(sample: Database) -> None:
    with sample.uow() as uow:
        policy = standard(uow.session)
        frames = quote_frames(uow.session)
        rates = quote_rates(uow.session, frames.quotes, base_currency="USD")
        plans = {
            qid: preview_quote(uow.session, policy, qid, base_currency="USD")
            for qid in frames.quotes["quote_id"]
        }
        views = {qid: get_quote_view_or_raise(uow.session, qid) for qid in plans}

    result = run_policy(policy, evaluation_frames(frames, rates, annual_rate=policy.discount_rate))
    economics = economics_frame(frames.quotes, frames.lines, frames.ramps)

    assert result.height == len(plans) == 13
    for row in result.iter_rows(named=True):
        plan = plans[row["quote_id"]]
        assert row["outcome"] == plan.outcome
        assert {s for s in policy.steps if row[f"step:{s}"]} == {s.step_id for s in plan.steps}
    for row in economics.iter_rows(named=True):
        expected = quote_economics(views[row["quote_id"]])
        assert all(row[name] == getattr(expected, name) for name in QUOTE_FIGURES)


def test_replaying_the_policy_in_force_changes_nothing(sample: Database) -> None:
    with sample.uow() as uow:
        policy = standard(uow.session)
        report = simulate_change(uow.session, policy, policy, since=None, base_currency="USD")
        recent = simulate_change(
            uow.session, policy, policy, since=date(2026, 1, 1), base_currency="USD"
        )

    assert report.quotes == 13
    assert report.changed_count == 0
    assert {o.outcome: o.current for o in report.outcomes} == {
        PlanOutcome.APPROVAL_REQUIRED: 10,
        PlanOutcome.AUTO_APPROVED: 0,
        PlanOutcome.NOT_REQUIRED: 3,
    }
    assert recent.quotes == 7  # created in 2026: Nordhavn, Vantage, Meridian, Halcyon x2, ...


def test_rates_come_from_the_quote_creation_day(sample: Database) -> None:
    with sample.uow() as uow:
        frames = quote_frames(uow.session)
        rates = quote_rates(uow.session, frames.quotes, base_currency="USD")
        context = quote_context(
            uow.session, quote_id(uow.session, "w_vantage"), base_currency="USD"
        )
        with pytest.raises(NotFound, match="quote 999 does not exist"):
            quote_context(uow.session, 999, base_currency="USD")

    assert rates.height == 4  # the four EUR quotes (no GBP deal has a quote)
    assert context.fx_rate == Decimal("1.0950000000")  # EUR on 2024-09-10
