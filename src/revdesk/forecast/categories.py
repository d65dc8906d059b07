"""Forecast categories mapped from stages, and the category columns of a forecast.

By default each stage's category is the one in its stage definition. A YAML file may remap
stages; stages it does not name keep their default::

    # forecast-categories.yaml
    version: 1
    stages:
      Proposal: commit
      Solution: best_case

Rules: categories are pipeline, best_case, commit, closed and omitted; won stages are always
`closed` and lost stages always `omitted`, and an open stage may be neither. A wrong file is
refused with `file:line:col` and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import ForecastCategory, StageStatus
from revdesk.pipeline.hygiene_yaml import node_at, parse, position

__all__ = ["CategoryMap", "category_columns", "load_categories", "load_categories_file"]

_CLOSED_AS: Final = {
    StageStatus.WON.value: ForecastCategory.CLOSED,
    StageStatus.LOST.value: ForecastCategory.OMITTED,
}
_ORDER: Final = (
    ForecastCategory.CLOSED,
    ForecastCategory.COMMIT,
    ForecastCategory.BEST_CASE,
    ForecastCategory.PIPELINE,
    ForecastCategory.OMITTED,
)


@dataclass(frozen=True)
class CategoryMap:
    """Stage name -> forecast category.

    >>> stages = pl.DataFrame({"name": ["Demo", "Won"], "status": ["open", "won"],
    ...                        "forecast_category": ["pipeline", "closed"]})
    >>> CategoryMap.from_stages(stages).of("Demo")
    <ForecastCategory.PIPELINE: 'pipeline'>
    """

    categories: Mapping[str, ForecastCategory]

    @classmethod
    def from_stages(cls, stages: pl.DataFrame) -> CategoryMap:
        """Each stage's category as its definition gives it."""
        pairs = stages.select("name", "forecast_category").iter_rows()
        return cls(MappingProxyType({name: ForecastCategory(cat) for name, cat in pairs}))

    def of(self, stage: str) -> ForecastCategory:
        """The category of `stage`."""
        return self.categories[stage]

    def frame(self) -> pl.DataFrame:
        """The mapping as columns stage, category."""
        return pl.DataFrame(
            {
                "stage": list(self.categories),
                "category": [c.value for c in self.categories.values()],
            },
            schema={"stage": pl.String, "category": pl.String},
        )


def load_categories(text: str, stages: pl.DataFrame, *, source: str) -> CategoryMap:
    """The default mapping with the file's stages remapped; errors name `source:line:col`."""
    root, data = parse(text, source)
    if not isinstance(data, dict) or set(data) - {"version", "stages"} or "stages" not in data:
        raise InvalidInput(
            "expected a mapping with 'version: 1' and 'stages' (stage: category)",
            where=position(root, source),
        )
    if data.get("version", 1) != 1:
        where = position(node_at(root, ("version",)), source)
        raise InvalidInput(f"unsupported version {data['version']!r}; use 1", where=where)
    remapped = data["stages"]
    if not isinstance(remapped, dict):
        where = position(node_at(root, ("stages",)), source)
        raise InvalidInput("'stages' must map stage names to categories", where=where)
    status = dict(stages.select("name", "status").iter_rows())
    merged = dict(CategoryMap.from_stages(stages).categories)
    for stage, category in remapped.items():
        where = position(node_at(root, ("stages", stage)), source)
        merged[str(stage)] = _checked(str(stage), category, status, where)
    return CategoryMap(MappingProxyType(merged))


def load_categories_file(path: Path, stages: pl.DataFrame) -> CategoryMap:
    """`load_categories` on a file; a missing or unreadable file is InvalidInput."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the category mapping: {exc}", where=str(path)) from None
    return load_categories(text, stages, source=str(path))


def _checked(stage: str, category: Any, status: Mapping[str, str], where: str) -> ForecastCategory:
    if stage not in status:
        known = ", ".join(status)
        raise InvalidInput(f"unknown stage {stage!r}; stages are: {known}", where=where)
    allowed = ", ".join(c.value for c in ForecastCategory)
    try:
        chosen = ForecastCategory(str(category))
    except ValueError:
        raise InvalidInput(
            f"unknown category {category!r} for stage {stage!r}; use one of {allowed}",
            where=where,
        ) from None
    required = _CLOSED_AS.get(status[stage])
    if required is not None and chosen is not required:
        raise InvalidInput(
            f"stage {stage!r} is {status[stage]}, so its category is always {required.value}",
            where=where,
        )
    if required is None and chosen in _CLOSED_AS.values():
        raise InvalidInput(
            f"stage {stage!r} is open; it cannot be {chosen.value} (use pipeline, best_case "
            "or commit)",
            where=where,
        )
    return chosen


def category_columns(
    open_deals: pl.DataFrame, won_so_far: float, mapping: CategoryMap
) -> pl.DataFrame:
    """Won so far and the open deals closing in the period, by category, with running calls.

    `open_deals` holds the open deals closing in the period (`stage`, `value`). The `call`
    column accumulates: closed, then closed + commit (the commit call), then + best case (the
    best-case call), then + pipeline; omitted deals never count.
    """
    categorised = open_deals.with_columns(
        pl.col("stage")
        .replace_strict({s: c.value for s, c in mapping.categories.items()}, return_dtype=pl.String)
        .alias("category")
    )
    sums = dict(
        categorised.group_by("category")
        .agg(pl.len().alias("deals"), pl.col("value").sum().alias("amount"))
        .select("category", pl.struct("deals", "amount"))
        .iter_rows()
    )
    rows: list[dict[str, Any]] = []
    running = 0.0
    for category in _ORDER:
        if category is ForecastCategory.CLOSED:
            deals, amount = None, won_so_far
        else:
            found = sums.get(category.value) or {"deals": 0, "amount": 0.0}
            deals, amount = int(found["deals"]), float(found["amount"] or 0.0)
        if category is not ForecastCategory.OMITTED:
            running += amount
        rows.append(
            {
                "category": category.value,
                "deals": deals,
                "amount": amount,
                "call": running if category is not ForecastCategory.OMITTED else None,
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={"category": pl.String, "deals": pl.Int64, "amount": pl.Float64, "call": pl.Float64},
    )
    return frame.with_columns(pl.col("amount", "call").round(2).cast(pl.Decimal(38, 2)))
