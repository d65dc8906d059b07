"""YAML with positions: parse once into nodes (which know their line and column) and data.

The hygiene configuration loader validates the data and, when validation fails, walks the error
location back down the nodes with `node_at` to report `source:line:col`. Parsing refuses what
plain `yaml.safe_load` would let through silently: an empty document and a key given twice.
"""

from __future__ import annotations

from typing import Any

import yaml

from revdesk.core.errors import InvalidInput


def parse(text: str, source: str) -> tuple[yaml.Node, Any]:
    """The root node of `text` and the plain data built from those same nodes."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise InvalidInput(
                "the file is empty; expected a mapping with 'version' and 'rules'",
                where=f"{source}:1:1",
            )
        _refuse_duplicate_keys(root, source)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, source) from None
    except yaml.YAMLError as exc:  # errors without a position (e.g. a bad byte)
        raise InvalidInput(f"not valid YAML: {exc}", where=f"{source}:1:1") from None
    finally:
        loader.dispose()
    return root, data


def position(node: yaml.Node, source: str) -> str:
    """`source:line:col` of a node (1-based)."""
    return f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def node_at(root: yaml.Node, loc: tuple[str | int, ...], *, key: bool = False) -> yaml.Node:
    """Walk `loc` down the nodes; stop at the deepest node that exists (a missing key's parent).

    With `key`, the last step lands on the mapping key rather than its value.
    """
    node = root
    for depth, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next((p for p in node.value if str(p[0].value) == str(part)), None)
            if pair is None:
                break
            last = depth == len(loc) - 1
            node = pair[0] if key and last else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
    return node


def _yaml_error(exc: yaml.MarkedYAMLError, source: str) -> InvalidInput:
    """The YAML error as `InvalidInput` at the position where the parser gave up."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else f"{source}:1:1"
    reason = " ".join(part for part in (exc.context, exc.problem) if part)
    return InvalidInput(f"YAML syntax error: {reason}", where=where)


def _refuse_duplicate_keys(node: yaml.Node, source: str) -> None:
    """Refuse a mapping that gives a key twice (YAML would silently keep the last one)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise InvalidInput(
                        f"key {key.value!r} is given twice", where=position(key, source)
                    )
                seen.add(key.value)
            _refuse_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, source)
