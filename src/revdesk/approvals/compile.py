"""Compile a validated policy document's conditions, variables, bands and rules.

Every expression is parsed and type-checked where it stands in the file, so each error becomes
`InvalidInput` at `file:line:col` of the offending character. Variables are ordered so that
each comes after the variables it reads; a cycle is refused naming its members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import yaml

from revdesk.approvals.context import CLAUSE_FIELDS, LINE_FIELDS, QUOTE_VARIABLES
from revdesk.approvals.document import (
    CountQuorum,
    PolicyDoc,
    ReapprovalDoc,
    RuleDoc,
    VariableDoc,
)
from revdesk.approvals.expr.checker import Checked, Scope, Type, check
from revdesk.approvals.expr.nodes import ExpressionError, Ident, Macro, walk
from revdesk.approvals.expr.parser import parse
from revdesk.approvals.expr.python import compile_node, compile_python
from revdesk.approvals.plan import ApproverKind, ApproverSpec, Quorum, QuorumKind, Worse
from revdesk.approvals.policy import (
    Band,
    Condition,
    Probe,
    ReapprovalSpec,
    Rule,
    Variable,
    roll_up,
)
from revdesk.approvals.source import Located, node_at, where
from revdesk.core.errors import InvalidInput

__all__ = ["Compiler"]

ELEMENTS = {"lines": ("line", Type.LINE), "clauses": ("clause", Type.CLAUSE)}
FIELDS = {Type.LINE: LINE_FIELDS, Type.CLAUSE: CLAUSE_FIELDS}


@dataclass(frozen=True, slots=True)
class Compiler:
    """Compiles the expressions of one policy file, reporting errors at their position."""

    root: yaml.Node
    text: str
    source: str

    def at(self, loc: tuple[str | int, ...], *, key: bool = False) -> str:
        """`file:line:col` of the node at `loc`."""
        return where(node_at(self.root, loc, key=key), self.source)

    def expression(
        self, loc: tuple[str | int, ...], scope: Scope, *, expect: Type | None = Type.BOOL
    ) -> Checked:
        """Parse and type-check the expression at `loc`."""
        located = Located(node_at(self.root, loc), self.text, self.source)
        try:
            return check(parse(located.value), located.value, scope, expect=expect)
        except ExpressionError as exc:
            raise InvalidInput(exc.message, where=located.at(exc.offset)) from None

    def condition(self, loc: tuple[str | int, ...], scope: Scope) -> Condition:
        """A compiled true/false condition; constant when it reads no variable."""
        checked = self.expression(loc, scope)
        evaluate = compile_python(checked)
        constant = None
        if not checked.references:
            constant = bool(evaluate({}, None))
        probes = tuple(
            Probe(
                checked.text[node.start : node.end],
                node.target.name,
                compile_node(node.body, checked.types, element=node.var),
                compile_node(node, checked.types),
            )
            for node in walk(checked.node)
            if isinstance(node, Macro) and isinstance(node.target, Ident)
        )
        return Condition(checked.text, self.at(loc), checked, evaluate, constant, probes)

    # -- variables ------------------------------------------------------------------------

    def variables(self, doc: PolicyDoc) -> tuple[tuple[Variable, ...], dict[str, Type]]:
        """The policy's variables in evaluation order, and the types of every quote variable."""
        specs = {
            name: spec if isinstance(spec, VariableDoc) else VariableDoc(expr=spec)
            for name, spec in doc.variables.items()
        }
        for name in specs:
            if name in QUOTE_VARIABLES:
                raise InvalidInput(
                    f"variable '{name}' is built in; choose another name",
                    where=self.at(("variables", name), key=True),
                )
        order = self._order(specs)
        types = dict(QUOTE_VARIABLES)
        compiled = []
        for name in order:
            variable = self._variable(name, specs[name], types)
            types[name] = Type.NUMBER if variable.kind != "expr" else _type_of(variable)
            compiled.append(variable)
        return tuple(compiled), types

    def _loc(self, name: str, spec: VariableDoc, part: str) -> tuple[str, ...]:
        plain = isinstance(self._raw(("variables", name)), str)
        return ("variables", name) if plain else ("variables", name, part)

    def _raw(self, loc: tuple[str | int, ...]) -> object:
        node = node_at(self.root, loc)
        return node.value if isinstance(node, yaml.ScalarNode) else None

    def _order(self, specs: Mapping[str, VariableDoc]) -> list[str]:
        """Variables sorted so that each follows those it reads; a cycle is refused."""
        reads = {name: _names_read(spec) & set(specs) for name, spec in specs.items()}
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "open":
                cycle = [*path[path.index(name) :], name]
                raise InvalidInput(
                    f"variables read each other in a cycle: {' -> '.join(cycle)}",
                    where=self.at(("variables", cycle[0]), key=True),
                )
            state[name] = "open"
            for other in sorted(reads[name]):
                visit(other, [*path, name])
            state[name] = "done"
            order.append(name)

        for name in specs:
            visit(name, [])
        return order

    def _variable(self, name: str, spec: VariableDoc, types: Mapping[str, Type]) -> Variable:
        scope = Scope(types, FIELDS)
        if spec.kind == "expr":
            return self._expression_variable(name, spec, scope)
        over = spec.count or spec.over
        element, element_type = ELEMENTS[over]
        inner = scope.bind(element, element_type)
        of = None
        if spec.kind != "count":
            of = self.expression(("variables", name, spec.kind), inner, expect=Type.NUMBER)
        keep = self.expression(("variables", name, "where"), inner) if spec.where else None
        references = frozenset().union(*(c.references for c in (of, keep) if c is not None))
        compute = roll_up(
            spec.kind,
            compile_python(of, element=element) if of else None,
            compile_python(keep, element=element) if keep else None,
            over,
            spec.default,
        )
        position = self.at(("variables", name), key=True)
        return Variable(
            name, spec.kind, position, of, keep, over, spec.default, compute, references | {over}
        )

    def _expression_variable(self, name: str, spec: VariableDoc, scope: Scope) -> Variable:
        loc = self._loc(name, spec, "expr")
        checked = self.expression(loc, scope, expect=None)
        if checked.type not in (Type.NUMBER, Type.STRING, Type.BOOL):
            raise InvalidInput(
                f"variable '{name}' must be a number, string or true/false, "
                f"not {checked.type.value}",
                where=self.at(loc),
            )
        evaluate = compile_python(checked)
        return Variable(
            name,
            "expr",
            self.at(("variables", name), key=True),
            checked,
            None,
            "",
            Decimal(0),
            lambda values: evaluate(values, None),
            checked.references,
        )

    # -- bands and rules --------------------------------------------------------------------

    def bands(self, doc: PolicyDoc, scope: Scope) -> tuple[Band, ...]:
        """The auto-approve bands, compiled; ids must be unique."""
        self._unique([band.id for band in doc.auto_approve], "auto_approve", "band")
        return tuple(
            Band(band.id, self.condition(("auto_approve", i, "when"), scope), band.reason)
            for i, band in enumerate(doc.auto_approve)
        )

    def rules(self, doc: PolicyDoc, scope: Scope, chain_of: Mapping[str, str]) -> tuple[Rule, ...]:
        """The rules, compiled; `chain_of` maps each step to the chain that lists it."""
        self._unique([rule.id for rule in doc.rules], "rules", "rule")
        return tuple(self._rule(i, rule, scope, chain_of) for i, rule in enumerate(doc.rules))

    def _unique(self, ids: list[str], section: str, what: str) -> None:
        first: dict[str, int] = {}
        for index, ident in enumerate(ids):
            if ident in first:
                line = node_at(self.root, (section, first[ident], "id")).start_mark.line + 1
                raise InvalidInput(
                    f"{what} id '{ident}' is used twice (first on line {line})",
                    where=self.at((section, index, "id")),
                )
            first[ident] = index

    def _rule(self, index: int, rule: RuleDoc, scope: Scope, chain_of: Mapping[str, str]) -> Rule:
        loc: tuple[str | int, ...] = ("rules", index)
        chain = chain_of.get(rule.step)
        if chain is None:
            raise InvalidInput(
                f"rule '{rule.id}' requires step '{rule.step}', which no chain lists; "
                f"add it to the steps of a chain",
                where=self.at((*loc, "step")),
            )
        if rule.chain is not None and rule.chain != chain:
            raise InvalidInput(
                f"rule '{rule.id}' puts step '{rule.step}' in chain '{rule.chain}', "
                f"but chain '{chain}' lists it",
                where=self.at((*loc, "chain")),
            )
        return Rule(
            id=rule.id,
            condition=self.condition((*loc, "when"), scope),
            step=rule.step,
            chain=chain,
            approver=_approver(rule),
            quorum=_quorum(rule),
            sla_hours=rule.sla_hours,
            reapproval=self._reapproval(loc, rule, scope),
            reason=rule.reason,
            where=self.at((*loc, "id")),
        )

    def _reapproval(
        self, loc: tuple[str | int, ...], rule: RuleDoc, scope: Scope
    ) -> tuple[ReapprovalSpec, ...]:
        given = rule.reapproval
        items: list[ReapprovalDoc] = (
            [] if given is None else given if isinstance(given, list) else [given]
        )
        specs = []
        for number, item in enumerate(items):
            if scope.variables.get(item.variable) is not Type.NUMBER:
                item_loc = (
                    (*loc, "reapproval", number)
                    if isinstance(given, list)
                    else (*loc, "reapproval")
                )
                raise InvalidInput(
                    f"reapproval variable '{item.variable}' is not a number variable of the policy",
                    where=self.at((*item_loc, "variable")),
                )
            specs.append(ReapprovalSpec(item.variable, item.tolerance, Worse(item.worse)))
        return tuple(specs)


def _names_read(spec: VariableDoc) -> set[str]:
    """Names an expression or roll-up mentions (a syntax error is reported later, in place)."""
    names: set[str] = set()
    for text in (spec.expr, spec.sum, spec.max, spec.min, spec.avg, spec.where):
        if not text:
            continue
        try:
            nodes = walk(parse(text))
        except ExpressionError:
            continue
        bound = {node.var for node in nodes if isinstance(node, Macro)}
        names |= {node.name for node in nodes if isinstance(node, Ident)} - bound
    return names


def _type_of(variable: Variable) -> Type:
    assert variable.of is not None
    return variable.of.type


def _approver(rule: RuleDoc) -> ApproverSpec:
    spec = rule.approver
    for kind in ApproverKind:
        value = getattr(spec, kind.value)
        if value is not None:
            return ApproverSpec(kind, str(value))
    raise AssertionError("the document model guarantees one approver")  # pragma: no cover


def _quorum(rule: RuleDoc) -> Quorum:
    given = rule.quorum
    if isinstance(given, str):
        return Quorum(QuorumKind(given))
    if isinstance(given, CountQuorum):
        return Quorum(QuorumKind.COUNT, given.count)
    return Quorum(QuorumKind.PERCENT, given.percent)
