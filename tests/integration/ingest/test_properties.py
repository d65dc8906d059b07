"""Property: whatever rows a file holds, the importer never crashes and never writes half.

Hypothesis writes Opportunity exports mixing valid values with malformed ones (bad dates and
numbers, blank and duplicate ids, unknown stages, references to nothing, stray quotes and
control characters, ragged lines) and imports them into a fresh SQLite database. Each run ends
in one of three ways: a deliberate RevDeskError (a file that cannot be read at all), a refused
import that wrote nothing, or a committed import that wrote exactly what it reports.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revdesk.core.errors import RevDeskError
from revdesk.crm.service import count_records
from revdesk.db.uow import Database
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.service import ImportOptions, run_import

HEADER = ["Id", "Name", "StageName", "Amount", "CloseDate", "IsClosed", "AccountId", "Probability"]
ODD_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(['"', ",", "\n", "\x00"]),
    max_size=12,
)


def _pick(valid: str, *others: str) -> st.SearchStrategy[str]:
    """Half the time a valid value, else another given one (often malformed) or any text."""
    return st.one_of(st.just(valid), st.just(valid), st.sampled_from(others), ODD_TEXT)


ROW = st.tuples(
    st.one_of(
        st.integers(1, 9).map(lambda n: f"00600000000000{n}AAA"),
        st.sampled_from(["006000000000003", "", "000000000000000AAA"]),
        ODD_TEXT,
    ),
    _pick("Deal", "", "x" * 300),
    _pick("Prospecting", "Closed Won", "", "Nowhere"),
    _pick("100", "1,000.50", "-5", "abc", "", "99999999999999999999", "1e3"),
    _pick("2024-01-31", "2024-02-30", "13/13/2024", "", "2024-01-31T10:00:00.000Z"),
    _pick("0", "1", "TRUE", "maybe"),
    _pick("", "001000000000009AAA"),
    _pick("10", "100", "250", ""),
)
RAGGED = st.lists(ODD_TEXT.map(lambda t: t.replace("\n", " ")), max_size=2)


def _write(folder: Path, rows: list[tuple[str, ...]], ragged: list[str]) -> None:
    path = folder / "Opportunity.csv"
    with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(HEADER)
        writer.writerows(rows)
        for line in ragged:
            handle.write(line + "\n")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rows=st.lists(ROW, min_size=1, max_size=6), ragged=RAGGED, skip=st.booleans())
def test_malformed_rows_never_crash_and_never_write_half(
    sqlite_template: Path, rows: list[tuple[str, ...]], ragged: list[str], skip: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, rows, ragged)
        shutil.copyfile(sqlite_template, folder / "db.sqlite")
        db = Database.connect(f"sqlite:///{folder / 'db.sqlite'}")
        try:
            try:
                report = run_import(db, extract_salesforce(folder),
                                    options=ImportOptions(skip_invalid=skip))  # fmt: skip
            except RevDeskError:
                report = None
            with db.uow() as uow:
                stored = count_records(uow.session)
        finally:
            db.dispose()
    if report is None or not report.committed:
        assert set(stored.values()) == {0}
        assert report is None or report.error_count > 0
        return
    counts = report.counts["opportunities"]
    assert stored["opportunities"] == counts.created
    assert stored["stages"] == report.counts["stages"].created
    assert counts.created + counts.rejected == counts.total <= len(rows) + len(ragged)
    assert skip or report.error_count == 0  # without --skip-invalid only a clean file commits
