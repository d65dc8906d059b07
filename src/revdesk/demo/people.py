"""The sales organisation: teams, leadership and approvers, seats and the reps who hold them.

A seat is a territory of one region and segment. Its rep was hired before the window, except
where the rep left during the window (attrition) or recently (the new hire is still ramping):
there a second rep takes the seat over on the handover day. Pure: numpy and Polars only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from revdesk.demo.model import SEGMENTS, OrgParameters
from revdesk.demo.names import person_names, slug, unique_emails
from revdesk.demo.timeline import NEVER, US_PER_DAY, Floats, Ints, World, day_number

SEGMENT_LABEL = ("SMB", "Mid-Market", "Enterprise")
COMPANY_DOMAIN = "northwind.example"
_REP_TITLE = ("Account Executive, SMB", "Account Executive", "Enterprise Account Executive")
_LEADERSHIP_HIRED = (2015, 2021)  # hire years of leadership and approvers (uniform)


@dataclass(frozen=True)
class Seats:
    """Sales seats: region, segment, team, manager, the rep before and after any handover."""

    region: Ints
    segment: Ints
    team_id: Ints
    manager_id: Ints
    rep_before: Ints
    rep_after: Ints
    handover: Ints


@dataclass(frozen=True)
class Reps:
    """Every rep who held a seat (index = rep number): user id, hire moment and habits."""

    user_id: Ints
    hired: Ints
    skill: Floats
    size: Floats
    habit: Floats


@dataclass(frozen=True)
class People:
    """Teams and users to write, and the seats and reps the pipeline draws on."""

    teams: pl.DataFrame
    users: pl.DataFrame
    seats: Seats
    reps: Reps
    sales_ops_id: int


def allocate(total: int, weights: Sequence[float]) -> Ints:
    """Split `total` in proportion to `weights` by largest remainder (ties: earlier first)."""
    share = np.asarray(weights, dtype=np.float64)
    exact = total * share / share.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.lexsort((np.arange(share.size), -(exact - counts)))
    counts[order[: total - int(counts.sum())]] += 1
    return np.asarray(counts, dtype=np.int64)


def rep_count(scale: int, params: OrgParameters) -> int:
    """Number of current reps (one per seat) for `scale` opportunities."""
    return max(params.min_reps, round(scale / params.opportunities_per_rep))


def build_people(
    rng: np.random.Generator,
    world: World,
    params: OrgParameters,
    *,
    team_start: int,
    user_start: int,
) -> People:
    """Generate teams, users, seats and reps; ids start at `team_start` and `user_start`."""
    region, segment = seat_cells(rep_count(world.scale, params), params)
    teams, team_of = _teams(region, segment, params, team_start)
    staff = _staff(rng, params, user_start, team_start)
    managers = user_start + staff.height - len(params.regions) + region
    team_id = team_of[region * len(SEGMENTS) + segment]
    seats = _seats(rng, world, params, Seats(region, segment, team_id, managers, *_NONE))
    reps, active = _reps(rng, world, params, seats, user_start + staff.height)
    users = pl.concat([staff, _rep_users(rng, reps, seats, active)])
    ops = int(users.filter(pl.col("role") == "sales_ops")["id"][0])
    return People(teams, _finished(users), seats, reps, ops)


def seat_cells(total: int, params: OrgParameters) -> tuple[Ints, Ints]:
    """Region and segment of each seat, allocated by region weight x segment share."""
    weights = [r.weight * s for r in params.regions for s in params.seat_share]
    cells = np.repeat(np.arange(len(weights), dtype=np.int64), allocate(total, weights))
    return cells // len(SEGMENTS), cells % len(SEGMENTS)


def _teams(
    region: Ints, segment: Ints, params: OrgParameters, start: int
) -> tuple[pl.DataFrame, Ints]:
    """Sales > region > region-segment teams, and the team id of each region-segment cell."""
    rows: list[tuple[str, int | None, str | None, str | None]] = [("Sales", None, None, None)]
    team_of = np.zeros(len(params.regions) * len(SEGMENTS), dtype=np.int64)
    for r, reg in enumerate(params.regions):
        region_id = start + len(rows)
        rows.append((f"{reg.name} Sales", start, reg.name, None))
        for s, seg in enumerate(SEGMENTS):
            if np.any((region == r) & (segment == s)):
                team_of[r * len(SEGMENTS) + s] = start + len(rows)
                rows.append((f"{reg.name} {SEGMENT_LABEL[s]}", region_id, reg.name, seg.value))
    schema = {"name": pl.String, "parent_id": pl.Int64, "region": pl.String, "segment": pl.String}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    ids = pl.Series("id", np.arange(start, start + frame.height, dtype=np.int64))
    return frame.insert_column(0, ids), team_of


def _staff(
    rng: np.random.Generator, params: OrgParameters, start: int, root_team: int
) -> pl.DataFrame:
    """CFO, VP of Sales, sales ops, deal desk, finance, legal, one regional manager per region."""
    cfo, vp, ops = start, start + 1, start + 2
    spec: list[tuple[str, str, int | None, int | None]] = [
        ("cfo", "Chief Financial Officer", None, None),
        ("vp", "VP of Sales", cfo, root_team),
        ("sales_ops", "Sales Operations Manager", vp, root_team),
    ]
    spec += [("deal_desk", "Deal Desk Analyst", ops, root_team)] * params.deal_desk
    spec += [("finance", "Revenue Finance Manager", cfo, None)] * params.finance
    spec += [("legal", "Commercial Counsel", cfo, None)] * params.legal
    spec += [("manager", f"Regional VP, {r.name}", vp, None) for r in params.regions]
    first_hire = day_number_of_year(_LEADERSHIP_HIRED[0])
    last_hire = day_number_of_year(_LEADERSHIP_HIRED[1])
    first, last = person_names(rng, len(spec))
    return pl.DataFrame(
        {
            "id": np.arange(start, start + len(spec), dtype=np.int64),
            "first": first,
            "last": last,
            "role": [s[0] for s in spec],
            "title": [s[1] for s in spec],
            "manager_id": pl.Series([s[2] for s in spec], dtype=pl.Int64),
            "team_id": pl.Series([s[3] for s in spec], dtype=pl.Int64),
            "active": True,
            "hired_day": rng.integers(first_hire, last_hire, len(spec)),
        }
    )


def day_number_of_year(year: int) -> int:
    """Day number of 1 January of `year`."""
    return day_number(date(year, 1, 1))


_NONE = (np.zeros(0, np.int64),) * 3


def _seats(rng: np.random.Generator, world: World, params: OrgParameters, cells: Seats) -> Seats:
    """Decide which seats change hands (early attrition or a recent, ramping hire) and when."""
    n = cells.region.size
    leave, ramp = params.attrition_share, params.ramping_share
    kind = rng.choice(3, size=n, p=[1 - leave - ramp, leave, ramp])
    ramp_us = params.ramp_months * 30.4 * US_PER_DAY
    early = rng.uniform(world.start_us + 30 * US_PER_DAY, world.today_us - ramp_us, n)
    late = rng.uniform(world.today_us - ramp_us, world.today_us - 7 * US_PER_DAY, n)
    handover = np.where(kind == 1, early, np.where(kind == 2, late, NEVER)).astype(np.int64)
    moved = np.flatnonzero(kind > 0)
    rep_after = np.arange(n, dtype=np.int64)
    rep_after[moved] = n + np.arange(moved.size)
    rep_before = np.arange(n, dtype=np.int64)
    return Seats(
        cells.region,
        cells.segment,
        cells.team_id,
        cells.manager_id,
        rep_before,
        rep_after,
        handover,
    )


def _reps(
    rng: np.random.Generator, world: World, params: OrgParameters, seats: Seats, first_id: int
) -> tuple[Reps, npt.NDArray[np.bool_]]:
    """Every rep's hire moment and habits; reps who handed their seat over are inactive."""
    n = seats.region.size
    moved = np.flatnonzero(seats.rep_after != seats.rep_before)
    total = n + moved.size
    tenure = rng.uniform(*params.tenure_years, n) * 365.25 * US_PER_DAY
    joined = seats.handover[moved] - rng.uniform(0, 14, moved.size) * US_PER_DAY
    segment = np.concatenate([seats.segment, seats.segment[moved]])
    reps = Reps(
        user_id=first_id + np.arange(total, dtype=np.int64),
        hired=np.concatenate([world.start_us - tenure, joined]).astype(np.int64),
        skill=_relative(rng.lognormal(0.0, params.skill_sigma, total), segment),
        size=_relative(rng.lognormal(0.0, params.size_sigma, total), segment),
        habit=_habits(rng, params, total),
    )
    active = np.ones(total, dtype=np.bool_)
    active[moved] = False  # the rep who held a handed-over seat has left
    return reps, active


