"""A recursive-descent parser for the CEL grammar subset, from lowest to highest precedence:

    expr     = or ["?" or ":" expr]
    or       = and {"||" and}
    and      = relation {"&&" relation}
    relation = sum {("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum}
    sum      = product {("+" | "-") product}
    product  = unary {("*" | "/" | "%") unary}
    unary    = ("!" | "-") unary | member
    member   = primary {"." name ["(" args ")"] | "[" expr "]"}
    primary  = name ["(" args ")"] | literal | "(" expr ")" | "[" [args] "]"

`x.all(v, cond)`, `x.exists(v, cond)`, `x.exists_one(v, cond)` and `x.filter(v, cond)` are
macros, as in CEL: the first argument is the name the element is bound to.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final

from revdesk.approvals.expr.lexer import Token, tokenize
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

__all__ = ["MACROS", "parse"]

MACROS: Final = frozenset({"all", "exists", "exists_one", "filter"})
_RELATIONS: Final = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})
_MAX_DEPTH: Final = 60


def parse(text: str) -> Node:
    """The syntax tree of `text`; a syntax error raises ExpressionError at its offset."""
    parser = _Parser(tokenize(text))
    if parser.peek.kind == "end":
        raise ExpressionError("the condition is empty", 0)
    node = parser.expression()
    if parser.peek.kind != "end":
        raise ExpressionError(
            f"unexpected {_shown(parser.peek)} after a complete condition", parser.peek.start
        )
    return node


def _negated_number(node: Node) -> Decimal | None:
    """`-value` when `node` is a number literal (so `-1` is a literal, as in CEL)."""
    if isinstance(node, Literal) and isinstance(node.value, Decimal):
        return -node.value
    return None


def _shown(token: Token) -> str:
    return "end of the condition" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.position]

    def take(self) -> Token:
        token = self.tokens[self.position]
        self.position += min(1, len(self.tokens) - 1 - self.position)
        return token

    def accept(self, text: str) -> Token | None:
        token = self.peek
        if token.kind in ("op", "name") and token.text == text:
            return self.take()
        return None

    def expect(self, text: str, context: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise ExpressionError(
                f"expected '{text}' {context}, found {_shown(self.peek)}", self.peek.start
            )
        return token

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError("the condition is nested too deeply", self.peek.start)
        condition = self.logical("||", self.logical_and)
        if self.accept("?") is None:
            self.depth -= 1
            return condition
        then = self.logical("||", self.logical_and)
        self.expect(":", "in 'condition ? then : otherwise'")
        otherwise = self.expression()
        self.depth -= 1
        return Conditional(condition.start, otherwise.end, condition, then, otherwise)

    def logical(self, op: str, operand: Callable[[], Node]) -> Node:
        left = operand()
        while self.accept(op):
            right = operand()
            left = Binary(left.start, right.end, op, left, right)
        return left

    def logical_and(self) -> Node:
        return self.logical("&&", self.relation)

    def relation(self) -> Node:
        left = self.binary(("+", "-"), self.product)
        while self.peek.text in _RELATIONS and self.peek.kind in ("op", "name"):
            op = self.take().text
            right = self.binary(("+", "-"), self.product)
            left = Binary(left.start, right.end, op, left, right)
        return left

    def product(self) -> Node:
        return self.binary(("*", "/", "%"), self.unary)

    def binary(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        left = operand()
        while self.peek.kind == "op" and self.peek.text in ops:
            op = self.take().text
            right = operand()
            left = Binary(left.start, right.end, op, left, right)
        return left

    def unary(self) -> Node:
        token = self.peek
        if token.kind == "op" and token.text in ("!", "-"):
            self.take()
            operand = self.unary()
            negated = _negated_number(operand) if token.text == "-" else None
            if negated is not None:
                return Literal(token.start, operand.end, negated)
            return Unary(token.start, operand.end, token.text, operand)
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            if self.accept("."):
                node = self.selection(node)
            elif self.accept("["):
                key = self.expression()
                end = self.expect("]", "to close the index").end
                node = Index(node.start, end, node, key)
            else:
                return node

    def selection(self, target: Node) -> Node:
        name = self.peek
        if name.kind != "name":
            raise ExpressionError(
                f"expected a field name after '.', found {_shown(name)}", name.start
            )
        self.take()
        if self.accept("(") is None:
            return Select(target.start, name.end, target, name.text)
        if name.text in MACROS:
            return self.macro(target, name)
        args, end = self.arguments()
        return Call(target.start, end, name.text, target, args)

    def macro(self, target: Node, name: Token) -> Node:
        var = self.peek
        if var.kind != "name":
            raise ExpressionError(
                f"{name.text}() needs a name for each element first: "
                f"lines.{name.text}(l, <condition on l>)",
                var.start,
            )
        self.take()
        self.expect(",", f"after the element name in {name.text}()")
        body = self.expression()
        end = self.expect(")", f"to close {name.text}()").end
        return Macro(target.start, end, name.text, target, var.text, body)

    def arguments(self) -> tuple[tuple[Node, ...], int]:
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.expression())
            while self.accept(","):
                args.append(self.expression())
            return tuple(args), self.expect(")", "to close the argument list").end
        return (), self.tokens[self.position - 1].end

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "num":
            assert token.value is not None
            return Literal(token.start, token.end, token.value)
        if token.kind == "str":
            assert token.value is not None
            return Literal(token.start, token.end, token.value)
        if token.kind == "name":
            return self.name(token)
        if token.text == "(":
            inner = self.expression()
            self.expect(")", "to close '('")
            return inner
        if token.text == "[":
            return self.list_literal(token)
        raise ExpressionError(f"unexpected {_shown(token)}", token.start)

    def name(self, token: Token) -> Node:
        if token.text in ("true", "false"):
            return Literal(token.start, token.end, token.text == "true")
        if token.text == "in":
            raise ExpressionError("unexpected 'in': a value must come before it", token.start)
        if self.accept("("):
            args, end = self.arguments()
            return Call(token.start, end, token.text, None, args)
        return Ident(token.start, token.end, token.text)

    def list_literal(self, opening: Token) -> Node:
        items: list[Node] = []
        while not self.accept("]"):
            if items:
                self.expect(",", "between list items")
                if self.accept("]"):
                    break
            items.append(self.expression())
        return ListLit(opening.start, self.tokens[self.position - 1].end, tuple(items))
