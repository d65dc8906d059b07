"""The pure state machine: chain order, quorum, outcome, carry-over and material changes."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

import pytest

from revdesk.approvals.plan import (
    ApprovalPlan,
    ApproverKind,
    ApproverSpec,
    ChainPlan,
    PlanOutcome,
    PlanValue,
    Quorum,
    QuorumKind,
    StepPlan,
    TestedValue,
    Tolerance,
    Worse,
)
from revdesk.approvals.states import Decision, RequestStatus, StepStatus
from revdesk.approvals.workflow import (
    StepState,
    StepTally,
    carried_over,
    check_open,
    decide,
    initial_statuses,
    material_changes,
    request_outcome,
    steps_to_open,
)
from revdesk.core.errors import Conflict

W, P, A, R, C = (
    StepStatus.WAITING,
    StepStatus.PENDING,
    StepStatus.APPROVED,
    StepStatus.REJECTED,
    StepStatus.CARRIED_OVER,
)
AFTER = {"desk": (), "commercial": ("desk",), "legal": ()}


def states(**statuses: StepStatus) -> list[StepState]:
    layout = {"review": ("desk", 1), "manager": ("commercial", 1), "vp": ("commercial", 2)}
    layout["legal"] = ("legal", 1)
    return [StepState(s, *layout[s], status) for s, status in statuses.items()]


def test_first_steps_of_independent_chains_open_together() -> None:
    assert steps_to_open(states(review=W, manager=W, vp=W, legal=W), AFTER) == ["review", "legal"]


def test_a_chain_waits_for_the_chains_in_its_after() -> None:
    assert steps_to_open(states(review=P, manager=W, vp=W, legal=P), AFTER) == []


def test_the_next_step_of_a_chain_opens_when_the_one_before_is_done() -> None:
    assert steps_to_open(states(review=A, manager=W, vp=W, legal=P), AFTER) == ["manager"]
    assert steps_to_open(states(review=A, manager=A, vp=W, legal=P), AFTER) == ["vp"]


def test_carried_over_steps_count_as_done() -> None:
    assert steps_to_open(states(review=C, manager=C, vp=W, legal=W), AFTER) == ["vp", "legal"]


def test_outcome_is_open_until_every_step_is_done_and_rejected_at_once() -> None:
    assert request_outcome(states(review=A, manager=P)) is None
    assert request_outcome(states(review=A, manager=C, legal=A)) is RequestStatus.APPROVED
    assert request_outcome(states(review=A, manager=R, vp=W)) is RequestStatus.REJECTED


def test_quorum_counts_approvals_and_a_rejection_ends_the_step() -> None:
    # given a step needing 2 of its approvers
    assert decide(P, 0, 2, Decision.APPROVED) == StepTally(P, 1)
    assert decide(P, 1, 2, Decision.APPROVED) == StepTally(A, 2)
    assert decide(P, 1, 2, Decision.REJECTED) == StepTally(R, 1)


def test_a_decided_step_cannot_be_decided_again() -> None:
    with pytest.raises(Conflict) as caught:
        decide(A, 1, 1, Decision.APPROVED)
    assert caught.value.message == "the step is approved, not pending: it cannot be decided"


def test_a_closed_request_refuses_actions() -> None:
    with pytest.raises(Conflict) as caught:
        check_open(RequestStatus.RECALLED, "approve", 7)
    assert caught.value.message == "request 7 is recalled: cannot approve it any more"


def step(
    step_id: str, *, tolerances: tuple[Tolerance, ...] = (), tested: tuple[TestedValue, ...] = ()
) -> StepPlan:
    return StepPlan(
        step_id=step_id,
        chain_id="commercial",
        position=1,
        approver=ApproverSpec(ApproverKind.FIELD, "owner.manager"),
        approvers=(),
        quorum=Quorum(QuorumKind.ANY),
        required_approvals=1,
        sla_hours=Decimal(8),
        rules=(f"{step_id}-rule",),
        reasons=(f"{step_id} needed",),
        tolerances=tolerances,
        tested=tested,
    )


def plan(*steps: StepPlan, **values: PlanValue) -> ApprovalPlan:
    return ApprovalPlan(
        quote_id=1,
        policy_version=1,
        policy_name="p",
        outcome=PlanOutcome.APPROVAL_REQUIRED,
        band=None,
        fired=(),
        chains=(ChainPlan("commercial", (), steps),),
        values=MappingProxyType(values),
    )


DISCOUNT = Tolerance("discount", Decimal("0.15"), Decimal("0.02"), Worse.HIGHER)
MANAGER = step("manager", tolerances=(DISCOUNT,))
LEGAL = step("legal", tested=(TestedValue("legal_clauses", Decimal(1)),))


def test_a_step_within_tolerance_is_carried_over() -> None:
    # given manager approved at 15 % with 2 points tolerance; the new quote is at 17 %
    previous = plan(MANAGER, LEGAL, discount=Decimal("0.15"), legal_clauses=Decimal(1))
    new = plan(MANAGER, LEGAL, discount=Decimal("0.17"), legal_clauses=Decimal(2))
    # when only the manager was approved last time, then only the manager carries over
    assert carried_over(previous, ["manager"], new) == {"manager"}
    # and legal, whose tested value changed, would not carry over even if approved
    assert carried_over(previous, ["manager", "legal"], new) == {"manager"}
    assert initial_statuses(new, {"manager"}) == {"manager": C, "legal": W}


def test_a_step_beyond_tolerance_needs_approval_again() -> None:
    previous = plan(MANAGER, discount=Decimal("0.15"))
    assert carried_over(previous, ["manager"], plan(MANAGER, discount=Decimal("0.1701"))) == set()


def test_an_edit_is_material_when_a_step_is_added_or_a_value_got_worse() -> None:
    frozen = plan(MANAGER, discount=Decimal("0.15"))
    assert material_changes(frozen, plan(MANAGER, discount=Decimal("0.16"))) == []
    assert material_changes(frozen, plan(MANAGER, discount=Decimal("0.10"))) == []
    assert material_changes(frozen, plan(MANAGER, discount=Decimal("0.18"))) == [
        "step manager: discount went from 0.15 to 0.18, beyond the tolerance of 0.02"
    ]
    assert material_changes(frozen, plan(MANAGER, LEGAL, discount=Decimal("0.15"))) == [
        "step legal is now required (legal needed)"
    ]
