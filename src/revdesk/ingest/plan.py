"""Planning an import, columnar and pure: validate each record type against the database's
current rows, resolve references, and split the rows into creates, updates and unchanged.

The planner takes the canonical frames in dependency order (teams before users before accounts
...). For each it reports missing values, duplicate keys, values the table cannot hold, unique
values taken by another record and references to missing or rejected records; rows with an error
are rejected. The remaining rows are joined to the existing rows on their key: no match is a
create (its id reserved now, so later references can point at it), a match whose provided
columns differ is an update, anything else is unchanged. References to records of the same type
(parents, managers) are resolved after ids are known, repeatedly until no more rows drop out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from revdesk.ingest.model import ObjectCounts, concat_problems, error_rows, flag
from revdesk.ingest.specs import SPECS, ColumnRule, Ref, Spec

Reserve = Callable[[str, int], range]


@dataclass(slots=True)
class ObjectPlan:
    """What to write for one record type."""

    obj: str
    table: str
    creates: pl.DataFrame
    updates: pl.DataFrame
    links: pl.DataFrame
    counts: ObjectCounts
    history: pl.DataFrame = field(default_factory=pl.DataFrame)
    clear: pl.Series = field(default_factory=lambda: pl.Series([], dtype=pl.Int64))
    """Ids whose rows are deleted before the creates are written (a quote's replaced lines)."""
    spilled: list[Path] = field(default_factory=list)
    """More creates, in Parquet files (a large history), written after `creates`."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """Ids of one record type by key and by name: existing rows plus this import's valid ones.

    `seen` holds every key the import mentions for the type, valid or not, so that a reference
    to a rejected record says so.
    """

    rows: pl.DataFrame
    seen: pl.Series

    @classmethod
    def of(cls, frame: pl.DataFrame, key: str, seen: pl.Series | None = None) -> Lookup:
        """The lookup of `frame`'s rows (columns: the key, id and optionally name)."""
        name = pl.col("name") if "name" in frame.columns else pl.lit(None, dtype=pl.String)
        rows = frame.select(
            pl.col(key).cast(pl.String).alias("_key"),
            pl.col("id").cast(pl.Int64).alias("_id"),
            name.cast(pl.String).alias("name"),
        )
        return cls(rows, seen if seen is not None else pl.Series([], dtype=pl.String))

    def added(self, frame: pl.DataFrame, key: str, seen: pl.Series) -> Lookup:
        """This lookup plus `frame`'s rows, which replace stored rows of the same id."""
        new = Lookup.of(frame, key).rows
        rows = pl.concat([self.rows.join(new, on="_id", how="anti"), new])
        return Lookup(rows, pl.concat([self.seen, seen.cast(pl.String).drop_nulls()]))

    def keys(self) -> pl.DataFrame:
        """(_key, _id) of every row that has a key."""
        return self.rows.select("_key", "_id").drop_nulls("_key")

    def names(self) -> pl.DataFrame:
        """(name, _id, _n): the lowest id with each name and how many rows carry it."""
        return (
            self.rows.drop_nulls("name")
            .group_by("name")
            .agg(pl.col("_id").min(), pl.len().alias("_n"))
        )


class Planner:
    """Plans every record type of one import against the database's current rows."""

    def __init__(
        self,
        *,
        rules: Mapping[str, Mapping[str, ColumnRule]],
        existing: Mapping[str, pl.DataFrame],
        problems: pl.DataFrame,
        at: datetime,
        reserve: Reserve,
    ) -> None:
        self.rules = rules
        self.existing = existing
        self.problems = problems
        self.found: list[pl.DataFrame] = []
        self.at = at
        self.reserve = reserve
        self.lookups: dict[str, Lookup] = {}

    def lookup(self, obj: str) -> Lookup:
        """The lookup of a record type, built from the database's rows on first use."""
        if obj not in self.lookups:
            self.lookups[obj] = Lookup.of(self.existing[obj], SPECS[obj].key)
        return self.lookups[obj]

    def report(self, *frames: pl.DataFrame) -> None:
        """Record problems found while planning."""
        self.found.extend(f for f in frames if f.height)

    def all_problems(self) -> pl.DataFrame:
        """The source's problems and the planner's, in one frame."""
        return concat_problems([self.problems, *self.found])

    def plan(self, spec: Spec, staged: pl.DataFrame) -> ObjectPlan:
        """Validate, resolve and diff one record type; register its valid rows for later ones."""
        frame = self.typed(spec, staged)
        self.report(*required(spec, frame), *duplicates(spec, frame))
        self.report(*column_checks(spec, frame, self.rules[spec.table]))
        self.report(*unique_checks(spec, frame, self.existing[spec.obj]))
        for ref in spec.other_refs():
            if ref.column in frame.columns:
                frame = self.resolve(spec, frame, ref, self.lookup(ref.target))
        valid = self.identified(spec, self.valid(spec, frame))
        valid = self._resolve_selves(spec, valid, staged)
        return self.split(spec, valid, frame.height - valid.height)

    def valid(self, spec: Spec, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of `frame` without an error so far."""
        bad = error_rows(self.all_problems(), spec.obj)
        return frame.join(bad, on=["_file", "_row"], how="anti")

    def typed(self, spec: Spec, staged: pl.DataFrame) -> pl.DataFrame:
        """The staged columns cast to their table column's dtype (decimal scale, text)."""
        rules = self.rules[spec.table]
        return staged.with_columns(
            *(pl.col(c).cast(rules[c].dtype) for c in staged.columns if c in rules and c != "id"),
            pl.col("_file").cast(pl.Categorical),
        )

    def resolve(self, spec: Spec, frame: pl.DataFrame, ref: Ref, lookup: Lookup) -> pl.DataFrame:
        """Fill `ref.fk` from `ref.column`, reporting values that name nothing (or several)."""
        if ref.by_name:
            frame, found = self._by_name(spec, frame, ref, lookup)
        else:
            frame, found = self._by_key(spec, frame, ref, lookup)
        fk = pl.coalesce(pl.col(ref.fk), found) if ref.fk in frame.columns else found
        return frame.with_columns(fk.cast(pl.Int64).alias(ref.fk)).drop("_id", "_n", strict=False)

    def _by_name(
        self, spec: Spec, frame: pl.DataFrame, ref: Ref, lookup: Lookup
    ) -> tuple[pl.DataFrame, pl.Expr]:
        value, target = pl.col(ref.column), _label(ref.target)
        names = lookup.names().rename({"name": ref.column})
        frame = frame.join(names, on=ref.column, how="left")
        several = value.is_not_null() & (pl.col("_n") > 1)
        unknown = value.is_not_null() & pl.col("_n").is_null()
        self.report(
            flag(frame, several, object=spec.obj, column=ref.column,
                 reason=f"several {target}s have this name"),
            flag(frame, unknown, object=spec.obj, column=ref.column,
                 reason=f"no {target} has this name"),
        )  # fmt: skip
        found: pl.Expr = pl.when(pl.col("_n") == 1).then(pl.col("_id"))
        return frame, found

    def _by_key(
        self, spec: Spec, frame: pl.DataFrame, ref: Ref, lookup: Lookup
    ) -> tuple[pl.DataFrame, pl.Expr]:
        value, target = pl.col(ref.column), _label(ref.target)
        keys = lookup.keys().rename({"_key": ref.column})
        frame = frame.join(keys, on=ref.column, how="left")
        reason = (
            pl.when(value.is_in(lookup.seen.implode()))
            .then(pl.lit(f"refers to a rejected {target}"))
            .otherwise(pl.lit(f"reference to a missing {target}"))
        )
        missing = value.is_not_null() & pl.col("_id").is_null()
        self.report(flag(frame, missing, object=spec.obj, column=ref.column, reason=reason))
        return frame, pl.col("_id")

    def identified(self, spec: Spec, valid: pl.DataFrame) -> pl.DataFrame:
        """Every row with its id: the existing row's, or a newly reserved one (`_new`)."""
        existing = self.existing[spec.obj].select(spec.key, pl.col("id").cast(pl.Int64))
        valid = valid.drop("id", strict=False).join(
            existing.drop_nulls(spec.key), on=spec.key, how="left"
        )
        new = valid["id"].is_null()
        ids = valid["id"]
        count = int(new.sum())
        if count:
            span = self.reserve(spec.table, count)
            fresh = pl.int_range(span.start, span.stop, dtype=pl.Int64, eager=True)
            ids = ids.scatter(new.arg_true(), fresh)
        return valid.with_columns(ids.alias("id"), new.alias("_new"))

    def _resolve_selves(
        self, spec: Spec, valid: pl.DataFrame, staged: pl.DataFrame
    ) -> pl.DataFrame:
        """Resolve parents/managers among valid and existing rows until no row drops out."""
        refs = [r for r in spec.self_refs() if r.column in valid.columns]
        seen = staged[spec.key] if spec.key in staged.columns else pl.Series([], dtype=pl.String)
        base = self.lookup(spec.obj)
        while True:
            trial = base.added(valid, spec.key, seen)
            before = len(self.found)
            resolved = valid
            for ref in refs:
                resolved = self.resolve(spec, resolved, ref, trial)
            bad = error_rows(concat_problems(self.found[before:]), spec.obj)
            if bad.is_empty():
                self.lookups[spec.obj] = trial
                return resolved
            valid = valid.join(bad, on=["_file", "_row"], how="anti")

    def split(self, spec: Spec, valid: pl.DataFrame, rejected: int) -> ObjectPlan:
        """Creates (self references left for a second pass), updates and the counts."""
        rules = self.rules[spec.table]
        columns = [c for c in valid.columns if c in rules and c not in ("id", "_new")]
        selves = list(dict.fromkeys(r.fk for r in spec.self_refs() if r.fk in valid.columns))
        new = valid.filter(pl.col("_new"))
        links = pl.DataFrame()
        if selves:
            linked = pl.any_horizontal(pl.col(c).is_not_null() for c in selves)
            links = new.select("id", *selves).filter(linked)
        blank = [pl.lit(None, pl.Int64).alias(c) for c in selves]
        creates = fill_defaults(
            new.select("id", *columns).with_columns(blank), spec, rules, self.at
        )
        matched = valid.filter(~pl.col("_new")).select("id", *columns)
        keep = [c for c in columns if not rules[c].nullable]
        changed = changed_rows(matched, self.existing[spec.obj], columns, keep)
        unchanged = matched.height - changed.height
        counts = ObjectCounts(creates.height, changed.height, unchanged, rejected)
        return ObjectPlan(spec.obj, spec.table, creates, changed, links, counts)


def _label(obj: str) -> str:
    return SPECS[obj].label if obj in SPECS else obj


def required(spec: Spec, frame: pl.DataFrame) -> list[pl.DataFrame]:
    """A problem for every blank required value (a missing column counts as blank)."""
    found = []
    for column in spec.required:
        mask = pl.col(column).is_null() if column in frame.columns else pl.lit(True)
        found.append(
            flag(
                frame,
                mask,
                object=spec.obj,
                column=column,
                reason="missing value",
                value=pl.lit(None),
            )
        )
    return found


def duplicates(spec: Spec, frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Every row whose key another row of this import also has."""
    if spec.key not in frame.columns:
        return []
    key = pl.col(spec.key)
    reason = "duplicate id" if spec.key == "external_id" else "duplicate name"
    return [
        flag(
            frame,
            key.is_not_null() & key.is_duplicated(),
            object=spec.obj,
            column=spec.key,
            reason=reason,
        )
    ]


def column_checks(
    spec: Spec, frame: pl.DataFrame, rules: Mapping[str, ColumnRule]
) -> list[pl.DataFrame]:
    """Values the table cannot hold: too long, too large, not one of the allowed values."""
    found = []
    for column in frame.columns:
        rule = rules.get(column)
        if rule is None or column == "id":
            continue
        value = pl.col(column)
        if rule.length is not None and frame.schema[column] == pl.String:
            found.append(
                flag(
                    frame,
                    value.str.len_chars() > rule.length,
                    object=spec.obj,
                    column=column,
                    reason=f"longer than {rule.length} characters",
                )
            )
        if rule.limit is not None:
            too_big = value.cast(pl.Float64).abs() >= float(rule.limit)
            found.append(
                flag(frame, too_big, object=spec.obj, column=column, reason="number too large")
            )
        if rule.choices is not None:
            odd = value.is_not_null() & ~value.is_in(list(rule.choices))
            found.append(
                flag(
                    frame,
                    odd,
                    object=spec.obj,
                    column=column,
                    reason="not one of " + ", ".join(rule.choices),
                )
            )
    return found


def unique_checks(spec: Spec, frame: pl.DataFrame, existing: pl.DataFrame) -> list[pl.DataFrame]:
    """Unique values (e-mail, SKU, name) shared within the file or held by another record."""
    found = []
    for column in spec.unique:
        if column not in frame.columns:
            continue
        value = pl.col(column)
        found.append(
            flag(
                frame,
                value.is_not_null() & value.is_duplicated(),
                object=spec.obj,
                column=column,
                reason="used by several rows of the import",
            )
        )
        owners = existing.select(column, pl.col(spec.key).alias("_owner")).drop_nulls(column)
        joined = frame.join(owners, on=column, how="inner")
        taken = pl.col("_owner").is_null() | (pl.col("_owner") != pl.col(spec.key))
        found.append(
            flag(
                joined,
                taken,
                object=spec.obj,
                column=column,
                reason=f"already used by another {spec.label}",
            )
        )
    return found


def fill_defaults(
    frame: pl.DataFrame, spec: Spec, rules: Mapping[str, ColumnRule], at: datetime
) -> pl.DataFrame:
    """Fill what a new row needs but the source left blank (timestamps, empty JSON, flags)."""
    filled = []
    for name, rule in rules.items():
        default = spec.defaults.get(name, rule.default)
        if name == "id" or default is None:
            continue
        literal = pl.lit(at if default == "now" else default, dtype=rule.dtype)
        filled.append(
            pl.col(name).fill_null(literal) if name in frame.columns else literal.alias(name)
        )
    return frame.with_columns(filled)


def changed_rows(
    matched: pl.DataFrame, existing: pl.DataFrame, columns: list[str], keep: list[str]
) -> pl.DataFrame:
    """The matched rows whose given columns differ from the stored ones (nulls compare equal).

    A blank in a `keep` column (one that cannot be null) leaves the stored value alone.
    """
    if matched.is_empty() or not columns:
        return matched.clear()
    stored = existing.select("id", *(pl.col(c).alias(f"_old_{c}") for c in columns))
    joined = matched.join(stored, on="id", how="left").with_columns(
        pl.coalesce(c, f"_old_{c}").alias(c) for c in keep if c in columns
    )
    differs = pl.any_horizontal(~pl.col(c).eq_missing(pl.col(f"_old_{c}")) for c in columns)
    return joined.filter(differs).select("id", *columns)
