"""The columnar policy run agrees with the per-quote preview, on random quotes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revdesk.approvals.context import QuoteContext
from revdesk.approvals.context_frames import evaluation_frames, rate_frame
from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.approvals.loader import load_policy, load_policy_file
from revdesk.approvals.policy import Policy
from revdesk.approvals.preview import preview
from revdesk.approvals.program import run_policy
from revdesk.crm.model import BillingFrequency, Role
from revdesk.pricing.fixed import from_units
from revdesk.pricing.frames import frames_from_views
from revdesk.pricing.model import ClauseView, DealFacts, LineView, QuoteView, RampPeriod

ROOT = Path(__file__).resolve().parents[3]
PEOPLE = Directory(
    [
        DirectoryUser(1, "Dana Whitfield", "dana.whitfield@northwind.example", Role.VP),
        DirectoryUser(2, "Max Mgr", "max@t.example", Role.MANAGER, 1),
        DirectoryUser(3, "Rita Rep", "rita@t.example", Role.REP, 2),
        DirectoryUser(4, "Rachel Adler", "rachel.adler@northwind.example", Role.CFO),
        DirectoryUser(5, "Hannah Schultz", "hannah@t.example", Role.FINANCE, 4),
        DirectoryUser(6, "Omar Haddad", "omar@t.example", Role.LEGAL, 4),
        DirectoryUser(7, "Grace Kim", "grace@t.example", Role.DEAL_DESK),
    ]
)
STANDARD = load_policy_file(ROOT / "examples" / "policies" / "standard.yaml", directory=PEOPLE)
ROLL_UPS = load_policy(
    """\
version: 1
effective_from: 2026-01-01
variables:
  platform_net: {sum: line.net_total, where: "line.family == 'Platform'", default: -1}
  widest: {max: line.discount}
  narrowest: {min: line.margin, where: line.recurring, default: 2}
  typical: {avg: line.unit_discount, over: lines}
  locks: {count: clauses, where: "clause.kind == 'price_lock'"}
  longest_lock: {max: clause.parameters.years, over: clauses, default: 0}
  share: "net_total == 0 ? 0 : one_time_total / net_total"
  busy: "locks > 0 || share > 0.2"
auto_approve:
  - {id: small, when: "tcv_base < 500", reason: small}
chains:
  a: {steps: [one, two]}
  b: {steps: [three], after: [a]}
rules:
  - {id: r1, when: "platform_net > 20000 && widest > 0.1", step: one, approver: {role: vp},
     reason: x}
  - {id: r2, when: "narrowest < 0.5 || typical > 0.3", step: two, approver: {role: cfo},
     reason: x}
  - {id: r3, when: "busy && longest_lock >= 2", step: three, approver: {role: finance},
     reason: x}
  - {id: r4, when: "size(lines.filter(l, l.below_floor)) >= 1", step: three,
     approver: {role: finance}, reason: x}
""",
    source="roll-ups.yaml",
    directory=PEOPLE,
)

prices = st.decimals(min_value=0, max_value=200, places=2)
SKUS = [("PLAT", "Platform", True), ("ADD", "Add-on", True), ("SVC", "Services", False)]


@st.composite
def quotes(draw: st.DrawFn, quote_id: int) -> QuoteContext:
    term = draw(st.sampled_from([1, 12, 24, 36]))
    lines = []
    for number in range(1, draw(st.integers(0, 4)) + 1):
        sku, family, recurring = draw(st.sampled_from(SKUS))
        quantity = draw(st.decimals(min_value=1, max_value=500, places=0))
        net = draw(prices)
        ramps = ()
        if recurring and term > 1 and draw(st.booleans()):
            half = term // 2
            ramps = (
                RampPeriod(1, half, quantity, draw(prices)),
                RampPeriod(half + 1, term - half, quantity, net),
            )
        lines.append(
            LineView(
                number,
                sku,
                recurring,
                quantity,
                draw(prices),
                net,
                family=family,
                unit_cost=draw(st.none() | prices),
                floor_price=draw(st.none() | prices),
                ramps=ramps,
            )
        )
    kinds = draw(
        st.lists(
            st.sampled_from(["price_lock", "liability_cap", "most_favoured_nation"]), max_size=3
        )
    )
    clauses = tuple(
        ClauseView(k, {"years": draw(st.integers(1, 4))} if k == "price_lock" else {})
        for k in kinds
    )
    view = QuoteView(
        quote_id=quote_id,
        currency=draw(st.sampled_from(["USD", "EUR"])),
        start_date=date(2027, 1, 1),
        term_months=term,
        billing_frequency=draw(st.sampled_from(list(BillingFrequency))),
        payment_terms_days=draw(st.sampled_from([30, 60, 90])),
        lines=tuple(lines),
        clauses=clauses,
        deal=DealFacts(
            opportunity_id=quote_id,
            opportunity_type=draw(st.sampled_from(["new", "renewal"])),
            segment=draw(st.sampled_from(["enterprise", "smb"])),
            region=draw(st.sampled_from(["NA", "EMEA"])),
            owner_id=draw(st.sampled_from([3, 2, None])),
        ),
    )
    rate = Decimal("1.155") if view.currency == "EUR" else Decimal(1)
    return QuoteContext(view, fx_rate=rate)


@st.composite
def batches(draw: st.DrawFn) -> list[QuoteContext]:
    return [draw(quotes(n)) for n in range(1, draw(st.integers(1, 8)) + 1)]


def agree(policy: Policy, contexts: list[QuoteContext]) -> None:
    frames = frames_from_views(c.view for c in contexts)
    rates = rate_frame((c.view.quote_id, c.fx_rate) for c in contexts if c.fx_rate != 1)  # type: ignore[misc]
    result = run_policy(policy, evaluation_frames(frames, rates, annual_rate=policy.discount_rate))
    for context, row in zip(contexts, result.iter_rows(named=True), strict=True):
        plan = preview(policy, context, PEOPLE)
        assert row["quote_id"] == context.view.quote_id
        assert row["outcome"] == plan.outcome
        assert row["band"] == (plan.band.band_id if plan.band else None)
        assert {r.id for r in policy.rules if row[f"rule:{r.id}"]} == {
            f.rule_id for f in plan.fired
        }
        assert {s for s in policy.steps if row[f"step:{s}"]} == {s.step_id for s in plan.steps}
        for variable in policy.variables:
            value = row[f"var:{variable.name}"]
            shown = (
                from_units(value)
                if isinstance(value, int) and not isinstance(value, bool)
                else value
            )
            assert shown == plan.values[variable.name], variable.name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts=batches())
def test_the_shipped_policy_agrees_quote_by_quote(contexts: list[QuoteContext]) -> None:
    agree(STANDARD, contexts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts=batches())
def test_every_kind_of_roll_up_agrees_quote_by_quote(contexts: list[QuoteContext]) -> None:
    agree(ROLL_UPS, contexts)
