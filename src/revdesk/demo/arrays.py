"""Row selection and stacking for dataclasses whose fields are arrays over the same rows."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

import numpy as np
import polars as pl

T = TypeVar("T")


def take(obj: T, index: np.ndarray) -> T:
    """Return `obj` with every array field (and nested dataclass) reduced to rows `index`."""
    changes: dict[str, Any] = {}
    for item in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, item.name)
        if is_dataclass(value):
            changes[item.name] = take(value, index)
        elif isinstance(value, np.ndarray):
            changes[item.name] = value[index]
        elif isinstance(value, pl.Series):
            changes[item.name] = value.gather(
                np.flatnonzero(index) if index.dtype == bool else index
            )
    return replace(obj, **changes)  # type: ignore[type-var]


def stack(first: T, second: T) -> T:
    """Return the rows of `first` followed by those of `second`."""
    changes: dict[str, Any] = {}
    for item in fields(first):  # type: ignore[arg-type]
        a, b = getattr(first, item.name), getattr(second, item.name)
        if is_dataclass(a):
            changes[item.name] = stack(a, b)
        elif isinstance(a, np.ndarray):
            changes[item.name] = np.concatenate([a, b])
        elif isinstance(a, pl.Series):
            changes[item.name] = pl.concat([a, b])
    return replace(first, **changes)  # type: ignore[type-var]
