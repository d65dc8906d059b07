"""The approval plan of a quote: what `preview` returns and what a request freezes at submit.

An `ApprovalPlan` says whether the quote needs approval (`outcome`), which auto-approve band
let it through (`band`) or which rules fired and why (`fired`, each with the values it tested),
and the steps to run: grouped in chains (`chains`, in the policy's order; a chain's steps run in
order, chains run in parallel once the chains in their `after` are done; `after` lists only
chains present in the plan), each with its position in its chain (1, 2, ... counting only the
steps this quote needs), named approvers (never the deal owner), quorum, SLA in business hours
and the re-approval tolerances measured from this quote (`Tolerance.snapshot`). A step nobody
can approve is `UNRESOLVED` with the reason in `problem`. `values` holds every scalar variable
of the quote (built-ins and policy variables) at preview time.

Everything is a frozen dataclass with `StrEnum` statuses, and `to_dict`/`from_dict` round-trip
a plan through JSON-safe data (decimals as strings), so that the workflow can store the plan it
froze and compare a resubmitted quote against it::

    plan = preview(policy, context, directory)
    if plan.outcome is PlanOutcome.APPROVAL_REQUIRED:
        for chain in plan.chains:
            for step in chain.steps:
                print(step.position, step.step_id, [a.label for a in step.approvers])
    frozen = plan.to_dict()                       # store as JSON
    again = ApprovalPlan.from_dict(frozen)        # == plan
    keep = old_step.still_approved(new_plan.values)   # smart re-approval
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

__all__ = [
    "ApprovalPlan",
    "ApproverKind",
    "ApproverSpec",
    "BandMatch",
    "ChainPlan",
    "NamedApprover",
    "PlanOutcome",
    "PlanValue",
    "Quorum",
    "QuorumKind",
    "ResolutionStatus",
    "RuleFiring",
    "StepPlan",
    "TestedValue",
    "Tolerance",
    "Worse",
]

PlanValue = Decimal | str | bool | tuple[str, ...]
"""A variable's value in a plan: number, text, true/false or a list of texts."""


class PlanOutcome(StrEnum):
    """Whether the quote needs approval."""

    APPROVAL_REQUIRED = "approval_required"  # at least one rule fired and no band matched
    AUTO_APPROVED = "auto_approved"  # an auto-approve band matched (rules are waived)
    NOT_REQUIRED = "not_required"  # no rule fired


class ApproverKind(StrEnum):
    """How a step's approvers are found."""

    USER = "user"  # one user, by e-mail
    ROLE = "role"  # every active user with the role
    GROUP = "group"  # the members of a policy group
    FIELD = "field"  # a record field: owner.manager, owner.manager.manager, ...
    MATRIX = "matrix"  # a level of the authority matrix, by segment and region


class QuorumKind(StrEnum):
    """How many of a step's approvers must approve."""

    ALL = "all"
    ANY = "any"
    COUNT = "count"
    PERCENT = "percent"


class ResolutionStatus(StrEnum):
    """Whether a step's approvers could be named."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"  # nobody to ask, or fewer people than the quorum: see `problem`


class Worse(StrEnum):
    """Which direction of change makes a tested value worse."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True, slots=True)
class ApproverSpec:
    """The approver as the policy names it, e.g. `role finance` or `field owner.manager`."""

    kind: ApproverKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


@dataclass(frozen=True, slots=True)
class Quorum:
    """all, any, at least `value` approvers (count) or `value` % of them (percent)."""

    kind: QuorumKind
    value: int | None = None

    def required(self, candidates: int) -> int:
        """Approvals needed out of `candidates` people (at least 1)."""
        if self.kind is QuorumKind.ALL:
            return max(1, candidates)
        if self.kind is QuorumKind.ANY:
            return 1
        if self.kind is QuorumKind.COUNT:
            return self.value or 1
        return max(1, math.ceil(candidates * (self.value or 100) / 100))

    def __str__(self) -> str:
        if self.kind is QuorumKind.COUNT:
            return f"{self.value} of"
        if self.kind is QuorumKind.PERCENT:
            return f"{self.value}% of"
        return str(self.kind)


