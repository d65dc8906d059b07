"""The `revdesk` command end to end, in a subprocess: exit codes and messages, never tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("REVDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "revdesk", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_upgrade_load_and_summary_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    upgraded = run("db", "upgrade", cwd=tmp_path)
    loaded = run("sample", "load", cwd=tmp_path)
    again = run("sample", "load", cwd=tmp_path)
    summary = run("summary", cwd=tmp_path)

    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "revdesk.db").is_file()
    assert loaded.returncode == 0, loaded.stderr
    assert again.returncode == 5
    assert "use --replace" in again.stderr
    assert summary.returncode == 0, summary.stderr
    assert "Open pipeline by stage and close quarter (USD)" in summary.stdout
    assert "Closed business by fiscal quarter" in summary.stdout


def test_summary_on_an_empty_database_says_to_upgrade(tmp_path: Path) -> None:
    result = run("summary", cwd=tmp_path)

    assert result.returncode == 3
    assert "run `revdesk db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "code", "message"),
    [
        ({"REVDESK_DATABASE_URL": "not a url"}, 3, "REVDESK_DATABASE_URL: cannot parse"),
        ({"REVDESK_DATABASE_URL": "mysql://x@localhost/db"}, 3, "unsupported database 'mysql'"),
        ({"REVDESK_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, 3, "cannot reach"),
        ({"REVDESK_DATABASE_URL": "sqlite:////no/such/folder/x.db"}, 3, "does not exist"),
        (
            {"REVDESK_BASE_CURRENCY": "XYZ"},
            2,
            "REVDESK_BASE_CURRENCY: Value error, unknown currency",
        ),
        ({"REVDESK_FISCAL_YEAR_START_MONTH": "thirteen"}, 2, "REVDESK_FISCAL_YEAR_START_MONTH"),
        ({"REVDESK_FISCAL_YEAR_START_MONTH": "13"}, 2, "less than or equal to 12"),
        ({"REVDESK_CONFIG": "missing.toml"}, 2, "config file missing.toml does not exist"),
    ],
)
def test_bad_configuration_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, env: dict[str, str], code: int, message: str
) -> None:
    result = run("summary", cwd=tmp_path, env=env)

    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_toml_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "revdesk.toml").write_text("base_currency = \n", encoding="utf-8")

    result = run("summary", cwd=tmp_path)

    assert result.returncode == 2
    assert "cannot read revdesk.toml" in result.stderr
    assert "Traceback" not in result.stderr
