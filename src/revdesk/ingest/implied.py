"""Forecast-category history implied by stage history, for sources that record only stages.

The Maven data set knows when a deal entered each stage but not its forecast category then; the
category a stage implies (its definition's) fills that gap, so that the as-of view of a past
moment shows the category of the stage the deal was in, not the one it ended in.
"""

from __future__ import annotations

import polars as pl

from revdesk.crm.model import TrackedField


def with_implied_categories(history: pl.DataFrame, stages: pl.DataFrame) -> pl.DataFrame:
    """The history plus the forecast-category changes its stage changes imply.

    Only for opportunities whose history records no forecast category itself: each stage change
    becomes a category change from the old stage's category to the new one's (per the stage
    definitions), at the same moment, when the two differ. Without it the as-of view of a past
    moment would read the deal's final category (a deal won later would look closed then).
    """
    field = pl.col("field")
    own = history.filter(field == TrackedField.FORECAST_CATEGORY.value)["opportunity"]
    moves = history.filter(
        (field == TrackedField.STAGE.value) & ~pl.col("opportunity").is_in(own.unique().implode())
    )
    if moves.is_empty():
        return history
    category = stages.select(pl.col("name"), pl.col("forecast_category").alias("_c"))
    implied = (
        moves.join(category.rename({"name": "old_value", "_c": "_old"}), on="old_value", how="left")
        .join(category.rename({"name": "new_value", "_c": "_new"}), on="new_value", how="left")
        .filter(~pl.col("_old").eq_missing(pl.col("_new")))
        .with_columns(
            field=pl.lit(TrackedField.FORECAST_CATEGORY.value),
            old_value=pl.col("_old"),
            new_value=pl.col("_new"),
        )
        .select(history.columns)
    )
    return pl.concat([history, implied])
