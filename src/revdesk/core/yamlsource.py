"""YAML with positions: parse once into nodes (which know their line and column) and data.

Configuration loaders (approval policies, hygiene rules, forecast categories) validate the plain
data and, when validation fails, walk the error location back down the nodes with `node_at` to
report `source:line:col` (`position`). Parsing refuses what plain `yaml.safe_load` lets through
silently: an empty document and a key given twice.

    root, data = parse(text, "policy.yaml", empty="the file is empty; expected a mapping")
    raise InvalidInput("unknown key", where=position(node_at(root, ("rules", 0, "wen")), src))
"""

from __future__ import annotations

from typing import Any

import yaml

from revdesk.core.errors import InvalidInput

__all__ = ["node_at", "parse", "position", "refuse_duplicate_keys"]


def parse(
    text: str,
    source: str,
    *,
    empty: str = "the file is empty",
    loader: type[yaml.SafeLoader] = yaml.SafeLoader,
) -> tuple[yaml.Node, Any]:
    """The root node of `text` and the plain data built from those same nodes.

    `empty` is the reason given for an empty document; `loader` may add constructors (it must
    stay a SafeLoader). Bad YAML raises InvalidInput at the position where the parser gave up.
    """
    try:
        parser = loader(text)  # the reader refuses control characters here, before parsing
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", where=f"{source}:1:1") from None
    try:
        root = parser.get_single_node()
        if root is None:
            raise InvalidInput(empty, where=f"{source}:1:1")
        refuse_duplicate_keys(root, source)
        data = parser.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, source) from None
    except yaml.YAMLError as exc:  # errors without a position (e.g. a bad byte)
        raise InvalidInput(f"not valid YAML: {exc}", where=f"{source}:1:1") from None
    finally:
        parser.dispose()
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


def refuse_duplicate_keys(node: yaml.Node, source: str) -> None:
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
            refuse_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            refuse_duplicate_keys(item, source)


def _yaml_error(exc: yaml.MarkedYAMLError, source: str) -> InvalidInput:
    """The YAML error as `InvalidInput` at the position where the parser gave up."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else f"{source}:1:1"
    reason = " ".join(part for part in (exc.context, exc.problem) if part)
    return InvalidInput(f"YAML syntax error: {reason}", where=where)
