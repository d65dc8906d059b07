"""`revdesk pipeline` and `revdesk hygiene` in a subprocess on the sample company."""

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


def test_the_report_prints_every_section(company: Path) -> None:
    result = run("pipeline", "report", "--by", "segment", cwd=company)

    assert result.returncode == 0, result.stderr
    for heading in ("Pipeline by stage", "Coverage", "Stage conversion", "Waterfall", "Cohorts"):
        assert heading in result.stdout


def test_the_report_with_hygiene_adds_the_hygiene_sections(company: Path) -> None:
    alone = run("hygiene", "run", "--format", "csv", "--output", "alone", cwd=company)
    both = run(
        "pipeline", "report", "--hygiene", "--format", "csv", "--output", "both", cwd=company
    )

    assert alone.returncode == 0, alone.stderr
    assert both.returncode == 0, both.stderr
    written = {path.name for path in (company / "both").iterdir()}
    assert {"waterfall.csv", "flags.csv", "fix_list.csv", "score_by_rep.csv"} <= written
    for name in ("flags.csv", "fix_list.csv", "score_by_rep.csv"):
        assert (company / "both" / name).read_text() == (company / "alone" / name).read_text()


def test_the_html_report_is_self_contained(company: Path) -> None:
    page = company / "report.html"

    result = run("pipeline", "report", "--format", "html", "--output", str(page), cwd=company)

    assert result.returncode == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    # plotly.js is inlined (its source mentions CDNs in comments, but nothing is loaded from one)
    assert "Plotly.newPlot" in text
    assert "<script src=" not in text
    assert len(text) > 1_000_000


def test_xlsx_and_csv_reports_are_written(company: Path) -> None:
    xlsx = run("pipeline", "report", "--format", "xlsx", "--output", "r.xlsx", cwd=company)
    csv = run("hygiene", "run", "--format", "csv", "--output", "hygiene", cwd=company)

    assert xlsx.returncode == 0, xlsx.stderr
    assert (company / "r.xlsx").stat().st_size > 0
    assert csv.returncode == 0, csv.stderr
    assert (company / "hygiene" / "flags.csv").read_text(encoding="utf-8").count("\n") >= 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pipeline", "report", "--as-of", "2019-01-01"), "before the first opportunity"),
        (("pipeline", "report", "--as-of", "2099-01-01"), "is in the future"),
        (("pipeline", "report", "--as-of", "31/12/2025"), "--as-of: '31/12/2025' is not a date"),
        (("pipeline", "report", "--by", "colour"), "--by: cannot slice by colour"),
        (("pipeline", "report", "--format", "csv"), "needs --output"),
        (("pipeline", "report", "--targets", "nope.csv"), "cannot read targets"),
    ],
)
def test_bad_options_are_one_clear_line(company: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=company)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hygiene_config_with_an_unknown_rule_type_names_the_line(company: Path) -> None:
    rules = company / "rules.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - id: x\n    type: vibes\n    severity: error\n"
        "    owner: deal_owner\n",
        encoding="utf-8",
    )

    result = run("hygiene", "run", "--rules", str(rules), cwd=company)

    assert result.returncode == 2
    assert f"{rules}:4:" in result.stderr
    assert "vibes" in result.stderr
    assert "Traceback" not in result.stderr
