"""The condition language: precedence, literals, and where each mistake is reported."""

# ruff: noqa: E501 - the expected messages are kept whole, one per case
from __future__ import annotations

from decimal import Decimal

import pytest

from revdesk.approvals.expr.checker import Scope, Type, check
from revdesk.approvals.expr.nodes import Binary, Conditional, ExpressionError, Literal, Macro
from revdesk.approvals.expr.parser import parse
from revdesk.approvals.expr.python import compile_python

N = Type.NUMBER
SCOPE = Scope(
    {"a": N, "b": N, "s": Type.STRING, "lines": Type.LINES, "clauses": Type.CLAUSES},
    {Type.LINE: {"x": N}, Type.CLAUSE: {"kind": Type.STRING, "parameters": Type.PARAMETERS}},
)


def value(text: str, **values: object) -> object:
    return compile_python(check(parse(text), text, SCOPE, expect=None))(values, None)


def test_precedence_follows_cel() -> None:
    assert value("1 + 2 * 3") == 7
    assert value("(1 + 2) * 3") == 9
    assert value("-2 * -3") == 6
    assert value("true || false && false") is True
    assert value("!false && 1 < 2") is True
    assert value("1 < 2 ? 'yes' : 'no'") == "yes"
    assert value("a > 1 ? a : b > 1 ? b : 0", a=Decimal(0), b=Decimal(5)) == 5


def test_literals_are_exact() -> None:
    assert value("0.1 + 0.2") == Decimal("0.3")
    assert value("'it\\'s'") == "it's"
    assert value('"tab\\there"') == "tab\there"
    assert value("-1.5") == Decimal("-1.5")
    assert value(".5 * 2") == 1


def test_the_tree_keeps_spans_for_error_positions() -> None:
    node = parse("a > 1 && lines.exists(l, l.x > 2)")

    assert isinstance(node, Binary)
    assert (node.left.start, node.left.end) == (0, 5)
    assert isinstance(node.right, Macro)
    assert (node.right.kind, node.right.var, node.right.start) == ("exists", "l", 9)
    assert isinstance(parse("a ? 1 : 2"), Conditional)
    assert isinstance(parse("-3"), Literal)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("", 0, "the condition is empty"),
        ("a > ", 4, "unexpected end of the condition"),
        ("a >> 1", 3, "unexpected '>'"),
        ("a = 1", 2, "'=' is not an operator; write '==' to compare"),
        ("a > 1 & b > 1", 6, "write '&&' for 'and'"),
        ("a > 1 | b > 1", 6, "write '||' for 'or'"),
        ("a > 1 and b > 1", 6, "write '&&' instead of 'and'"),
        ("not a", 0, "write '!' instead of 'not'"),
        ("s == 'open", 5, "unterminated string: the closing quote is missing"),
        ("s == 'a\\q'", 7, "unknown escape '\\q' in a string"),
        ("a > 1.2.3", 4, "malformed number '1.2.3'"),
        ("a > 12abc", 4, "malformed number '12a'"),
        ("a > 1 b", 6, "unexpected 'b' after a complete condition"),
        ("(a > 1", 6, "expected ')' to close '(', found end of the condition"),
        ("a ? 1", 5, "expected ':' in 'condition ? then : otherwise', found end of the condition"),
        ("lines.all(l l.x > 1)", 12, "expected ',' after the element name in all(), found 'l'"),
        ("a # b", 2, "unexpected character '#'"),
        ("in [1]", 0, "unexpected 'in': a value must come before it"),
        ("a > null", 4, "null is not supported: every variable always has a value"),
        ("(" * 80 + "a" + ")" * 80, 60, "the condition is nested too deeply"),
    ],
)
def test_syntax_errors_say_where_and_why(text: str, offset: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check(parse(text), text, SCOPE)

    assert (caught.value.offset, caught.value.message) == (offset, message)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("c > 1", 0, "unknown variable 'c'"),
        ("lines.exists(l, l.y > 1)", 18, "unknown field 'y' of a line; fields: x"),
        ("a.b > 1", 0, "'a' is a number and has no fields"),
        ("a[1] > 1", 0, "only clause parameters can be indexed, by a name: c.parameters['years']"),
        (
            "clauses.exists(c, c.parameters[1] > 1)",
            18,
            "only clause parameters can be indexed, by a name: c.parameters['years']",
        ),
        ("s.startsWith(1)", 13, "startsWith() works on strings, but '1' is a number"),
        ("size(a, b) > 1", 0, "size() takes exactly one value"),
        ("a.exists(x, true)", 0, "exists() works on lines or clauses, not a number"),
        ("lines.exists(a, true)", 0, "'a' is already a variable; pick another name"),
        (
            "lines.exists(l, l.x)",
            16,
            "the condition of exists() must be true or false, not a number",
        ),
        ("!a", 0, "'!' needs a bool, but 'a' is a number"),
        ("-s == 1", 0, "'-' needs a number, but 's' is a string"),
        ("s + 1 > 2", 0, "type mismatch: cannot add a string ('s') and a number ('1')"),
        ("s < 1", 0, "type mismatch: cannot compare a string ('s') and a number ('1')"),
        (
            "lines == lines",
            0,
            "type mismatch: cannot compare a lines ('lines') and a lines ('lines')",
        ),
        ("a in s", 5, "'in' needs a list on its right, but 's' is a string"),
        ("a in [1, 'x']", 5, "a list mixes numbers and strings"),
        ("a in []", 5, "an empty list is not supported here"),
        ("a in [b]", 6, "list items must be literal numbers or strings"),
        (
            "a > 1 ? 1 : 'x'",
            8,
            "both branches of '? :' must be numbers, strings or booleans of the same type; found a number and a string",
        ),
        ("a ? 1 : 2", 0, "the condition before '?' must be true or false, not a number"),
        ("a + 1", 0, "this must be true or false, but 'a + 1' is a number"),
    ],
)
def test_type_errors_say_where_and_why(text: str, offset: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check(parse(text), text, SCOPE)

    assert (caught.value.offset, caught.value.message) == (offset, message)


def test_an_unknown_name_suggests_a_close_one() -> None:
    with pytest.raises(ExpressionError, match=r"unknown variable 'lnes'; did you mean 'lines'\?"):
        check(parse("size(lnes) > 1"), "size(lnes) > 1", SCOPE)


def test_the_checker_lists_the_quote_variables_a_condition_reads() -> None:
    text = "a > 1 && lines.exists(l, l.x > b) && size(s) > 0"

    checked = check(parse(text), text, SCOPE)

    assert checked.references == frozenset({"a", "b", "lines", "s"})
