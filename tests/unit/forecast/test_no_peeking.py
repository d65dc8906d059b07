"""No peeking: a forecast as of T is the same whatever happened after T.

The company is built from dated events. Events after T are chosen so that knowing them would
change every method's answer: deals open at T are won (some with a close date before T), lose or
triple their amount, deals won in an earlier quarter are reopened, new deals appear, and calls
are submitted and overridden. The forecast on the full data must equal the forecast on the data
truncated at T (built independently, as the CRM stood at T), and must differ from a forecast
that was allowed to know those events (the same events moved to just before T).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from polars.testing import assert_frame_equal

from revdesk.forecast.model import Method, MethodResult
from revdesk.forecast.run import run_methods
from revdesk.forecast.timeline import Timeline
from unit.forecast.handmade import CALENDAR, eod
from unit.forecast.synthetic import CATEGORY, NOW, Deal, company, materialize, submissions

PERIOD = CALENDAR.parse("FY2027-Q1")
T = eod("2026-03-15")


def _future(deals: list[Deal]) -> list[Deal]:
    """The company plus the events after T that matter to every method."""
    at_t = materialize(deals, T).opportunities
    open_ids = at_t.filter(at_t["stage"].is_in(["Discovery", "Proposal", "Negotiation"]))["id"]
    won_before = at_t.filter(
        (at_t["stage"] == "Won")
        & at_t["close_date"].is_between(
            CALENDAR.parse("FY2026-Q4").start, CALENDAR.parse("FY2026-Q4").end
        )
    )["id"]
    by_id = {d.id: d for d in deals}
    later = T + timedelta(days=1)
    for number, deal_id in enumerate(open_ids.to_list()[:60]):
        deal = by_id[deal_id]
        if number % 3 == 0:
            deal.events.append((later, "amount", "999999.00"))
        elif number % 3 == 1:  # won after T, dated inside the period before T
            deal.events += [
                (later, "stage", "Won"),
                (later, "forecast_category", CATEGORY["Won"]),
                (later, "close_date", "2026-03-01"),
            ]
        else:
            deal.events += [(later, "stage", "Lost"), (later, "forecast_category", "omitted")]
    for deal_id in won_before.to_list()[:15]:
        by_id[deal_id].events += [
            (later, "stage", "Negotiation"),
            (later, "forecast_category", "commit"),
        ]
    for number in range(15):
        fresh = Deal(10_000 + number, later, 4, 5)
        fresh.events += [
            (later, "stage", "Negotiation"),
            (later, "forecast_category", "commit"),
            (later, "amount", "50000.00"),
            (later, "close_date", "2026-04-20"),
            (later, "owner", "4"),
        ]
        deals.append(fresh)
    return deals


CALLS = [
    ("FY2027-Q1", 4, "submit", "100000", "150000", T - timedelta(days=2), 4),
    ("FY2027-Q1", 5, "submit", "70000", "90000", T + timedelta(days=1), 5),
    ("FY2027-Q1", 4, "override", "10", "20", T + timedelta(days=2), 2),
]


def _moved_before_t(deals: list[Deal]) -> list[Deal]:
    """The same events, but every one after T happens just before it: known at T."""
    just_before = T - timedelta(microseconds=1)
    return [
        replace(
            d,
            created_at=min(d.created_at, just_before),
            events=[(min(t, just_before), f, v) for t, f, v in d.events],
        )
        for d in deals
    ]


@pytest.fixture(scope="module")
def results() -> dict[str, list[MethodResult]]:
    deals = _future(company(700, seed=31))
    full = Timeline(materialize(deals), CALENDAR, now=NOW, submissions=submissions(CALLS))
    truncated = Timeline(materialize(deals, T), CALENDAR, now=T, submissions=submissions(CALLS[:1]))
    knowing = Timeline(
        materialize(_moved_before_t(deals)),
        CALENDAR,
        now=NOW,
        submissions=submissions([(*c[:5], min(c[5], T), c[6]) for c in CALLS]),
    )
    return {
        name: run_methods(timeline.as_of(T, PERIOD))
        for name, timeline in (("full", full), ("truncated", truncated), ("knowing", knowing))
    }


def _figures(result: MethodResult) -> tuple[object, ...]:
    return (
        result.point,
        result.p10,
        result.p50,
        result.p90,
        result.best_case,
        result.skipped_reason,
    )


@pytest.mark.parametrize("method", list(Method))
def test_the_forecast_as_of_t_equals_the_one_on_data_truncated_at_t(
    results: dict[str, list[MethodResult]], method: Method
) -> None:
    full, truncated = (
        next(r for r in results[k] if r.method is method) for k in ("full", "truncated")
    )

    assert full.ran, full.skipped_reason
    assert _figures(full) == _figures(truncated)
    if full.probabilities is not None:
        assert truncated.probabilities is not None
        assert_frame_equal(full.probabilities, truncated.probabilities)


@pytest.mark.parametrize("method", list(Method))
def test_knowing_the_later_events_would_have_changed_the_answer(
    results: dict[str, list[MethodResult]], method: Method
) -> None:
    full, knowing = (next(r for r in results[k] if r.method is method) for k in ("full", "knowing"))

    assert knowing.ran, knowing.skipped_reason
    assert full.point != knowing.point


@pytest.mark.parametrize("method", [Method.MARKOV, Method.WIN_PROBABILITY])
def test_the_intervals_compared_are_calibrated_on_past_forecasts(
    results: dict[str, list[MethodResult]], method: Method
) -> None:
    full = next(r for r in results["full"] if r.method is method)

    assert "simulated interval stretched" in full.note  # not the simulation-only fallback
