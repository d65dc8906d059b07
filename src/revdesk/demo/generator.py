"""The demo company as a stream of frames: the organisation once, then batch after batch.

Pure and deterministic: the organisation draws from the seed's stream 0 and batch `i` from its
own stream (seed, 1, i), so a batch's rows depend only on the seed, the scale, today and the
rows numbered before it (ids and per-account deal numbers), never on timing or the database.

    generator = DemoGenerator(world, DemoParameters(), seed=42, starts=first_ids)
    frames = generator.organisation()
    for number, size in enumerate(generator.batch_sizes()):
        rows = generator.batch(number, size, starts)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from revdesk.demo.batch import generate
from revdesk.demo.catalogue import build_catalogue
from revdesk.demo.customers import build_accounts, build_contacts
from revdesk.demo.defects import inject
from revdesk.demo.events import build_batch
from revdesk.demo.model import DemoParameters
from revdesk.demo.org import Org
from revdesk.demo.people import build_people
from revdesk.demo.quote_rows import quote_frames
from revdesk.demo.records import Starts, history, opportunities, opportunity_names
from revdesk.demo.timeline import World

ORG_TABLES = (
    "teams",
    "users",
    "exchange_rates",
    "products",
    "price_books",
    "price_book_entries",
    "accounts",
    "contacts",
)
BATCH_TABLES = ("opportunities", "opportunity_history", "quotes", "quote_lines", "quote_clauses")


@dataclass(frozen=True)
class BatchRows:
    """The rows of one batch, per table, and its ground-truth defects (entity, id, kind, detail)."""

    frames: dict[str, pl.DataFrame]
    defects: pl.DataFrame


class DemoGenerator:
    """Generates the demo company for one world, parameter set and seed."""

    def __init__(
        self, world: World, params: DemoParameters, *, seed: int, starts: Mapping[str, int]
    ) -> None:
        self.seed = seed
        rng = np.random.default_rng([seed, 0])
        people = build_people(
            rng, world, params.org, team_start=starts["teams"], user_start=starts["users"]
        )
        catalogue, catalogue_frames = build_catalogue(rng, world, params, starts=dict(starts))
        accounts, account_frame = build_accounts(
            rng, world, params, people=people, catalogue=catalogue, start=starts["accounts"]
        )
        contacts, self.orphans = build_contacts(
            rng,
            world,
            params,
            accounts=accounts,
            account_frame=account_frame,
            start=starts["contacts"],
        )
        self.org = Org(world, params, people, accounts, catalogue)
        self.price_book_id = starts["price_books"]
        self._frames = {
            "teams": people.teams,
            "users": people.users,
            **catalogue_frames,
            "accounts": account_frame,
            "contacts": contacts,
        }
        self._numbered = np.zeros(accounts.id.size, dtype=np.int64)

    @property
    def world(self) -> World:
        """The world being simulated."""
        return self.org.world

    def organisation(self) -> dict[str, pl.DataFrame]:
        """The organisation's rows per table, in an order that respects foreign keys."""
        return {name: self._frames[name] for name in ORG_TABLES}

    def organisation_defects(self) -> pl.DataFrame:
        """Ground truth of the organisation: the orphan contacts."""
        return pl.DataFrame(
            {"entity": "contact", "entity_id": self.orphans, "kind": "orphan_contact"}
        ).with_columns(detail=pl.lit(None, dtype=pl.String))

    def batch_sizes(self) -> list[int]:
        """How many opportunities each batch holds; they add up to the scale."""
        size = self.org.params.batch_size
        full, rest = divmod(self.world.scale, size)
        return [size] * full + ([rest] if rest else [])

    def batch(self, number: int, size: int, starts: Starts) -> BatchRows:
        """The rows of batch `number`: `size` opportunities, duplicates included."""
        rng = np.random.default_rng([self.seed, 1, number])
        org, params = self.org, self.org.params
        copies = min(round(params.defects.duplicate * size), size // 2)
        deals, lines = generate(rng, org, size - copies)
        batch = build_batch(rng, org, deals, lines)
        batch, truth = inject(rng, self.world, params, batch, copies)
        names, self._numbered = opportunity_names(batch, org.accounts, self._numbered)
        quotes = quote_frames(
            rng,
            batch,
            catalogue=org.catalogue,
            params=params,
            starts=starts,
            price_book_id=self.price_book_id,
        )
        frames = {
            "opportunities": opportunities(batch, names, starts),
            "opportunity_history": history(batch, starts, org.people.sales_ops_id),
            **quotes,
        }
        defects = truth.select(
            pl.lit("opportunity").alias("entity"),
            (pl.col("deal") + starts.opportunities).alias("entity_id"),
            "kind",
            (pl.col("original") + starts.opportunities).cast(pl.String).alias("detail"),
        )
        return BatchRows(frames, defects)


@dataclass(frozen=True)
class CompanyFrames:
    """A whole generated company in memory: every table's rows, and the ground truth."""

    world: World
    tables: dict[str, pl.DataFrame]
    truth: pl.DataFrame


def generate_frames(world: World, params: DemoParameters, *, seed: int) -> CompanyFrames:
    """Generate the whole company in memory, ids from 1 (for tests and small experiments)."""
    generator = DemoGenerator(world, params, seed=seed, starts=dict.fromkeys(ORG_TABLES, 1))
    tables = dict(generator.organisation())
    truth = [generator.organisation_defects()]
    next_id = dict.fromkeys(BATCH_TABLES, 1)
    for number, size in enumerate(generator.batch_sizes()):
        rows = generator.batch(number, size, Starts(**next_id))
        for name in BATCH_TABLES:
            frame = rows.frames[name]
            tables[name] = pl.concat([tables[name], frame]) if name in tables else frame
            next_id[name] += frame.height
        truth.append(rows.defects)
    return CompanyFrames(world, tables, pl.concat(truth))