@dataclass(frozen=True, slots=True)
class Tolerance:
    """On resubmission the step stays approved while `variable` is not worse than `snapshot`
    by more than `tolerance`."""

    variable: str
    snapshot: Decimal
    tolerance: Decimal
    worse: Worse

    def holds(self, value: Decimal) -> bool:
        """Whether `value` is within the tolerance of the snapshot."""
        if self.worse is Worse.HIGHER:
            return value <= self.snapshot + self.tolerance
        return value >= self.snapshot - self.tolerance


@dataclass(frozen=True, slots=True)
class TestedValue:
    """A value a condition read: a variable, or a macro with the lines or clauses it matched."""

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    name: str
    value: PlanValue
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RuleFiring:
    """A rule whose condition held: the step it requires and why."""

    rule_id: str
    step_id: str
    chain_id: str
    condition: str
    reason: str
    tested: tuple[TestedValue, ...]
    where: str


@dataclass(frozen=True, slots=True)
class BandMatch:
    """The auto-approve band that matched."""

    band_id: str
    condition: str
    reason: str
    tested: tuple[TestedValue, ...]


@dataclass(frozen=True, slots=True)
class NamedApprover:
    """A user who may approve a step, with why: e.g. 'manager of Rita Rep'."""

    user_id: int
    name: str
    email: str
    label: str


@dataclass(frozen=True, slots=True)
class StepPlan:
    """A step to approve: who, how many of them, by when, and for which rules."""

    step_id: str
    chain_id: str
    position: int
    approver: ApproverSpec
    approvers: tuple[NamedApprover, ...]
    quorum: Quorum
    required_approvals: int
    sla_hours: Decimal | None
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    tolerances: tuple[Tolerance, ...]
    tested: tuple[TestedValue, ...] = ()
    status: ResolutionStatus = ResolutionStatus.RESOLVED
    problem: str = ""

    def still_approved(self, values: Mapping[str, PlanValue]) -> bool:
        """Whether a resubmitted quote's `values` keep this step approved (smart re-approval).

        With tolerances, every tolerated variable must stay within its tolerance. Without,
        every value its rules tested must be unchanged; a tested macro (`lines.exists(...)`)
        cannot be compared by value, so it always asks for re-approval.
        """
        if self.tolerances:
            return all(
                isinstance(values.get(t.variable), Decimal) and t.holds(values[t.variable])  # type: ignore[arg-type]
                for t in self.tolerances
            )
        return all(
            tested.name in values and values[tested.name] == tested.value for tested in self.tested
        )


@dataclass(frozen=True, slots=True)
class ChainPlan:
    """Steps that run one after another; the chain starts once chains in `after` are done."""

    chain_id: str
    after: tuple[str, ...]
    steps: tuple[StepPlan, ...]


@dataclass(frozen=True, slots=True)
class ApprovalPlan:
    """What a quote needs under a policy (see the module doc)."""

    quote_id: int | None
    policy_version: int
    policy_name: str
    outcome: PlanOutcome
    band: BandMatch | None
    fired: tuple[RuleFiring, ...]
    chains: tuple[ChainPlan, ...]
    values: Mapping[str, PlanValue] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def steps(self) -> tuple[StepPlan, ...]:
        """Every step of every chain, chain by chain."""
        return tuple(step for chain in self.chains for step in chain.steps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data (decimals as strings) that `from_dict` reads back."""
        from revdesk.approvals.plan_codec import encode_plan  # noqa: PLC0415 - it imports us

        return encode_plan(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalPlan:
        """The plan `to_dict` wrote."""
        from revdesk.approvals.plan_codec import decode_plan  # noqa: PLC0415 - it imports us

        return decode_plan(data)
