"""Show an approval plan or a simulation report as Rich tables, or as JSON-safe data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from revdesk.approvals.plan import (
    ApprovalPlan,
    PlanOutcome,
    PlanValue,
    TestedValue,
    Tolerance,
    Worse,
)
from revdesk.approvals.policy import Policy
from revdesk.approvals.simulate import CycleTime, DurationSource, SimulationReport

__all__ = ["policy_summary", "print_plan", "print_simulation", "simulation_data"]

_OUTCOME = {
    PlanOutcome.APPROVAL_REQUIRED: "[yellow]approval required[/yellow]",
    PlanOutcome.AUTO_APPROVED: "[green]auto-approved[/green]",
    PlanOutcome.NOT_REQUIRED: "[green]no approval needed[/green]",
}


def _value(value: PlanValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return repr(value)


def _tested(items: tuple[TestedValue, ...]) -> str:
    return "; ".join(
        f"{t.name} = {_value(t.value)}" + (f" ({t.detail})" if t.detail else "") for t in items
    )


def _tolerance(tolerance: Tolerance) -> str:
    higher = tolerance.worse is Worse.HIGHER
    limit = (
        tolerance.snapshot + tolerance.tolerance
        if higher
        else tolerance.snapshot - tolerance.tolerance
    )
    side = "above" if higher else "below"
    return f"{tolerance.variable} = {_value(tolerance.snapshot)}: re-approve {side} {_value(limit)}"


def policy_summary(policy: Policy) -> str:
    """One line about a loaded policy."""
    until = f" until {policy.effective_to}" if policy.effective_to else ""
    return (
        f"{policy.source}: '{policy.name or 'unnamed'}' version {policy.version}, effective "
        f"{policy.effective_from}{until}: {len(policy.rules)} rules, {len(policy.steps)} steps in "
        f"{len(policy.chains)} chains, {len(policy.variables)} variables, "
        f"{len(policy.bands)} auto-approve bands"
    )


def print_plan(console: Console, plan: ApprovalPlan) -> None:
    """The plan: outcome, the band or the rules that fired, then each chain's steps."""
    console.print(
        f"Quote {plan.quote_id} under '{plan.policy_name}' v{plan.policy_version}: "
        f"{_OUTCOME[plan.outcome]}"
    )
    if plan.band is not None:
        console.print(f"band [bold]{plan.band.band_id}[/bold]: {plan.band.reason}")
        console.print(f"  tested: {_tested(plan.band.tested)}", highlight=False)
    if plan.fired:
        fired = Table(title="Rules that fired" + (" (waived)" if plan.band else ""))
        for name in ("rule", "step", "reason", "tested values"):
            fired.add_column(name)
        for firing in plan.fired:
            fired.add_row(firing.rule_id, firing.step_id, firing.reason, _tested(firing.tested))
        console.print(fired)
    for chain in plan.chains:
        after = f" (after {', '.join(chain.after)})" if chain.after else ""
        table = Table(title=f"Chain {chain.chain_id}{after}")
        for name in ("#", "step", "approvers", "quorum", "SLA h", "re-approval tolerance"):
            table.add_column(name)
        for step in chain.steps:
            people = "\n".join(a.label for a in step.approvers) or f"[red]{step.problem}[/red]"
            tolerances = "; ".join(_tolerance(t) for t in step.tolerances)
            table.add_row(
                str(step.position),
                step.step_id,
                people,
                f"{step.quorum} ({step.required_approvals} needed)",
                "" if step.sla_hours is None else _value(step.sla_hours),
                tolerances,
            )
        console.print(table)


def print_simulation(console: Console, report: SimulationReport) -> None:
    """The simulation: outcomes, steps, approvers, roles, changed deals, cycle time."""
    console.print(
        f"Replayed {report.quotes:,} quotes: current '{report.current.name}' v"
        f"{report.current.version} ({report.current.source}) vs new '{report.new.name}' v"
        f"{report.new.version} ({report.new.source})"
    )
    for title, columns, rows in _sections(report):
        _table(console, title, columns, rows)
    _print_cycle(console, report.cycle)


