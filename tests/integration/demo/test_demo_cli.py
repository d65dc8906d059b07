"""`revdesk demo` in a subprocess: a small build end to end, and bad options as one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "revdesk", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_builds_the_company_and_prints_its_key_figures(tmp_path: Path) -> None:
    upgraded = run("db", "upgrade", cwd=tmp_path)
    built = run("demo", "--scale", "1,000", "--seed", "7", "--today", "2026-11-23", cwd=tmp_path)

    assert upgraded.returncode == 0, upgraded.stderr
    assert built.returncode == 0, built.stderr
    assert "1,000 opportunities" in built.stdout
    assert "Key figures of the demo company" in built.stdout
    assert "win rate, new business" in built.stdout


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ("0", "error: --scale must be between 100 and 10,000,000 opportunities, not 0"),
        ("abc", "error: --scale must be a whole number, not 'abc'"),
    ],
)
def test_a_bad_scale_is_one_line_and_exit_code_2(tmp_path: Path, scale: str, message: str) -> None:
    result = run("demo", "--scale", scale, cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == message
    assert result.stdout == ""
