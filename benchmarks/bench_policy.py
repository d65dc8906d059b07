"""Time policy simulation (columnar) and single-quote preview on synthetic quotes.

Builds N quotes (about three lines each, 5 % of lines ramped, 0.4 clauses per quote, four
currencies, 200 owners) with numpy and a fixed seed, then times:

- the economics and built-in variables of every quote (`evaluation_frames`),
- `run_policy` for the shipped example policy and for a generated 50-rule policy,
- the whole `simulate(new=50-rule, current=example)` (economics, both policies, the report),
- `preview` of single quotes with each policy: p50 and p99 over `--previews` quotes.

    .venv/bin/python benchmarks/bench_policy.py                 # N = 1,000,000
    .venv/bin/python benchmarks/bench_policy.py --n 100000 --previews 500
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl

from revdesk.approvals.context import QuoteContext
from revdesk.approvals.context_frames import evaluation_frames
from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.approvals.loader import load_policy, load_policy_file
from revdesk.approvals.policy import Policy
from revdesk.approvals.preview import preview
from revdesk.approvals.program import run_policy
from revdesk.approvals.simulate import simulate
from revdesk.crm.model import BillingFrequency, Role
from revdesk.pricing.frames import QuoteFrames
from revdesk.pricing.model import ClauseView, DealFacts, LineView, QuoteView, RampPeriod

SEED = 20_261_123
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "policies" / "standard.yaml"
SKUS = [  # sku, family, recurring, list price, floor, cost
    ("NW-PLAT-PRO", "Platform", True, 45, 32, 6),
    ("NW-PLAT-ENT", "Platform", True, 85, 60, 11),
    ("NW-ADD-ANALYTICS", "Add-on", True, 20, 12, 3),
    ("NW-ADD-GOVERN", "Add-on", True, 12, 7, 1.5),
    ("NW-SVC-ONBOARD", "Services", False, 15000, 10000, 9000),
    ("NW-SVC-TRAIN", "Services", False, 2500, 1800, 1200),
]
KINDS = ["liability_cap", "termination_for_convenience", "most_favoured_nation", "price_lock"]
SEGMENTS = ["smb", "mid_market", "enterprise"]
REGIONS = ["NA", "EMEA", "APAC"]
BILLING = [f.value for f in BillingFrequency]
T = TypeVar("T")


def directory() -> Directory:
    """200 reps under 20 managers under 2 VPs, plus the people the example policy names."""
    users = [
        DirectoryUser(1, "Dana Whitfield", "dana.whitfield@northwind.example", Role.VP),
        DirectoryUser(2, "Vic Vp", "vic.vp@example.com", Role.VP),
        DirectoryUser(3, "Rachel Adler", "rachel.adler@northwind.example", Role.CFO),
        DirectoryUser(4, "Hannah Schultz", "hannah.schultz@northwind.example", Role.FINANCE, 3),
        DirectoryUser(5, "Omar Haddad", "omar.haddad@northwind.example", Role.LEGAL, 3),
        DirectoryUser(6, "Grace Kim", "grace.kim@northwind.example", Role.DEAL_DESK),
        DirectoryUser(7, "Paula Product", "paula.product@example.com", Role.PRODUCT),
    ]
    users += [
        DirectoryUser(10 + m, f"Manager {m}", f"m{m}@example.com", Role.MANAGER, 1 + m % 2)
        for m in range(20)
    ]
    users += [
        DirectoryUser(100 + r, f"Rep {r}", f"r{r}@example.com", Role.REP, 10 + r % 20)
        for r in range(200)
    ]
    return Directory(users)


def _decimal(values: np.ndarray, scale: int) -> pl.Series:
    """Integers in units of 10**-scale as an exact Decimal(38, scale) column."""
    unit = pl.lit(Decimal(1).scaleb(-scale), pl.Decimal(38, scale))
    return pl.select(
        pl.lit(pl.Series(values, dtype=pl.Int64)).cast(pl.Decimal(38, 0)) * unit
    ).to_series()


def quote_frames(n: int, seed: int = SEED) -> QuoteFrames:
    """N synthetic quotes with lines, ramps and clauses (see the module doc)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    term = rng.choice([12, 24, 36, 12, 12, 24], n)
    quotes = pl.DataFrame(
        {
            "quote_id": ids,
            "currency": rng.choice(["USD", "USD", "EUR", "GBP"], n),
            "term_months": term,
            "billing_frequency": rng.choice(BILLING, n, p=[0.1, 0.2, 0.1, 0.5, 0.1]),
            "payment_terms_days": rng.choice([30, 30, 45, 60, 90], n),
            "opportunity_type": rng.choice(["new", "expansion", "renewal"], n),
            "segment": rng.choice(SEGMENTS, n),
            "region": rng.choice(REGIONS, n),
            "owner_id": 100 + rng.integers(0, 200, n),
        }
    ).with_columns(
        pl.lit(date(2026, 1, 1)).alias("start_date"),
        pl.Series(
            "created_on",
            np.datetime64("2025-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]"),
        ),
        pl.col("quote_id").alias("opportunity_id"),
        pl.lit("Proposal").alias("stage"),
        pl.lit("").alias("account_name"),
        pl.lit("").alias("industry"),
    )
    counts = rng.integers(1, 6, n)
    line_quote = np.repeat(ids, counts)
    line_no = _line_numbers(counts)
    product = rng.integers(0, len(SKUS), line_quote.size)
    column = [np.array(values) for values in zip(*SKUS, strict=True)]
    recurring = column[2][product]
    list_price = (column[3] * 10**6).astype(np.int64)[product]
    discount = rng.choice([0, 0, 5, 10, 15, 20, 25, 30, 40, 55], line_quote.size)
    quantity = np.where(recurring, rng.integers(5, 500, line_quote.size), 1) * 10**4
    lines = pl.DataFrame(
        {
            "quote_id": line_quote,
            "line_no": line_no,
            "product_id": product + 1,
            "sku": column[0][product],
            "family": column[1][product],
            "recurring": recurring,
        }
    ).with_columns(
        _decimal(quantity, 4).alias("quantity"),
        _decimal(list_price, 6).alias("list_unit_price"),
        _decimal(list_price * (100 - discount) // 100, 6).alias("net_unit_price"),
        _decimal((column[5] * 10**6).astype(np.int64)[product], 6).alias("unit_cost"),
        _decimal((column[4] * 10**6).astype(np.int64)[product], 6).alias("floor_price"),
    )
    return QuoteFrames(quotes, lines, _ramps(lines, quotes, rng), _clauses(ids, rng))


def _line_numbers(counts: np.ndarray) -> np.ndarray:
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(counts.sum()) - starts + 1


def _ramps(lines: pl.DataFrame, quotes: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Two periods (half the quantity at the same price, then all of it) for 5 % of lines."""
    chosen = lines.filter(pl.col("recurring") & pl.Series(rng.random(lines.height) < 0.05))
    chosen = chosen.join(quotes.select("quote_id", "term_months"), on="quote_id")
    half = (pl.col("term_months") // 2).cast(pl.Int64)
    halved = (pl.col("quantity").cast(pl.Int64) // 2).cast(pl.Decimal(38, 4))
    first = chosen.select(
        "quote_id",
        "line_no",
        pl.lit(1, pl.Int64).alias("start_month"),
        half.alias("months"),
        halved.alias("quantity"),
        "net_unit_price",
    )
    second = chosen.select(
        "quote_id",
        "line_no",
        (half + 1).alias("start_month"),
        (pl.col("term_months") - half).alias("months"),
        "quantity",
        "net_unit_price",
    )
    return pl.concat([first, second]).sort("quote_id", "line_no", "start_month")


def _clauses(ids: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    n = int(ids.size * 0.4)
    years = rng.integers(1, 4, n)
    kinds = rng.choice(KINDS, n)
    parameters = [
        f'{{"years": {y}}}' if k == "price_lock" else "{}"
        for k, y in zip(kinds, years, strict=True)
    ]
    frame = pl.DataFrame({"quote_id": rng.choice(ids, n), "kind": kinds, "parameters": parameters})
    return frame.sort("quote_id")


FIXED_RATES = {"EUR": Decimal("1.155"), "GBP": Decimal("1.325")}


def rates(frames: QuoteFrames) -> pl.DataFrame:
    """Fixed rates to USD for the non-USD quotes."""
    rate = pl.col("currency").replace_strict(
        {k: str(v) for k, v in FIXED_RATES.items()}, default=None, return_dtype=pl.String
    )
    chosen = frames.quotes.filter(pl.col("currency") != "USD")
    return chosen.select("quote_id", rate.cast(pl.Decimal(38, 10)).alias("fx_rate"))


# -- a generated 50-rule policy -------------------------------------------------------------

STEPS = {  # step: (chain, approver, sla hours)
    "desk": ("desk", "{role: deal_desk}", 8),
    "manager": ("commercial", "{field: owner.manager}", 8),
    "director": ("commercial", "{field: owner.manager.manager}", 16),
    "vp": ("commercial", "{role: vp}", 16),
    "cfo": ("commercial", "{role: cfo}", 24),
    "finance": ("finance", "{role: finance}", 16),
    "revenue": ("finance", "{role: finance}", 8),
    "legal": ("legal", "{role: legal}", 24),
    "product": ("product", "{role: product}", 24),
}
CONDITIONS = [
    "discount > {t}",
    "segment == 'enterprise' && discount > {t}",
    "segment in ['smb', 'mid_market'] && discount > {t}",
    "max_line_discount > {t} + 0.2",
    "lines.exists(l, l.discount > {t} + 0.25 && l.family == 'Add-on')",
    "size(lines.filter(l, l.below_floor)) >= 2 && discount > {t} / 2",
    "margin < 0.6 + {t}",
    "acv_base > 20000 * ({t} * 100) && region != 'NA'",
    "payment_terms_days > 45 && tcv_base > 100000 * {t} * 10",
    "clauses.exists(c, c.kind == 'price_lock' && c.parameters.years > 1) && discount > {t} / 3",
    "legal_clauses > 0 && acv > 1000 * {t} * 100",
    "platform_net > 50000 && platform_discount > {t}",
    "services_share > {t} && billing_frequency != 'annual'",
    "lines.all(l, l.margin > 0.5) && discount > {t} + 0.1",
    "term_months >= 36 && arr_base > 150000 * {t} * 5",
]


def generated_policy(rules: int = 50) -> str:
    """A policy of `rules` rules over every kind of condition, variable and approver."""
    chains = {}
    for step, (chain, _, _) in STEPS.items():
        chains.setdefault(chain, []).append(step)
    lines = [
        "version: 1",
        "name: Generated 50-rule policy",
        "effective_from: 2024-01-01",
        "variables:",
        "  platform_net: {sum: line.net_total, where: \"line.family == 'Platform'\"}",
        "  platform_discount: {max: line.discount, where: \"line.family == 'Platform'\"}",
        "  legal_clauses: {count: clauses, where: \"clause.kind != 'price_lock'\"}",
        "  services_share: 'net_total == 0 ? 0 : one_time_total / net_total'",
        "auto_approve:",
        "  - {id: tiny, when: 'tcv_base < 2000 && discount <= 0.05', reason: tiny deals}",
        "chains:",
    ]
    for chain, steps in chains.items():
        after = "[desk]" if chain == "commercial" else "[]"
        lines.append(f"  {chain}: {{steps: [{', '.join(steps)}], after: {after}}}")
    lines.append("rules:")
    names = list(STEPS)
    for number in range(rules):
        step = names[number % len(names)]
        _, approver, sla = STEPS[step]
        threshold = Decimal(5 + (number * 7) % 40) / 100
        condition = CONDITIONS[number % len(CONDITIONS)].format(t=threshold)
        lines += [
            f"  - id: rule-{number:02d}",
            f'    when: "{condition}"',
            f"    step: {step}",
            f"    approver: {approver}",
            f"    sla_hours: {sla}",
            f"    reason: generated rule {number}",
        ]
    return "\n".join(lines) + "\n"


# -- single quotes for preview --------------------------------------------------------------


def views(frames: QuoteFrames, count: int) -> list[QuoteContext]:
    """The first `count` quotes of `frames` as preview contexts."""
    quotes = frames.quotes.head(count)
    chosen = pl.col("quote_id").is_in(quotes["quote_id"].implode())
    lines = frames.lines.filter(chosen).partition_by("quote_id", as_dict=True)
    ramps = frames.ramps.filter(chosen).partition_by("quote_id", "line_no", as_dict=True)
    clauses = frames.clauses.filter(chosen).partition_by("quote_id", as_dict=True)
    contexts = []
    for row in quotes.iter_rows(named=True):
        quote = row["quote_id"]
        items = lines.get((quote,), pl.DataFrame()).iter_rows(named=True)
        view = QuoteView(
            quote_id=quote,
            currency=row["currency"],
            start_date=row["start_date"],
            term_months=row["term_months"],
            billing_frequency=BillingFrequency(row["billing_frequency"]),
            payment_terms_days=row["payment_terms_days"],
            lines=tuple(_line(item, ramps.get((quote, item["line_no"]))) for item in items),
            clauses=tuple(
                ClauseView(c["kind"], json.loads(c["parameters"]))
                for c in clauses.get((quote,), pl.DataFrame()).iter_rows(named=True)
            ),
            deal=DealFacts(
                opportunity_id=quote,
                opportunity_type=row["opportunity_type"],
                segment=row["segment"],
                region=row["region"],
                owner_id=row["owner_id"],
            ),
        )
        contexts.append(QuoteContext(view, fx_rate=FIXED_RATES.get(row["currency"], Decimal(1))))
    return contexts


def _line(item: dict[str, object], ramps: pl.DataFrame | None) -> LineView:
    periods = (
        ()
        if ramps is None
        else tuple(
            RampPeriod(r["start_month"], r["months"], r["quantity"], r["net_unit_price"])
            for r in ramps.iter_rows(named=True)
        )
    )
    return LineView(
        line_no=item["line_no"],  # type: ignore[arg-type]
        sku=item["sku"],  # type: ignore[arg-type]
        family=item["family"],  # type: ignore[arg-type]
        recurring=item["recurring"],  # type: ignore[arg-type]
        quantity=item["quantity"],  # type: ignore[arg-type]
        list_unit_price=item["list_unit_price"],  # type: ignore[arg-type]
        net_unit_price=item["net_unit_price"],  # type: ignore[arg-type]
        unit_cost=item["unit_cost"],  # type: ignore[arg-type]
        floor_price=item["floor_price"],  # type: ignore[arg-type]
        ramps=periods,
    )


def timed(label: str, work: Callable[[], T]) -> T:
    """Run `work` once; print its wall-clock time and the CPU time of the process (all
    threads), which, unlike the wall clock, does not grow when other work shares the cores."""
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label}: {wall:.2f} s wall, {used:.2f} s CPU")
    return result


def latencies(policy: Policy, contexts: list[QuoteContext], people: Directory) -> str:
    """p50 and p99 of `preview` over `contexts` (after a warm-up pass), wall clock and CPU.

    CPU time (`time.thread_time`) leaves out the time the thread waited for a core, which on
    a shared two-core machine is most of the tail of the wall-clock figure.
    """
    for context in contexts[:50]:
        preview(policy, context, people)
    wall, cpu = [], []
    for context in contexts:
        start, started = time.perf_counter(), time.thread_time()
        preview(policy, context, people)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - started) * 1000)
    w, c = statistics.quantiles(wall, n=100), statistics.quantiles(cpu, n=100)
    return (
        f"wall p50 {w[49]:.2f} ms, p99 {w[98]:.2f} ms; CPU p50 {c[49]:.2f} ms, "
        f"p99 {c[98]:.2f} ms over {len(wall):,} quotes"
    )


def main() -> None:
    """Generate, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--previews", type=int, default=2_000)
    args = parser.parse_args()
    people = directory()
    example = load_policy_file(EXAMPLE, directory=people)
    generated = load_policy(generated_policy(), source="generated.yaml", directory=people)
    print(f"policies: example {len(example.rules)} rules, generated {len(generated.rules)} rules")
    frames = timed(f"generated {args.n:,} quotes", lambda: quote_frames(args.n))
    sizes = (frames.lines.height, frames.ramps.height, frames.clauses.height)
    print("  {:,} lines, {:,} ramp periods, {:,} clauses".format(*sizes))
    fx = rates(frames)
    evaluated = timed(
        "economics + built-in variables",
        lambda: evaluation_frames(frames, fx, annual_rate=example.discount_rate),
    )
    for name, policy in (("example", example), ("generated 50-rule", generated)):
        result = timed(f"run_policy, {name}", partial(run_policy, policy, evaluated))
        print(f"  outcomes: {dict(result['outcome'].value_counts().iter_rows())}")
    report = timed(
        "simulate(new=50-rule, current=example), end to end",
        lambda: simulate(generated, example, frames, people, rates=fx),
    )
    cycle = report.cycle
    print(f"  changed deals: {report.changed_count:,}; added {cycle.added_mean} h ({cycle.source})")
    contexts = views(frames, args.previews)
    print(f"preview, example policy: {latencies(example, contexts, people)}")
    print(f"preview, generated 50-rule policy: {latencies(generated, contexts, people)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads, cpus = pl.thread_pool_size(), os.cpu_count()
    print(f"peak RSS {peak:,.0f} MiB; polars {pl.__version__}, {threads} threads, {cpus} CPUs")


if __name__ == "__main__":
    main()
