"""Forecast calls of the demo company: reps' commit and best case, and their managers' overrides.

Reps call the quarter under way at a biweekly forecast meeting, on the first day of weeks 1, 3,
5, ..., 13 of every fiscal quarter of the window (`CALL_WEEKS`), from what the CRM showed that
morning at 08:00 UTC: never from the outcome. A rep calls when they own an open deal closing in
the quarter. From their book that morning (base currency, at that day's rates):

    won        = won so far, closing in the quarter
    read       = 0.8 × open commit + 0.5 × open best case
                 + ahead × (0.15 × open pipeline + 0.25 × what they won last quarter)
    commit     = won + e1 × c × read
    best case  = won + e2 × (open commit + u × open best case + r × open pipeline)  (>= commit)

(open value: deals closing in the quarter, by forecast category; ahead: the share of the
quarter still ahead), rounded to hundreds, with e1, e2 lognormal noise (sigma `NOISE`) per call
and c, u, r the rep's habits, drawn once per rep from a persona (`PERSONAS`): *sandbaggers*
commit 60-80% of their read, *steady* reps 85-100%, *optimists* 105-125%.

Managers step in: for a rep and quarter, with probability `OVERRIDE_SHARE` the rep's manager
overrides the call from a random call week on, and restates it at every later call of that
quarter (an override stands until a newer one: docs/forecasting.md). The override moves the
rep's commit by a persona factor (up for sandbaggers, down for optimists), a few hours after
the rep's call, with a reason. Rows are append-only submissions: each supersedes the previous
call for the same rep and quarter.

`CallBook.observe` takes each batch's opportunities and history as they are written and keeps
only per-rep sums per call moment (one backward as-of join per moment, `Versions.state_at`),
so memory stays bounded by a batch; `CallBook.frame` then draws the calls. Pure: Polars, numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, NamedTuple

import numpy as np
import polars as pl

from revdesk.core.fiscal import FiscalCalendar
from revdesk.core.fx import ExchangeRate, RateTable
from revdesk.demo.model import STAGE_NAMES, WON
from revdesk.demo.timeline import Floats, World
from revdesk.forecast.model import SubmissionKind
from revdesk.forecast.timeline import SUBMISSION_FRAME
from revdesk.forecast.versions import Versions

__all__ = [
    "CALL_WEEKS",
    "OVERRIDE_SHARE",
    "PERSONAS",
    "CallBook",
    "call_amounts",
    "call_moments",
]

CALL_WEEKS: Final = (1, 3, 5, 7, 9, 11, 13)
MORNING: Final = time(8, tzinfo=UTC)
NOISE: Final = 0.08
OVERRIDE_SHARE: Final = 0.2


class Persona(NamedTuple):
    """A kind of rep: their share of reps and (low, high) ranges of their habits: `commit`
    (the share of their read of the open pipeline they commit), `upside` and `reach` (the shares
    of best-case and pipeline deals in their best case), and `factor`, what their manager's
    override multiplies their call by."""

    share: float
    commit: tuple[float, float]
    upside: tuple[float, float]
    reach: tuple[float, float]
    factor: tuple[float, float]


PERSONAS: Final = {
    "sandbagger": Persona(0.35, (0.6, 0.8), (0.8, 0.95), (0.1, 0.2), (1.1, 1.3)),
    "steady": Persona(0.40, (0.85, 1.0), (0.9, 1.0), (0.2, 0.3), (0.95, 1.05)),
    "optimist": Persona(0.25, (1.05, 1.25), (0.95, 1.0), (0.3, 0.4), (0.75, 0.9)),
}
# How a rep reads their quarter: shares of the open commit and best-case value closing in it,
# and, scaled by the share of the quarter still ahead, of the open pipeline value and of what
# they won last quarter (business not created yet).
READ: Final = {"commit_open": 0.8, "best_open": 0.5}
AHEAD: Final = {"pipeline_open": 0.15, "prior": 0.25}
REASONS: Final = {
    "sandbagger": (
        "raised: the commit deals have signed paperwork in legal",
        "raised: the rep is sandbagging two renewals that are ready",
        "raised: procurement confirmed the PO for the largest deal",
    ),
    "steady": (
        "adjusted after the deal review",
        "adjusted: one deal moved in, one slipped",
    ),
    "optimist": (
        "cut: the largest deal slipped to next quarter",
        "cut: the champion left; the deal is not commit",
        "haircut on deals without a mutual close plan",
    ),
}
_STAGES = pl.DataFrame(
    {"name": list(STAGE_NAMES), "status": ["open"] * WON + ["won", "lost"]},
)
_SUMS = ("won", "commit_open", "best_open", "pipeline_open")


def call_moments(world: World) -> pl.DataFrame:
    """`quarter` (0, 1, ...), `period`, `week`, `start`, `end` and `at` (08:00 UTC on the call
    day) of every call before today."""
    calendar = FiscalCalendar(start_month=world.fiscal_start_month)
    rows: list[tuple[int, str, int, date, date, datetime]] = []
    quarter, number = calendar.quarter(world.start), 0
    while quarter.start < world.today:
        for week in CALL_WEEKS:
            day = quarter.start + timedelta(days=7 * (week - 1))
            if world.start <= day <= quarter.end and day < world.today:
                rows.append(
                    (number, quarter.label, week, quarter.start, quarter.end, _morning(day))
                )
        quarter, number = calendar.next(quarter), number + 1
    schema: dict[str, pl.DataType] = {
        "quarter": pl.Int64(),
        "period": pl.String(),
        "week": pl.Int64(),
        "start": pl.Date(),
        "end": pl.Date(),
        "at": pl.Datetime("us", "UTC"),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _morning(day: date) -> datetime:
    return datetime.combine(day, MORNING)


class CallBook:
    """Per-rep books at every call moment, summed over batches; then the calls drawn from them.

    book = CallBook(world, users, exchange_rates, seed=42)
    book.observe(batch_frames)            # each batch's "opportunities", "opportunity_history"
    calls = book.frame(start=first_free_id)
    """

    def __init__(
        self, world: World, users: pl.DataFrame, rates: pl.DataFrame, *, seed: int
    ) -> None:
        self.world = world
        self.moments = call_moments(world)
        self.users = users.select("id", "role", "manager_id")
        self.rates = RateTable(
            world.base_currency,
            (
                ExchangeRate(*row)
                for row in rates.select("currency", "base", "valid_from", "rate").iter_rows()
            ),
        )
        self.seed = seed
        self._parts: list[pl.DataFrame] = []

    def observe(self, frames: Mapping[str, pl.DataFrame]) -> None:
        """Add one batch's deals to the per-rep sums at every call moment."""
        opportunities = frames["opportunities"]
        if opportunities.is_empty():
            return
        versions = Versions(
            opportunities, frames["opportunity_history"], _STAGES, keep=("currency",)
        )
        states = versions.states_at(self.moments["at"].to_list())
        in_quarter = pl.col("close_date").is_between(pl.col("start"), pl.col("end"))
        moments = self.moments.rename({"at": "as_of"})
        books = states.join(moments, on="as_of").filter(in_quarter)
        self._parts.append(self._sums(books).rename({"as_of": "at"}))

    def _sums(self, books: pl.DataFrame) -> pl.DataFrame:
        """Per moment and owner: won so far, open value per forecast category, open deals
        (base currency at the moment's day)."""
        priced = self.rates.to_base_frame(
            books.with_columns(pl.col("as_of").dt.date().alias("_day")),
            amount="amount",
            currency="currency",
            on="_day",
            out="_base",
        )
        value = pl.col("_base").cast(pl.Float64).fill_null(0.0)
        is_open = ~pl.col("is_closed")
        category = pl.col("forecast_category")
        return priced.group_by("quarter", "period", "week", "as_of", "owner_id").agg(
            value.filter(pl.col("is_won")).sum().alias("won"),
            value.filter(is_open & (category == "commit")).sum().alias("commit_open"),
            value.filter(is_open & (category == "best_case")).sum().alias("best_open"),
            value.filter(is_open & (category == "pipeline")).sum().alias("pipeline_open"),
            is_open.sum().cast(pl.Int64).alias("open_deals"),
        )

    def books(self) -> pl.DataFrame:
        """The reps' books at each call moment, summed over the batches seen so far."""
        if not self._parts:
            return pl.DataFrame()
        summed = (
            pl.concat(self._parts)
            .group_by("quarter", "period", "week", "at", "owner_id")
            .agg(*(pl.col(c).sum() for c in (*_SUMS, "open_deals")))
        )
        reps = self.users.filter(pl.col("role") == "rep").rename({"id": "owner_id"})
        return (
            summed.join(reps, on="owner_id", how="inner")
            .filter(pl.col("open_deals") > 0)
            .sort("at", "owner_id")
        )

    def frame(self, *, start: int) -> pl.DataFrame:
        """The submissions (ids from `start`), in the columns of `forecast_submissions`."""
        books = self.books()
        if books.is_empty():
            return _empty()
        rng = np.random.default_rng([self.seed, 7])
        habits = _habits(rng, self.users.filter(pl.col("role") == "rep")["id"])
        books = _with_prior(books).join(habits, on="owner_id", how="left")
        own = _rep_calls(rng, books)
        overrides = _overrides(rng, own)
        return _numbered(pl.concat([own, overrides], how="diagonal_relaxed"), start, self.world)