def _sections(report: SimulationReport) -> list[tuple[str, list[str], list[tuple[object, ...]]]]:
    changed = (
        f"Deals whose approvals change ({report.changed_count:,}; first {len(report.changed)})"
    )
    return [
        (
            "Outcomes",
            ["outcome", "current", "new"],
            [(str(o.outcome), o.current, o.new) for o in report.outcomes],
        ),
        (
            "Deals needing each step",
            ["step", "current", "new", "newly needing", "no longer needing"],
            [
                (s.step_id, s.current, s.new, s.newly_needed, s.no_longer_needed)
                for s in report.steps
            ],
        ),
        (
            "Deals per approver",
            ["approver", "current", "new", "change"],
            [(a.label, a.current, a.new, a.new - a.current) for a in report.approvers],
        ),
        (
            "Deals per role",
            ["role", "current", "new", "change"],
            [(r.key, r.current, r.new, r.new - r.current) for r in report.roles],
        ),
        (
            changed,
            ["quote", "current", "new", "newly needs", "no longer needs", "added hours"],
            [
                (
                    c.quote_id,
                    str(c.current_outcome),
                    str(c.new_outcome),
                    ", ".join(c.added),
                    ", ".join(c.removed),
                    _value(c.added_hours),
                )
                for c in report.changed
            ],
        ),
    ]


def _print_cycle(console: Console, cycle: CycleTime) -> None:
    source = {
        DurationSource.MEASURED: "measured step durations",
        DurationSource.SLA: "the policies' SLA hours (no measured durations yet)",
        DurationSource.MIXED: (
            f"measured durations for {', '.join(cycle.measured)}, SLA hours for the others"
        ),
    }[cycle.source]
    console.print(
        f"Expected approval cycle time (business hours, from {source}): current "
        f"{cycle.current_mean}, new {cycle.new_mean}, added {cycle.added_mean} per deal "
        f"({cycle.added_mean_changed} per changed deal)"
    )
    if cycle.without_duration:
        missing = ", ".join(cycle.without_duration)
        console.print(f"steps without SLA or measured duration (counted as 0 h): {missing}")


def _table(
    console: Console, title: str, columns: list[str], rows: list[tuple[object, ...]]
) -> None:
    table = Table(title=title)
    for index, name in enumerate(columns):
        table.add_column(name, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*[f"{cell:,}" if isinstance(cell, int) else str(cell) for cell in row])
    console.print(table)


def simulation_data(report: SimulationReport) -> dict[str, Any]:
    """The report as JSON-safe data (decimals as strings)."""
    return {
        "quotes": report.quotes,
        "current": _policy_data(report.current),
        "new": _policy_data(report.new),
        "outcomes": [
            {"outcome": str(o.outcome), "current": o.current, "new": o.new} for o in report.outcomes
        ],
        "steps": [vars_of(s) for s in report.steps],
        "approvers": [vars_of(a) for a in report.approvers],
        "roles": [vars_of(r) for r in report.roles],
        "changed_count": report.changed_count,
        "changed": [
            {
                **vars_of(c),
                "current_outcome": str(c.current_outcome),
                "new_outcome": str(c.new_outcome),
                "added": list(c.added),
                "removed": list(c.removed),
                "added_hours": str(c.added_hours),
            }
            for c in report.changed
        ],
        "cycle_time": _cycle_data(report.cycle),
    }


def _policy_data(policy: Policy) -> dict[str, Any]:
    return {"name": policy.name, "version": policy.version, "source": policy.source}


def _cycle_data(cycle: CycleTime) -> dict[str, Any]:
    return {
        "source": str(cycle.source),
        "durations": {k: str(v) for k, v in cycle.durations.items()},
        "measured": list(cycle.measured),
        "without_duration": list(cycle.without_duration),
        "current_mean_hours": str(cycle.current_mean),
        "new_mean_hours": str(cycle.new_mean),
        "added_mean_hours": str(cycle.added_mean),
        "added_mean_hours_changed": str(cycle.added_mean_changed),
    }


def vars_of(item: object) -> dict[str, Any]:
    """A flat dataclass as a dict."""
    return {name: getattr(item, name) for name in item.__slots__}  # type: ignore[attr-defined]
