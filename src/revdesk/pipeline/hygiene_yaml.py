"""YAML with positions for the hygiene configuration: `revdesk.core.yamlsource` with its message.

The hygiene configuration loader validates the data and, when validation fails, walks the error
location back down the nodes with `node_at` to report `source:line:col` (`position`).
"""

from __future__ import annotations

from typing import Any

import yaml

from revdesk.core.yamlsource import node_at, position
from revdesk.core.yamlsource import parse as parse_yaml

__all__ = ["node_at", "parse", "position"]


def parse(text: str, source: str) -> tuple[yaml.Node, Any]:
    """The root node of `text` and the plain data built from those same nodes."""
    return parse_yaml(
        text, source, empty="the file is empty; expected a mapping with 'version' and 'rules'"
    )
