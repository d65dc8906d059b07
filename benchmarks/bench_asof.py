"""Time `revdesk.crm.asof.as_of` on a synthetic pipeline.

Generates N opportunities with about five history rows each (fully vectorised, fixed seed, no
numpy needed: pseudo-random numbers come from Polars' seeded hash of a row counter), then
reconstructs the pipeline as of a moment in the middle of the history and prints rows per second
and the process's peak resident set size.

    .venv/bin/python benchmarks/bench_asof.py            # N = 1,000,000
    .venv/bin/python benchmarks/bench_asof.py --n 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta

import polars as pl

from revdesk.crm.asof import as_of

SEED = 20_260_101
STAGES = pl.DataFrame(
    {
        "name": ["Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"],
        "status": ["open", "open", "open", "open", "won", "lost"],
    }
)
CATEGORIES = ["Pipeline", "Best Case", "Commit", "Closed", "Omitted"]
FIELDS = ["stage", "amount", "close_date", "forecast_category", "owner"]
START = datetime(2024, 1, 1, tzinfo=UTC)
DAY_US = 86_400 * 1_000_000
MONEY = pl.Decimal(38, 4)


def _rand(column: str, stream: int, modulo: int) -> pl.Expr:
    """Deterministic pseudo-random integers in [0, modulo) derived from an integer column."""
    return (pl.col(column).hash(seed=SEED + stream) % modulo).cast(pl.Int64)


def _pick(index: pl.Expr, names: list[str]) -> pl.Expr:
    return index.replace_strict(dict(enumerate(names)), return_dtype=pl.String)


def _created_at(column: str) -> pl.Expr:
    """Creation moment of opportunity `column`, reproducible from the id alone (avoids a join)."""
    return pl.lit(START) + pl.duration(microseconds=_rand(column, 1, 540 * DAY_US))


def opportunities(n: int) -> pl.DataFrame:
    """N opportunities in the current state, ids 1..N."""
    stage_names = STAGES["name"].to_list()
    frame = pl.select(id=pl.int_range(1, n + 1, dtype=pl.Int64)).with_columns(
        created_at=_created_at("id"),
        stage=_pick(_rand("id", 2, len(stage_names)), stage_names),
        amount=(_rand("id", 3, 50_000) * 100).cast(MONEY),
        forecast_category=_pick(_rand("id", 4, len(CATEGORIES)), CATEGORIES),
        owner_id=_rand("id", 5, 500) + 1,
        account_id=_rand("id", 6, n // 10 + 1) + 1,
    )
    return frame.with_columns(
        closed_at=pl.when(pl.col("stage").is_in(["Won", "Lost"])).then(
            pl.col("created_at") + pl.duration(microseconds=_rand("id", 7, 200 * DAY_US))
        ),
        close_date=pl.col("created_at").dt.date() + pl.duration(days=_rand("id", 8, 365)),
    )


def _value(field: str, stream: int) -> pl.Expr:
    """A text value of the right shape for `field`, as the storage layer writes it."""
    if field == "stage":
        return _pick(_rand("id", stream, STAGES.height), STAGES["name"].to_list())
    if field == "amount":
        return (_rand("id", stream, 50_000) * 100).cast(pl.String)
    if field == "close_date":
        return (pl.lit(date(2024, 1, 1)) + pl.duration(days=_rand("id", stream, 900))).cast(
            pl.String
        )
    if field == "forecast_category":
        return _pick(_rand("id", stream, len(CATEGORIES)), CATEGORIES)
    return (_rand("id", stream, 500) + 1).cast(pl.String)


def _field_history(n: int, number: int, field: str) -> pl.DataFrame:
    """N rows for one field, spread at random over the opportunities."""
    first_id = number * n + 1
    ids = pl.int_range(first_id, first_id + n, dtype=pl.Int64)
    return pl.select(id=ids).select(
        "id",
        opportunity_id=_rand("id", 10, n) + 1,
        field=pl.lit(field),
        old_value=pl.when(_rand("id", 12, 10) > 0).then(_value(field, 13)),
        new_value=_value(field, 14),
    )


def history(n: int) -> pl.DataFrame:
    """About five history rows per opportunity, one in ten with an unknown old value."""
    parts = [_field_history(n, number, field) for number, field in enumerate(FIELDS)]
    return pl.concat(parts).with_columns(
        changed_at=_created_at("opportunity_id")
        + pl.duration(microseconds=_rand("id", 15, 400 * DAY_US)),
    )


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def main() -> None:
    """Generate the data, run `as_of` `--repeat` times and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of opportunities")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    args = parser.parse_args()

    started = time.perf_counter()
    opps, hist = opportunities(args.n), history(args.n)
    generated = time.perf_counter() - started
    print(f"generated {opps.height:,} opportunities and {hist.height:,} history rows")
    print(f"  in {generated:.2f} s; peak RSS so far {_peak_rss_mib():,.0f} MiB")

    at = START + timedelta(days=400)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = as_of(opps, hist, STAGES, at, keep=["account_id"])
        timings.append(time.perf_counter() - started)
    best = min(timings)
    runs = ", ".join(f"{t:.2f}" for t in timings)
    print(f"as_of({at.date()}) -> {result.height:,} rows; runs: {runs} s")
    print(f"  best {best:.2f} s = {opps.height / best:,.0f} opportunities/s")
    print(f"  ({(opps.height + hist.height) / best:,.0f} input rows/s)")
    threads = pl.thread_pool_size()
    print(f"peak RSS {_peak_rss_mib():,.0f} MiB; polars {pl.__version__}, {threads} threads")


if __name__ == "__main__":
    main()
