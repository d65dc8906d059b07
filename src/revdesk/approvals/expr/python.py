"""Compile a checked expression to a Python closure, for previewing one quote at a time.

Values: numbers are `Decimal`, strings `str`, booleans `bool`, lists tuples, `lines` and
`clauses` tuples of mappings (field -> value), clause `parameters` a mapping name -> Decimal.
Arithmetic is that of `revdesk.pricing.fixed`: `+` and `-` exact, `*` and `/` rounded half
away from zero at ten places, division by zero gives 0, `%` keeps the sign of the dividend
(and is 0 for a zero divisor). The closures take `(values, element)`: the quote-level values
and, inside a macro or a roll-up, the current line or clause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from revdesk.approvals.expr.checker import Checked, Type
from revdesk.approvals.expr.nodes import (
    Binary,
    Call,
    Conditional,
    Ident,
    Index,
    ListLit,
    Literal,
    Macro,
    Node,
    Select,
    Unary,
)
from revdesk.pricing.fixed import div, mul

__all__ = ["Element", "Evaluator", "Values", "compile_node", "compile_python"]

Values = Mapping[str, object]
Element = Mapping[str, object] | None
Evaluator = Callable[[Values, Element], object]

_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_UP)
_ZERO: Final = Decimal(0)


def _remainder(left: Decimal, right: Decimal) -> Decimal:
    return _ZERO if right == 0 else _CONTEXT.remainder(left, right)


_ARITHMETIC: Final[Mapping[str, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": _CONTEXT.add,
    "-": _CONTEXT.subtract,
    "*": mul,
    "/": div,
    "%": _remainder,
}
_COMPARISONS: Final[Mapping[str, Callable[[object, object], bool]]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
    "in": lambda a, b: a in b,  # type: ignore[operator]
}
_STRING_METHODS: Final[Mapping[str, Callable[[str, str], bool]]] = {
    "startsWith": str.startswith,
    "endsWith": str.endswith,
    "contains": lambda s, t: t in s,
}


def compile_python(checked: Checked, *, element: str | None = None) -> Evaluator:
    """A closure computing `checked`; `element` is the name a roll-up binds (e.g. `line`)."""
    return _Compiler(checked.types, element).compile(checked.node)


def compile_node(
    node: Node, types: Mapping[Node, Type], *, element: str | None = None
) -> Evaluator:
    """A closure computing one checked sub-expression (e.g. a macro, to explain a result)."""
    return _Compiler(types, element).compile(node)


class _Compiler:
    def __init__(self, types: Mapping[Node, Type], element: str | None) -> None:
        self.types = types
        self.element = element

    def compile(self, node: Node) -> Evaluator:  # noqa: PLR0911 - one case per node kind
        match node:
            case Literal(value=value):
                return lambda _values, _element: value
            case ListLit(items=items):
                constant = tuple(item.value for item in items if isinstance(item, Literal))
                return lambda _values, _element: constant
            case Ident(name=name):
                return self.ident(name)
            case Select() | Index():
                return self.select(node)
            case Call():
                return self.call(node)
            case Macro():
                return self.macro(node)
            case Unary():
                return self.unary(node)
            case Binary():
                return self.binary(node)
            case Conditional():
                return self.conditional(node)
        raise AssertionError(f"cannot compile {node!r}")  # pragma: no cover

    def ident(self, name: str) -> Evaluator:
        if name == self.element:
            return lambda _values, element: element
        return lambda values, _element: values[name]

    def select(self, node: Select | Index) -> Evaluator:
        owner = self.compile(node.operand)
        if self.types[node.operand] is Type.PARAMETERS:
            key = node.field if isinstance(node, Select) else str(_literal(node.key))
            return lambda values, element: _parameter(owner(values, element), key)
        assert isinstance(node, Select)
        name = node.field
        return lambda values, element: _field(owner(values, element), name)

    def call(self, node: Call) -> Evaluator:
        args = [*([node.target] if node.target is not None else []), *node.args]
        if node.name == "size":
            (arg,) = args
            if isinstance(arg, Macro):
                return self.macro(arg)
            sized = self.compile(arg)
            return lambda values, element: Decimal(len(sized(values, element)))  # type: ignore[arg-type]
        method = _STRING_METHODS[node.name]
        text, other = (self.compile(arg) for arg in args)
        return lambda values, element: method(text(values, element), other(values, element))  # type: ignore[arg-type]

    def macro(self, node: Macro) -> Evaluator:
        collection = self.compile(node.target)
        body = _Compiler(self.types, node.var).compile(node.body)

        def matches(values: Values, element: Element) -> list[bool]:
            items: tuple[Mapping[str, object], ...] = collection(values, element)  # type: ignore[assignment]
            return [bool(body(values, item)) for item in items]

        if node.kind == "all":
            return lambda values, element: all(matches(values, element))
        if node.kind == "exists":
            return lambda values, element: any(matches(values, element))
        if node.kind == "exists_one":
            return lambda values, element: sum(matches(values, element)) == 1
        return lambda values, element: Decimal(sum(matches(values, element)))

    def unary(self, node: Unary) -> Evaluator:
        operand = self.compile(node.operand)
        if node.op == "!":
            return lambda values, element: not operand(values, element)
        return lambda values, element: -operand(values, element)  # type: ignore[operator]

    def binary(self, node: Binary) -> Evaluator:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "&&":
            return lambda values, element: (
                bool(left(values, element)) and bool(right(values, element))
            )
        if node.op == "||":
            return lambda values, element: (
                bool(left(values, element)) or bool(right(values, element))
            )
        if node.op in _ARITHMETIC:
            apply = _ARITHMETIC[node.op]
            return lambda values, element: apply(left(values, element), right(values, element))  # type: ignore[arg-type]
        compare = _COMPARISONS[node.op]
        return lambda values, element: compare(left(values, element), right(values, element))

    def conditional(self, node: Conditional) -> Evaluator:
        condition = self.compile(node.condition)
        then, otherwise = self.compile(node.then), self.compile(node.otherwise)
        return lambda values, element: (
            then(values, element) if condition(values, element) else otherwise(values, element)
        )


def _literal(node: Node) -> object:
    assert isinstance(node, Literal)
    return node.value


def _field(record: object, name: str) -> object:
    assert isinstance(record, Mapping)
    return record[name]


def _parameter(parameters: object, name: str) -> Decimal:
    assert isinstance(parameters, Mapping)
    value = parameters.get(name, _ZERO)
    return value if isinstance(value, Decimal) else _ZERO
