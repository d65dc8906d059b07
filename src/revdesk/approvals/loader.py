"""Load an approval policy: YAML -> validated document -> compiled, checked `Policy`.

Loading is pure: it returns a new `Policy` or raises `InvalidInput` whose text is
`<file>:<line>:<col>: <reason>`, so the policy in force stays in force when a new one is
refused. With a `directory`, approver users and roles are checked against the people who
exist now. The CSV authority matrix is read through `read_file` (relative to the policy file
in `load_policy_file`)::

    policy = load_policy_file("examples/policies/standard.yaml", directory=directory)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from revdesk.approvals.compile import FIELDS, Compiler
from revdesk.approvals.directory import Directory
from revdesk.approvals.document import PolicyDoc
from revdesk.approvals.expr.checker import Scope
from revdesk.approvals.policy import Policy
from revdesk.approvals.source import node_at, parse, where
from revdesk.approvals.structure import (
    chain_of_steps,
    check_approvers,
    load_matrix,
    ordered_chains,
    steps_of,
)
from revdesk.core.errors import InvalidInput

__all__ = ["load_policy", "load_policy_file"]


def load_policy(
    text: str,
    *,
    source: str,
    directory: Directory | None = None,
    read_file: Callable[[str], str] | None = None,
) -> Policy:
    """The policy in `text` (named `source` in errors), or InvalidInput at file:line:col."""
    root, data = parse(text, source)
    doc = _validate(data, root, source)
    compiler = Compiler(root, text, source)
    if doc.effective_to is not None and doc.effective_to <= doc.effective_from:
        raise InvalidInput(
            f"effective_to {doc.effective_to} is not after effective_from {doc.effective_from}",
            where=compiler.at(("effective_to",)),
        )
    variables, types = compiler.variables(doc)
    scope = Scope(MappingProxyType(types), FIELDS)
    bands = compiler.bands(doc, scope)
    chain_of = chain_of_steps(doc, compiler)
    rules = compiler.rules(doc, scope, chain_of)
    chains = ordered_chains(doc, compiler)
    steps = steps_of(rules, chains, compiler)
    matrix = load_matrix(doc, compiler, read_file)
    check_approvers(doc, rules, matrix, directory, compiler)
    return Policy(
        version=doc.version,
        name=doc.name,
        source=source,
        effective_from=doc.effective_from,
        effective_to=doc.effective_to,
        discount_rate=doc.economics.discount_rate,
        variables=variables,
        bands=bands,
        rules=rules,
        chains=chains,
        steps=MappingProxyType(steps),
        groups=MappingProxyType({name: tuple(members) for name, members in doc.groups.items()}),
        matrix=matrix,
    )


def load_policy_file(path: str | Path, *, directory: Directory | None = None) -> Policy:
    """Read and load the policy file at `path`; its CSV matrix is read next to it."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInput(f"cannot read the policy: {reason}", where=str(path)) from None

    def read_file(name: str) -> str:
        return (file.parent / name).read_text(encoding="utf-8")

    return load_policy(text, source=str(path), directory=directory, read_file=read_file)


# -- validation errors back to lines --------------------------------------------------------


def _validate(data: Any, root: yaml.Node, source: str) -> PolicyDoc:
    if not isinstance(data, dict):
        raise InvalidInput(
            f"a policy is a mapping with version, effective_from, chains and rules, "
            f"not {type(data).__name__}",
            where=where(root, source),
        )
    try:
        return PolicyDoc.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc.errors(), root, data, source) from None


def _first_error(
    errors: Sequence[ErrorDetails], root: yaml.Node, data: Any, source: str
) -> InvalidInput:
    """The error first in the file (type errors of other union branches last)."""
    located = []
    for error in errors:
        loc = _data_loc(tuple(error["loc"]), data)
        kind = error["type"]
        node = node_at(root, loc, key=kind == "extra_forbidden")
        branch = any(isinstance(part, str) and _is_tag(part) for part in error["loc"])
        located.append((_rank(kind, branch), node.start_mark.index, node, _reason(error, loc)))
    _, _, node, reason = min(located, key=lambda item: (item[0], item[1]))
    return InvalidInput(reason, where=where(node, source))


def _rank(kind: str, branch: bool) -> int:
    """Which error to show first: a typo in a key explains a missing key; inside one branch of
    a union (quorum: count or percent) a wrong value says more than the other branch's keys."""
    if kind.endswith("_type") or kind == "literal_error":
        return 3
    if kind in ("extra_forbidden", "missing"):
        return 2 if branch or kind == "missing" else 0
    return 1


def _data_loc(loc: tuple[str | int, ...], data: Any) -> tuple[str | int, ...]:
    """`loc` without pydantic's union-branch tags: only the steps that exist in the data."""
    kept: list[str | int] = []
    current = data
    for part in loc:
        present = (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and part < len(current)
        )
        if present:
            current = current[part]
            kept.append(part)
        elif isinstance(current, dict) and isinstance(part, str) and not _is_tag(part):
            kept.append(part)  # a missing or unknown key: its mapping is the place to point at
            current = None
    return tuple(kept)


def _is_tag(part: str) -> bool:
    return part[:1].isupper() or "[" in part or part in ("str", "int", "list", "dict")


def _path(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _reason(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    kind, path = error["type"], _path(loc)
    prefix = f"{path}: " if path else ""
    if kind == "extra_forbidden":
        return f"{_path(loc[:-1]) + ': ' if loc[:-1] else ''}unknown key '{loc[-1]}'"
    if kind == "missing":
        parent = _path(loc[:-1])
        return f"{parent + ': ' if parent else ''}missing required key '{loc[-1]}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return (
            f"{prefix}{error['input']!r} is not a valid name: use lower-case letters, digits and _"
        )
    return f"{prefix}{message}"
