"""A small random company as CRM frames, built from dated events, for forecasting tests.

Every deal is a list of dated field changes. `materialize(deals, upto)` builds the frames as a
CRM would hold them at `upto`: the deals created by then, each with its current state after the
changes made by then, and the history of exactly those changes. So `materialize(deals, T)` is the
data "truncated at T", built by a different route from the forecasting timeline's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from revdesk.core.fx import ExchangeRate, RateTable
from revdesk.crm.frames import (
    ACCOUNT_FRAME,
    CONTACT_FRAME,
    HISTORY_FRAME,
    OPPORTUNITY_FRAME,
    PRODUCT_FRAME,
    STAGE_FRAME,
    TEAM_FRAME,
    USER_FRAME,
)
from revdesk.forecast.timeline import SUBMISSION_FRAME
from revdesk.pipeline.report import CrmFrames

START = datetime(2024, 2, 1, 9, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
STAGES = [
    # name, order, status, category, probability
    ("Discovery", 1, "open", "pipeline", "20"),
    ("Proposal", 2, "open", "best_case", "50"),
    ("Negotiation", 3, "open", "commit", "80"),
    ("Won", 4, "won", "closed", "100"),
    ("Lost", 5, "lost", "omitted", "0"),
]
CATEGORY = {name: category for name, _, _, category, _ in STAGES}
SEGMENTS = ("smb", "enterprise")
# users: id, name, role, manager
USERS = [
    (1, "Vera VP", "vp", None),
    (2, "Mona Manager", "manager", 1),
    (3, "Mark Manager", "manager", 1),
    (4, "Rita Rep", "rep", 2),
    (5, "Rob Rep", "rep", 2),
    (6, "Ruth Rep", "rep", 3),
    (7, "Ray Rep", "rep", 3),
]
REPS = (4, 5, 6, 7)


@dataclass
class Deal:
    """A deal's fixed attributes and its dated changes (field, new value as history text)."""

    id: int
    created_at: datetime
    owner_id: int
    account_id: int
    events: list[tuple[datetime, str, str | None]] = field(default_factory=list)


def _text_day(day: date) -> str:
    return day.isoformat()


def company(
    n: int = 1_200, *, seed: int = 5, start: datetime = START, end: datetime = NOW
) -> list[Deal]:
    """`n` deals created between `start` and `end` with random stage paths, pushes, changes."""
    rng = np.random.default_rng(seed)
    span = (end - start).total_seconds()
    deals = []
    for i in range(1, n + 1):
        created = start + timedelta(seconds=float(rng.uniform(0, span * 0.97)))
        created = created.replace(microsecond=0)
        account = int(rng.integers(1, 7))
        big = account >= 5  # accounts 5 and 6 are enterprise
        amount = float(rng.lognormal(10.5 if big else 9.0, 0.5))
        close = created.date() + timedelta(days=int(rng.integers(30, 120)))
        deal = Deal(i, created, int(rng.choice(REPS)), account)
        deal.events += [
            (created, "stage", "Discovery"),
            (created, "forecast_category", "pipeline"),
            (created, "amount", f"{amount:.2f}"),
            (created, "close_date", _text_day(close)),
            (created, "owner", str(deal.owner_id)),
        ]
        _walk(deal, rng, created, close, amount, big, end)
        deals.append(deal)
    return deals


def _walk(  # noqa: PLR0917 - one step of the generator, all its state
    deal: Deal,
    rng: np.random.Generator,
    created: datetime,
    close: date,
    amount: float,
    big: bool,
    end: datetime,
) -> None:
    at, stage = created, 0
    names = ("Discovery", "Proposal", "Negotiation")
    while True:
        at += timedelta(days=float(rng.exponential(30 if big else 18)), seconds=1)
        if at > end:
            return
        if rng.random() < 0.25:
            close = close + timedelta(days=int(rng.integers(14, 60)))
            deal.events.append((at, "close_date", _text_day(close)))
            continue
        if rng.random() < 0.15:
            amount *= float(rng.uniform(0.8, 1.25))
            deal.events.append((at, "amount", f"{amount:.2f}"))
            continue
        advance = rng.random() < (0.55 if not big else 0.45)
        if not advance:
            _close(deal, at, "Lost")
            return
        if stage == len(names) - 1:
            _close(deal, at, "Won")
            return
        stage += 1
        deal.events += [
            (at, "stage", names[stage]),
            (at, "forecast_category", CATEGORY[names[stage]]),
        ]


