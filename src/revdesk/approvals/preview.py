"""Preview: what one quote needs under a policy, before it is submitted.

    plan = preview(policy, QuoteContext(view, fx_rate=Decimal("1.155")), directory)

computes the quote's economics, runs the policy's variables, bands and rules on them, and
returns the `ApprovalPlan`: auto-approved by a band (the rules that fired are still listed, and
waived), not required (no rule fired), or the steps to approve, grouped in chains, with named
approvers, quorum, SLA and the re-approval tolerances measured on this quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from revdesk.approvals.context import QuoteContext, quote_values
from revdesk.approvals.directory import Directory
from revdesk.approvals.plan import (
    ApprovalPlan,
    BandMatch,
    ChainPlan,
    PlanOutcome,
    PlanValue,
    ResolutionStatus,
    RuleFiring,
    StepPlan,
    TestedValue,
    Tolerance,
)
from revdesk.approvals.policy import Condition, Policy, Rule
from revdesk.approvals.resolve import resolve_approvers
from revdesk.pricing.economics import quote_economics

__all__ = ["preview", "tested_values"]


def _scalar(value: object) -> PlanValue | None:
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return value
    return value if isinstance(value, Decimal | str | bool) else None


def _element_label(collection: str, item: Mapping[str, object]) -> str:
    if collection == "lines":
        return f"line {item['line_no']}"
    return f"{item['kind']}"


def tested_values(condition: Condition, values: Mapping[str, object]) -> tuple[TestedValue, ...]:
    """The variables a condition read, with their values, and what each macro matched."""
    tested = [
        TestedValue(name, plain)
        for name in sorted(condition.checked.references)
        if (plain := _scalar(values[name])) is not None
    ]
    for probe in condition.probes:
        items = values[probe.collection]
        assert isinstance(items, tuple)
        matched = [_element_label(probe.collection, i) for i in items if probe.body(values, i)]
        shown = _scalar(probe.whole(values, None))
        detail = (
            f"matched {probe.collection}: {', '.join(matched)}"
            if matched
            else f"no {probe.collection} matched"
        )
        tested.append(TestedValue(probe.text, False if shown is None else shown, detail))
    return tuple(tested)


def _firing(rule: Rule, values: Mapping[str, object]) -> RuleFiring:
    condition = rule.condition
    return RuleFiring(
        rule.id,
        rule.step,
        rule.chain,
        condition.text,
        rule.reason,
        tested_values(condition, values),
        rule.where,
    )


def preview(policy: Policy, context: QuoteContext, directory: Directory) -> ApprovalPlan:
    """The approval plan of the quote in `context` under `policy` (see the module doc)."""
    economics = quote_economics(context.view, annual_rate=policy.discount_rate)
    evaluation = policy.evaluate(quote_values(context, economics))
    values = evaluation.values
    snapshot = {n: plain for n, v in values.items() if (plain := _scalar(v)) is not None}
    fired = tuple(_firing(rule, values) for rule in evaluation.fired)
    band: BandMatch | None = None
    chains: tuple[ChainPlan, ...] = ()
    outcome = PlanOutcome.NOT_REQUIRED
    if evaluation.band is not None:
        matched = evaluation.band
        tested = tested_values(matched.condition, values)
        band = BandMatch(matched.id, matched.condition.text, matched.reason, tested)
        outcome = PlanOutcome.AUTO_APPROVED
    elif fired:
        planner = _Planner(policy, context, directory, values)
        chains = planner.chains(list(zip(evaluation.fired, fired, strict=True)))
        outcome = PlanOutcome.APPROVAL_REQUIRED
    return ApprovalPlan(
        quote_id=context.view.quote_id,
        policy_version=policy.version,
        policy_name=policy.name,
        outcome=outcome,
        band=band,
        fired=fired,
        chains=chains,
        values=MappingProxyType(snapshot),
    )


@dataclass(frozen=True, slots=True)
class _Planner:
    """Turns the rules that fired into chains of steps with named approvers."""

    policy: Policy
    context: QuoteContext
    directory: Directory
    values: Mapping[str, object]

    def chains(self, fired: list[tuple[Rule, RuleFiring]]) -> tuple[ChainPlan, ...]:
        by_step: dict[str, list[tuple[Rule, RuleFiring]]] = {}
        for rule, firing in fired:
            by_step.setdefault(rule.step, []).append((rule, firing))
        present = [c for c in self.policy.chains if any(s in by_step for s in c.steps)]
        names = {chain.id for chain in present}
        return tuple(
            ChainPlan(
                chain.id,
                tuple(a for a in chain.after if a in names),
                tuple(
                    self.step(step, position, by_step[step])
                    for position, step in enumerate(
                        [s for s in chain.steps if s in by_step], start=1
                    )
                ),
            )
            for chain in present
        )

    def step(self, step_id: str, position: int, fired: list[tuple[Rule, RuleFiring]]) -> StepPlan:
        step, deal = self.policy.steps[step_id], self.context.view.deal
        resolution = resolve_approvers(
            step.approver,
            owner_id=deal.owner_id,
            segment=deal.segment,
            region=deal.region,
            directory=self.directory,
            groups=self.policy.groups,
            matrix=self.policy.matrix,
        )
        people = len(resolution.approvers)
        required = step.quorum.required(people)
        problem = resolution.problem
        if not problem and required > people:
            problem = f"the quorum needs {required} approvals but only {people} can approve"
        tested = {t.name: t for _, firing in fired for t in firing.tested}
        return StepPlan(
            step_id=step_id,
            chain_id=step.chain,
            position=position,
            approver=step.approver,
            approvers=resolution.approvers,
            quorum=step.quorum,
            required_approvals=required,
            sla_hours=step.sla_hours,
            rules=tuple(rule.id for rule, _ in fired),
            reasons=tuple(rule.reason for rule, _ in fired),
            tolerances=self.tolerances([rule for rule, _ in fired]),
            tested=tuple(tested.values()),
            status=ResolutionStatus.UNRESOLVED if problem else ResolutionStatus.RESOLVED,
            problem=problem,
        )

    def tolerances(self, rules: list[Rule]) -> tuple[Tolerance, ...]:
        found = []
        for rule in rules:
            for spec in rule.reapproval:
                snapshot = self.values[spec.variable]
                assert isinstance(snapshot, Decimal)
                found.append(Tolerance(spec.variable, snapshot, spec.tolerance, spec.worse))
        return tuple(found)