def _with_prior(books: pl.DataFrame) -> pl.DataFrame:
    """Add `prior`, the rep's won at their last call of the previous quarter (0 if none), and
    `ahead`, the share of the quarter still ahead at the call (week 1: 1)."""
    last = (
        books.sort("at")
        .group_by("owner_id", "quarter")
        .agg(pl.col("won").last().alias("prior"))
        .with_columns(pl.col("quarter") + 1)
    )
    return books.join(last, on=["owner_id", "quarter"], how="left").with_columns(
        pl.col("prior").fill_null(0.0),
        (1 - 7 * (pl.col("week") - 1) / 91).clip(0.0, 1.0).alias("ahead"),
    )


def _habits(rng: np.random.Generator, reps: pl.Series) -> pl.DataFrame:
    """Each rep's persona and habits a, g, b, d, and the factor their manager applies."""
    names = list(PERSONAS)
    shares = np.array([PERSONAS[n].share for n in names])
    persona = rng.choice(len(names), size=reps.len(), p=shares / shares.sum())
    frame = pl.DataFrame({"owner_id": reps, "persona": np.asarray(names)[persona]})
    for name in ("commit", "upside", "reach", "factor"):
        bounds = np.array([getattr(PERSONAS[n], name) for n in names])[persona]
        frame = frame.with_columns(pl.Series(name, rng.uniform(bounds[:, 0], bounds[:, 1])))
    return frame


