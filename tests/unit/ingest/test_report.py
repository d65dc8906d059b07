"""Problems grouped into findings, and the report as JSON data."""

from __future__ import annotations

from datetime import UTC, datetime

from revdesk.ingest.model import (
    ImportReport,
    ObjectCounts,
    Problem,
    Severity,
    findings,
    problem_frame,
    summarise_problems,
)


def test_problems_group_by_kind_with_a_count_and_three_examples() -> None:
    frame = problem_frame(
        [Problem("opportunities", "o.csv", row, "Amount", "-1", "negative amount")
         for row in (9, 3, 5, 7)]
        + [Problem("accounts", "a.csv", 2, "sector", "technolgy", "typo", Severity.WARNING)]
    )  # fmt: skip

    grouped = findings(frame)

    assert [(f.severity, f.reason, f.count) for f in grouped] == [
        ("error", "negative amount", 4),
        ("warning", "typo", 1),
    ]
    assert grouped[0].examples == [
        {"row": 3, "value": "-1"},
        {"row": 5, "value": "-1"},
        {"row": 7, "value": "-1"},
    ]


def test_the_report_as_json_data() -> None:
    report = ImportReport("maven", "/data", datetime(2026, 1, 1, tzinfo=UTC), False, True)
    report.counts = {"accounts": ObjectCounts(created=2, rejected=1)}
    summarise_problems(
        report, problem_frame([Problem("accounts", "a.csv", 4, "name", None, "missing value")])
    )

    data = report.to_dict()

    assert data["outcome"] == "refused"
    assert data["counts"]["accounts"] == {
        "created": 2, "updated": 0, "unchanged": 0, "rejected": 1, "total": 3,
    }  # fmt: skip
    assert data["errors"] == [{"severity": "error", "object": "accounts", "file": "a.csv",
                               "row": 4, "column": "name", "value": None,
                               "reason": "missing value"}]  # fmt: skip
    assert (data["error_count"], data["warning_count"]) == (1, 0)
