"""`revdesk import` end to end: in a subprocess for bad input (one clear line, never a
traceback, exit code 2), in process (Typer's runner) for the imports themselves."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from revdesk.cli import app


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "revdesk", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path, sqlite_template: Path) -> Path:
    """A folder with a migrated ./revdesk.db, the CLI's default database."""
    shutil.copyfile(sqlite_template, tmp_path / "revdesk.db")
    return tmp_path


def opportunities(workdir: Path) -> int:
    with sqlite3.connect(workdir / "revdesk.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0])


def invoke(workdir: Path, *args: str) -> Result:
    """Run `revdesk import ...` in this process against workdir's database."""
    database = f"sqlite:///{workdir / 'revdesk.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        patch.setenv("COLUMNS", "200")
        return CliRunner().invoke(app, ["import", *args, "--database", database])


def test_maven_imports_and_saves_its_report(workdir: Path, maven: Path) -> None:
    result = invoke(workdir, "maven", str(maven), "--report", "maven.json")

    assert result.exit_code == 0, result.output
    assert "open deal has no account" in result.stdout
    assert "imported (run 1)" in result.stdout
    report = json.loads((workdir / "maven.json").read_text())
    assert report["counts"]["opportunities"]["created"] == 8800
    assert opportunities(workdir) == 8800


def test_a_dry_run_writes_nothing(workdir: Path, devorg: Path) -> None:
    result = invoke(workdir, "salesforce", str(devorg), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.stdout
    assert opportunities(workdir) == 0


def _one_clear_line(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert text in lines[0]


def test_a_missing_folder(workdir: Path) -> None:
    result = run("import", "salesforce", str(workdir / "nope"), cwd=workdir)

    _one_clear_line(result, "is not a readable folder")


def test_a_file_in_the_wrong_encoding(workdir: Path) -> None:
    folder = workdir / "export"
    folder.mkdir()
    (folder / "Opportunity.csv").write_bytes(
        b'"Id","Name","StageName"\n"006000000000001AAA","Caf\xc3\xa9","A"\n'
        b'"006000000000002AAA","Caf\xe9","A"\n'
    )

    result = run("import", "salesforce", str(folder), cwd=workdir)

    _one_clear_line(result, "Opportunity.csv row 3: wrong encoding")
    assert opportunities(workdir) == 0


def test_a_bad_mapping_file(workdir: Path, data: Path) -> None:
    mapping = workdir / "map.yaml"
    mapping.write_text("object: opportunities\ncolumns:\n  external_id: [Deal ID\n")

    result = run("import", "csv", str(data / "csv" / "deals.csv"), "--mapping", str(mapping),
                 cwd=workdir)  # fmt: skip

    _one_clear_line(result, "map.yaml: not valid YAML: line")


def test_an_import_with_errors_is_refused_and_lists_them(workdir: Path, data: Path) -> None:
    result = invoke(
        workdir, "csv", str(data / "csv" / "deals.csv"),
        "--mapping", str(data / "csv" / "deals.yaml"), "--rejected", "rejected.csv",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "negative amount" in result.stdout
    assert "refused: 2 errors, nothing was written" in result.stdout
    assert (workdir / "rejected.csv").is_file()
    assert opportunities(workdir) == 0
