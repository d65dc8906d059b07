"""Accounts and their contacts.

Each account belongs to one seat (territory) of its segment, round-robin, and takes the seat's
region; its country, and so its deal currency, follow the region's country weights. A share of
contacts is injected as orphans (no account): those are ground truth for the hygiene checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from revdesk.crm.model import BuyingRole
from revdesk.demo.catalogue import Catalogue, cents
from revdesk.demo.model import SEGMENTS, DemoParameters
from revdesk.demo.names import FIRST_NAMES, INDUSTRIES, LAST_NAMES, TITLES, account_names, slug
from revdesk.demo.people import People, allocate
from revdesk.demo.timeline import US_PER_DAY, Ints, World

_SEGMENT_CODE = ("SMB", "MM", "ENT")
_ROLES = tuple(BuyingRole)
_ROLE_WEIGHTS = (0.12, 0.12, 0.16, 0.16, 0.14, 0.12, 0.08, 0.04, 0.03, 0.03)


@dataclass(frozen=True)
class Accounts:
    """What the deals need of each account (index = account number)."""

    id: Ints
    segment: Ints
    currency: Ints
    seat: Ints
    name: pl.Series

    def of_segment(self, segment: int) -> Ints:
        """Account numbers of one segment."""
        return np.flatnonzero(self.segment == segment)


def account_count(scale: int, params: DemoParameters) -> int:
    """Number of accounts for `scale` opportunities."""
    org = params.org
    return max(org.min_accounts, round(scale / org.opportunities_per_account))


def build_accounts(
    rng: np.random.Generator,
    world: World,
    params: DemoParameters,
    *,
    people: People,
    catalogue: Catalogue,
    start: int,
) -> tuple[Accounts, pl.DataFrame]:
    """Generate the accounts: segment, seat, country, size, owner; ids from `start`."""
    seats = people.seats
    segment, seat = _segments_and_seats(rng, world, params, people)
    region = seats.region[seat]
    country, currency = _countries(rng, params, region, catalogue)
    accounts = Accounts(
        id=start + np.arange(segment.size, dtype=np.int64),
        segment=segment,
        currency=currency,
        seat=seat,
        name=pl.Series("name", account_names(rng, segment.size)),
    )
    owner = people.reps.user_id[seats.rep_after[seat]]
    frame = _account_frame(
        rng, world, params, accounts=accounts, country=country, region=region, owner=owner,
        catalogue=catalogue,
    )  # fmt: skip
    return accounts, frame


def _segments_and_seats(
    rng: np.random.Generator, world: World, params: DemoParameters, people: People
) -> tuple[Ints, Ints]:
    """Each account's segment (by share, among staffed segments) and seat (evenly spread)."""
    seats = people.seats
    staffed = np.array([np.any(seats.segment == s) for s in range(len(SEGMENTS))])
    share = np.asarray(params.org.account_share) * staffed
    counts = allocate(account_count(world.scale, params), share)
    segment = np.repeat(np.arange(len(SEGMENTS)), counts)
    seat = np.empty(segment.size, dtype=np.int64)
    for s in np.flatnonzero(staffed):
        members = np.flatnonzero(segment == s)
        pool = np.flatnonzero(seats.segment == s)
        seat[members] = pool[rng.permutation(members.size) % pool.size]
    return segment, seat


def _countries(
    rng: np.random.Generator, params: DemoParameters, region: Ints, catalogue: Catalogue
) -> tuple[list[str], Ints]:
    """Country code and currency number of each account, by its region's country weights."""
    country = np.empty(region.size, dtype=object)
    currency = np.empty(region.size, dtype=np.int64)
    for r, reg in enumerate(params.org.regions):
        members = np.flatnonzero(region == r)
        weights = np.array([c.weight for c in reg.countries])
        pick = rng.choice(len(reg.countries), size=members.size, p=weights / weights.sum())
        country[members] = np.array([c.code for c in reg.countries], dtype=object)[pick]
        codes = [catalogue.currencies.index(c.currency) for c in reg.countries]
        currency[members] = np.asarray(codes)[pick]
    return [str(c) for c in country], currency