def _rep_calls(rng: np.random.Generator, books: pl.DataFrame) -> pl.DataFrame:
    """Each rep's own call at each moment, submitted between 09:00 and 17:00 that day."""
    n = books.height
    e1, e2 = rng.lognormal(0.0, NOISE, n), rng.lognormal(0.0, NOISE, n)
    minutes = rng.integers(60, 9 * 60, n)
    commit, best = call_amounts(books, e1, e2)
    return books.select(
        "period",
        pl.col("week").cast(pl.Int64),
        pl.col("owner_id").alias("user_id"),
        pl.col("owner_id").alias("submitted_by_id"),
        "manager_id",
        "persona",
        "factor",
        (pl.col("at") + pl.duration(minutes=pl.lit(pl.Series(minutes)))).alias("submitted_at"),
        pl.lit(SubmissionKind.SUBMIT.value).alias("kind"),
        pl.Series("commit", commit),
        pl.Series("best_case", best),
    )


def call_amounts(books: pl.DataFrame, e1: Floats, e2: Floats) -> tuple[Floats, Floats]:
    """Commit and best case of each rep's book (rows: sums and habits), noise e1, e2, rounded."""
    names = (*_SUMS, "prior", "ahead", "commit", "upside", "reach")
    c = {name: books[name].to_numpy() for name in names}
    ahead = sum(weight * c[name] for name, weight in AHEAD.items())
    read = sum(weight * c[name] for name, weight in READ.items()) + c["ahead"] * ahead
    commit = _hundreds(c["won"] + e1 * c["commit"] * read)
    upside = c["commit_open"] + c["upside"] * c["best_open"] + c["reach"] * c["pipeline_open"]
    return commit, np.maximum(_hundreds(c["won"] + e2 * upside), commit)


