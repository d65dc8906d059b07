"""History rows parked on disk, partitioned by opportunity, so that memory stays bounded.

A history file of millions of rows is read in batches; each converted batch is split by a hash
of the opportunity's key into a fixed number of partitions and appended to Parquet files in a
temporary folder. Every row of one opportunity lands in the same partition, so a partition can
be turned into field changes, validated and planned on its own, one at a time::

    spill = Spill.for_rows(5_000_000, batch_rows=250_000)
    spill.write("snapshots", batch)                 # any number of times
    for part in range(spill.partitions):
        frame = spill.read("snapshots", part)       # every row of its opportunities

The folder is removed when the spill is garbage collected (or `close` is called).
"""

from __future__ import annotations

import itertools
import math
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

SEED: Final = 0x5245
KEY: Final = "opportunity"
PART: Final = "_part"
Assemble = Callable[[dict[str, pl.DataFrame]], pl.DataFrame]


def partition_of(key: pl.Expr, partitions: int) -> pl.Expr:
    """The partition (0 .. partitions-1) of each key value; the same in every batch."""
    return (key.cast(pl.String).hash(seed=SEED) % partitions).cast(pl.Int64)


@dataclass(slots=True, weakref_slot=True)
class Spill:
    """Parquet files under one temporary folder: `kind` rows in `partitions` partitions."""

    partitions: int
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="revdesk-import-")))
    files: dict[tuple[str, int], list[Path]] = field(default_factory=dict)
    rows: int = 0
    assemble: Assemble | None = None
    _counter: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)

    @classmethod
    def for_rows(cls, rows: int, *, batch_rows: int) -> Spill:
        """A spill with enough partitions that each holds about `batch_rows` of `rows`."""
        return cls(max(1, math.ceil(rows / max(1, batch_rows))))

    def write(self, kind: str, frame: pl.DataFrame, key: str = KEY) -> None:
        """Append `frame`'s rows to the partitions their `key` falls in."""
        if frame.is_empty():
            return
        self.rows += frame.height
        tagged = frame.with_columns(partition_of(pl.col(key), self.partitions).alias(PART))
        for (part,), chunk in tagged.partition_by(PART, as_dict=True).items():
            path = self.path(f"{kind}-{part}-{next(self._counter)}")
            chunk.drop(PART).write_parquet(path, compression="lz4", statistics=False)
            self.files.setdefault((kind, int(part)), []).append(path)

    def read(self, kind: str, part: int) -> pl.DataFrame | None:
        """Every `kind` row of partition `part`, or None when it has none."""
        paths = self.files.get((kind, part))
        if not paths:
            return None
        return pl.read_parquet(paths)

    def parts(self) -> Iterator[pl.DataFrame]:
        """Each partition's rows as one frame, made by `assemble` from its kinds, with `_part`."""
        kinds = sorted({kind for kind, _ in self.files})
        for part in range(self.partitions):
            found = {k: f for k in kinds if (f := self.read(k, part)) is not None}
            if not found:
                continue
            frame = self.assemble(found) if self.assemble else pl.concat(found.values())
            yield frame.with_columns(pl.lit(part, pl.Int64).alias(PART))

    def path(self, name: str) -> Path:
        """A new file name in the folder."""
        return self.folder / f"{name}.parquet"

    def close(self) -> None:
        """Remove the folder now."""
        shutil.rmtree(self.folder, ignore_errors=True)
