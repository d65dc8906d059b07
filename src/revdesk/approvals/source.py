"""The policy file as YAML nodes that know where they are, so every error points at a line.

`parse` composes the YAML once into nodes (with line and column) and builds the plain data from
those same nodes. It refuses an empty document and a key given twice (plain YAML keeps the
last one silently), and reads every YAML float as an exact `Decimal`: `0.10` in a policy is
one tenth, never a binary float. `Located` turns an offset inside a condition (a YAML string)
back into the file's line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from revdesk.core.errors import InvalidInput

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
    try:
        loader = _Loader(text)  # the reader already refuses control characters
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", where=f"{source}:1:1") from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise InvalidInput(
                "the file is empty; expected a policy mapping", where=f"{source}:1:1"
            )
        _refuse_duplicate_keys(root, source)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else f"{source}:1:1"
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise InvalidInput(f"YAML syntax error: {reason}", where=at) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", where=f"{source}:1:1") from None
    finally:
        loader.dispose()
    return root, data


def where(node: yaml.Node, source: str) -> str:
    """`source:line:col` of a node (1-based)."""
    return f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def node_at(root: yaml.Node, loc: tuple[str | int, ...], *, key: bool = False) -> yaml.Node:
    """Walk `loc` down the nodes; stop at the deepest node that exists.

    With `key`, the last step lands on the mapping key rather than its value.
    """
    node = root
    for depth, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next((p for p in node.value if str(p[0].value) == str(part)), None)
            if pair is None:
                break
            node = pair[0] if key and depth == len(loc) - 1 else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
    return node


def _refuse_duplicate_keys(node: yaml.Node, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise InvalidInput(
                        f"key {key.value!r} is given twice", where=where(key, source)
                    )
                seen.add(key.value)
            _refuse_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, source)


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
