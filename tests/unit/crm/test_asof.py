from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revdesk.core.errors import InvalidInput
from revdesk.crm.asof import (
    DERIVED_SCHEMA,
    HISTORY_SCHEMA,
    OPPORTUNITY_SCHEMA,
    STAGE_STATUSES,
    TRACKED_FIELDS,
    as_of,
    as_of_each,
    as_of_many,
    split_history,
)
from revdesk.crm.model import TrackedField

STAGES = pl.DataFrame(
    {
        "name": ["Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        "status": ["open", "open", "open", "won", "lost"],
    }
)


def day(n: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in March 2026 (UTC)."""
    return datetime(2026, 3, n, hour, minute, tzinfo=UTC)


def opportunity(opportunity_id: int = 1, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": opportunity_id,
        "created_at": day(1),
        "closed_at": None,
        "stage": "Discovery",
        "amount": Decimal("1000"),
        "close_date": date(2026, 6, 30),
        "forecast_category": "pipeline",
        "owner_id": 7,
    }
    return row | fields


def opportunities(*rows: dict[str, Any], **extra: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={**OPPORTUNITY_SCHEMA, **extra}, orient="row")


def change(
    field: str, old: str | None, new: str | None, at: datetime, opportunity_id: int = 1
) -> dict[str, Any]:
    return {
        "opportunity_id": opportunity_id,
        "field": field,
        "old_value": old,
        "new_value": new,
        "changed_at": at,
    }


def history(*rows: dict[str, Any]) -> pl.DataFrame:
    """History rows numbered 1, 2, ... in the order given, unless a row carries its own id."""
    numbered = [{"id": n} | row for n, row in enumerate(rows, start=1)]
    return pl.DataFrame(numbered, schema=dict(HISTORY_SCHEMA), orient="row")


def one(opps: pl.DataFrame, hist: pl.DataFrame, at: datetime) -> dict[str, Any]:
    """The single opportunity's row as of `at`."""
    result = as_of(opps, hist, STAGES, at)
    assert result.height == 1
    return result.row(0, named=True)


# -- stage -----------------------------------------------------------------------------------


def test_a_stage_moved_back_is_seen_at_each_step() -> None:
    # given Discovery -> Proposal on the 3rd -> Discovery again on the 5th
    opps = opportunities(opportunity(stage="Discovery"))
    hist = history(
        change("stage", None, "Discovery", day(1)),
        change("stage", "Discovery", "Proposal", day(3)),
        change("stage", "Proposal", "Discovery", day(5)),
    )

    # when reconstructed between the changes and after them
    rows = [one(opps, hist, at) for at in (day(2), day(4), day(6))]

    # then the stage and its entry moment follow the history
    assert [(r["stage"], r["stage_entered_at"]) for r in rows] == [
        ("Discovery", day(1)),
        ("Proposal", day(3)),
        ("Discovery", day(5)),
    ]
    assert [r["status"] for r in rows] == ["open", "open", "open"]


def test_a_change_at_exactly_the_moment_counts_as_seen() -> None:
    # given a move to Proposal at noon on the 3rd
    opps = opportunities(opportunity(stage="Proposal"))
    hist = history(change("stage", "Discovery", "Proposal", day(3, 12)))

    # when reconstructed at that very microsecond and one microsecond before
    at_change = one(opps, hist, day(3, 12))
    just_before = one(opps, hist, day(3, 12) - timedelta(microseconds=1))

    # then the change is visible only from its own moment on
    assert (at_change["stage"], at_change["stage_entered_at"]) == ("Proposal", day(3, 12))
    assert (just_before["stage"], just_before["stage_entered_at"]) == ("Discovery", day(1))


def test_history_missing_its_first_row_takes_the_old_value_of_the_first_later_change() -> None:
    # given a history that starts with Proposal -> Negotiation on the 5th (no creation row)
    opps = opportunities(opportunity(stage="Negotiation"))
    hist = history(change("stage", "Proposal", "Negotiation", day(5)))

    # when reconstructed on the 3rd
    row = one(opps, hist, day(3))

    # then the stage is the value before that change, entered (as far as we know) at creation
    assert (row["stage"], row["stage_entered_at"], row["status"]) == ("Proposal", day(1), "open")


def test_an_unknown_old_value_gives_null_never_the_current_value() -> None:
    # given an export that only recorded new values, after the moment we ask about
    opps = opportunities(opportunity(stage="Closed Won", amount=Decimal("9000")))
    hist = history(
        change("stage", None, "Closed Won", day(5)),
        change("amount", None, "9000", day(5)),
    )

    # when reconstructed on the 3rd
    row = one(opps, hist, day(3))

    # then both fields are unknown rather than leaking the future
    assert (row["stage"], row["amount"]) == (None, None)
    assert (row["status"], row["is_closed"], row["is_won"], row["closed_at"]) == (
        None,
        None,
        None,
        None,
    )


def test_a_field_without_history_keeps_its_current_value() -> None:
    # given no history at all
    opps = opportunities(opportunity(forecast_category="commit", owner_id=3))

    # when reconstructed
    row = one(opps, history(), day(2))

    # then every field is the current one and nothing has changed
    assert (row["stage"], row["amount"], row["close_date"]) == (
        "Discovery",
        Decimal("1000"),
        date(2026, 6, 30),
    )
    assert (row["forecast_category"], row["owner_id"]) == ("commit", 3)
    assert (row["close_date_pushes"], row["amount_changes"]) == (0, 0)
    assert row["stage_entered_at"] == day(1)


# -- amount ----------------------------------------------------------------------------------


def test_an_amount_changed_twice_in_one_day() -> None:
    # given 1000 -> 2000 at 10:00 and 2000 -> 3000 at 15:00 on the 3rd
    opps = opportunities(opportunity(amount=Decimal("3000")))
    hist = history(
        change("amount", "1000.0000", "2000", day(3, 10)),
        change("amount", "2000", "3000.0000", day(3, 15)),
    )

    # when reconstructed before, between and after the changes
    rows = [one(opps, hist, at) for at in (day(3, 9), day(3, 12), day(3, 16))]

    # then the amount and the count of changes follow
    assert [(r["amount"], r["amount_changes"]) for r in rows] == [
        (Decimal("1000"), 0),
        (Decimal("2000"), 1),
        (Decimal("3000"), 2),
    ]


@pytest.mark.parametrize("stored_ids", [(5, 6), (6, 5)], ids=["in-id-order", "reversed"])
def test_changes_at_the_same_timestamp_are_ordered_by_history_id(
    stored_ids: tuple[int, int],
) -> None:
    # given two amount changes stamped with the same moment, stored in either order
    opps = opportunities(opportunity(amount=Decimal("3000")))
    rows = {
        5: {"id": 5} | change("amount", "1000", "2000", day(3, 10)),
        6: {"id": 6} | change("amount", "2000", "3000", day(3, 10)),
    }
    hist = history(*(rows[i] for i in stored_ids))

    # when reconstructed at that moment and just before it
    at_change = one(opps, hist, day(3, 10))
    before = one(opps, hist, day(3, 9))

    # then the higher id is the later change, the lower id the earlier one
    assert (at_change["amount"], at_change["amount_changes"]) == (Decimal("3000"), 2)
    assert (before["amount"], before["amount_changes"]) == (Decimal("1000"), 0)


def test_amount_text_is_parsed_to_four_decimal_places() -> None:
    # given an amount written with and without decimals
    opps = opportunities(opportunity(amount=Decimal("12500.5")))
    hist = history(change("amount", "12500", "12500.5000", day(3)))

    # when reconstructed before the change
    result = as_of(opps, hist, STAGES, day(2))

    # then the amount is a Decimal(38, 4)
    assert result.schema["amount"] == pl.Decimal(38, 4)
    assert result["amount"].to_list() == [Decimal("12500.0000")]


def test_amounts_with_more_places_round_half_up_like_the_amount_column() -> None:
    # given history text with five decimals that sits exactly on a rounding boundary
    opps = opportunities(opportunity(amount=Decimal("2")))
    hist = history(change("amount", "1.23445", "2", day(3)))

    # when reconstructed before the change
    result = as_of(opps, hist, STAGES, day(2))

    # then it rounds half-up (1.2345), not half-even (1.2344) nor truncated
    assert result["amount"].to_list() == [Decimal("1.2345")]


def test_a_creation_row_is_not_counted_as_an_amount_change() -> None:
    # given the creation row (old value unknown) and one real change
    opps = opportunities(opportunity(amount=Decimal("1500")))
    hist = history(
        change("amount", None, "1000", day(1)),
        change("amount", "1000", "1500", day(4)),
    )

    # when reconstructed after the creation and after the change
    created, changed = one(opps, hist, day(2)), one(opps, hist, day(5))

    # then only the real change counts
    assert (created["amount"], created["amount_changes"]) == (Decimal("1000"), 0)
    assert (changed["amount"], changed["amount_changes"]) == (Decimal("1500"), 1)


# -- creation and closing --------------------------------------------------------------------


def test_an_opportunity_created_after_the_moment_is_absent() -> None:
    # given one deal created on the 1st and one on the 10th
    opps = opportunities(opportunity(1), opportunity(2, created_at=day(10)))

    # when reconstructed on the 5th and on the 10th
    early = as_of(opps, history(), STAGES, day(5))
    on_creation = as_of(opps, history(), STAGES, day(10))

    # then the later deal appears only once it exists
    assert early["id"].to_list() == [1]
    assert on_creation["id"].to_list() == [1, 2]


def test_an_opportunity_closed_before_the_moment() -> None:
    # given one deal won on the 4th and one lost on the 6th
    opps = opportunities(
        opportunity(1, stage="Closed Won", closed_at=day(4, 9)),
        opportunity(2, stage="Closed Lost", closed_at=day(6)),
    )
    hist = history(
        change("stage", "Negotiation", "Closed Won", day(4, 9), opportunity_id=1),
        change("stage", "Proposal", "Closed Lost", day(6), opportunity_id=2),
    )

    # when reconstructed on the 8th
    result = as_of(opps, hist, STAGES, day(8))

    # then both are closed with their status and moment
    assert result.select("id", "status", "is_closed", "is_won", "closed_at").rows() == [
        (1, "won", True, True, day(4, 9)),
        (2, "lost", True, False, day(6)),
    ]


def test_an_opportunity_closed_after_the_moment_is_still_open() -> None:
    # given a deal won on the 8th
    opps = opportunities(opportunity(stage="Closed Won", closed_at=day(8)))
    hist = history(change("stage", "Negotiation", "Closed Won", day(8)))

    # when reconstructed on the 5th
    row = one(opps, hist, day(5))

    # then it was open, in Negotiation, with no closing moment
    assert (row["stage"], row["status"], row["is_closed"], row["is_won"]) == (
        "Negotiation",
        "open",
        False,
        False,
    )
    assert row["closed_at"] is None


def test_a_closed_stage_without_a_usable_closed_at_takes_the_stage_change_moment() -> None:
    # given a deal lost on the 4th, then reopened and won on the 9th (closed_at is now the 9th)
    opps = opportunities(opportunity(stage="Closed Won", closed_at=day(9)))
    hist = history(
        change("stage", "Proposal", "Closed Lost", day(4)),
        change("stage", "Closed Lost", "Closed Won", day(9)),
    )

    # when reconstructed on the 6th
    row = one(opps, hist, day(6))

    # then it was lost on the 4th: the current closed_at lies in the future
    assert (row["status"], row["is_won"], row["closed_at"]) == ("lost", False, day(4))


def test_a_reopened_deal_has_no_closed_at() -> None:
    # given a deal lost on the 4th and reopened on the 6th; the stored closed_at is stale
    opps = opportunities(opportunity(stage="Proposal", closed_at=day(4)))
    hist = history(
        change("stage", "Proposal", "Closed Lost", day(4)),
        change("stage", "Closed Lost", "Proposal", day(6)),
    )

    # when reconstructed on the 7th
    row = one(opps, hist, day(7))

    # then it is open again, without a closing moment
    assert (row["status"], row["is_closed"], row["closed_at"]) == ("open", False, None)


# -- close date, owner -----------------------------------------------------------------------


def test_close_date_pushes_count_only_later_dates_and_only_up_to_the_moment() -> None:
    # given a push, a pull-in, a change from an unknown date, and a push after the moment
    opps = opportunities(opportunity(close_date=date(2026, 9, 30)))
    hist = history(
        change("close_date", "2026-06-30", "2026-07-31", day(2)),
        change("close_date", "2026-07-31", "2026-07-15", day(3)),
        change("close_date", None, "2026-08-31", day(4)),
        change("close_date", "2026-08-31", "2026-09-30", day(6)),
    )

    # when reconstructed on the 5th and on the 7th
    on_5th = one(opps, hist, day(5))
    on_7th = one(opps, hist, day(7))

    # then only the known pushes up to the moment count
    assert (on_5th["close_date"], on_5th["close_date_pushes"]) == (date(2026, 8, 31), 1)
    assert (on_7th["close_date"], on_7th["close_date_pushes"]) == (date(2026, 9, 30), 2)


def test_owner_changes_are_followed() -> None:
    # given owner 7 -> 9 on the 2nd -> 11 on the 4th
    opps = opportunities(opportunity(owner_id=11))
    hist = history(change("owner", "7", "9", day(2)), change("owner", "9", "11", day(4)))

    # when reconstructed before, between and after
    owners = [one(opps, hist, at)["owner_id"] for at in (day(1, 12), day(3), day(5))]

    # then the owner id follows the history
    assert owners == [7, 9, 11]


def test_forecast_category_and_close_date_before_any_change() -> None:
    # given both changed on the 4th
    opps = opportunities(opportunity(forecast_category="commit", close_date=date(2026, 5, 31)))
    hist = history(
        change("forecast_category", "pipeline", "commit", day(4)),
        change("close_date", "2026-06-30", "2026-05-31", day(4)),
    )

    # when reconstructed on the 3rd
    row = one(opps, hist, day(3))

    # then both are the earlier values and a pull-in is not a push
    assert (row["forecast_category"], row["close_date"]) == ("pipeline", date(2026, 6, 30))
    assert row["close_date_pushes"] == 0


# -- shape of the result ---------------------------------------------------------------------


def test_result_columns_and_dtypes_with_kept_columns() -> None:
    # given two deals with an account and a name
    opps = opportunities(
        opportunity(2, account_id=20, name="Beta"),
        opportunity(1, account_id=10, name="Alpha"),
        account_id=pl.Int64(),
        name=pl.String(),
    )

    # when reconstructed keeping account_id and name
    result = as_of(opps.lazy(), history().lazy(), STAGES, day(2), keep=["name", "account_id"])

    # then the columns come in the documented order, with the contract's dtypes, sorted by id
    expected = {"id": pl.Int64(), "name": pl.String(), "account_id": pl.Int64()}
    state = ["created_at", "stage", "amount", "close_date", "forecast_category", "owner_id"]
    expected |= {c: OPPORTUNITY_SCHEMA[c] for c in state} | dict(DERIVED_SCHEMA)
    assert result.schema == pl.Schema(expected)
    assert result.select("id", "name", "account_id").rows() == [(1, "Alpha", 10), (2, "Beta", 20)]


def test_a_moment_in_another_timezone_is_the_same_instant() -> None:
    # given a move to Proposal at 12:00 UTC on the 3rd
    opps = opportunities(opportunity(stage="Proposal"))
    hist = history(change("stage", "Discovery", "Proposal", day(3, 12)))

    # when asked at 13:30 and 11:30 in UTC+02:00
    plus_two = timezone(timedelta(hours=2))
    after = one(opps, hist, datetime(2026, 3, 3, 14, 0, tzinfo=plus_two))
    before = one(opps, hist, datetime(2026, 3, 3, 13, 59, tzinfo=plus_two))

    # then the offset is honoured
    assert (after["stage"], before["stage"]) == ("Proposal", "Discovery")


def test_history_of_an_opportunity_that_is_not_listed_is_ignored() -> None:
    # given history for opportunity 99, which is not in the frame
    opps = opportunities(opportunity(1))
    hist = history(change("stage", "Discovery", "Proposal", day(2), opportunity_id=99))

    # when reconstructed
    result = as_of(opps, hist, STAGES, day(3))

    # then only opportunity 1 comes back, untouched
    assert result.select("id", "stage").rows() == [(1, "Discovery")]


def test_as_of_many_stacks_the_moments() -> None:
    # given a move to Proposal on the 3rd
    opps = opportunities(opportunity(stage="Proposal"))
    hist = history(change("stage", "Discovery", "Proposal", day(3)))

    # when reconstructed on the 2nd and the 4th at once
    result = as_of_many(opps, hist, STAGES, [day(2), day(4)])

    # then one row per moment, tagged with it
    assert result.columns[:2] == ["as_of", "id"]
    assert result.select("as_of", "id", "stage").rows() == [
        (day(2), 1, "Discovery"),
        (day(4), 1, "Proposal"),
    ]


def test_as_of_each_gives_both_moments_from_one_split_of_the_history() -> None:
    # given a move to Proposal and an amount change on the 3rd
    opps = opportunities(opportunity(stage="Proposal", amount=Decimal("1500")))
    hist = history(
        change("stage", "Discovery", "Proposal", day(3)),
        change("amount", "1000", "1500", day(3)),
    )

    # when both moments come from one split
    before, after = as_of_each(opps, split_history(hist), STAGES, [day(2), day(4)])

    # then each is what as_of gives alone
    assert before.equals(as_of(opps, hist, STAGES, day(2)))
    assert after.equals(as_of(opps, hist, STAGES, day(4)))
    assert (after["stage"].item(), after["amount_changes"].item()) == ("Proposal", 1)


def test_fields_left_out_of_the_split_come_back_null_never_current() -> None:
    # given a category changed on the 3rd and a deal whose category is now "commit"
    opps = opportunities(opportunity(forecast_category="commit"))
    hist = history(
        change("forecast_category", "pipeline", "commit", day(3)),
        change("close_date", "2026-06-30", "2026-07-31", day(3)),
    )

    # when reconstructed on the 2nd without the category and the close date
    split = split_history(hist, ["stage", "amount", "owner"])
    row = as_of_each(opps, split, STAGES, [day(2)])[0].row(0, named=True)

    # then both are null (unknown), their counter too, and the rest is as usual
    assert (row["forecast_category"], row["close_date"], row["close_date_pushes"]) == (
        None,
        None,
        None,
    )
    assert (row["stage"], row["amount"], row["amount_changes"]) == ("Discovery", Decimal(1000), 0)


def test_a_split_without_the_stage_is_refused() -> None:
    with pytest.raises(InvalidInput, match="fields must include stage"):
        split_history(history(), ["amount"])


def test_as_of_many_without_moments_is_empty_with_the_full_schema() -> None:
    # given a deal / when asked for no moments
    result = as_of_many(opportunities(opportunity()), history(), STAGES, [])

    # then the frame is empty but typed
    assert result.height == 0
    assert result.schema["as_of"] == pl.Datetime("us", "UTC")
    assert result.columns == as_of_many(opportunities(), history(), STAGES, [day(1)]).columns


def test_every_tracked_field_of_the_domain_is_reconstructed() -> None:
    assert set(TRACKED_FIELDS) == {f.value for f in TrackedField}
    assert STAGE_STATUSES == ("open", "won", "lost")


# -- refusals --------------------------------------------------------------------------------


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(InvalidInput, match="has no timezone"):
        as_of(opportunities(opportunity()), history(), STAGES, datetime(2026, 3, 2))  # noqa: DTZ001


def test_a_naive_moment_is_refused_by_as_of_many() -> None:
    naive = datetime(2026, 3, 2)  # noqa: DTZ001
    with pytest.raises(InvalidInput, match="has no timezone"):
        as_of_many(opportunities(opportunity()), history(), STAGES, [day(2), naive])


def test_a_missing_column_is_refused_with_its_name() -> None:
    # given opportunities without close_date
    opps = opportunities(opportunity()).drop("close_date")

    # when / then
    with pytest.raises(InvalidInput, match="opportunities has no column 'close_date'"):
        as_of(opps, history(), STAGES, day(2))


def test_a_history_column_of_the_wrong_dtype_is_refused_with_its_name() -> None:
    # given history timestamps without a timezone
    hist = history(change("stage", "Discovery", "Proposal", day(2)))
    naive = hist.with_columns(pl.col("changed_at").dt.replace_time_zone(None))

    # when / then
    with pytest.raises(InvalidInput, match="history column 'changed_at' is Datetime") as caught:
        as_of(opportunities(opportunity()), naive, STAGES, day(3))
    assert "expected Datetime(time_unit='us', time_zone='UTC')" in str(caught.value)


def test_an_unknown_stage_is_refused_listing_the_names() -> None:
    # given one deal in a stage the table does not know, another reaching one through history
    opps = opportunities(opportunity(1, stage="Limbo"), opportunity(2, stage="Proposal"))
    hist = history(change("stage", "Discovery", "Purgatory", day(2), opportunity_id=2))

    # when / then
    with pytest.raises(InvalidInput, match=r"stage\(s\) not in the stages table: Limbo, Purgatory"):
        as_of(opps, hist, STAGES, day(3))


def test_an_untracked_history_field_is_refused() -> None:
    hist = history(change("name", "Old", "New", day(2)))
    with pytest.raises(InvalidInput, match=r"untracked field\(s\): name"):
        as_of(opportunities(opportunity()), hist, STAGES, day(3))


def test_an_unreadable_history_value_is_refused() -> None:
    hist = history(change("amount", "1000", "12,500", day(2)))
    with pytest.raises(InvalidInput, match=r"history value cannot be read: .*12,500"):
        as_of(opportunities(opportunity()), hist, STAGES, day(3))


def test_a_kept_column_that_clashes_or_is_missing_is_refused() -> None:
    opps = opportunities(opportunity())
    with pytest.raises(InvalidInput, match="'stage' is always returned"):
        as_of(opps, history(), STAGES, day(2), keep=["stage"])
    with pytest.raises(InvalidInput, match="no column 'account_id' to keep"):
        as_of(opps, history(), STAGES, day(2), keep=["account_id"])


def test_a_stages_table_with_an_odd_status_is_refused() -> None:
    stages = pl.DataFrame({"name": ["Discovery"], "status": ["pending"]})
    with pytest.raises(InvalidInput, match=r"status\(es\) pending"):
        as_of(opportunities(opportunity()), history(), stages, day(2))


# -- property: a consistent history replays to the current state -----------------------------

START = datetime(2026, 1, 1, tzinfo=UTC)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "stage": st.sampled_from(STAGES["name"].to_list()),
    "amount": st.decimals(min_value=0, max_value=10**9, places=4),
    "close_date": st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    "forecast_category": st.sampled_from(["pipeline", "best_case", "commit", "omitted"]),
    "owner": st.integers(min_value=1, max_value=10_000),
}
COLUMN = dict(TRACKED_FIELDS)


Change = tuple[datetime, str, int, str | None, str, Any]  # moment, field, opp, old, new, typed


def as_text(field: str, value: Any) -> str:
    if field == "close_date":
        return str(value.isoformat())
    if field == "amount" and value == value.to_integral_value():
        return str(int(value))  # the "12500" spelling
    return str(value)


@st.composite
def consistent_company(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, list[Change]]:
    """Opportunities with a creation row per field and chained changes, rows in random order."""
    opp_rows: list[dict[str, Any]] = []
    changes: list[Change] = []
    for opp_id in range(1, draw(st.integers(1, 3)) + 1):
        created_at = START + timedelta(minutes=draw(st.integers(0, 1_000)))
        current: dict[str, Any] = {"id": opp_id, "created_at": created_at, "closed_at": None}
        for field, values in VALUES.items():
            moment: datetime = created_at
            old: str | None = None  # the creation row has no old value
            for _ in range(draw(st.integers(1, 3))):
                value = draw(values)
                changes.append((moment, field, opp_id, old, as_text(field, value), value))
                moment += timedelta(minutes=draw(st.integers(1, 500)))
                old = as_text(field, value)
                current[COLUMN[field]] = value
        opp_rows.append(current)
    changes.sort(key=lambda c: (c[0], c[2], c[1]))  # insertion order is chronological
    rows = [
        {"id": n, "changed_at": moment, "field": field, "opportunity_id": opp_id}
        | {"old_value": old, "new_value": new}
        for n, (moment, field, opp_id, old, new, _) in enumerate(changes, start=1)
    ]
    hist = pl.DataFrame(draw(st.permutations(rows)), schema=dict(HISTORY_SCHEMA), orient="row")
    opps = pl.DataFrame(opp_rows, schema=dict(OPPORTUNITY_SCHEMA), orient="row")
    return opps, hist, changes


STATE = ["stage", "amount", "close_date", "forecast_category", "owner_id"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_company())
def test_a_consistent_history_replays_to_the_current_state(
    company: tuple[pl.DataFrame, pl.DataFrame, list[Change]],
) -> None:
    # given a consistent history, stored in random order
    opps, hist, changes = company

    # when reconstructed after every change, then it is the current state
    after_all = as_of(opps, hist, STAGES, changes[-1][0] + timedelta(days=1))
    assert after_all.select("id", *STATE).rows() == opps.select("id", *STATE).sort("id").rows()

    # when reconstructed at each change, then the changed field holds that row's new value
    snapshots = as_of_many(opps, hist, STAGES, sorted({c[0] for c in changes}))
    state = {(row["as_of"], row["id"]): row for row in snapshots.iter_rows(named=True)}
    for moment, field, opp_id, _, _, typed in changes:
        assert state[moment, opp_id][COLUMN[field]] == typed, (moment, field, opp_id)
