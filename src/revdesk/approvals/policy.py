"""A loaded policy: compiled conditions, variables, bands, rules, steps and chains.

`revdesk.approvals.loader.load_policy` builds a `Policy` from a file or refuses it; a `Policy`
is immutable, so the policy in force stays in force when a new one fails to load. `evaluate`
runs it on one quote's values in Python (for preview); `revdesk.approvals.program` runs the same
compiled conditions on frames (for simulation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from revdesk.approvals.expr.checker import Checked, Type
from revdesk.approvals.expr.nodes import Select, walk
from revdesk.approvals.expr.python import Evaluator, Values
from revdesk.approvals.matrix import AuthorityMatrix
from revdesk.approvals.plan import ApproverSpec, Quorum, Worse
from revdesk.pricing.fixed import div_int_units, from_units, to_units

__all__ = [
    "Band",
    "Chain",
    "Condition",
    "Evaluation",
    "Policy",
    "Probe",
    "ReapprovalSpec",
    "Rule",
    "Step",
    "Variable",
]

_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Probe:
    """A macro of a condition, compiled to explain a result: which elements matched."""

    text: str
    collection: str
    body: Evaluator
    whole: Evaluator


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition: its text, position, checked tree and Python evaluator.

    `probes` explain its macros; `constant` is its value when it reads no variable.
    """

    text: str
    where: str
    checked: Checked
    evaluate: Evaluator
    constant: bool | None = None
    probes: tuple[Probe, ...] = ()

    def holds(self, values: Values) -> bool:
        """Whether the condition is true for these quote values."""
        return bool(self.evaluate(values, None))


@dataclass(frozen=True, slots=True)
class Variable:
    """A policy variable: an expression (`kind` expr) or a roll-up (sum, max, min, avg, count).

    A roll-up runs over `over` (lines or clauses) keeping the elements where `where` holds,
    and is `default` when none is kept (count is then 0).
    """

    name: str
    kind: str
    where: str
    of: Checked | None
    filter: Checked | None
    over: str
    default: Decimal
    compute: Callable[[Values], object]
    references: frozenset[str]


@dataclass(frozen=True, slots=True)
class Band:
    """An auto-approve band: a quote for which `condition` holds needs no approval."""

    id: str
    condition: Condition
    reason: str


@dataclass(frozen=True, slots=True)
class ReapprovalSpec:
    """A rule's re-approval tolerance before it is measured on a quote."""

    variable: str
    tolerance: Decimal
    worse: Worse


@dataclass(frozen=True, slots=True)
class Rule:
    """When `condition` holds, the quote needs `step` (in `chain`), approved by `approver`."""

    id: str
    condition: Condition
    step: str
    chain: str
    approver: ApproverSpec
    quorum: Quorum
    sla_hours: Decimal | None
    reapproval: tuple[ReapprovalSpec, ...]
    reason: str
    where: str


@dataclass(frozen=True, slots=True)
class Step:
    """A step: its chain and place in it, and the approver its rules agree on."""

    id: str
    chain: str
    position: int
    approver: ApproverSpec
    quorum: Quorum
    sla_hours: Decimal | None
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chain:
    """Steps in order; the chain starts once every chain in `after` is done."""

    id: str
    steps: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A policy run on one quote: every value, the band that matched, the rules that fired."""

    values: Mapping[str, object]
    band: Band | None
    fired: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """A loaded, checked approval policy (see the module doc and docs/approval-policy.md)."""

    version: int
    name: str
    source: str
    effective_from: date
    effective_to: date | None
    discount_rate: Decimal
    variables: tuple[Variable, ...]
    bands: tuple[Band, ...]
    rules: tuple[Rule, ...]
    chains: tuple[Chain, ...]
    steps: Mapping[str, Step]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    matrix: AuthorityMatrix | None = None

    def in_force(self, day: date) -> bool:
        """Whether `day` is within the effective dates (`effective_to` is exclusive)."""
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def reads(self) -> tuple[frozenset[str], frozenset[str]]:
        """The quote variables and the line fields that any condition or variable reads."""
        checked = [v.of for v in self.variables] + [v.filter for v in self.variables]
        checked += [b.condition.checked for b in self.bands]
        checked += [r.condition.checked for r in self.rules]
        quote: set[str] = set()
        line: set[str] = set()
        for item in checked:
            if item is None:
                continue
            quote |= item.references
            line |= {
                node.field
                for node in walk(item.node)
                if isinstance(node, Select) and item.types.get(node.operand) is Type.LINE
            }
        return frozenset(quote), frozenset(line)

    def evaluate(self, builtins: Mapping[str, object]) -> Evaluation:
        """Compute the variables on a quote's built-in values, then the bands and rules."""
        values = dict(builtins)
        for variable in self.variables:
            values[variable.name] = variable.compute(values)
        band = next((b for b in self.bands if b.condition.holds(values)), None)
        fired = tuple(rule for rule in self.rules if rule.condition.holds(values))
        return Evaluation(values, band, fired)


def roll_up(
    kind: str,
    of: Evaluator | None,
    keep: Evaluator | None,
    over: str,
    default: Decimal,
) -> Callable[[Values], object]:
    """The Python computation of a roll-up variable (see `Variable`)."""

    def compute(values: Values) -> object:
        items = values[over]
        assert isinstance(items, tuple)
        chosen = [item for item in items if keep is None or keep(values, item)]
        if kind == "count":
            return Decimal(len(chosen))
        if not chosen:
            return default
        assert of is not None
        numbers: list[Decimal] = [of(values, item) for item in chosen]  # type: ignore[misc]
        if kind == "max":
            return max(numbers)
        if kind == "min":
            return min(numbers)
        total = Decimal(0)
        for number in numbers:
            total = _CONTEXT.add(total, number)
        if kind == "avg":
            return from_units(div_int_units(to_units(total), len(numbers)))
        return total

    return compute
