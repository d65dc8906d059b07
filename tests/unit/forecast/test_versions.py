"""Versions.state_at answers exactly what as_of answers, at any moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from revdesk.core.errors import InvalidInput
from revdesk.crm.asof import as_of
from revdesk.forecast.versions import Versions
from unit.forecast.synthetic import NOW, START, company, materialize

DATA = materialize(company(300, seed=11))
VERSIONS = Versions(DATA.opportunities, DATA.history, DATA.stages, keep=("account_id",))


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=-30, max_value=(NOW - START).days + 30), st.integers(0, 86_399))
def test_state_at_equals_as_of(days: int, seconds: int) -> None:
    moment = START + timedelta(days=days, seconds=seconds)

    expected = as_of(DATA.opportunities, DATA.history, DATA.stages, moment, keep=["account_id"])
    actual = VERSIONS.state_at(moment)

    assert_frame_equal(actual.drop("last_touch_at"), expected)


def test_many_moments_in_one_join_equal_each_moment_alone() -> None:
    moments = [START - timedelta(days=3), START + timedelta(days=200), NOW]

    stacked = VERSIONS.states_at(moments)

    assert stacked["as_of"].unique(maintain_order=True).to_list() == moments[1:]  # none before
    for moment in moments:
        alone = VERSIONS.state_at(moment)
        at_moment = stacked.filter(pl.col("as_of") == moment).drop("as_of")
        assert_frame_equal(at_moment, alone)


def test_exact_change_moments_belong_to_the_new_value() -> None:
    moments = DATA.history["changed_at"].unique().sort().to_list()[::97]

    for moment in moments:
        expected = as_of(DATA.opportunities, DATA.history, DATA.stages, moment, keep=["account_id"])
        assert_frame_equal(VERSIONS.state_at(moment).drop("last_touch_at"), expected)


def test_a_change_with_an_unknown_old_value_leaves_the_field_unknown_before_it() -> None:
    history = DATA.history.with_columns(
        pl.when((pl.col("field") == "amount") & pl.col("old_value").is_not_null())
        .then(None)
        .otherwise(pl.col("old_value"))
        .alias("old_value")
    )
    versions = Versions(DATA.opportunities, history, DATA.stages)
    moment = START + timedelta(days=400)

    expected = as_of(DATA.opportunities, history, DATA.stages, moment)

    assert_frame_equal(versions.state_at(moment).drop("last_touch_at"), expected)


def test_last_touch_is_the_latest_change_at_or_before_the_moment() -> None:
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    seen = DATA.history.filter(pl.col("changed_at") <= moment)
    latest = dict(seen.group_by("opportunity_id").agg(pl.col("changed_at").max()).iter_rows())

    state = VERSIONS.state_at(moment)

    for deal_id, touched in state.select("id", "last_touch_at").iter_rows():
        assert touched == latest[deal_id]


def test_untracked_history_fields_are_refused() -> None:
    odd = DATA.history.with_columns(pl.lit("colour").alias("field"))

    with pytest.raises(InvalidInput, match="untracked field"):
        Versions(DATA.opportunities, odd, DATA.stages)
