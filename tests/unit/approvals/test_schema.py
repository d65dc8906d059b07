"""The published JSON Schema of the policy file is generated from the models, never stale."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from revdesk.approvals.document import PolicyDoc, json_schema

ROOT = Path(__file__).resolve().parents[3]
PUBLISHED = ROOT / "docs" / "approval-policy.schema.json"


def test_the_committed_schema_is_the_generated_one() -> None:
    generated = json_schema()
    if os.environ.get("REVDESK_UPDATE_SCHEMA") == "1":
        PUBLISHED.write_text(generated, encoding="utf-8")

    assert PUBLISHED.read_text(encoding="utf-8") == generated, (
        "docs/approval-policy.schema.json is stale: run "
        "REVDESK_UPDATE_SCHEMA=1 .venv/bin/pytest tests/unit/approvals/test_schema.py"
    )


def test_the_schema_describes_the_shipped_policy() -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    shipped = yaml.safe_load((ROOT / "examples" / "policies" / "standard.yaml").read_text("utf-8"))

    assert schema["title"] == "RevDesk approval policy"
    assert set(schema["required"]) == {"version", "effective_from", "chains", "rules"}
    assert set(shipped) <= set(schema["properties"])
    assert PolicyDoc.model_validate(shipped).version == 1
