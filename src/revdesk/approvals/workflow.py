"""The approval workflow as pure functions: which steps open, quorum, outcome, re-approval.

No storage here: the service reads rows into `StepState`s, asks these functions what happens,
and writes the answer back. Steps of a chain run in position order; a chain starts once every
chain in its `after` is done; the request is approved when every step is done (approved,
carried over or bypassed) and rejected as soon as one step is rejected::

    states = [StepState("manager", "commercial", 1, StepStatus.WAITING), ...]
    for step_id in steps_to_open(states, {"commercial": ("desk",)}):
        ...  # open it: assign its approvers, start its SLA clock
    outcome = request_outcome(states)   # None while something is still open
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from revdesk.approvals.calendar import BusinessCalendar
from revdesk.approvals.plan import ApprovalPlan, PlanValue
from revdesk.approvals.states import Decision, RequestStatus, StepStatus
from revdesk.core.errors import Conflict

__all__ = [
    "Action",
    "StepState",
    "StepTally",
    "carried_over",
    "chain_order",
    "check_open",
    "decide",
    "due_at",
    "initial_statuses",
    "material_changes",
    "reminder_kind",
    "request_outcome",
    "steps_to_open",
]

Action = str
"""A request action named in messages: 'approve', 'recall', ..."""

_REMIND_WHEN_LEFT = Decimal("0.25")  # remind once a quarter of the SLA is left


@dataclass(frozen=True, slots=True)
class StepState:
    """What ordering needs to know about a step."""

    step_id: str
    chain_id: str
    position: int
    status: StepStatus


@dataclass(frozen=True, slots=True)
class StepTally:
    """A step's status and approvals after one decision."""

    status: StepStatus
    approvals: int


def chain_order(plan: ApprovalPlan) -> dict[str, tuple[str, ...]]:
    """Each chain of the plan and the chains it waits for."""
    return {chain.chain_id: chain.after for chain in plan.chains}


def check_open(status: RequestStatus, action: Action, request_id: int) -> None:
    """Refuse `action` on a request that is no longer pending (Conflict says why)."""
    if status is not RequestStatus.PENDING:
        raise Conflict(f"request {request_id} is {status}: cannot {action} it any more")


def steps_to_open(steps: Sequence[StepState], after: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The waiting steps whose turn has come, in chain and position order."""
    by_chain: dict[str, list[StepState]] = {}
    for step in steps:
        by_chain.setdefault(step.chain_id, []).append(step)
    done_chains = {
        chain for chain, members in by_chain.items() if all(s.status.done for s in members)
    }
    ready = []
    for chain, members in by_chain.items():
        if not all(a in done_chains or a not in by_chain for a in after.get(chain, ())):
            continue
        for step in sorted(members, key=lambda s: s.position):
            if step.status is StepStatus.WAITING:
                ready.append(step.step_id)
            if not step.status.done:
                break
    return ready


def request_outcome(steps: Iterable[StepState]) -> RequestStatus | None:
    """REJECTED once a step is rejected, APPROVED once every step is done, else None."""
    statuses = [step.status for step in steps]
    if StepStatus.REJECTED in statuses:
        return RequestStatus.REJECTED
    if all(status.done for status in statuses):
        return RequestStatus.APPROVED
    return None


def decide(status: StepStatus, approvals: int, required: int, decision: Decision) -> StepTally:
    """One decision on a pending step: an approval counts toward the quorum, a rejection ends it."""
    if status is not StepStatus.PENDING:
        raise Conflict(f"the step is {status}, not pending: it cannot be decided")
    if decision is Decision.REJECTED:
        return StepTally(StepStatus.REJECTED, approvals)
    count = approvals + 1
    return StepTally(StepStatus.APPROVED if count >= required else StepStatus.PENDING, count)


def carried_over(
    previous: ApprovalPlan, previous_done: Iterable[str], new: ApprovalPlan
) -> set[str]:
    """Steps of `new` that stay approved: approved last time and still within tolerance."""
    done = set(previous_done)
    old = {step.step_id: step for step in previous.steps}
    return {
        step.step_id
        for step in new.steps
        if step.step_id in done and old[step.step_id].still_approved(new.values)
    }


def initial_statuses(plan: ApprovalPlan, carried: Iterable[str] = ()) -> dict[str, StepStatus]:
    """Every step of a new request: carried over, or waiting (then opened by `steps_to_open`)."""
    keep = set(carried)
    return {
        step.step_id: StepStatus.CARRIED_OVER if step.step_id in keep else StepStatus.WAITING
        for step in plan.steps
    }


def material_changes(frozen: ApprovalPlan, new: ApprovalPlan) -> list[str]:
    """Why an edit while pending withdraws the request (empty: not material).

    Material: the edited quote needs a step the frozen plan did not have, or a value a frozen
    step tested got worse beyond the rule's re-approval tolerance (without a tolerance: changed).
    A quote that needs less approval than before is not material: its approvers still decide.
    """
    reasons = []
    before = {step.step_id: step for step in frozen.steps}
    for step in new.steps:
        if step.step_id not in before:
            reasons.append(f"step {step.step_id} is now required ({'; '.join(step.reasons)})")
    for step in frozen.steps:
        if not step.still_approved(new.values):
            reasons.append(f"step {step.step_id}: {_worse(step.step_id, frozen, new.values)}")
    return reasons


def _worse(step_id: str, frozen: ApprovalPlan, values: Mapping[str, PlanValue]) -> str:
    step = next(s for s in frozen.steps if s.step_id == step_id)
    for tolerance in step.tolerances:
        now = values.get(tolerance.variable)
        if not isinstance(now, Decimal) or not tolerance.holds(now):
            return (
                f"{tolerance.variable} went from {tolerance.snapshot} to {now}, beyond the "
                f"tolerance of {tolerance.tolerance}"
            )
    changed = [t.name for t in step.tested if values.get(t.name) != t.value]
    return f"tested values changed: {', '.join(changed) or 'a line or clause condition'}"


def due_at(
    calendar: BusinessCalendar, opened: datetime, sla_hours: Decimal | None
) -> datetime | None:
    """When an SLA of `sla_hours` business hours from `opened` runs out (None without SLA)."""
    return None if sla_hours is None else calendar.add_business_hours(opened, sla_hours)


def reminder_kind(
    calendar: BusinessCalendar,
    *,
    at: datetime,
    due: datetime | None,
    sla_hours: Decimal | None,
) -> str | None:
    """'overdue' past the due time, 'due_soon' within the last quarter of the SLA, else None."""
    if due is None or sla_hours is None:
        return None
    if at >= due:
        return "overdue"
    left = calendar.business_hours_between(at, due)
    return "due_soon" if left <= sla_hours * _REMIND_WHEN_LEFT else None
