"""Reading history files in batches and parking them on disk by opportunity."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from revdesk.ingest.implied import with_implied_categories
from revdesk.ingest.read import count_lines, iter_table, open_source, read_table
from revdesk.ingest.salesforce import extract_salesforce
from revdesk.ingest.spill import Spill

ROOT = Path(__file__).parents[3]
DEVORG = ROOT.parent / "shared" / "data" / "salesforce-devorg"


def test_batches_number_rows_as_the_file_does_and_drop_blank_rows(tmp_path: Path) -> None:
    # given a file with a BOM, 60 records, a blank record (row 4) and a value with a line break
    lines = [f'"{i}","opp {i % 7}"' for i in range(60)]
    lines[2] = ","
    lines[30] = '"30","two\nlines"'
    path = tmp_path / "h.csv"
    path.write_bytes(codecs.BOM_UTF8 + ('"Id","Opp"\n' + "\n".join(lines) + "\n").encode())

    # when it is read in small blocks, keeping one column
    batches = list(iter_table(open_source(path), lambda h: h == "Opp", 2))

    # then there are several batches, and together they are the records read whole: rows
    # numbered from 2, row 4 dropped, the line break kept inside its value
    whole = read_table(open_source(path), keep=lambda h: h == "Opp").frame
    together = pl.concat([b.frame for b in batches])
    assert len(batches) > 5
    assert batches[0].columns == ["Opp"]
    assert together.select("_row", "Opp").equals(whole.select("_row", "Opp"))
    assert together.height == 59
    assert together.filter(pl.col("_row") == 32)["Opp"].to_list() == ["two\nlines"]
    assert 4 not in together["_row"].to_list()
    assert count_lines(path) == 62


def test_a_spill_keeps_every_row_of_an_opportunity_in_one_partition() -> None:
    # given two batches whose opportunities overlap
    spill = Spill(partitions=3)
    first = pl.DataFrame({"opportunity": ["a", "b", "c", "a"], "n": [1, 2, 3, 4]})
    second = pl.DataFrame({"opportunity": ["c", "a", "d"], "n": [5, 6, 7]})

    # when both are spilled and the partitions read back
    spill.write("rows", first)
    spill.write("rows", second)
    parts = [spill.read("rows", p) for p in range(3)]

    # then each opportunity is in exactly one partition, with all its rows, and none is lost
    found = [p for p in parts if p is not None]
    owners = [set(p["opportunity"]) for p in found]
    assert sum(len(o) for o in owners) == 4
    assert set().union(*owners) == {"a", "b", "c", "d"}
    together = pl.concat(found).sort("n")
    assert together["n"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    a = next(p for p in found if "a" in set(p["opportunity"]))
    assert sorted(a.filter(pl.col("opportunity") == "a")["n"].to_list()) == [1, 4, 6]
    assert spill.rows == 7
    spill.close()
    assert not spill.folder.exists()


def test_a_history_read_in_batches_is_the_history_read_whole() -> None:
    # given the dev-org sample read whole and read ten history rows at a time
    whole = extract_salesforce(DEVORG)
    batched = extract_salesforce(DEVORG, batch_rows=10)

    # then the batched one is spilled in seven partitions, and gives the same changes,
    # problems and stage definitions
    assert whole.spill is None
    assert batched.spill is not None
    assert batched.spill.partitions == 7
    assert "history" not in batched.frames
    order = ["_row", "field"]
    expected = whole.frames["history"].sort(order)
    assert pl.concat(batched.history_parts()).drop("_part").sort(order).equals(expected)
    assert expected.height == 155
    problems = ["file", "row", "column", "reason"]
    assert batched.problems.sort(problems).equals(whole.problems.sort(problems))
    assert batched.frames["stages"].equals(whole.frames["stages"])


def test_stage_changes_imply_category_changes_where_the_history_has_none() -> None:
    # given stage definitions and the history of two deals: d1 only stage changes,
    # d2 its own forecast-category change
    stages = pl.DataFrame(
        {
            "name": ["Engaging", "Negotiating", "Won"],
            "default_probability": [Decimal(40), Decimal(60), Decimal(100)],
            "forecast_category": ["pipeline", "pipeline", "closed"],
            "status": ["open", "open", "won"],
        }
    )
    t1, t2, t3 = (datetime(2017, m, 1, tzinfo=UTC) for m in (1, 2, 3))
    history = pl.DataFrame(
        {
            "opportunity": ["d1", "d1", "d1", "d2", "d2"],
            "field": ["stage", "stage", "stage", "stage", "forecast_category"],
            "old_value": [None, "Engaging", "Negotiating", "Engaging", "pipeline"],
            "new_value": ["Engaging", "Negotiating", "Won", "Won", "best_case"],
            "changed_at": [t1, t2, t3, t2, t2],
            "_row": [2, 2, 2, 3, 3],
        }
    )

    # when the implied category changes are added
    result = with_implied_categories(history, stages)

    # then d1 gets null -> pipeline at t1 and pipeline -> closed at t3 (Engaging -> Negotiating
    # keeps the category), and d2 keeps only its own
    added = result.slice(history.height).select("opportunity", "field", "old_value",
                                                "new_value", "changed_at", "_row")  # fmt: skip
    assert added.rows() == [
        ("d1", "forecast_category", None, "pipeline", t1, 2),
        ("d1", "forecast_category", "pipeline", "closed", t3, 2),
    ]
