"""Records that exports only name: accounts, owners and teams known by name and nothing else.

A report export says "Account Name: Acme" and "Opportunity Owner: Jane Doe" without ids. A name
that matches a record of the import or of the database (exactly one) is used; a name that
matches nothing creates a minimal record (external id `name:<name>`, a placeholder e-mail
`first.last@<source>.invalid` for people), reported as a warning so nothing is created
silently.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from revdesk.ingest.model import Severity, concat_problems, flag
from revdesk.ingest.specs import SPECS
from revdesk.ingest.values import placeholder_emails


def _known_names(obj: str, frames: Mapping[str, pl.DataFrame], existing: pl.DataFrame) -> pl.Series:
    parts = [existing["name"]] if "name" in existing.columns else []
    staged = frames.get(obj)
    if staged is not None and "name" in staged.columns:
        parts.append(staged["name"])
    if not parts:
        return pl.Series([], dtype=pl.String)
    return pl.concat(parts).drop_nulls().unique()


def _wanted(frames: Mapping[str, pl.DataFrame], target: str) -> pl.DataFrame:
    """Every name some staged record uses to refer to a `target` record, first use first."""
    parts = []
    for spec in SPECS.values():
        frame = frames.get(spec.obj)
        for ref in spec.refs:
            if not (ref.stub and ref.target == target and frame is not None):
                continue
            if ref.column in frame.columns:
                parts.append(
                    frame.select(
                        pl.col(ref.column).alias("name"),
                        pl.lit(spec.obj).alias("_by"),
                        pl.lit(ref.column).alias("_column"),
                        "_file",
                        "_row",
                    ).drop_nulls("name")
                )
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts)


def add_stubs(
    frames: dict[str, pl.DataFrame], existing: Mapping[str, pl.DataFrame], source: str
) -> pl.DataFrame:
    """Add a minimal record for every name that resolves to nothing; return the warnings."""
    notes = []
    for target in ("teams", "users", "accounts"):
        uses = _wanted(frames, target)
        if uses.is_empty():
            continue
        known = _known_names(target, frames, existing[target])
        missing = uses.filter(~pl.col("name").is_in(known.implode()))
        if missing.is_empty():
            continue
        label = SPECS[target].label
        for (obj, column), group in missing.group_by("_by", "_column", maintain_order=True):
            notes.append(
                flag(
                    group,
                    pl.lit(True),
                    object=str(obj),
                    column=str(column),
                    reason=f"no {label} has this name: one is created",
                    severity=Severity.WARNING,
                    value=pl.col("name"),
                )
            )
        stubs = missing.unique("name", keep="first", maintain_order=True)
        frames[target] = pl.concat(
            [frames.get(target, pl.DataFrame()), _stub(target, stubs, source)],
            how="diagonal_relaxed",
        )
    return concat_problems(notes)


def _stub(target: str, names: pl.DataFrame, source: str) -> pl.DataFrame:
    base = names.select("name", "_file", "_row")
    if target == "teams":
        return base
    keyed = base.with_columns(pl.format("name:{}", "name").alias("external_id"))
    if target == "users":
        emails = placeholder_emails(keyed["name"], f"{source}.invalid")
        return keyed.with_columns(emails.alias("email"), pl.lit("rep").alias("role"))
    return keyed
