"""The parameter tree: recorded as plain data, and documented one by one in docs/demo-company.md."""

from __future__ import annotations

import json
from pathlib import Path

from revdesk.demo.model import DemoParameters, as_dict, parameter_rows

DOC = Path(__file__).resolve().parents[3] / "docs" / "demo-company.md"


def test_parameters_become_plain_json_data() -> None:
    data = as_dict(DemoParameters())

    assert json.loads(json.dumps(data)) == data
    assert data["segments"]["stage_days"][2] == [18, 30, 35, 30, 28]
    assert data["org"]["regions"][0]["countries"][0] == {
        "code": "US",
        "currency": "USD",
        "weight": 0.85,
    }


def test_every_parameter_is_documented_with_its_default() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = parameter_rows(DemoParameters())

    missing = [
        name
        for name, default, meaning in rows
        if f"| `{name}` | {default} | {meaning} |" not in text
    ]

    assert len(rows) > 100
    assert missing == []
