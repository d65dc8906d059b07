"""The canonical frames every source produces, whatever its files looked like.

One frame per record type, one row per source record, columns named as below plus `_file` and
`_row` (where the record came from). A source leaves out the columns its files do not have, and
an import then leaves those fields of existing records alone: a report export with five columns
updates five fields. References name the other record by its external id (`account`) or, where
the source only has names, by name (`account_name`). History values are text in the form
`revdesk.crm.service.encode_value` writes (owner values are user external ids until resolved).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from revdesk.ingest.dates import UTC_MICROS
from revdesk.ingest.model import problem_frame
from revdesk.ingest.read import SourceFile
from revdesk.ingest.spill import Spill

MONEY: Final = pl.Decimal(38, 4)
TEXT: Final = pl.String()
FLAG: Final = pl.Boolean()
WHOLE: Final = pl.Int64()

# object -> canonical column -> dtype (record types in the order they are written)
SCHEMAS: Final[Mapping[str, Mapping[str, pl.DataType]]] = {
    "teams": {"name": TEXT, "parent": TEXT, "region": TEXT},
    "users": {
        "external_id": TEXT,
        "name": TEXT,
        "email": TEXT,
        "role": TEXT,
        "title": TEXT,
        "manager": TEXT,
        "manager_name": TEXT,
        "team": TEXT,
        "active": FLAG,
        "created_at": UTC_MICROS,
    },
    "accounts": {
        "external_id": TEXT,
        "name": TEXT,
        "parent": TEXT,
        "parent_name": TEXT,
        "industry": TEXT,
        "segment": TEXT,
        "region": TEXT,
        "country": TEXT,
        "employees": WHOLE,
        "annual_revenue": MONEY,
        "annual_revenue_currency": TEXT,
        "owner": TEXT,
        "owner_name": TEXT,
        "territory": TEXT,
        "created_at": UTC_MICROS,
        "extra": TEXT,
    },
    "contacts": {
        "external_id": TEXT,
        "account": TEXT,
        "account_name": TEXT,
        "first_name": TEXT,
        "last_name": TEXT,
        "email": TEXT,
        "title": TEXT,
        "buying_role": TEXT,
        "created_at": UTC_MICROS,
        "extra": TEXT,
    },
    "products": {
        "external_id": TEXT,
        "sku": TEXT,
        "name": TEXT,
        "family": TEXT,
        "recurring": FLAG,
        "active": FLAG,
        "description": TEXT,
    },
    "price_books": {"external_id": TEXT, "name": TEXT, "is_standard": FLAG, "active": FLAG},
    "price_book_entries": {
        "external_id": TEXT,
        "price_book": TEXT,
        "product": TEXT,
        "currency": TEXT,
        "list_price": pl.Decimal(38, 6),
        "active": FLAG,
    },
    "stages": {
        "name": TEXT,
        "sort_order": WHOLE,
        "default_probability": MONEY,
        "forecast_category": TEXT,
        "status": TEXT,
    },
    "opportunities": {
        "external_id": TEXT,
        "name": TEXT,
        "account": TEXT,
        "account_name": TEXT,
        "owner": TEXT,
        "owner_name": TEXT,
        "type": TEXT,
        "stage": TEXT,
        "amount": MONEY,
        "currency": TEXT,
        "close_date": pl.Date(),
        "forecast_category": TEXT,
        "probability": MONEY,
        "next_step": TEXT,
        "lead_source": TEXT,
        "lost_reason": TEXT,
        "created_at": UTC_MICROS,
        "closed_at": UTC_MICROS,
        "last_activity_at": UTC_MICROS,
        "extra": TEXT,
    },
    "line_items": {
        "external_id": TEXT,
        "opportunity": TEXT,
        "product": TEXT,
        "quantity": MONEY,
        "list_unit_price": pl.Decimal(38, 6),
        "net_unit_price": pl.Decimal(38, 6),
        "description": TEXT,
        "sort": WHOLE,
        "start_date": pl.Date(),
        "currency": TEXT,
    },
    "history": {
        "opportunity": TEXT,
        "field": TEXT,
        "old_value": TEXT,
        "new_value": TEXT,
        "changed_at": UTC_MICROS,
        "changed_by": TEXT,
    },
}
OBJECTS: Final = tuple(SCHEMAS)
ORIGIN: Final[Mapping[str, pl.DataType]] = {"_file": pl.Categorical(), "_row": WHOLE}


def empty(obj: str) -> pl.DataFrame:
    """An empty canonical frame of `obj` with every column."""
    return pl.DataFrame(schema={**SCHEMAS[obj], **ORIGIN})


def conform(obj: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Keep the canonical columns `frame` has, in canonical order and dtypes, plus the origin."""
    schema = {**SCHEMAS[obj], **ORIGIN}
    unknown = [c for c in frame.columns if c not in schema]
    if unknown:
        raise ValueError(f"{obj} has non-canonical column(s) {unknown}")  # a bug in a source
    return frame.select(
        pl.col(c) if frame.schema[c] == dtype else pl.col(c).cast(dtype)
        for c, dtype in schema.items()
        if c in frame.columns
    )


@dataclass(slots=True)
class Extract:
    """What a source read from its files: canonical frames, problems, and where they came from.

    `stages` proposes stage definitions found in the data (used when no stage exists yet);
    `history_source` labels the history rows copied from the source system. A large history
    is not in `frames` but in `spill`, partitioned by opportunity on disk.
    """

    source: str
    location: str
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: pl.DataFrame = field(default_factory=problem_frame)
    files: dict[str, SourceFile] = field(default_factory=dict)
    dialects: dict[str, str] = field(default_factory=dict)
    history_source: str = ""
    spill: Spill | None = None
    implied_categories: bool = False
    """Record the forecast categories a history's stage changes imply (a source without them)."""

    def frame(self, obj: str) -> pl.DataFrame:
        """The canonical frame of `obj` (empty when the source has none)."""
        return self.frames.get(obj, empty(obj))

    def put(self, obj: str, frame: pl.DataFrame) -> None:
        """Set the canonical frame of `obj`, conformed to its schema."""
        self.frames[obj] = conform(obj, frame)

    def add_problems(self, *frames: pl.DataFrame) -> None:
        """Append problems."""
        parts = [self.problems, *(f for f in frames if f.height)]
        self.problems = pl.concat(parts) if len(parts) > 1 else self.problems

    @property
    def has_history(self) -> bool:
        """True when the source gave history rows (in memory or spilled)."""
        return "history" in self.frames or self.spill is not None

    def history_parts(self) -> Iterator[pl.DataFrame]:
        """The history rows, one opportunity-partition at a time (one part when in memory)."""
        if self.spill is not None:
            yield from self.spill.parts()
        elif "history" in self.frames:
            yield self.frames["history"]
