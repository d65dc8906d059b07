"""`revdesk approvals ...`, `revdesk policy activate` and `revdesk audit verify` in a subprocess."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .test_policy_cli import STANDARD, run

BEN, GRACE = "ben.okafor@northwind.example", "grace.kim@northwind.example"
SOFIA, JONAH = "sofia.romano@northwind.example", "jonah.lee@northwind.example"


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workflow")
    assert run("db", "upgrade", cwd=folder).returncode == 0
    assert run("sample", "load", cwd=folder).returncode == 0
    with sqlite3.connect(folder / "revdesk.db") as conn:
        conn.execute("UPDATE quotes SET status = 'draft'")
    return folder


def test_a_request_from_the_command_line(company: Path) -> None:
    # given the standard policy activated
    activated = run("policy", "activate", str(STANDARD), "--as", GRACE, cwd=company)
    assert activated.returncode == 0, activated.stderr
    assert "active Standard deal desk policy v1" in activated.stdout
    # when Ben submits quote 10
    submitted = run("approvals", "submit", "10", "--as", BEN, "--json", cwd=company)
    assert submitted.returncode == 0, submitted.stderr
    view = json.loads(submitted.stdout)
    assert (view["id"], view["status"]) == (1, "pending")
    assert [s["status"] for s in view["steps"]] == ["pending", "waiting", "waiting", "pending"]
    # then Ben may not approve it (exit 6), Grace may, and a rejection needs a comment (exit 2)
    own = run("approvals", "approve", "1", "--as", BEN, cwd=company)
    assert own.returncode == 6
    assert "segregation of duties" in own.stderr
    assert run("approvals", "approve", "1", "--as", GRACE, cwd=company).returncode == 0
    bare = run("approvals", "reject", "1", "--as", "omar.haddad@northwind.example", cwd=company)
    assert bare.returncode == 2
    assert "needs --comment" in bare.stderr
    inbox = run(
        "approvals", "list", "--inbox", "marcus.bell@northwind.example", "--json", cwd=company
    )
    assert [(r["request_id"], r["step_id"]) for r in json.loads(inbox.stdout)] == [(1, "manager")]
    verified = run("audit", "verify", cwd=company)
    assert verified.returncode == 0
    assert "ok 3 audit entries verified" in verified.stdout


def test_audit_verify_fails_on_a_tampered_log(company: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.db"
    with sqlite3.connect(company / "revdesk.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)  # a plain file copy would miss what is still in the WAL
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE audit_log SET actor_id = 1 WHERE id = 2")
    result = run("audit", "verify", "--database", f"sqlite:///{copy}", cwd=company)
    assert result.returncode == 1
    assert "broken at entry 2: the entry's content does not match its hash" in result.stdout


def test_routing_from_the_command_line(company: Path) -> None:
    # given Sofia's quote 3 submitted (a desk review, then her manager Lars)
    submitted = run("approvals", "submit", "3", "--as", SOFIA, "--json", cwd=company)
    assert submitted.returncode == 0, submitted.stderr
    request = str(json.loads(submitted.stdout)["id"])
    # when Grace delegates to Jonah, Jonah approves the desk review in her place
    delegated = run("approvals", "delegate", "--to", JONAH, "--from", "2020-01-01", "--until",
                    "2099-12-31", "--reason", "leave", "--as", GRACE, cwd=company)  # fmt: skip
    assert delegated.returncode == 0, delegated.stderr
    assert run("approvals", "approve", request, "--as", JONAH, cwd=company).returncode == 0
    # and the submitter may not escalate (exit 6), but sales ops escalates the manager step
    # to Lars's manager, Dana (user 1)
    own = run("approvals", "escalate", request, "--as", SOFIA, "--json", cwd=company)
    assert own.returncode == 6, own.stderr
    escalated = run("approvals", "escalate", request, "--as", JONAH, "--json", cwd=company)
    assert json.loads(escalated.stdout) == {"request_id": int(request), "added_user_ids": [1]}
    # then the request shows who decided what
    view = json.loads(run("approvals", "show", request, "--json", cwd=company).stdout)
    desk, manager = view["steps"]
    assert [(a["user_id"], a["source"], a["decision"]) for a in desk["assignments"]] == [
        (13, "plan", None),
        (12, "delegate", "approved"),
    ]
    assert (manager["status"], manager["escalation_level"]) == ("pending", 1)
    assert [(a["user_id"], a["source"]) for a in manager["assignments"]] == [
        (4, "plan"),
        (1, "escalation"),
    ]
