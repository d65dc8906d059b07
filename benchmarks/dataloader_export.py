"""Write a Salesforce Data Loader export of N opportunities with five history snapshots each.

The files look like what Data Loader writes: API-name headers, every value quoted, ISO
timestamps with a `Z`, booleans as 0/1, 18-character ids. Users (N/5,000, at least 20) own
accounts (N/20) that own the opportunities; every opportunity walks five snapshots through
Prospecting, Qualification, Needs Analysis, Proposal/Price Quote and a final stage (still in
Negotiation/Review, Closed Won or Closed Lost), with amount changes and close-date pushes on the
way. Everything is generated columnar from a seeded hash, so the output is the same on every
run and 1,000,000 opportunities take seconds.

    .venv/bin/python benchmarks/dataloader_export.py /tmp/export 100000
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

SEED = 20_261_123
SNAPSHOTS = 5
START = datetime(2024, 1, 1, tzinfo=UTC)
DAY_US = 86_400 * 1_000_000
STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote"]
FINAL = ["Negotiation/Review", "Closed Won", "Closed Lost"]
PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 20,
    "Needs Analysis": 30,
    "Proposal/Price Quote": 60,
    "Negotiation/Review": 80,
    "Closed Won": 100,
    "Closed Lost": 0,
}
CATEGORY = {
    "Prospecting": "Pipeline",
    "Qualification": "Pipeline",
    "Needs Analysis": "Pipeline",
    "Proposal/Price Quote": "BestCase",
    "Negotiation/Review": "Commit",
    "Closed Won": "Closed",
    "Closed Lost": "Omitted",
}
SF_STAMP = "%Y-%m-%dT%H:%M:%S.000Z"


def rand(column: str, stream: int, modulo: int) -> pl.Expr:
    """Deterministic pseudo-random integers in [0, modulo) from an integer column."""
    return (pl.col(column).hash(seed=SEED + stream) % modulo).cast(pl.Int64)


def sf_id(prefix: str, number: pl.Expr) -> pl.Expr:
    """An 18-character Salesforce-shaped id: key prefix, zero-padded number, 'AAA'."""
    return pl.format("{}{}AAA", pl.lit(prefix), number.cast(pl.String).str.zfill(12))


def _stamp(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime(SF_STAMP)


def users(count: int) -> pl.DataFrame:
    """Users: a VP, managers, reps; each rep reports to a manager."""
    frame = pl.select(n=pl.int_range(0, count, dtype=pl.Int64))
    role = pl.when(pl.col("n") == 0).then(pl.lit("VP, Sales"))
    role = role.when(pl.col("n") % 10 == 1).then(pl.lit("Sales Manager")).otherwise(pl.lit("Rep"))
    manager = pl.when(pl.col("n") == 0).then(None).when(pl.col("n") % 10 == 1).then(0)
    manager = manager.otherwise(pl.col("n") - (pl.col("n") - 1) % 10)
    return frame.select(
        sf_id("005", pl.col("n")).alias("Id"),
        pl.format("user{}@example.com", "n").alias("Username"),
        pl.format("First{}", "n").alias("FirstName"),
        pl.format("Last{}", "n").alias("LastName"),
        pl.format("user{}@example.com", "n").alias("Email"),
        role.alias("Title"),
        pl.lit("1").alias("IsActive"),
        pl.when(manager.is_null()).then(pl.lit("000000000000000AAA"))
        .otherwise(sf_id("005", manager)).alias("ManagerId"),
        _stamp(pl.lit(START)).alias("CreatedDate"),
    )  # fmt: skip


def accounts(count: int, owners: int) -> pl.DataFrame:
    """Accounts owned by the users, with an industry and a custom field."""
    frame = pl.select(n=pl.int_range(0, count, dtype=pl.Int64))
    industries = ["Energy", "Banking", "Retail", "Technology", "Healthcare"]
    return frame.select(
        sf_id("001", pl.col("n")).alias("Id"),
        pl.lit("0").alias("IsDeleted"),
        pl.format("Account {}", "n").alias("Name"),
        rand("n", 1, 5).replace_strict(dict(enumerate(industries))).alias("Industry"),
        (rand("n", 2, 5000) * 1000).cast(pl.String).alias("AnnualRevenue"),
        rand("n", 3, 10_000).cast(pl.String).alias("NumberOfEmployees"),
        pl.lit("United States").alias("BillingCountry"),
        sf_id("005", rand("n", 4, owners)).alias("OwnerId"),
        _stamp(pl.lit(START)).alias("CreatedDate"),
        pl.lit("Gold").alias("SLA__c"),
    )


def snapshots(count: int, per: int = SNAPSHOTS) -> pl.DataFrame:
    """`per` snapshots per opportunity (the OpportunityHistory rows), oldest first.

    The first four walk the open stages, the fifth reaches the final stage, later ones keep it
    (with an occasional amount or close-date change).
    """
    frame = pl.select(o=pl.int_range(0, count, dtype=pl.Int64)).join(
        pl.select(k=pl.int_range(0, per, dtype=pl.Int64)), how="cross"
    )
    final = rand("o", 5, 3).replace_strict(dict(enumerate(FINAL)), return_dtype=pl.String)
    stage = (
        pl.when(pl.col("k") < 4)
        .then(pl.col("k").replace_strict(dict(enumerate(STAGES)), return_dtype=pl.String))
        .otherwise(final)
    )
    created = pl.lit(START) + pl.duration(microseconds=rand("o", 6, 540 * DAY_US))
    moment = created + pl.duration(days=pl.col("k") * (rand("o", 7, 20) + 3))
    base = (rand("o", 8, 2_000) + 10) * 500
    bump = (rand("o", 9, 4) == pl.col("k")).cast(pl.Int64) * 1_000
    push = (pl.col("k") >= 2) & (rand("o", 10, 3) == 0)
    first_close = created.dt.date() + pl.duration(days=rand("o", 11, 150) + 30)
    close = first_close + pl.duration(days=push.cast(pl.Int64) * 30)
    return frame.with_columns(
        stage=stage,
        moment=moment,
        amount=base + bump.cum_sum().over("o"),
        close=close,
    ).with_columns(pl.col("close").cum_max().over("o"))  # fmt: skip


def write_export(folder: Path, count: int, per: int = SNAPSHOTS) -> dict[str, int]:
    """Write User, Account, Opportunity and OpportunityHistory CSV files; return row counts."""
    folder.mkdir(parents=True, exist_ok=True)
    owners = max(20, count // 5_000)
    snaps = snapshots(count, per)
    history = snaps.with_row_index("h").select(
        sf_id("008", pl.col("h")).alias("Id"),
        sf_id("006", pl.col("o")).alias("OpportunityId"),
        sf_id("005", rand("o", 12, owners)).alias("CreatedById"),
        _stamp(pl.col("moment")).alias("CreatedDate"),
        pl.col("stage").alias("StageName"),
        pl.col("amount").cast(pl.String).alias("Amount"),
        pl.col("close").cast(pl.String).alias("CloseDate"),
        pl.col("stage").replace_strict(PROBABILITY).cast(pl.String).alias("Probability"),
        pl.col("stage").replace_strict(CATEGORY).alias("ForecastCategory"),
        pl.lit("0").alias("IsDeleted"),
    )
    last = snaps.filter(pl.col("k") == per - 1)
    closed = pl.col("stage").str.starts_with("Closed")
    opportunities = last.select(
        sf_id("006", pl.col("o")).alias("Id"),
        pl.lit("0").alias("IsDeleted"),
        sf_id("001", rand("o", 13, max(1, count // 20))).alias("AccountId"),
        pl.format("Deal {}", "o").alias("Name"),
        pl.col("stage").alias("StageName"),
        pl.col("amount").cast(pl.String).alias("Amount"),
        pl.col("stage").replace_strict(PROBABILITY).cast(pl.String).alias("Probability"),
        pl.col("close").cast(pl.String).alias("CloseDate"),
        pl.lit("New Customer").alias("Type"),
        pl.lit("Web").alias("LeadSource"),
        closed.cast(pl.Int8).cast(pl.String).alias("IsClosed"),
        (pl.col("stage") == "Closed Won").cast(pl.Int8).cast(pl.String).alias("IsWon"),
        pl.col("stage").replace_strict(CATEGORY).alias("ForecastCategory"),
        sf_id("005", rand("o", 14, owners)).alias("OwnerId"),
        _stamp(pl.col("moment") - pl.duration(days=4 * (rand("o", 7, 20) + 3))).alias(
            "CreatedDate"
        ),
        pl.lit("USD").alias("CurrencyIsoCode"),
        rand("o", 15, 4)
        .replace_strict({0: "East", 1: "West", 2: "North", 3: "South"})
        .alias("Region__c"),
    )
    files = {
        "User.csv": users(owners),
        "Account.csv": accounts(max(1, count // 20), owners),
        "Opportunity.csv": opportunities,
        "OpportunityHistory.csv": history,
    }
    for name, frame in files.items():
        frame.write_csv(folder / name, quote_style="always")
    return {name: frame.height for name, frame in files.items()}


if __name__ == "__main__":
    target = Path(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    per = int(sys.argv[3]) if len(sys.argv) > 3 else SNAPSHOTS
    began = time.perf_counter()
    written = write_export(target, size, per)
    print(f"wrote {written} to {target} in {time.perf_counter() - began:.1f} s")
