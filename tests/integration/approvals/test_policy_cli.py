"""`revdesk policy check | preview | simulate` in a subprocess on the sample company."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

STANDARD = Path(__file__).resolve().parents[3] / "examples" / "policies" / "standard.yaml"
BROKEN = """\
version: 1
effective_from: 2026-01-01
chains:
  commercial: {steps: [manager]}
rules:
  - id: discount
    when: discount > 0.1 &&
    step: manager
    approver: {field: owner.manager}
    reason: Discount.
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVDESK_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "revdesk", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company")
    assert run("db", "upgrade", cwd=folder).returncode == 0
    assert run("sample", "load", cwd=folder).returncode == 0
    (folder / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    text = STANDARD.read_text(encoding="utf-8")
    (folder / "new.yaml").write_text(
        text.replace("when: discount > 0.10", "when: discount > 0.15").replace(
            "version: 1", "version: 2"
        ),
        encoding="utf-8",
    )
    (folder / "nobody.yaml").write_text(
        text.replace("{role: legal}", "{role: admin}"), encoding="utf-8"
    )
    return folder


def test_check_accepts_the_shipped_policy(company: Path) -> None:
    result = run("policy", "check", str(STANDARD), cwd=company)

    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout
    assert "11 rules, 7 steps in 5 chains" in result.stdout


def test_a_syntax_error_is_one_line_with_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")

    result = run("policy", "check", "broken.yaml", cwd=tmp_path)  # no database needed

    assert result.returncode == 2
    assert result.stderr.strip() == "error: broken.yaml:7:27: unexpected end of the condition"
    assert "Traceback" not in result.stderr


def test_a_role_nobody_holds_is_refused_against_the_users(company: Path) -> None:
    offline = run("policy", "check", "nobody.yaml", "--no-directory", cwd=company)
    online = run("policy", "check", "nobody.yaml", cwd=company)

    assert offline.returncode == 0, offline.stderr
    assert online.returncode == 2
    assert online.stderr.strip() == (
        "error: nobody.yaml:138:22: approver role 'admin' is held by no active user"
    )


def test_preview_names_the_approvers(company: Path) -> None:
    table = run("policy", "preview", "11", "--policy", str(STANDARD), cwd=company)
    data = run(
        "policy", "preview", "11", "--policy", str(STANDARD), "--format", "json", cwd=company
    )

    assert table.returncode == 0, table.stderr
    assert "approval required" in table.stdout
    assert "manager of Ben Okafor: Marcus Bell" in table.stdout
    plan = json.loads(data.stdout)
    assert plan["outcome"] == "approval_required"
    assert [c["chain_id"] for c in plan["chains"]] == ["desk", "commercial", "finance", "legal"]


def test_preview_of_an_unknown_quote_is_not_found(company: Path) -> None:
    result = run("policy", "preview", "999", "--policy", str(STANDARD), cwd=company)

    assert result.returncode == 4
    assert result.stderr.strip() == "error: quote 999 does not exist"


def test_simulate_reports_the_change_against_the_policy_in_force(company: Path) -> None:
    result = run(
        "policy",
        "simulate",
        "new.yaml",
        "--current",
        str(STANDARD),
        "--format",
        "json",
        cwd=company,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["quotes"] == 13
    assert report["changed_count"] == 3
    manager = next(s for s in report["steps"] if s["step_id"] == "manager")
    assert (manager["current"], manager["new"], manager["no_longer_needed"]) == (10, 7, 3)
    assert report["cycle_time"]["source"] == "sla"
    assert report["durations_source"] == (
        "step durations: no decided steps on record; using each step's SLA hours"
    )


def test_simulate_with_measured_durations_and_a_start_date(company: Path) -> None:
    (company / "durations.csv").write_text("step,hours\nmanager,3.5\n", encoding="utf-8")

    result = run(
        "policy",
        "simulate",
        "new.yaml",
        "--current",
        str(STANDARD),
        "--since",
        "2026-01-01",
        "--step-durations",
        "durations.csv",
        cwd=company,
    )

    assert result.returncode == 0, result.stderr
    assert "Replayed 7 quotes" in result.stdout
    assert "measured durations for manager, SLA hours for the others" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--since", "01/01/2026"),
            "error: --since: '01/01/2026' is not a date (expected YYYY-MM-DD)",
        ),
        (
            ("--current", "missing.yaml"),
            "error: missing.yaml: cannot read the policy: No such file or directory",
        ),
        (
            ("--step-durations", "nope.csv"),
            "error: nope.csv: cannot read step durations: No such file or directory",
        ),
    ],
)
def test_bad_simulate_options_are_one_clear_line(
    company: Path, args: tuple[str, ...], message: str
) -> None:
    result = run("policy", "simulate", "new.yaml", *args, cwd=company)

    assert result.returncode == 2
    assert result.stderr.strip() == message
