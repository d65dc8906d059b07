"""Tokens of the condition language: numbers, strings, names, operators and punctuation.

Numbers are exact decimals (`0.2` is two tenths, not a binary float); strings take single or
double quotes with the escapes `\\\\ \\' \\" \\n \\t`. Mistakes people make coming from other
languages (`=`, `&`, `and`, `not`) get a message that says what to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from revdesk.approvals.expr.nodes import ExpressionError

__all__ = ["Token", "tokenize"]

OPERATORS: Final = (
    "&&",
    "||",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "!",
    "+",
    "-",
    "*",
    "/",
    "%",
    "?",
    ":",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
)
_HINTS: Final = {
    "=": "'=' is not an operator; write '==' to compare",
    "&": "write '&&' for 'and'",
    "|": "write '||' for 'or'",
}
_WORD_HINTS: Final = {
    "and": "write '&&' instead of 'and'",
    "or": "write '||' instead of 'or'",
    "not": "write '!' instead of 'not'",
    "null": "null is not supported: every variable always has a value",
    "None": "None is not supported: every variable always has a value",
}
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `kind` is num, str, name, op or end; `text` is the source text."""

    kind: str
    text: str
    start: int
    end: int
    value: Decimal | str | None = None


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an `end` token; bad input raises ExpressionError."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char.isdigit() or (char == "." and text[position + 1 : position + 2].isdigit()):
            token = _number(text, position)
        elif char in "'\"":
            token = _string(text, position)
        elif char.isalpha() or char == "_":
            token = _name(text, position)
        else:
            token = _operator(text, position)
        tokens.append(token)
        position = token.end
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _number(text: str, start: int) -> Token:
    end = start
    while end < len(text) and (text[end].isdigit() or text[end] == "."):
        end += 1
    if end < len(text) and (text[end].isalpha() or text[end] == "_"):
        raise ExpressionError(f"malformed number {text[start : end + 1]!r}", start)
    literal = text[start:end]
    if literal.count(".") > 1 or literal.endswith("."):
        raise ExpressionError(f"malformed number {literal!r}", start)
    return Token("num", literal, start, end, Decimal(literal))


def _string(text: str, start: int) -> Token:
    quote, position = text[start], start + 1
    chars: list[str] = []
    while position < len(text):
        char = text[position]
        if char == quote:
            return Token("str", text[start : position + 1], start, position + 1, "".join(chars))
        if char == "\\":
            escaped = text[position + 1 : position + 2]
            if escaped not in _ESCAPES:
                raise ExpressionError(f"unknown escape '\\{escaped}' in a string", position)
            chars.append(_ESCAPES[escaped])
            position += 2
            continue
        if char == "\n":
            break
        chars.append(char)
        position += 1
    raise ExpressionError("unterminated string: the closing quote is missing", start)


def _name(text: str, start: int) -> Token:
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    if word in _WORD_HINTS:
        raise ExpressionError(_WORD_HINTS[word], start)
    return Token("name", word, start, end, word)


def _operator(text: str, start: int) -> Token:
    for operator in OPERATORS:
        if text.startswith(operator, start):
            return Token("op", operator, start, start + len(operator))
    char = text[start]
    raise ExpressionError(_HINTS.get(char, f"unexpected character {char!r}"), start)
