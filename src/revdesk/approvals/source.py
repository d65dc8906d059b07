"""The policy file as YAML nodes that know where they are, so every error points at a line.

`parse` composes the YAML once into nodes (with line and column) and builds the plain data from
those same nodes. It refuses an empty document and a key given twice (plain YAML keeps the
last one silently), and reads every YAML float as an exact `Decimal`: `0.10` in a policy is
one tenth, never a binary float. The position helpers (`where`, `node_at`) come from
`revdesk.core.yamlsource`, shared with the hygiene and forecast configuration loaders.
`Located` turns an offset inside a condition (a YAML string) back into the file's line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from revdesk.core.yamlsource import node_at
from revdesk.core.yamlsource import parse as parse_yaml
from revdesk.core.yamlsource import position as where

__all__ = ["Located", "node_at", "parse", "where"]


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps floats exact."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:
        return text  # .inf, .nan: left as text for validation to refuse


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def parse(text: str, source: str) -> tuple[yaml.Node, Any]:
    """The root node of `text` and the data built from it; bad YAML raises InvalidInput."""
    return parse_yaml(
        text, source, empty="the file is empty; expected a policy mapping", loader=_Loader
    )


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML string node in its file: maps offsets in its value to `source:line:col`."""

    node: yaml.Node
    text: str
    source: str

    @property
    def value(self) -> str:
        """The string's value (what the expression parser sees)."""
        return str(self.node.value)

    def at(self, offset: int) -> str:
        """`source:line:col` of character `offset` of the value."""
        index = self._index(offset)
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return f"{self.source}:{line}:{column}"

    def _index(self, offset: int) -> int:
        """Index in the file of value character `offset`, aligning value and source greedily.

        The value differs from its source text only by quotes, escapes, indentation and folded
        line breaks, so matching each character to the next equal one in the source finds it.
        """
        start, end = self.node.start_mark.index, self.node.end_mark.index
        style = getattr(self.node, "style", None)
        if style in ("|", ">"):
            start = self.text.find("\n", start, end) + 1 or start
        elif style in ("'", '"'):
            start += 1
        value, cursor = self.value, start
        for char in value[:offset]:
            found = self.text.find(char, cursor, end)
            cursor = found + 1 if found >= 0 else cursor
        if offset < len(value):
            found = self.text.find(value[offset], cursor, end)
            return found if found >= 0 else cursor
        return min(cursor, max(start, end - 1))
