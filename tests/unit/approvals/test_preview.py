"""Preview: which rules fire and why, the steps in chains, named approvers, or no approval."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from revdesk.approvals.context import QuoteContext
from revdesk.approvals.directory import Directory
from revdesk.approvals.loader import load_policy
from revdesk.approvals.plan import (
    ApprovalPlan,
    ApproverKind,
    PlanOutcome,
    QuorumKind,
    ResolutionStatus,
    TestedValue,
    Tolerance,
    Worse,
)
from revdesk.approvals.policy import Policy
from revdesk.approvals.preview import preview
from revdesk.pricing.model import LineView

MakeQuote = Callable[..., QuoteContext]
RITA, MAX, VERA, FIONA, FRANK, LENA = 1, 3, 4, 5, 6, 7

POLICY = """\
version: 3
name: Preview test policy
effective_from: 2026-01-01
variables:
  deep_lines: {count: lines, where: line.discount > 0.3}
groups:
  money: [role:finance, carl@t.example]
authority_matrix:
  rows:
    - {segment: enterprise, region: NA, top: vera@t.example}
    - {segment: "*", region: "*", top: role:cfo}
auto_approve:
  - id: tiny
    when: tcv < 1000
    reason: Tiny deals need no approval.
chains:
  commercial: {steps: [manager, vp]}
  finance: {steps: [finance], after: [commercial]}
  legal: {steps: [legal]}
  top: {steps: [top]}
  money: {steps: [money]}
rules:
  - id: discount-10
    when: discount > 0.10
    step: manager
    approver: {field: owner.manager}
    sla_hours: 8
    reapproval: {variable: discount, tolerance: 0.02, worse: higher}
    reason: Discount above 10 %.
  - id: discount-20
    when: discount > 0.20
    step: vp
    approver: {role: vp}
    sla_hours: 16
    reason: Discount above 20 %.
  - id: terms
    when: payment_terms_days > 60
    step: finance
    approver: {role: finance}
    quorum: all
    sla_hours: 16
    reason: Long payment terms.
  - id: liability
    when: clauses.exists(c, c.kind == 'liability_cap' && c.parameters.multiple < 3)
    step: legal
    approver: {user: lena@t.example}
    reason: Liability cap below 3x.
  - id: deep-line
    when: lines.exists(l, l.discount > 0.3)
    step: top
    approver: {matrix: top}
    reason: A line discounted by more than 30 %.
  - id: big-in-euros
    when: acv_base > 20000
    step: money
    approver: {group: money}
    quorum: {percent: 50}
    reason: Large deal.
