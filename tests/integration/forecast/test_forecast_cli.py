"""`revdesk forecast` in a subprocess on the sample company."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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
    return folder


def test_run_prints_the_methods_side_by_side_and_writes_the_chart(company: Path) -> None:
    result = run(
        "forecast", "run", "--period", "FY2027-Q4", "--as-of", "2026-11-15",
        "--output-chart", "chart", cwd=company,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    for name in ("stage_weighted", "conversion", "markov", "win_probability", "submitted"):
        assert name in result.stdout
    assert "left out win_probability: only" in result.stdout
    assert "left out submitted: no call submitted" in result.stdout
    assert (company / "chart.png").read_bytes()[:4] == b"\x89PNG"
    page = (company / "chart.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page
    assert "<script src=" not in page


def test_submit_override_and_rollup(company: Path) -> None:
    submitted = run(
        "forecast", "submit", "--period", "FY2027-Q4", "--user", "3",
        "--commit", "100000", "--best-case", "150000", cwd=company,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    rollup = run("forecast", "rollup", "--period", "FY2027-Q4", cwd=company)
    assert rollup.returncode == 0, rollup.stderr
    assert "100,000.00" in rollup.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("forecast", "backtest", "--weeks", "0,4"), "--weeks: weeks must be between 1 and 13"),
        (("forecast", "backtest", "--weeks", "x"), "--weeks: 'x' is not a list of week numbers"),
        (("forecast", "backtest", "--periods", "0"), "--periods: must be between 1 and 40"),
        (("forecast", "run", "--period", "FY2019-Q1"), "ends before the first opportunity"),
    ],
)
def test_bad_options_are_one_clear_line(company: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=company)

    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_backtest_writes_its_tables(company: Path) -> None:
    result = run(
        "forecast", "backtest", "--periods", "2", "--weeks", "1,4", "--method",
        "stage_weighted,conversion", "--format", "csv", "--output", "bt", cwd=company,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert (company / "bt" / "summary.csv").read_text(encoding="utf-8").startswith("method,week")
    assert (company / "bt" / "calibration.csv").is_file()
