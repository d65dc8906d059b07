"""The shared YAML position helpers: parse, position, node_at, duplicate keys."""

from __future__ import annotations

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.core.yamlsource import node_at, parse, position

TEXT = """\
version: 1
rules:
  - id: a
    when: x > 1
  - id: b
"""


def test_node_at_walks_mappings_and_sequences_to_the_value() -> None:
    # given
    root, data = parse(TEXT, "f.yaml")
    # when
    node = node_at(root, ("rules", 1, "id"))
    # then
    assert data["rules"][1] == {"id": "b"}
    assert position(node, "f.yaml") == "f.yaml:5:9"


def test_node_at_with_key_lands_on_the_key_and_stops_at_the_deepest_existing_node() -> None:
    # given
    root, _ = parse(TEXT, "f.yaml")
    # when
    key = node_at(root, ("rules", 0, "when"), key=True)
    missing = node_at(root, ("rules", 0, "step"))
    # then
    assert position(key, "f.yaml") == "f.yaml:4:5"
    assert position(missing, "f.yaml") == "f.yaml:3:5"


def test_a_key_given_twice_is_refused_at_the_second_one() -> None:
    # given
    text = "a: 1\nb:\n  c: 2\n  c: 3\n"
    # when
    with pytest.raises(InvalidInput) as caught:
        parse(text, "f.yaml")
    # then
    assert str(caught.value) == "f.yaml:4:3: key 'c' is given twice"


def test_an_empty_document_is_refused_with_the_callers_reason() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        parse("# nothing\n", "f.yaml", empty="expected a policy mapping")
    # then
    assert str(caught.value) == "f.yaml:1:1: expected a policy mapping"


def test_a_syntax_error_points_where_the_parser_gave_up() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        parse("a: [1, 2\nb: 3\n", "f.yaml")
    # then
    assert caught.value.where == "f.yaml:2:2"
    assert caught.value.message.startswith("YAML syntax error: while parsing a flow sequence")