def _overrides(rng: np.random.Generator, own: pl.DataFrame) -> pl.DataFrame:
    """Managers' overrides: from a random call week on, for a share of (rep, quarter) pairs."""
    pairs = own.select("user_id", "period").unique().sort("user_id", "period")
    chosen = rng.random(pairs.height) < OVERRIDE_SHARE
    first = rng.choice(np.asarray(CALL_WEEKS), size=pairs.height)
    pairs = pairs.with_columns(pl.Series("_from", np.where(chosen, first, 99)).cast(pl.Int64))
    taken = (
        own.join(pairs, on=["user_id", "period"])
        .filter((pl.col("week") >= pl.col("_from")) & pl.col("manager_id").is_not_null())
        .sort("submitted_at", "user_id")
    )
    n = taken.height
    factor = taken["factor"].to_numpy() * rng.lognormal(0.0, NOISE / 2, n)
    hours = rng.integers(60, 5 * 60, n)
    reasons = [str(rng.choice(REASONS[p])) for p in taken["persona"].to_list()]
    commit = _hundreds(taken["commit"].cast(pl.Float64).to_numpy() * factor)
    best = np.maximum(_hundreds(taken["best_case"].cast(pl.Float64).to_numpy() * factor), commit)
    return taken.select(
        "period",
        "week",
        "user_id",
        pl.col("manager_id").alias("submitted_by_id"),
        (pl.col("submitted_at") + pl.duration(minutes=pl.lit(pl.Series(hours)))).alias(
            "submitted_at"
        ),
        pl.lit(SubmissionKind.OVERRIDE.value).alias("kind"),
        pl.Series("commit", commit),
        pl.Series("best_case", best),
        pl.Series("reason", reasons, dtype=pl.String),
    )


def _hundreds(values: Floats) -> Floats:
    """Amounts as people call them: rounded to hundreds, never negative."""
    return np.asarray(np.maximum(np.round(values, -2), 0.0), dtype=np.float64)


_MONEY = pl.Decimal(38, 4)


def _numbered(calls: pl.DataFrame, start: int, world: World) -> pl.DataFrame:
    """Ids in time order and the call each one supersedes (same person and quarter)."""
    ordered = calls.sort("submitted_at", "user_id", "kind").with_row_index("_n")
    ids = pl.col("_n").cast(pl.Int64) + start
    return ordered.select(
        ids.alias("id"),
        "period",
        "user_id",
        "kind",
        pl.col("commit").cast(_MONEY),
        pl.col("best_case").cast(_MONEY),
        pl.lit(world.base_currency).alias("currency"),
        pl.col("reason").cast(pl.String)
        if "reason" in calls.columns
        else pl.lit(None, pl.String).alias("reason"),
        "submitted_at",
        "submitted_by_id",
        ids.shift(1).over("user_id", "period").alias("supersedes_id"),
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SUBMISSION_FRAME)