"""


@pytest.fixture
def policy(people: Directory) -> Policy:
    return load_policy(POLICY, source="p.yaml", directory=people)


def test_no_rule_fires_on_a_list_price_quote(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    plan = preview(policy, make_quote(), people)

    assert (plan.outcome, plan.band, plan.fired, plan.chains) == (
        PlanOutcome.NOT_REQUIRED,
        None,
        (),
        (),
    )
    assert plan.values["discount"] == 0
    assert plan.values["tcv"] == 12_000
    assert (plan.quote_id, plan.policy_version, plan.policy_name) == (1, 3, "Preview test policy")


def test_a_15_percent_discount_needs_the_reps_manager(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    plan = preview(policy, make_quote(net="85"), people)

    assert plan.outcome is PlanOutcome.APPROVAL_REQUIRED
    (fired,) = plan.fired
    assert (fired.rule_id, fired.step_id, fired.chain_id, fired.reason) == (
        "discount-10",
        "manager",
        "commercial",
        "Discount above 10 %.",
    )
    assert fired.tested == (TestedValue("discount", Decimal("0.15")),)
    assert fired.where == "p.yaml:23:9"
    (chain,) = plan.chains
    (step,) = chain.steps
    assert (chain.chain_id, chain.after, step.position, step.step_id) == (
        "commercial",
        (),
        1,
        "manager",
    )
    assert [(a.user_id, a.label) for a in step.approvers] == [(MAX, "manager of Rita Rep: Max Mgr")]
    assert (step.quorum.kind, step.required_approvals, step.sla_hours) == (QuorumKind.ANY, 1, 8)
    assert step.tolerances == (
        Tolerance("discount", Decimal("0.15"), Decimal("0.02"), Worse.HIGHER),
    )
    assert step.status is ResolutionStatus.RESOLVED


def test_steps_are_grouped_in_chains_in_order(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    quote = make_quote(net="75", days=90, clauses={"liability_cap": {"multiple": 2}})

    plan = preview(policy, quote, people)

    assert [f.rule_id for f in plan.fired] == ["discount-10", "discount-20", "terms", "liability"]
    shape = [(c.chain_id, c.after, [(s.position, s.step_id) for s in c.steps]) for c in plan.chains]
    assert shape == [
        ("commercial", (), [(1, "manager"), (2, "vp")]),
        ("finance", ("commercial",), [(1, "finance")]),
        ("legal", (), [(1, "legal")]),
    ]
    finance = plan.chains[1].steps[0]
    assert [a.label for a in finance.approvers] == [
        "role finance: Fiona Finance",
        "role finance: Frank Finance",
    ]
    assert (finance.quorum.kind, finance.required_approvals) == (QuorumKind.ALL, 2)
    legal = plan.chains[2].steps[0]
    assert [a.label for a in legal.approvers] == ["named approver: Lena Legal"]
    (tested,) = plan.fired[3].tested
    assert tested.detail == "matched clauses: liability_cap"


def test_a_matching_band_auto_approves_and_waives_the_rules(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    small = (LineView(1, "PLAT", True, Decimal(1), Decimal(100), Decimal(50)),)

    plan = preview(policy, make_quote(lines=small), people)

    assert plan.outcome is PlanOutcome.AUTO_APPROVED
    assert plan.band is not None
    assert (plan.band.band_id, plan.band.reason) == ("tiny", "Tiny deals need no approval.")
    assert plan.band.tested == (TestedValue("tcv", Decimal(600)),)
    assert [f.rule_id for f in plan.fired] == ["discount-10", "discount-20", "deep-line"]
    assert plan.chains == ()


def test_macros_report_the_lines_they_matched(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    lines = (
        LineView(1, "PLAT", True, Decimal(10), Decimal(100), Decimal(100)),
        LineView(2, "ADD", True, Decimal(10), Decimal(100), Decimal(60)),
    )

    plan = preview(policy, make_quote(lines=lines), people)

    deep = next(f for f in plan.fired if f.rule_id == "deep-line")
    assert deep.tested == (
        TestedValue("lines.exists(l, l.discount > 0.3)", True, "matched lines: line 2"),
    )
    top = plan.chains[-1].steps[0]
    assert [a.label for a in top.approvers] == ["authority matrix top (enterprise/NA): Vera Vp"]
    elsewhere = preview(policy, make_quote(lines=lines, region="EMEA"), people)
    assert [a.label for a in elsewhere.steps[-1].approvers] == [
        "authority matrix top (*/*), role cfo: Carl Cfo"
    ]


def test_base_currency_figures_use_the_rate_and_percent_quorums_round_up(
    policy: Policy,
    people: Directory,
    make_quote: MakeQuote,
) -> None:
    big = (LineView(1, "PLAT", True, Decimal(100), Decimal(200), Decimal(200)),)

    euro = preview(policy, make_quote(lines=big, fx="1.155"), people)
    dollar = preview(policy, make_quote(lines=big), people)

    assert euro.values["acv_base"] == Decimal("277200")  # 240,000 x 1.155
    (step,) = euro.steps
    assert step.approver.kind is ApproverKind.GROUP
    assert [a.user_id for a in step.approvers] == [FIONA, FRANK, 8]
    assert (step.quorum.kind, step.quorum.value, step.required_approvals) == (
        QuorumKind.PERCENT,
        50,
        2,
    )
    assert dollar.values["acv_base"] == 240_000


def test_nobody_approves_their_own_deal(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    plan = preview(policy, make_quote(net="75", owner=VERA), people)

    manager, vp = plan.chains[0].steps
    assert (manager.status, manager.problem) == (
        ResolutionStatus.UNRESOLVED,
        "Vera Vp has no manager",
    )
    assert vp.approvers == ()
    assert vp.problem == "role vp names only the deal owner, who cannot approve their own deal"
    by_max = preview(policy, make_quote(net="75", owner=MAX), people)
    assert [a.label for a in by_max.chains[0].steps[0].approvers] == ["manager of Max Mgr: Vera Vp"]


def test_a_deal_without_owner_or_quorum_is_unresolved_with_the_reason(
    people: Directory, make_quote: MakeQuote
) -> None:
    text = POLICY.replace("    quorum: all\n", "    quorum: {count: 3}\n")
    policy = load_policy(text, source="p.yaml", directory=people)

    plan = preview(policy, make_quote(net="85", days=90, owner=None), people)

    manager, finance = plan.steps
    assert manager.problem == "the deal has no owner in the directory"
    assert finance.problem == "the quorum needs 3 approvals but only 2 can approve"
    assert finance.status is ResolutionStatus.UNRESOLVED


def test_a_step_stays_approved_within_its_tolerance(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    plan = preview(policy, make_quote(net="85", days=90), people)
    manager = plan.chains[0].steps[0]
    finance = plan.chains[1].steps[0]

    assert manager.still_approved({"discount": Decimal("0.17")})
    assert not manager.still_approved({"discount": Decimal("0.1701")})
    assert manager.still_approved({"discount": Decimal("0.05")})  # better is always fine
    assert finance.still_approved({"payment_terms_days": Decimal(90)})  # no tolerance: unchanged
    assert not finance.still_approved({"payment_terms_days": Decimal(91)})


def test_a_plan_round_trips_through_json(
    policy: Policy, people: Directory, make_quote: MakeQuote
) -> None:
    quote = make_quote(net="75", days=90, clauses={"liability_cap": {"multiple": 2}}, fx="1.155")
    plan = preview(policy, quote, people)

    stored = json.loads(json.dumps(plan.to_dict()))

    assert ApprovalPlan.from_dict(stored) == plan
    assert stored["values"]["segment"] == {"string": "enterprise"}
    assert stored["values"]["discount"] == {"number": "0.2500000000"}


def test_a_policy_is_in_force_between_its_dates(policy: Policy) -> None:
    assert policy.in_force(date(2026, 1, 1))
    assert not policy.in_force(date(2025, 12, 31))
