"""Every hygiene rule type on small hand-built frames: what it flags, what it leaves alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revdesk.core.errors import InvalidInput
from revdesk.pipeline.hygiene import (
    DEAL_COLUMNS,
    FLAG_SCHEMA,
    HISTORY_COLUMNS,
    HygieneConfig,
    default_config,
    evaluate,
    normalised_name,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MONEY = pl.Decimal(38, 4)
STAGE_NAMES = (
    "Prospecting",
    "Discovery",
    "Solution",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
STAGES = pl.DataFrame(
    {
        "name": STAGE_NAMES,
        "sort_order": [1, 2, 3, 4, 5, 6, 7],
        "status": ["open"] * 5 + ["won", "lost"],
        "forecast_category": ["pipeline"] * 3 + ["best_case", "commit", "closed", "omitted"],
        "default_probability": [Decimal(p) for p in (10, 20, 40, 60, 80, 100, 0)],
        "required_fields": [
            [],
            ["primary_contact"],
            ["amount", "close_date"],
            ["amount", "close_date", "next_step"],
            ["amount", "close_date", "next_step", "competitors"],
            [],
            [],
        ],
    },
    schema={
        "name": pl.String,
        "sort_order": pl.Int64,
        "status": pl.String,
        "forecast_category": pl.String,
        "default_probability": pl.Decimal(38, 2),
        "required_fields": pl.List(pl.String),
    },
)
DEAL_SCHEMA: dict[str, pl.DataType] = {
    **DEAL_COLUMNS,
    "rep": pl.String(),
    "team": pl.String(),
    "competitors": pl.List(pl.String()),
    "lead_source": pl.String(),
    "forecast_category": pl.String(),
}
CONTACT_SCHEMA = {"id": pl.Int64(), "account_id": pl.Int64(), "last_name": pl.String()}


def deal(deal_id: int, **fields: Any) -> dict[str, Any]:
    """A clean open Discovery deal unless `fields` say otherwise."""
    row: dict[str, Any] = {
        "id": deal_id,
        "name": f"Deal {deal_id}",
        "account_id": 100 + deal_id,
        "owner_id": 7,
        "manager_id": 3,
        "stage": "Discovery",
        "status": "open",
        "amount": Decimal(1000),
        "amount_base": Decimal(1000),
        "close_date": date(2026, 12, 31),
        "probability": Decimal(20),
        "next_step": "Call the champion",
        "created_at": NOW - timedelta(days=60),
        "last_activity_at": NOW - timedelta(days=1),
        "segment": "smb",
        "rep": "Rita Rep",
        "team": "East",
        "competitors": ["Helix Suite"],
        "lead_source": "web",
        "forecast_category": "pipeline",
    }
    return row | fields


def deals(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=DEAL_SCHEMA, orient="row")


def change(deal_id: int, field: str, old: str | None, new: str | None, days_ago: float) -> dict:
    return {
        "opportunity_id": deal_id,
        "field": field,
        "old_value": old,
        "new_value": new,
        "changed_at": NOW - timedelta(days=days_ago),
    }


def history(*rows: dict[str, Any]) -> pl.DataFrame:
    numbered = [{"id": n} | row for n, row in enumerate(rows, start=1)]
    return pl.DataFrame(numbered, schema=dict(HISTORY_COLUMNS), orient="row")


def contacts(*rows: tuple[int, int | None]) -> pl.DataFrame:
    data = [{"id": i, "account_id": a, "last_name": f"C{i}"} for i, a in rows]
    return pl.DataFrame(data, schema=CONTACT_SCHEMA, orient="row")


def rule(rule_type: str, **params: Any) -> dict[str, Any]:
    return {
        "id": rule_type.replace("_", "-"),
        "type": rule_type,
        "severity": "warning",
        "owner": "deal_owner",
    } | params


def run(
    *rules: dict[str, Any],
    deal_frame: pl.DataFrame | None = None,
    hist: pl.DataFrame | None = None,
    people: pl.DataFrame | None = None,
    now: datetime = NOW,
) -> pl.DataFrame:
    config = HygieneConfig(version=1, rules=list(rules))
    return evaluate(
        config,
        deals=deal_frame if deal_frame is not None else deals(),
        history=hist if hist is not None else history(),
        stages=STAGES,
        contacts=people if people is not None else contacts(),
        now=now,
    )


def ids(flags: pl.DataFrame) -> list[int]:
    return flags["entity_id"].to_list()


def details(flags: pl.DataFrame) -> dict[int, str]:
    return dict(zip(flags["entity_id"], flags["detail"], strict=True))


# -- past_close_date ------------------------------------------------------------------------


def test_past_close_date_flags_open_deals_closing_before_today() -> None:
    frame = deals(
        deal(1, close_date=date(2026, 10, 31)),
        deal(2, close_date=date(2026, 11, 23)),  # today: not yet past
        deal(3, close_date=date(2026, 11, 22)),
        deal(4, close_date=None),
        deal(5, close_date=date(2026, 1, 1), stage="Closed Won", status="won"),
    )

    flags = run(rule("past_close_date"), deal_frame=frame)

    assert flags.schema == pl.Schema(FLAG_SCHEMA)
    assert flags.rows() == [
        (
            "opportunity",
            1,
            "past-close-date",
            "past_close_date",
            "warning",
            7,
            "close_date",
            "close date 2026-10-31 is 23 days in the past",
        ),
        (
            "opportunity",
            3,
            "past-close-date",
            "past_close_date",
            "warning",
            7,
            "close_date",
            "close date 2026-11-22 is 1 days in the past",
        ),
    ]


def test_today_is_the_utc_date_of_now() -> None:
    frame = deals(deal(1, close_date=date(2026, 11, 22)))
    just_after_midnight = datetime(2026, 11, 22, 23, 30, tzinfo=UTC) + timedelta(hours=1)

    assert ids(run(rule("past_close_date"), deal_frame=frame, now=just_after_midnight)) == [1]
    assert ids(run(rule("past_close_date"), deal_frame=frame, now=NOW - timedelta(days=1))) == []


# -- stale ----------------------------------------------------------------------------------


def test_stale_is_no_activity_for_more_than_the_days() -> None:
    frame = deals(
        deal(1, last_activity_at=NOW - timedelta(days=30)),  # exactly 30 days: not stale
        deal(2, last_activity_at=NOW - timedelta(days=30, microseconds=1)),
        deal(3, last_activity_at=None),
        deal(4, last_activity_at=NOW - timedelta(days=45)),
        deal(5, last_activity_at=None, stage="Closed Lost", status="lost"),
    )

    flags = run(rule("stale", days=30), deal_frame=frame)

    assert ids(flags) == [2, 3, 4]
    assert set(flags["field"]) == {"last_activity_at"}
    assert details(flags) == {
        2: "no activity for 30 days (last on 2026-10-24)",
        3: "no activity recorded",
        4: "no activity for 45 days (last on 2026-10-09)",
    }


def test_stale_days_is_a_parameter() -> None:
    frame = deals(deal(1, last_activity_at=NOW - timedelta(days=45)), deal(2))

    assert ids(run(rule("stale", days=60), deal_frame=frame)) == []
    assert ids(run(rule("stale", days=1), deal_frame=frame)) == [1]


# -- missing_field --------------------------------------------------------------------------


def test_missing_next_step_includes_blank_text() -> None:
    frame = deals(
        deal(1, next_step=None), deal(2, next_step=""), deal(3, next_step=" \t "), deal(4)
    )

    flags = run(rule("missing_field", field="next_step"), deal_frame=frame)

    assert ids(flags) == [1, 2, 3]
    assert set(flags["field"]) == {"next_step"}
    assert set(flags["detail"]) == {"next step is missing"}


@pytest.mark.parametrize(
    ("field", "column", "empty", "detail"),
    [
        ("amount", "amount", None, "amount is missing"),
        ("close_date", "close_date", None, "close date is missing"),
        ("account", "account_id", None, "account is missing"),
    ],
)
def test_missing_field_flags_null_values(field: str, column: str, empty: Any, detail: str) -> None:
    frame = deals(
        deal(1, **{column: empty}),
        deal(2),
        deal(3, **{column: empty}, stage="Closed Won", status="won"),
    )

    flags = run(rule("missing_field", field=field), deal_frame=frame)

    assert flags.select("entity_id", "field", "detail").rows() == [(1, column, detail)]


def test_a_zero_amount_is_not_missing() -> None:
    frame = deals(deal(1, amount=Decimal(0), amount_base=Decimal(0)))

    assert ids(run(rule("missing_field", field="amount"), deal_frame=frame)) == []


# -- stage_skipped and stage_moved_back -----------------------------------------------------


def test_stage_skipped_counts_moves_over_a_stage_and_to_won() -> None:
    frame = deals(
        deal(1, stage="Proposal"),
        deal(2, stage="Proposal"),
        deal(3, stage="Discovery"),
        deal(4, stage="Negotiation"),
        deal(5, stage="Closed Won", status="won"),
    )
    hist = history(
        change(1, "stage", None, "Prospecting", 50),  # creation row: not a move
        change(1, "stage", "Prospecting", "Discovery", 40),
        change(1, "stage", "Discovery", "Proposal", 30),  # skips Solution
        change(2, "stage", "Proposal", "Closed Won", 20),  # skips Negotiation
        change(2, "stage", "Closed Won", "Proposal", 10),  # reopened: not a move back
        change(3, "stage", "Discovery", "Closed Lost", 20),  # lost never counts
        change(3, "stage", "Closed Lost", "Discovery", 10),
        change(4, "stage", "Negotiation", "Closed Won", 20),  # one step: fine
        change(4, "stage", "Closed Won", "Negotiation", 10),
        change(5, "stage", "Prospecting", "Proposal", 10),  # skipped, but the deal is closed
    )

    flags = run(rule("stage_skipped"), deal_frame=frame, hist=hist)

    assert flags.select("entity_id", "field", "detail").rows() == [
        (1, "stage", "Discovery -> Proposal on 2026-10-24 skipped 1 stage(s)"),
        (2, "stage", "Proposal -> Closed Won on 2026-11-03 skipped 1 stage(s)"),
    ]


def test_stage_skipped_describes_the_last_of_several_skips() -> None:
    frame = deals(deal(1, stage="Negotiation"))
    hist = history(
        change(1, "stage", "Prospecting", "Solution", 30),
        change(1, "stage", "Solution", "Discovery", 20),
        change(1, "stage", "Discovery", "Negotiation", 10),
    )

    flags = run(rule("stage_skipped"), deal_frame=frame, hist=hist)

    assert details(flags) == {
        1: "2 skipping moves; last: Discovery -> Negotiation on 2026-11-13 skipped 2 stage(s)"
    }


def test_stage_rules_ignore_history_after_now_and_unknown_stages() -> None:
    frame = deals(deal(1, stage="Proposal"), deal(2, stage="Discovery"))
    hist = history(
        change(1, "stage", "Discovery", "Proposal", -1),  # tomorrow
        change(2, "stage", "Proposal", "Discovery", -1),
        change(2, "stage", "Demo", "Discovery", 5),  # a stage no longer defined
    )

    assert run(
        rule("stage_skipped"), rule("stage_moved_back"), deal_frame=frame, hist=hist
    ).is_empty()


def test_stage_moved_back_is_a_move_to_a_lower_open_stage() -> None:
    frame = deals(
        deal(1, stage="Discovery"),
        deal(2, stage="Solution"),
        deal(3, stage="Proposal"),
        deal(4, stage="Solution"),
    )
    hist = history(
        change(1, "stage", "Proposal", "Discovery", 12),
        change(2, "stage", "Solution", "Proposal", 20),
        change(2, "stage", "Proposal", "Solution", 15),
        change(2, "stage", "Solution", "Discovery", 12),
        change(2, "stage", "Discovery", "Solution", 10),
        change(3, "stage", "Closed Lost", "Proposal", 10),  # reopened from lost: not a move back
        change(4, "stage", "Solution", "Proposal", 10),
    )

    flags = run(rule("stage_moved_back", owner="manager"), deal_frame=frame, hist=hist)

    assert flags.select("entity_id", "owner_id", "field", "detail").rows() == [
        (1, 3, "stage", "moved back Proposal -> Discovery on 2026-11-11"),
        (2, 3, "stage", "2 moves back; last: moved back Solution -> Discovery on 2026-11-11"),
    ]


def test_stage_order_is_the_rank_among_open_stages_not_the_raw_sort_order() -> None:
    gapped = STAGES.with_columns(pl.col("sort_order") * 10)
    frame = deals(deal(1, stage="Solution"))
    hist = history(change(1, "stage", "Discovery", "Solution", 5))
    config = HygieneConfig(version=1, rules=[rule("stage_skipped")])

    flags = evaluate(config, deals=frame, history=hist, stages=gapped, contacts=contacts(), now=NOW)

    assert flags.is_empty()


# -- close_date_pushed ----------------------------------------------------------------------


def test_close_date_pushed_counts_moves_to_a_later_date() -> None:
    frame = deals(deal(1), deal(2), deal(3), deal(4))
    hist = history(
        change(1, "close_date", "2026-09-30", "2026-10-31", 60),
        change(1, "close_date", "2026-10-31", "2026-11-30", 40),
        change(1, "close_date", "2026-11-30", "2026-12-31", 20),
        change(2, "close_date", "2026-09-30", "2026-10-31", 60),
        change(2, "close_date", "2026-10-31", "2026-10-15", 50),  # pulled in: not a push
        change(2, "close_date", "2026-10-15", "2026-12-31", 40),
        change(2, "close_date", "2026-12-31", "2026-12-31", 30),  # unchanged: not a push
        change(3, "close_date", None, "2026-10-31", 60),  # old date unknown
        change(3, "close_date", "2026-10-31", "2026-11-30", 40),
        change(3, "close_date", "2026-11-30", "not a date", 20),
        change(4, "close_date", "2026-09-30", "2026-10-31", 60),
        change(4, "close_date", "2026-10-31", "2026-11-30", 40),
        change(4, "close_date", "2026-11-30", "2026-12-31", -2),  # after now
    )

    flags = run(rule("close_date_pushed", min_pushes=3), deal_frame=frame, hist=hist)

    assert flags.select("entity_id", "field", "detail").rows() == [
        (1, "close_date", "close date pushed out 3 times (limit 3)")
    ]
    assert ids(run(rule("close_date_pushed", min_pushes=2), deal_frame=frame, hist=hist)) == [
        1,
        2,
        4,
    ]


# -- amount_outlier -------------------------------------------------------------------------


def _population() -> list[dict[str, Any]]:
    """Twenty won smb deals: ten of 1,000 and ten of 10,000 (log10 quartiles 3 and 4)."""
    amounts = [Decimal(1000)] * 10 + [Decimal(10_000)] * 10
    return [
        deal(100 + n, stage="Closed Won", status="won", amount=a, amount_base=a)
        for n, a in enumerate(amounts)
    ]


def test_amount_outlier_uses_the_segment_quartiles_on_log_amounts() -> None:
    # smb: 23 positive amounts; log10 Q1 = 3, Q3 = 4, so with k = 3 the range is 1 to 10^7.
    frame = deals(
        *_population(),
        deal(1, amount=Decimal(10**8), amount_base=Decimal(10**8)),
        deal(2, amount=Decimal(10**6), amount_base=Decimal(10**6)),
        deal(3, amount=Decimal("0.5"), amount_base=Decimal("0.5")),
        deal(4, amount=Decimal(0), amount_base=Decimal(0)),  # no log: not measured
        deal(5, amount=None, amount_base=None),
    )

    flags = run(rule("amount_outlier", iqr_multiplier=3.0), deal_frame=frame)

    assert details(flags) == {
        1: "amount 100000000 (base currency) is above the usual range for segment smb "
        "(1 to 10000000)",
        3: "amount 0.5 (base currency) is below the usual range for segment smb (1 to 10000000)",
    }
    assert set(flags["field"]) == {"amount"}


def test_amount_outlier_measures_small_segments_against_all_deals() -> None:
    # all deals: 22 positive amounts, log10 Q1 = 3, Q3 = 4; enterprise has only two deals.
    frame = deals(
        *_population(),
        deal(1, segment="enterprise", amount=Decimal(10**5), amount_base=Decimal(10**5)),
        deal(2, segment="enterprise", amount=Decimal(10**9), amount_base=Decimal(10**9)),
    )

    flags = run(rule("amount_outlier"), deal_frame=frame)

    assert details(flags) == {
        2: "amount 1000000000 (base currency) is above the usual range for all deals "
        "(1 to 10000000)"
    }


def test_amount_outlier_multiplier_narrows_the_range() -> None:
    frame = deals(*_population(), deal(1, amount_base=Decimal(10**6)))

    assert ids(run(rule("amount_outlier", iqr_multiplier=3.0), deal_frame=frame)) == []
    assert ids(run(rule("amount_outlier", iqr_multiplier=1.0), deal_frame=frame)) == [1]


# -- duplicate ------------------------------------------------------------------------------


def test_normalised_name() -> None:
    names = pl.Series(
        ["Acme – Platform (Copy)", "  ACME platform duplicate", "Acme, Platform!", "Copy", "x_y"]
    )

    result = pl.select(normalised_name(pl.lit(names))).to_series().to_list()

    assert result == ["acme platform", "acme platform", "acme platform", "", "x y"]


def test_duplicate_flags_every_copy_but_the_earliest() -> None:
    start = NOW - timedelta(days=40)
    frame = deals(
        deal(1, name="Acme - Platform", account_id=500, created_at=start),
        deal(2, name="acme platform (Copy)", account_id=500, created_at=start + timedelta(days=3)),
        deal(3, name="ACME  Platform", account_id=500, created_at=start + timedelta(days=5)),
        deal(4, name="Acme Platform", account_id=501, created_at=start + timedelta(days=1)),
        deal(5, name="Acme Analytics", account_id=500, created_at=start + timedelta(days=1)),
    )

    flags = run(rule("duplicate", owner="sales_ops"), deal_frame=frame)

    assert flags.select("entity_id", "owner_id", "field", "detail").rows() == [
        (2, None, None, "likely duplicate of opportunity 1 (created 2026-10-14)"),
        (3, None, None, "likely duplicate of opportunity 1 (created 2026-10-14)"),
    ]


def test_duplicate_boundaries_of_time_and_amount() -> None:
    start = NOW - timedelta(days=40)
    frame = deals(
        deal(1, name="Acme", account_id=500, created_at=start, amount_base=Decimal(1000)),
        deal(2, name="Acme", account_id=500, created_at=start + timedelta(days=14)),
        deal(3, name="Acme", account_id=600, created_at=start, amount_base=Decimal(1000)),
        deal(4, name="Acme", account_id=600, created_at=start, amount_base=Decimal(1100)),
        deal(5, name="Acme", account_id=700, created_at=start, amount_base=Decimal(1000)),
        deal(6, name="Acme", account_id=700, created_at=start, amount_base=Decimal("1100.01")),
    )

    flags = run(rule("duplicate", within_days=14, amount_tolerance="0.10"), deal_frame=frame)

    # 14 days apart and exactly 10% apart both count; 1100.01 is more than 10% above 1000.
    assert ids(flags) == [2, 4]


def test_duplicate_more_than_the_window_apart_is_not_a_copy() -> None:
    start = NOW - timedelta(days=40)
    frame = deals(
        deal(1, name="Acme", account_id=500, created_at=start),
        deal(2, name="Acme", account_id=500, created_at=start + timedelta(days=14, seconds=1)),
    )

    assert run(rule("duplicate"), deal_frame=frame).is_empty()


def test_duplicate_ties_on_creation_keep_the_lowest_id_and_unknown_amounts_match() -> None:
    start = NOW - timedelta(days=40)
    frame = deals(
        deal(8, name="Acme", account_id=500, created_at=start, amount_base=None),
        deal(7, name="Acme", account_id=500, created_at=start),
        deal(9, name="Acme", account_id=None, created_at=start),  # no account: never a copy
    )

    flags = run(rule("duplicate"), deal_frame=frame)

    assert details(flags) == {8: "likely duplicate of opportunity 7 (created 2026-10-14)"}


def test_duplicate_compares_open_deals_only() -> None:
    start = NOW - timedelta(days=40)
    frame = deals(
        deal(1, name="Acme", account_id=500, created_at=start, stage="Closed Lost", status="lost"),
        deal(2, name="Acme", account_id=500, created_at=start + timedelta(days=1)),
    )

    assert run(rule("duplicate"), deal_frame=frame).is_empty()


def test_duplicate_names_the_earliest_match_within_the_window() -> None:
    # Each copy is compared with the earlier deals; deal 3 is 15 days after deal 1 but 12 after
    # deal 2, so it names deal 2.
    start = NOW - timedelta(days=40)
    frame = deals(
        deal(1, name="Acme", account_id=500, created_at=start),
        deal(2, name="Acme", account_id=500, created_at=start + timedelta(days=3)),
        deal(3, name="Acme", account_id=500, created_at=start + timedelta(days=15)),
    )

    flags = run(rule("duplicate"), deal_frame=frame)

    assert details(flags) == {
        2: "likely duplicate of opportunity 1 (created 2026-10-14)",
        3: "likely duplicate of opportunity 2 (created 2026-10-17)",
    }


# -- probability_mismatch -------------------------------------------------------------------


def test_probability_mismatch_is_more_than_the_tolerance_off_the_stage_default() -> None:
    frame = deals(
        deal(1, probability=Decimal(30)),  # Discovery default 20: exactly 10 off
        deal(2, probability=Decimal("30.01")),
        deal(3, probability=Decimal("9.99")),
        deal(4, probability=None),
        deal(5, stage="Proposal", probability=Decimal(50)),
        deal(6, stage="Closed Won", status="won", probability=Decimal(0)),
    )

    flags = run(rule("probability_mismatch", tolerance_points=10), deal_frame=frame)

    assert flags.select("entity_id", "field", "detail").rows() == [
        (
            2,
            "probability",
            "probability 30.01 is 10.01 points off the Discovery default of 20 (tolerance 10)",
        ),
        (
            3,
            "probability",
            "probability 9.99 is 10.01 points off the Discovery default of 20 (tolerance 10)",
        ),
    ]


def test_probability_tolerance_may_be_fractional() -> None:
    frame = deals(deal(1, probability=Decimal("20.5")))

    flags = run(rule("probability_mismatch", tolerance_points="0.25"), deal_frame=frame)

    assert details(flags) == {
        1: "probability 20.5 is 0.5 points off the Discovery default of 20 (tolerance 0.25)"
    }


# -- exit_criteria --------------------------------------------------------------------------


def test_exit_criteria_checks_the_gates_already_passed() -> None:
    frame = deals(
        deal(1, stage="Proposal", amount=None, next_step=None),
        deal(2, stage="Negotiation", next_step="  ", competitors=[]),
        deal(3, stage="Solution", amount=None),  # Solution's own gate: not passed yet
        deal(4, stage="Discovery", amount=None, close_date=None),
        deal(5, stage="Closed Won", status="won", amount=None),
    )

    flags = run(rule("exit_criteria"), deal_frame=frame)

    assert flags.select("entity_id", "field", "detail").rows() == [
        (1, "amount", "amount is missing; it is an exit criterion of Solution"),
        (2, "next_step", "next_step is missing; it is an exit criterion of Proposal"),
    ]


def test_exit_criteria_can_include_the_current_stage() -> None:
    frame = deals(
        deal(1, stage="Proposal", amount=None, next_step=None),
        deal(2, stage="Negotiation", competitors=[]),
        deal(3, stage="Solution", amount=None),
    )

    flags = run(rule("exit_criteria", include_current=True), deal_frame=frame)

    assert flags.select("entity_id", "field", "detail").rows() == [
        (1, "amount", "amount is missing; it is an exit criterion of Solution"),
        (1, "next_step", "next_step is missing; it is an exit criterion of Proposal"),
        (2, "competitors", "competitors is missing; it is an exit criterion of Negotiation"),
        (3, "amount", "amount is missing; it is an exit criterion of Solution"),
    ]


def test_exit_criteria_skip_fields_the_deals_frame_lacks() -> None:
    frame = deals(
        deal(1, stage="Closed Won", status="won"), deal(2, stage="Negotiation", competitors=None)
    )
    without = frame.drop("competitors", "lead_source", "forecast_category")

    assert run(rule("exit_criteria", include_current=True), deal_frame=without).is_empty()
    assert ids(run(rule("exit_criteria", include_current=True), deal_frame=frame)) == [2]


def test_exit_criteria_read_competitors_stored_as_json_text() -> None:
    frame = deals(deal(1, stage="Negotiation"), deal(2, stage="Negotiation")).with_columns(
        pl.Series("competitors", ["[]", '["Helix Suite"]'])
    )

    assert ids(run(rule("exit_criteria", include_current=True), deal_frame=frame)) == [1]


# -- orphan_contact, owners, configuration effects ------------------------------------------


def test_orphan_contact_flags_contacts_without_an_account() -> None:
    flags = run(rule("orphan_contact", owner="sales_ops"), people=contacts((1, 100), (2, None)))

    assert flags.rows() == [
        (
            "contact",
            2,
            "orphan-contact",
            "orphan_contact",
            "warning",
            None,
            "account_id",
            "contact has no account",
        )
    ]


@pytest.mark.parametrize(
    ("owner", "expected"), [("deal_owner", 7), ("manager", 3), ("sales_ops", None)]
)
def test_the_owner_decides_who_fixes(owner: str, expected: int | None) -> None:
    frame = deals(deal(1, next_step=None))

    flags = run(rule("missing_field", field="next_step", owner=owner), deal_frame=frame)

    assert flags["owner_id"].to_list() == [expected]


def test_disabled_rules_and_an_empty_configuration_flag_nothing() -> None:
    frame = deals(deal(1, next_step=None))

    disabled = run(rule("missing_field", field="next_step", enabled=False), deal_frame=frame)
    nothing = run(deal_frame=frame)

    assert disabled.is_empty()
    assert nothing.is_empty()
    assert nothing.schema == pl.Schema(FLAG_SCHEMA)


def test_flags_are_sorted_deals_first_then_id_rule_and_field() -> None:
    frame = deals(deal(2, next_step=None, close_date=date(2026, 1, 1)), deal(1, next_step=None))
    rules = (
        rule("orphan_contact"),
        rule("past_close_date"),
        rule("missing_field", field="next_step"),
    )

    flags = run(*rules, deal_frame=frame, people=contacts((1, None)))

    assert flags.select("entity", "entity_id", "rule_id").rows() == [
        ("opportunity", 1, "missing-field"),
        ("opportunity", 2, "missing-field"),
        ("opportunity", 2, "past-close-date"),
        ("contact", 1, "orphan-contact"),
    ]


# -- inputs ---------------------------------------------------------------------------------


def test_a_deals_frame_without_a_contract_column_is_refused() -> None:
    with pytest.raises(InvalidInput, match="deals has no column\\(s\\) manager_id"):
        run(rule("stale"), deal_frame=deals(deal(1)).drop("manager_id"))


def test_a_column_of_the_wrong_type_is_refused() -> None:
    frame = deals(deal(1)).with_columns(pl.col("close_date").cast(pl.String))

    with pytest.raises(InvalidInput, match="deals column 'close_date' is String, expected Date"):
        run(rule("stale"), deal_frame=frame)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInput, match="has no timezone"):
        run(rule("stale"), now=datetime(2026, 11, 23))  # noqa: DTZ001


def test_stages_listed_twice_are_refused() -> None:
    config = HygieneConfig(version=1, rules=[rule("stale")])

    with pytest.raises(InvalidInput, match="stages lists twice: Discovery"):
        evaluate(
            config,
            deals=deals(),
            history=history(),
            stages=pl.concat([STAGES, STAGES.slice(1, 1)]),
            contacts=contacts(),
            now=NOW,
        )


# -- property -------------------------------------------------------------------------------

# hypothesis takes naive bounds and attaches the time zone itself
_moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_amounts = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**9), max_value=10**12, places=4, allow_nan=False),
)
_texts = st.one_of(st.none(), st.sampled_from(["", " ", "Acme", "acme (copy)", "Deal!"]))
_deal_rows = st.builds(
    deal,
    st.integers(min_value=1, max_value=50),
    name=st.sampled_from(["Acme", "acme copy", "Beta - Deal", "", "!!"]),
    account_id=st.one_of(st.none(), st.integers(1, 3)),
    owner_id=st.one_of(st.none(), st.integers(1, 3)),
    manager_id=st.one_of(st.none(), st.integers(1, 3)),
    stage=st.sampled_from([*STAGE_NAMES, "Unknown"]),
    status=st.one_of(st.none(), st.sampled_from(["open", "won", "lost"])),
    amount=_amounts,
    amount_base=_amounts,
    close_date=st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 12, 31))),
    probability=st.one_of(
        st.none(), st.decimals(min_value=-100, max_value=200, places=2, allow_nan=False)
    ),
    next_step=_texts,
    created_at=_moments,
    last_activity_at=st.one_of(st.none(), _moments),
    segment=st.one_of(st.none(), st.sampled_from(["smb", "enterprise"])),
    competitors=st.one_of(st.none(), st.lists(st.sampled_from(["A", ""]), max_size=2)),
    lead_source=_texts,
    forecast_category=_texts,
)
_history_rows = st.builds(
    change,
    st.integers(min_value=1, max_value=50),
    st.sampled_from(["stage", "close_date", "amount", "owner"]),
    st.one_of(st.none(), st.sampled_from([*STAGE_NAMES, "2026-01-31", "2026-13-01", "x"])),
    st.one_of(st.none(), st.sampled_from([*STAGE_NAMES, "2026-02-28", "2027-01-01", ""])),
    st.floats(min_value=-30, max_value=400),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(_deal_rows, max_size=30, unique_by=lambda row: row["id"]),
    changes=st.lists(_history_rows, max_size=30),
    orphans=st.lists(st.one_of(st.none(), st.integers(1, 3)), max_size=5),
)
def test_evaluate_never_raises_on_well_typed_frames(
    rows: list[dict[str, Any]], changes: list[dict[str, Any]], orphans: list[int | None]
) -> None:
    frame = deals(*rows)
    people = contacts(*enumerate(orphans, start=1))

    flags = evaluate(
        default_config(),
        deals=frame,
        history=history(*changes),
        stages=STAGES,
        contacts=people,
        now=NOW,
    )

    assert flags.schema == pl.Schema(FLAG_SCHEMA)
    open_ids = set(frame.filter(pl.col("status") == "open")["id"])
    assert set(flags.filter(pl.col("entity") == "opportunity")["entity_id"]) <= open_ids
    assert flags.filter(pl.col("entity") == "contact").height == orphans.count(None)
