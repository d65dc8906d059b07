"""Accuracy tracking: how far each method and each person who calls a forecast has been off.

Methods: from a backtest's forecasts, per method and week: periods scored, mean error, MAPE,
bias and whether the method calls high or low (`revdesk.forecast.scores`).

Submitters: for every completed period and week W, the moment T as in the backtest; each call
standing at T (the latest submission or override its author made for that person's tree by T)
is compared with what that tree actually won in the period: the amount won by deals owned by the
person or anyone reporting to them, directly or not (as known at the period end). Per author:
calls scored, mean error, MAPE, bias and tendency, over the commit figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from revdesk.core.fiscal import FiscalPeriod
from revdesk.forecast.backtest import moment
from revdesk.forecast.scores import forecast_errors, summarise_errors
from revdesk.forecast.timeline import Timeline

__all__ = ["method_accuracy", "submitter_accuracy", "submitter_calls", "subtree"]


def method_accuracy(forecasts: pl.DataFrame) -> pl.DataFrame:
    """Per method and week: periods, mean error, MAPE, bias, tendency (backtest forecasts)."""
    return summarise_errors(forecasts, ["method", "week"]).select(
        "method", "week", "periods", "mean_error", "mape", "bias", "tendency"
    )


def subtree(users: pl.DataFrame, root: int) -> set[int]:
    """`root` and everyone who reports to them, directly or not."""
    children: dict[int, list[int]] = {}
    for user, manager in users.select("id", "manager_id").iter_rows():
        if manager is not None:
            children.setdefault(manager, []).append(user)
    members, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in members:
                members.add(child)
                stack.append(child)
    return members


def submitter_calls(
    timeline: Timeline, periods: Sequence[FiscalPeriod], weeks: Sequence[int]
) -> pl.DataFrame:
    """Every call standing at each (period, week) moment, next to its tree's actual."""
    users = timeline.users
    names = dict(users.select("id", "name").iter_rows())
    rows = []
    for period in periods:
        won = dict(timeline.won_by_owner(period).iter_rows())
        for week in weeks:
            at = moment(period, week)
            standing = (
                timeline.submissions_until(at)
                .filter(pl.col("period") == period.label)
                .sort("submitted_at", "id")
                .group_by("submitted_by_id", "user_id", maintain_order=True)
                .last()
            )
            to_base = timeline.converter(at.date())
            for call in standing.iter_rows(named=True):
                tree = subtree(users, call["user_id"])
                rows.append(
                    {
                        "period": period.label,
                        "week": week,
                        "submitter": names.get(call["submitted_by_id"], "?"),
                        "for": names.get(call["user_id"], "?"),
                        "kind": call["kind"],
                        "forecast": to_base(call["commit"], call["currency"]),
                        "actual": sum(won.get(member, 0.0) for member in tree),
                    }
                )
    frame = pl.DataFrame(
        rows,
        schema={
            "period": pl.String,
            "week": pl.Int64,
            "submitter": pl.String,
            "for": pl.String,
            "kind": pl.String,
            "forecast": pl.Decimal(38, 4),
            "actual": pl.Float64,
        },
    )
    return forecast_errors(
        frame.with_columns(
            pl.lit(None, pl.Float64).alias("p10"), pl.lit(None, pl.Float64).alias("p90")
        )
    ).drop("p10", "p90", "inside")


def submitter_accuracy(calls: pl.DataFrame) -> pl.DataFrame:
    """Per submitter: calls scored, mean error, MAPE, bias and tendency."""
    with_interval = calls.with_columns(pl.lit(None, pl.Boolean).alias("inside"))
    return (
        summarise_errors(with_interval, ["submitter"])
        .rename({"periods": "calls"})
        .select("submitter", "calls", "mean_error", "mape", "bias", "tendency")
    )
