"""Compile a checked expression to a Polars expression, for millions of quotes at once.

Columns hold numbers as Int128 units (value x 10**10, see `revdesk.pricing.fixed`), strings as
String, booleans as Boolean and lists of strings as List(String); the arithmetic is the integer
twin of the Python evaluator's, so both give the same answer on every row.

An expression is compiled against a `Frame`: the quote frame (one row per quote, a column per
quote-level variable) or an element frame (one row per line or clause, a column per field,
quote-level variables joined in as `quote.<name>`, clause parameters as `param.<name>`). A macro
in a quote-level expression becomes an `Aggregate` over its element frame, which the caller
computes with one group-by per collection and joins back as a column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import polars as pl

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
    walk,
)
from revdesk.pricing.fixed import UNIT, UNITS, div_expr, mul_expr, to_units, units_lit

__all__ = ["Aggregate", "Frame", "compile_polars", "count_units", "per_row", "value_lit"]

QUOTE_PREFIX: Final = "quote."
PARAM_PREFIX: Final = "param."
SIZE_OF: Final = {"lines": "line_count", "clauses": "clause_count"}
_DEFAULTS: Final[Mapping[str, object]] = {"all": True, "exists": False, "exists_one": False}


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A per-quote aggregation of an element frame: `expr` inside `group_by(...).agg`."""

    collection: str
    alias: str
    expr: pl.Expr
    default: object
    quote_columns: frozenset[str] = frozenset()
    parameters: frozenset[str] = frozenset()


@dataclass(slots=True)
class Frame:
    """What the compiled expression runs on, and what it needs from the caller."""

    element: str | None = None
    collection: str | None = None
    quote_columns: set[str] = field(default_factory=set)
    parameters: set[str] = field(default_factory=set)
    aggregates: list[Aggregate] = field(default_factory=list)
    prefix: str = "agg"
    row: str = "__q"

    def quote_value(self, name: str) -> pl.Expr:
        """A quote-level variable, in the quote frame or joined into the element frame."""
        if self.element is None:
            return pl.col(name)
        self.quote_columns.add(name)
        return pl.col(QUOTE_PREFIX + name)


def value_lit(value: object) -> pl.Expr:
    """A literal in the columnar representation (numbers as Int128 units)."""
    if isinstance(value, bool | str):
        return pl.lit(value)
    assert isinstance(value, Decimal)
    return units_lit(to_units(value))


def count_units(expr: pl.Expr) -> pl.Expr:
    """A count (any integer column) as a number in units."""
    return expr.cast(UNITS) * units_lit(UNIT)


def compile_polars(checked: Checked, frame: Frame) -> pl.Expr:
    """The Polars expression of `checked` on `frame` (macros are added to `frame.aggregates`)."""
    expr = _Compiler(checked.types, frame).compile(checked.node)
    return per_row(expr, checked.node, frame.row)


def per_row(expr: pl.Expr, node: Node, row: str) -> pl.Expr:
    """`expr` as one value per row even when it is a constant: a literal inside a group-by is
    one value per group, and summing it would count 1 instead of the group's rows."""
    if any(isinstance(part, Ident) for part in walk(node)):
        return expr
    return pl.when(pl.col(row).is_not_null()).then(expr)


def _mod_expr(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    safe = pl.when(right == 0).then(units_lit(1)).otherwise(right.abs())
    remainder = left.sign() * (left.abs() % safe)
    return pl.when(right == 0).then(units_lit(0)).otherwise(remainder)


_ARITHMETIC: Final = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": mul_expr,
    "/": div_expr,
    "%": _mod_expr,
}
_COMPARISONS: Final = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class _Compiler:
    def __init__(self, types: Mapping[Node, Type], frame: Frame) -> None:
        self.types = types
        self.frame = frame

    def compile(self, node: Node) -> pl.Expr:  # noqa: PLR0911 - one case per node kind
        match node:
            case Literal(value=value):
                return value_lit(value)
            case ListLit():
                raise AssertionError("list literals only appear on the right of 'in'")
            case Ident(name=name):
                if name == self.frame.element:
                    raise AssertionError("an element is only used through its fields")
                return self.frame.quote_value(name)
            case Select() | Index():
                return self.select(node)
            case Call():
                return self.call(node)
            case Macro():
                return self.macro(node)
            case Unary(op=op, operand=operand):
                inner = self.compile(operand)
                return ~inner if op == "!" else units_lit(0) - inner
            case Binary():
                return self.binary(node)
            case Conditional(condition=c, then=t, otherwise=o):
                return pl.when(self.compile(c)).then(self.compile(t)).otherwise(self.compile(o))
        raise AssertionError(f"cannot compile {node!r}")  # pragma: no cover

    def select(self, node: Select | Index) -> pl.Expr:
        if self.types[node.operand] is Type.PARAMETERS:
            key = node.field if isinstance(node, Select) else node.key.value  # type: ignore[attr-defined]
            self.frame.parameters.add(str(key))
            return pl.col(PARAM_PREFIX + str(key))
        assert isinstance(node, Select)
        return pl.col(node.field)

    def call(self, node: Call) -> pl.Expr:
        args = [*([node.target] if node.target is not None else []), *node.args]
        if node.name != "size":
            text, other = (self.compile(arg) for arg in args)
            if node.name == "contains":
                return text.str.contains(other, literal=True)
            starts = node.name == "startsWith"
            return text.str.starts_with(other) if starts else text.str.ends_with(other)
        (arg,) = args
        if isinstance(arg, Macro):
            return self.macro(arg)
        kind = self.types[arg]
        if kind in (Type.LINES, Type.CLAUSES):
            assert isinstance(arg, Ident)
            return self.frame.quote_value(SIZE_OF[arg.name])
        if isinstance(arg, ListLit):
            return units_lit(len(arg.items) * UNIT)
        inner = self.compile(arg)
        return count_units(inner.str.len_chars() if kind is Type.STRING else inner.list.len())

    def macro(self, node: Macro) -> pl.Expr:
        assert isinstance(node.target, Ident)
        inner = Frame(element=node.var, collection=node.target.name, row=self.frame.row)
        body = per_row(_Compiler(self.types, inner).compile(node.body), node.body, inner.row)
        aggregated = {
            "all": body.all(),
            "exists": body.any(),
            "exists_one": body.sum() == 1,
            "filter": count_units(body.sum()),
        }[node.kind]
        default = _DEFAULTS.get(node.kind, 0)
        alias = f"__{self.frame.prefix}{len(self.frame.aggregates)}"
        needs = frozenset(inner.quote_columns), frozenset(inner.parameters)
        self.frame.aggregates.append(
            Aggregate(node.target.name, alias, aggregated, default, *needs)
        )
        return pl.col(alias)

    def binary(self, node: Binary) -> pl.Expr:
        if node.op == "in":
            return self.membership(node)
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "&&":
            return left & right
        if node.op == "||":
            return left | right
        if node.op in _ARITHMETIC:
            return _ARITHMETIC[node.op](left, right)  # type: ignore[no-any-return]
        return _COMPARISONS[node.op](left, right)  # type: ignore[no-any-return]

    def membership(self, node: Binary) -> pl.Expr:
        left = self.compile(node.left)
        if isinstance(node.right, ListLit):
            values = [item.value for item in node.right.items if isinstance(item, Literal)]
            if self.types[node.right] is Type.NUMBERS:
                return left.is_in(pl.Series([to_units(v) for v in values], dtype=UNITS).implode())  # type: ignore[arg-type]
            return left.is_in(pl.Series(values, dtype=pl.String).implode())
        return self.compile(node.right).list.contains(left)
