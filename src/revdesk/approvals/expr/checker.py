"""Static types of the condition language; every misuse is refused at load time.

Types: `bool`, `number` (exact decimal), `string`, `list of strings`, `list of numbers`, the
collections `lines` and `clauses`, their elements `line` and `clause`, and a clause's
`parameters` (numbers by name). There is no null: every variable always has a value. The
checker returns the type of every node, the quote-level names the expression reads, and raises
`ExpressionError` at the offending node for an unknown name or field, a type mismatch, a
nested macro or a filter that is not counted.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from revdesk.approvals.expr.nodes import (
    Binary,
    Call,
    Conditional,
    ExpressionError,
    Ident,
    Index,
    ListLit,
    Literal,
    Macro,
    Node,
    Select,
    Unary,
)

__all__ = ["Checked", "Scope", "Type", "check"]


class Type(StrEnum):
    """The type of a value in a condition."""

    BOOL = "bool"
    NUMBER = "number"
    STRING = "string"
    STRINGS = "list of strings"
    NUMBERS = "list of numbers"
    LINES = "lines"
    CLAUSES = "clauses"
    LINE = "line"
    CLAUSE = "clause"
    PARAMETERS = "clause parameters"


ELEMENT: Final = MappingProxyType({Type.LINES: Type.LINE, Type.CLAUSES: Type.CLAUSE})
_SIZED: Final = frozenset({Type.STRING, Type.STRINGS, Type.NUMBERS, Type.LINES, Type.CLAUSES})
_STRING_METHODS: Final = ("startsWith", "endsWith", "contains")
_ARITHMETIC: Final = MappingProxyType(
    {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take the remainder of"}
)
_ORDERED: Final = frozenset({Type.NUMBER, Type.STRING})
_EQUATABLE: Final = frozenset({Type.NUMBER, Type.STRING, Type.BOOL})
_MAX_PLACES: Final = 10


def _article(kind: Type) -> str:
    return f"{'an' if kind.value[0] in 'aeiou' else 'a'} {kind.value}"


@dataclass(frozen=True, slots=True)
class Scope:
    """The names a condition may use: quote variables, element fields, bound element names."""

    variables: Mapping[str, Type]
    fields: Mapping[Type, Mapping[str, Type]]
    bound: Mapping[str, Type] = field(default_factory=dict)

    def bind(self, name: str, kind: Type) -> Scope:
        """This scope with `name` standing for an element of type `kind`."""
        return Scope(self.variables, self.fields, {**self.bound, name: kind})


@dataclass(frozen=True, slots=True)
class Checked:
    """A type-checked expression: its tree, text, type, node types and the names it reads."""

    node: Node
    text: str
    type: Type
    types: Mapping[Node, Type]
    references: frozenset[str]


def check(node: Node, text: str, scope: Scope, *, expect: Type | None = Type.BOOL) -> Checked:
    """Type-check `node` (parsed from `text`) in `scope`; `expect` is the required result type."""
    checker = _Checker(text)
    kind = checker.type_of(node, scope)
    if expect is not None and kind is not expect:
        wanted = "true or false" if expect is Type.BOOL else _article(expect)
        raise ExpressionError(
            f"this must be {wanted}, but {checker.shown(node)} is {_article(kind)}", node.start
        )
    return Checked(node, text, kind, MappingProxyType(checker.types), frozenset(checker.names))


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.types: dict[Node, Type] = {}
        self.names: set[str] = set()
        self.in_macro = False

    def shown(self, node: Node) -> str:
        snippet = self.text[node.start : node.end]
        if len(snippet) > 40:
            snippet = snippet[:37] + "..."
        quoted = (isinstance(node, Literal) and isinstance(node.value, str)) or isinstance(
            node, ListLit
        )
        return snippet if quoted else f"'{snippet}'"

    def type_of(self, node: Node, scope: Scope) -> Type:
        kind = self._type(node, scope)
        self.types[node] = kind
        return kind

    def _type(self, node: Node, scope: Scope) -> Type:  # noqa: PLR0911 - one case per node kind
        match node:
            case Literal():
                return self.literal(node)
            case ListLit():
                return self.list_literal(node, scope)
            case Ident():
                return self.ident(node, scope)
            case Select() | Index():
                return self.select(node, scope)
            case Call():
                return self.call(node, scope)
            case Macro():
                return self.macro(node, scope, counted=False)
            case Unary():
                return self.unary(node, scope)
            case Binary():
                return self.binary(node, scope)
            case Conditional():
                return self.conditional(node, scope)
        raise ExpressionError("unsupported expression", node.start)  # pragma: no cover

    def literal(self, node: Literal) -> Type:
        if isinstance(node.value, bool):
            return Type.BOOL
        if isinstance(node.value, str):
            return Type.STRING
        exponent = node.value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > _MAX_PLACES:
            raise ExpressionError(
                f"the number {node.value} has more than {_MAX_PLACES} decimal places", node.start
            )
        if abs(node.value) >= Decimal(10) ** 17:
            raise ExpressionError(f"the number {node.value} is too large", node.start)
        return Type.NUMBER

    def list_literal(self, node: ListLit, scope: Scope) -> Type:
        if not node.items:
            raise ExpressionError("an empty list is not supported here", node.start)
        kinds = set()
        for item in node.items:
            if not isinstance(item, Literal) or isinstance(item.value, bool):
                raise ExpressionError("list items must be literal numbers or strings", item.start)
            kinds.add(self.type_of(item, scope))
        if len(kinds) > 1:
            raise ExpressionError("a list mixes numbers and strings", node.start)
        return Type.STRINGS if kinds == {Type.STRING} else Type.NUMBERS

    def ident(self, node: Ident, scope: Scope) -> Type:
        if node.name in scope.bound:
            return scope.bound[node.name]
        if node.name in scope.variables:
            self.names.add(node.name)
            return scope.variables[node.name]
        known = [*scope.bound, *scope.variables]
        close = difflib.get_close_matches(node.name, known, n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ExpressionError(f"unknown variable '{node.name}'{hint}", node.start)

    def select(self, node: Select | Index, scope: Scope) -> Type:
        owner = self.type_of(node.operand, scope)
        if isinstance(node, Index):
            if owner is not Type.PARAMETERS or not (
                isinstance(node.key, Literal) and isinstance(node.key.value, str)
            ):
                raise ExpressionError(
                    "only clause parameters can be indexed, by a name: c.parameters['years']",
                    node.start,
                )
            self.type_of(node.key, scope)
            return Type.NUMBER
        if owner is Type.PARAMETERS:
            return Type.NUMBER
        fields = scope.fields.get(owner)
        if fields is None:
            raise ExpressionError(
                f"{self.shown(node.operand)} is {_article(owner)} and has no fields", node.start
            )
        if node.field not in fields:
            raise ExpressionError(
                f"unknown field '{node.field}' of a {owner.value}; "
                f"fields: {', '.join(sorted(fields))}",
                node.operand.end + 1,
            )
        return fields[node.field]

    def call(self, node: Call, scope: Scope) -> Type:
        args = (node.target, *node.args) if node.target is not None else node.args
        if node.name == "size":
            return self.size(node, args, scope)
        if node.name in _STRING_METHODS and node.target is not None and len(node.args) == 1:
            for arg in args:
                if self.type_of(arg, scope) is not Type.STRING:
                    raise ExpressionError(
                        f"{node.name}() works on strings, but {self.shown(arg)} is "
                        f"{_article(self.types[arg])}",
                        arg.start,
                    )
            return Type.BOOL
        functions = "size(x), x.size(), s.startsWith(t), s.endsWith(t), s.contains(t)"
        raise ExpressionError(f"unknown function '{node.name}'; functions: {functions}", node.start)

    def size(self, node: Call, args: tuple[Node, ...], scope: Scope) -> Type:
        if len(args) != 1:
            raise ExpressionError("size() takes exactly one value", node.start)
        (arg,) = args
        if isinstance(arg, Macro) and arg.kind == "filter":
            self.types[arg] = self.macro(arg, scope, counted=True)
            return Type.NUMBER
        kind = self.type_of(arg, scope)
        if kind not in _SIZED:
            raise ExpressionError(
                f"size() needs a string, a list, lines or clauses, not {_article(kind)}", arg.start
            )
        return Type.NUMBER

    def macro(self, node: Macro, scope: Scope, *, counted: bool) -> Type:
        if self.in_macro:
            raise ExpressionError(f"{node.kind}() cannot be used inside another macro", node.start)
        if node.kind == "filter" and not counted:
            raise ExpressionError(
                "filter() can only be counted: size(lines.filter(l, <condition>))", node.start
            )
        collection = self.type_of(node.target, scope)
        if collection not in ELEMENT:
            raise ExpressionError(
                f"{node.kind}() works on lines or clauses, not {_article(collection)}", node.start
            )
        if node.var in scope.variables or node.var in scope.bound:
            raise ExpressionError(
                f"'{node.var}' is already a variable; pick another name", node.start
            )
        self.in_macro = True
        body = self.type_of(node.body, scope.bind(node.var, ELEMENT[collection]))
        self.in_macro = False
        if body is not Type.BOOL:
            raise ExpressionError(
                f"the condition of {node.kind}() must be true or false, not {_article(body)}",
                node.body.start,
            )
        return collection if node.kind == "filter" else Type.BOOL

    def unary(self, node: Unary, scope: Scope) -> Type:
        kind = self.type_of(node.operand, scope)
        wanted = Type.BOOL if node.op == "!" else Type.NUMBER
        if kind is not wanted:
            raise ExpressionError(
                f"'{node.op}' needs {_article(wanted)}, but {self.shown(node.operand)} is "
                f"{_article(kind)}",
                node.start,
            )
        return wanted

    def binary(self, node: Binary, scope: Scope) -> Type:
        left, right = self.type_of(node.left, scope), self.type_of(node.right, scope)
        if node.op in ("&&", "||"):
            for side, kind in ((node.left, left), (node.right, right)):
                if kind is not Type.BOOL:
                    raise ExpressionError(
                        f"'{node.op}' needs true or false on both sides, but "
                        f"{self.shown(side)} is {_article(kind)}",
                        side.start,
                    )
            return Type.BOOL
        if node.op in _ARITHMETIC:
            if left is not Type.NUMBER or right is not Type.NUMBER:
                raise self.mismatch(node, left, right, f"cannot {_ARITHMETIC[node.op]}")
            return Type.NUMBER
        if node.op == "in":
            return self.membership(node, left, right)
        allowed = _EQUATABLE if node.op in ("==", "!=") else _ORDERED
        if left is not right or left not in allowed:
            raise self.mismatch(node, left, right, "cannot compare")
        return Type.BOOL

    def membership(self, node: Binary, left: Type, right: Type) -> Type:
        expected = {Type.STRINGS: Type.STRING, Type.NUMBERS: Type.NUMBER}.get(right)
        if expected is None:
            raise ExpressionError(
                f"'in' needs a list on its right, but {self.shown(node.right)} is "
                f"{_article(right)}",
                node.right.start,
            )
        if left is not expected:
            raise ExpressionError(
                f"type mismatch: cannot look for {_article(left)} ({self.shown(node.left)}) in "
                f"{_article(right)} ({self.shown(node.right)})",
                node.start,
            )
        return Type.BOOL

    def mismatch(self, node: Binary, left: Type, right: Type, verb: str) -> ExpressionError:
        return ExpressionError(
            f"type mismatch: {verb} {_article(left)} ({self.shown(node.left)}) and "
            f"{_article(right)} ({self.shown(node.right)})",
            node.start,
        )

    def conditional(self, node: Conditional, scope: Scope) -> Type:
        condition = self.type_of(node.condition, scope)
        if condition is not Type.BOOL:
            raise ExpressionError(
                f"the condition before '?' must be true or false, not {_article(condition)}",
                node.condition.start,
            )
        then, otherwise = self.type_of(node.then, scope), self.type_of(node.otherwise, scope)
        if then is not otherwise or then not in _EQUATABLE:
            raise ExpressionError(
                f"both branches of '? :' must be numbers, strings or booleans of the same type; "
                f"found {_article(then)} and {_article(otherwise)}",
                node.then.start,
            )
        return then
