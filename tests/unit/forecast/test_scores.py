"""Accuracy metrics against hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from revdesk.forecast.scores import brier, calibration, forecast_errors, summarise_errors


def rows(*items: tuple[str, str | None, str | None, str | None, str]) -> pl.DataFrame:
    """(period, forecast, p10, p90, actual) rows of one method."""
    money = pl.Decimal(38, 2)
    return pl.DataFrame(
        [
            {
                "method": "m",
                "forecast": Decimal(forecast) if forecast else None,
                "p10": Decimal(p10) if p10 else None,
                "p90": Decimal(p90) if p90 else None,
                "actual": Decimal(actual),
            }
            for _, forecast, p10, p90, actual in items
        ],
        schema={
            "method": pl.String,
            "forecast": money,
            "p10": money,
            "p90": money,
            "actual": money,
        },
    )


def test_mape_bias_and_coverage_match_a_hand_computed_case() -> None:
    # forecast 110 vs 100: +10%; 80 vs 100: -20%; 150 vs 200: -25%; actual 0 is not scored
    frame = rows(
        ("q1", "110", "90", "120", "100"),
        ("q2", "80", "70", "90", "100"),
        ("q3", "150", None, None, "200"),
        ("q4", "50", "0", "60", "0"),
    )

    summary = summarise_errors(forecast_errors(frame), ["method"]).row(0, named=True)

    assert summary["periods"] == 3
    assert summary["mape"] == pytest.approx((0.10 + 0.20 + 0.25) / 3)
    assert summary["bias"] == pytest.approx((0.10 - 0.20 - 0.25) / 3)
    assert summary["tendency"] == "calls low"
    assert summary["mean_error"] == pytest.approx((10 - 20 - 50) / 3)
    # intervals: q1 inside (90 <= 100 <= 120), q2 outside (100 > 90); q3 has none
    assert summary["intervals"] == 2
    assert summary["coverage"] == pytest.approx(0.5)


def test_errors_per_row() -> None:
    scored = forecast_errors(rows(("q1", "90", "80", "100", "100")))

    assert scored["error"].to_list() == [-10.0]
    assert scored["pct_error"].to_list() == [pytest.approx(-0.1)]
    assert scored["inside"].to_list() == [True]


def test_a_method_that_calls_high() -> None:
    summary = summarise_errors(forecast_errors(rows(("q1", "120", None, None, "100"))), ["method"])

    assert summary["tendency"].to_list() == ["calls high"]
    assert summary["coverage"].to_list() == [None]


def test_brier_score_by_hand() -> None:
    deals = pl.DataFrame(
        {"method": ["m"] * 4, "p": [0.9, 0.2, 0.5, 0.0], "won": [True, False, False, True]}
    )

    result = brier(deals, ["method"]).row(0, named=True)

    # (0.1² + 0.2² + 0.5² + 1²) / 4 = (0.01 + 0.04 + 0.25 + 1) / 4
    assert result["deals"] == 4
    assert result["brier"] == pytest.approx(1.30 / 4)


def test_calibration_table_by_tenth_of_probability() -> None:
    deals = pl.DataFrame(
        {
            "method": ["m"] * 5,
            "p": [0.05, 0.08, 0.55, 0.58, 1.0],
            "won": [False, True, True, True, True],
        }
    )

    table = calibration(deals, ["method"])

    assert table["bin"].to_list() == ["0.0-0.1", "0.5-0.6", "0.9-1.0"]
    assert table["deals"].to_list() == [2, 2, 1]
    assert table["mean_predicted"].to_list() == pytest.approx([0.065, 0.565, 1.0])
    assert table["observed_rate"].to_list() == pytest.approx([0.5, 1.0, 1.0])