def _account_frame(
    rng: np.random.Generator,
    world: World,
    params: DemoParameters,
    *,
    accounts: Accounts,
    country: list[str],
    region: Ints,
    owner: Ints,
    catalogue: Catalogue,
) -> pl.DataFrame:
    """The account rows."""
    n = accounts.id.size
    employees, revenue_cents = _size(rng, params, accounts, catalogue)
    names = np.asarray([r.name for r in params.org.regions])[region]
    codes = np.asarray(_SEGMENT_CODE)[accounts.segment]
    territory = pl.select(
        pl.concat_str(pl.lit(names), pl.lit("-"), pl.lit(codes), pl.lit("-"),
                      pl.lit(accounts.seat + 1).cast(pl.String).str.zfill(3))
    ).to_series()  # fmt: skip
    created = world.start_us - (rng.uniform(30, 1500, n) * US_PER_DAY).astype(np.int64)
    return pl.DataFrame(
        {
            "id": accounts.id,
            "external_id": pl.Series([None] * n, dtype=pl.String),
            "name": accounts.name,
            "parent_id": _parents(rng, params, accounts, region),
            "industry": np.asarray(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), n)],
            "segment": np.asarray([s.value for s in SEGMENTS])[accounts.segment],
            "region": names,
            "country": country,
            "employees": employees,
            "annual_revenue": cents(revenue_cents),
            "annual_revenue_currency": np.asarray(catalogue.currencies)[accounts.currency],
            "owner_id": owner,
            "territory": territory,
            "created_at": utc(created),
            "extra": "{}",
        }
    )


def _size(
    rng: np.random.Generator, params: DemoParameters, accounts: Accounts, catalogue: Catalogue
) -> tuple[Ints, Ints]:
    """Head count around the segment's median, and annual revenue in cents of the currency."""
    org = params.org
    median = np.asarray(org.employees_median)[accounts.segment]
    employees = np.maximum(5, np.round(rng.lognormal(np.log(median), 0.5))).astype(np.int64)
    usd_rate = catalogue.usd_per_unit[accounts.currency, 0]
    noise = rng.lognormal(0, 0.3, employees.size)
    revenue = employees * org.revenue_per_employee_usd * noise / usd_rate
    return employees, (np.round(revenue / 1000) * 100_000).astype(np.int64)


def _parents(
    rng: np.random.Generator, params: DemoParameters, accounts: Accounts, region: Ints
) -> pl.Series:
    """Parent account of subsidiaries: mid-market and enterprise accounts under an enterprise."""
    parent = np.full(accounts.id.size, -1, dtype=np.int64)
    child = (accounts.segment > 0) & (rng.random(accounts.id.size) < params.org.subsidiary_share)
    for r in np.unique(region):
        heads = np.flatnonzero((region == r) & (accounts.segment == len(SEGMENTS) - 1) & ~child)
        members = np.flatnonzero((region == r) & child)
        if heads.size:
            parent[members] = accounts.id[heads[rng.integers(0, heads.size, members.size)]]
    return pl.Series("parent_id", parent).replace(-1, None)


def build_contacts(
    rng: np.random.Generator,
    world: World,
    params: DemoParameters,
    *,
    accounts: Accounts,
    account_frame: pl.DataFrame,
    start: int,
) -> tuple[pl.DataFrame, Ints]:
    """Contacts of every account, some injected as orphans; return them and the orphans' ids."""
    mean = np.asarray(params.org.contacts_per_account)[accounts.segment]
    per_account = 1 + rng.poisson(mean - 1)
    owner = np.repeat(np.arange(accounts.id.size), per_account)
    n = owner.size
    ids = start + np.arange(n, dtype=np.int64)
    orphan = rng.random(n) < params.defects.orphan_contact
    first = np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.asarray(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    role = rng.choice(len(_ROLES), size=n, p=np.asarray(_ROLE_WEIGHTS) / sum(_ROLE_WEIGHTS))
    account_created = account_frame["created_at"].dt.epoch("us").to_numpy()[owner]
    created = np.minimum(
        account_created + (rng.uniform(0, 900, n) * US_PER_DAY).astype(np.int64),
        world.today_us - US_PER_DAY,
    )
    frame = pl.DataFrame(
        {
            "id": ids,
            "external_id": pl.Series([None] * n, dtype=pl.String),
            "account_id": pl.Series(np.where(orphan, -1, accounts.id[owner])).replace(-1, None),
            "first_name": first,
            "last_name": last,
            "title": np.asarray([TITLES[r.value] for r in _ROLES])[role],
            "buying_role": np.asarray([r.value for r in _ROLES])[role],
            "created_at": utc(created),
            "extra": "{}",
            "company": accounts.name.gather(owner),
            "orphan": orphan,
        }
    )
    return _with_contact_emails(frame), ids[orphan]


def _with_contact_emails(frame: pl.DataFrame) -> pl.DataFrame:
    """first.last@company.example, or a personal address for orphans."""
    domain = pl.when(pl.col("orphan")).then(pl.lit("mail")).otherwise(slug(pl.col("company")))
    email = pl.concat_str(
        slug(pl.col("first_name")),
        pl.lit("."),
        slug(pl.col("last_name")),
        pl.lit("@"),
        domain,
        pl.lit(".example"),
    )
    return frame.with_columns(email=email).drop("company", "orphan")


def utc(micros: Ints) -> pl.Series:
    """Microseconds since the epoch as an aware UTC datetime series."""
    return pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