def _relative(values: Floats, segment: Ints) -> Floats:
    """Each value divided by the mean of its segment's: a rep is better or worse than the team."""
    mean = np.bincount(segment, weights=values) / np.maximum(np.bincount(segment), 1)
    return np.asarray(values / mean[segment], dtype=np.float64)


def _habits(rng: np.random.Generator, params: OrgParameters, n: int) -> Floats:
    """Each rep's habitual discount: beta distributed with the given mean and spread."""
    mean, spread = params.discount_habit
    common = mean * (1 - mean) / spread**2 - 1
    return rng.beta(mean * common, (1 - mean) * common, n)


def _rep_users(
    rng: np.random.Generator, reps: Reps, seats: Seats, active: npt.NDArray[np.bool_]
) -> pl.DataFrame:
    """The reps' user rows: title by segment, team and manager of their seat."""
    seat_of_rep = np.empty(reps.user_id.size, dtype=np.int64)
    seat_of_rep[seats.rep_before] = np.arange(seats.region.size)
    seat_of_rep[seats.rep_after] = np.arange(seats.region.size)
    first, last = person_names(rng, reps.user_id.size)
    return pl.DataFrame(
        {
            "id": reps.user_id,
            "first": first,
            "last": last,
            "role": "rep",
            "title": np.asarray(_REP_TITLE)[seats.segment[seat_of_rep]],
            "manager_id": seats.manager_id[seat_of_rep],
            "team_id": seats.team_id[seat_of_rep],
            "active": active,
            "hired_day": reps.hired // US_PER_DAY,
        }
    )


def _finished(users: pl.DataFrame) -> pl.DataFrame:
    """Full names, unique company e-mail addresses, hire dates; created on the hire date."""
    local = users.select(pl.concat_str(slug(pl.col("first")), pl.lit("."), slug(pl.col("last"))))
    domain = pl.Series([COMPANY_DOMAIN] * users.height)
    hired = pl.col("hired_day").cast(pl.Int32).cast(pl.Date)
    return users.with_columns(
        name=pl.concat_str("first", pl.lit(" "), "last"),
        email=unique_emails(local.to_series(), domain),
        hired_on=hired,
        created_at=hired.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
    ).drop("first", "last", "hired_day")