def _close(deal: Deal, at: datetime, stage: str) -> None:
    deal.events += [
        (at, "stage", stage),
        (at, "forecast_category", CATEGORY[stage]),
        (at, "close_date", _text_day(at.date())),
    ]


_COLUMN = {"owner": "owner_id"}


def materialize(deals: list[Deal], upto: datetime = NOW, **extra: Any) -> CrmFrames:
    """The CRM frames as they stood at `upto` (see the module docstring)."""
    opportunities, history = [], []
    history_id = 0
    for deal in deals:
        if deal.created_at > upto:
            continue
        state: dict[str, str | None] = {}
        closed_at = None
        for at, name, value in sorted(deal.events, key=lambda e: e[0]):
            if at > upto:
                break
            old = state.get(name)
            history_id += 1
            history.append((history_id, deal.id, name, old, value, at, deal.owner_id))
            state[name] = value
            if name == "stage":
                closed_at = at if value in ("Won", "Lost") else None
        opportunities.append(_opportunity(deal, state, closed_at))
    return CrmFrames(
        opportunities=pl.DataFrame(opportunities, schema=OPPORTUNITY_FRAME, orient="row"),
        history=pl.DataFrame(history, schema=HISTORY_FRAME, orient="row"),
        stages=stages_frame(),
        users=pl.DataFrame(
            [(u, n, f"u{u}@x.example", r, m, 1) for u, n, r, m in USERS],
            schema=USER_FRAME,
            orient="row",
        ),
        teams=pl.DataFrame([(1, "Sales", None, "NA")], schema=TEAM_FRAME, orient="row"),
        accounts=pl.DataFrame(
            [
                (a, f"Account {a}", "enterprise" if a >= 5 else "smb", "NA", "software", 4)
                for a in range(1, 7)
            ],
            schema=ACCOUNT_FRAME,
            orient="row",
        ),
        products=pl.DataFrame(schema=PRODUCT_FRAME),
        quote_lines=pl.DataFrame(),
        contacts=pl.DataFrame(schema=CONTACT_FRAME),
        rates=extra.get(
            "rates",
            RateTable("USD", [ExchangeRate("EUR", "USD", date(2020, 1, 1), Decimal("1.10"))]),
        ),
    )


def _opportunity(
    deal: Deal, state: dict[str, str | None], closed_at: datetime | None
) -> tuple[Any, ...]:
    amount = state.get("amount")
    close = state.get("close_date")
    owner = state.get("owner")
    return (
        deal.id,
        f"x{deal.id}",
        deal.account_id,
        int(owner) if owner else None,
        f"Deal {deal.id}",
        "new",
        state.get("stage"),
        Decimal(amount) if amount is not None else None,
        "USD",
        date.fromisoformat(close) if close else None,
        state.get("forecast_category"),
        None,
        None,
        None,
        [],
        None,
        deal.created_at,
        closed_at,
        None,
    )


def stages_frame() -> pl.DataFrame:
    """The stage definitions of the synthetic company."""
    return pl.DataFrame(
        [(n, o, s, c, Decimal(p), [], "") for n, o, s, c, p in STAGES],
        schema=STAGE_FRAME,
        orient="row",
    )


SUBMISSION_COLUMNS = (
    "id", "period", "user_id", "kind", "commit", "best_case", "currency", "reason",
    "submitted_at", "submitted_by_id", "supersedes_id",
)  # fmt: skip


def submissions(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """A submissions frame from (period, user, kind, commit, best, at, by) tuples."""
    return pl.DataFrame(
        [
            (
                i,
                period,
                user,
                kind,
                Decimal(commit),
                Decimal(best),
                "USD",
                "r" if kind == "override" else None,
                at,
                by,
                None,
            )
            for i, (period, user, kind, commit, best, at, by) in enumerate(rows, start=1)
        ],
        schema=SUBMISSION_FRAME,
        orient="row",
    )
