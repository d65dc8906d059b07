"""The syntax tree of a condition, and the one error type of the expression language.

Every node knows the span (`start`, `end`: offsets into the expression text) it was parsed
from, so that the policy loader can turn any error into `file:line:column`. Nodes compare by
identity: the type checker keys its results by node.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from revdesk.core.errors import InvalidInput

__all__ = [
    "Binary",
    "Call",
    "Conditional",
    "ExpressionError",
    "Ident",
    "Index",
    "ListLit",
    "Literal",
    "Macro",
    "Node",
    "Select",
    "Unary",
    "walk",
]


class ExpressionError(InvalidInput):
    """A condition that cannot be parsed or type-checked; `offset` is where in its text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """Base of every node: the span of text it came from."""

    start: int
    end: int


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Node):
    """A number (exact decimal), a string or a boolean."""

    value: Decimal | str | bool


@dataclass(frozen=True, slots=True, eq=False)
class ListLit(Node):
    """`[a, b, ...]`."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Ident(Node):
    """A variable name, or the element a macro or roll-up binds."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Select(Node):
    """`operand.field`."""

    operand: Node
    field: str


@dataclass(frozen=True, slots=True, eq=False)
class Index(Node):
    """`operand[key]` (only clause parameters: `c.parameters['years']`)."""

    operand: Node
    key: Node


@dataclass(frozen=True, slots=True, eq=False)
class Call(Node):
    """`name(args)` or `target.name(args)`."""

    name: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Macro(Node):
    """`target.all(var, body)`, `.exists`, `.exists_one`, or `.filter` (counted by size)."""

    kind: str
    target: Node
    var: str
    body: Node


@dataclass(frozen=True, slots=True, eq=False)
class Unary(Node):
    """`!operand` or `-operand`."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True, eq=False)
class Binary(Node):
    """`left op right` for arithmetic, comparison, `in`, `&&` and `||`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, eq=False)
class Conditional(Node):
    """`condition ? then : otherwise`."""

    condition: Node
    then: Node
    otherwise: Node


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of `node`, in source order."""
    found: list[Node] = []
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(part for part in value if isinstance(part, Node))
    return tuple(found)


def walk(node: Node) -> list[Node]:
    """`node` and every node below it, depth first."""
    found = [node]
    for child in children(node):
        found.extend(walk(child))
    return found
