"""What hygiene flags add up to: quality scores, fix lists, and precision/recall against truth.

All three take the flags returned by `revdesk.pipeline.hygiene.evaluate` and are pure Polars.

- `quality_scores`: per rep and per team, the open deals, how many carry at least one flag, the
  number of flags, and score = 100 x (1 - flagged open deals / open deals), rounded half away
  from zero to one place; per field, the open deals, those flagged on that field, and the score.
- `fix_list`: every flag with the person who must fix it, worst first: errors, warnings, infos,
  then by close date (undated last).
- `score_against_truth`: per defect kind of the demo generator's ground truth, true and false
  positives, false negatives, precision and recall (null when undefined: nothing flagged, or
  nothing to find). Example::

    scores = quality_scores(flags, deals, fields=checked_fields(config))
    todo = fix_list(flags, deals, users=users)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput

# The demo generator's defect kinds (revdesk.demo.tables.DefectKind, kept here as text so that
# this pure module does not import the storage layer).
DEFECT_KINDS: Final = (
    "past_close_date",
    "stale",
    "missing_next_step",
    "missing_amount",
    "duplicate",
    "probability_mismatch",
    "orphan_contact",
)
# missing_field's flagged field -> defect kind
_MISSING_KINDS: Final[Mapping[str, str]] = {
    "next_step": "missing_next_step",
    "amount": "missing_amount",
}
# rule types whose flags are a defect kind of the same name
_SAME_NAME: Final = (
    "past_close_date",
    "stale",
    "duplicate",
    "probability_mismatch",
    "orphan_contact",
)
SEVERITY_ORDER: Final = ("error", "warning", "info")
SALES_OPS: Final = "(sales ops)"
FIX_COLUMNS: Final = (
    "owner_id",
    "owner",
    "severity",
    "entity",
    "entity_id",
    "name",
    "close_date",
    "rule_id",
    "field",
    "detail",
)
_COUNT: Final = pl.Int64()


def quality_scores(
    flags: pl.DataFrame, deals: pl.DataFrame, *, fields: Iterable[str] = ()
) -> dict[str, pl.DataFrame]:
    """Data-quality scores per "rep", "team" and "field" (`fields` are listed even if clean)."""
    _need(deals, ("id", "status", "rep", "team"), "deals")
    open_deals = deals.filter(pl.col("status") == "open")
    on_open = _deal_flags(flags).join(
        open_deals.select(pl.col("id").alias("entity_id")), on="entity_id", how="semi"
    )
    return {
        "rep": _group_scores(on_open, open_deals, "rep"),
        "team": _group_scores(on_open, open_deals, "team"),
        "field": _field_scores(on_open, open_deals.height, fields),
    }


def fix_list(
    flags: pl.DataFrame, deals: pl.DataFrame, *, users: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Flags per owner, errors first then by close date: who fixes what on which deal."""
    _need(deals, ("id", "name", "close_date", "owner_id", "rep"), "deals")
    info = deals.select(
        pl.lit("opportunity").alias("entity"), pl.col("id").alias("entity_id"), "name", "close_date"
    )
    severity = pl.col("severity").replace_strict(
        SEVERITY_ORDER, range(len(SEVERITY_ORDER)), default=len(SEVERITY_ORDER)
    )
    owner = pl.when(pl.col("owner_id").is_null()).then(pl.lit(SALES_OPS)).otherwise("owner")
    return (
        flags.join(info, on=["entity", "entity_id"], how="left")
        .join(_owner_names(deals, users), on="owner_id", how="left")
        .with_columns(owner.alias("owner"))
        .sort(
            "owner_id",
            severity,
            *("close_date", "entity", "entity_id", "rule_id", "field"),
            nulls_last=True,
        )
        .select(FIX_COLUMNS)
    )


def score_against_truth(flags: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per defect kind: true/false positives, false negatives, precision and recall."""
    _need(truth, ("entity", "entity_id", "kind"), "truth")
    keys = ["entity", "entity_id", "kind"]
    found = flags.with_columns(_kind().alias("kind")).filter(pl.col("kind").is_not_null())
    flagged = found.select(keys).unique().with_columns(pl.lit(value=True).alias("_flagged"))
    expected = truth.select(
        pl.col("entity").cast(pl.String),
        pl.col("entity_id").cast(pl.Int64),
        pl.col("kind").cast(pl.String),
    ).unique()
    both = flagged.join(
        expected.with_columns(pl.lit(value=True).alias("_true")), on=keys, how="full", coalesce=True
    ).with_columns(pl.col("_flagged", "_true").fill_null(value=False))
    counts = both.group_by("kind").agg(
        (pl.col("_flagged") & pl.col("_true")).sum().cast(_COUNT).alias("true_positives"),
        (pl.col("_flagged") & ~pl.col("_true")).sum().cast(_COUNT).alias("false_positives"),
        (~pl.col("_flagged") & pl.col("_true")).sum().cast(_COUNT).alias("false_negatives"),
    )
    extra = sorted(set(expected["kind"].drop_nulls()) - set(DEFECT_KINDS))
    kinds = pl.DataFrame({"kind": [*DEFECT_KINDS, *extra]}, schema={"kind": pl.String()})
    tp, fp, fn = (pl.col(c) for c in ("true_positives", "false_positives", "false_negatives"))
    return (
        kinds.join(counts, on="kind", how="left", maintain_order="left")
        .with_columns(tp.fill_null(0), fp.fill_null(0), fn.fill_null(0))
        .with_columns(_share(tp, tp + fp).alias("precision"), _share(tp, tp + fn).alias("recall"))
    )


def _need(frame: pl.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InvalidInput(f"{name} has no column(s) {', '.join(missing)}", where="hygiene")


def _deal_flags(flags: pl.DataFrame) -> pl.DataFrame:
    return flags.filter(pl.col("entity") == "opportunity")


def _score(flagged: pl.Expr, total: pl.Expr) -> pl.Expr:
    """100 x (1 - flagged / total), one place, half away from zero; null for no deals."""
    ratio = (total - flagged).cast(pl.Float64) * 100 / total.cast(pl.Float64)
    return pl.when(total > 0).then(ratio.round(1, mode="half_away_from_zero"))


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part.cast(pl.Float64) / whole.cast(pl.Float64))


def _group_scores(flags: pl.DataFrame, open_deals: pl.DataFrame, key: str) -> pl.DataFrame:
    """Open deals, flagged deals, flags and score per value of `key`, worst score first."""
    per_deal = flags.group_by("entity_id").agg(pl.len().cast(_COUNT).alias("_flags"))
    return (
        open_deals.select("id", key)
        .join(per_deal, left_on="id", right_on="entity_id", how="left")
        .group_by(key)
        .agg(
            pl.len().cast(_COUNT).alias("open_deals"),
            pl.col("_flags").is_not_null().sum().cast(_COUNT).alias("flagged_deals"),
            pl.col("_flags").fill_null(0).sum().cast(_COUNT).alias("flags"),
        )
        .with_columns(_score(pl.col("flagged_deals"), pl.col("open_deals")).alias("score"))
        .sort("score", key, nulls_last=True)
    )


def _field_scores(flags: pl.DataFrame, open_count: int, fields: Iterable[str]) -> pl.DataFrame:
    """Open deals, deals flagged on the field, and score per field, worst score first."""
    flagged = (
        flags.filter(pl.col("field").is_not_null())
        .group_by("field")
        .agg(pl.col("entity_id").n_unique().cast(_COUNT).alias("flagged_deals"))
    )
    listed = pl.DataFrame({"field": list(fields)}, schema={"field": pl.String()})
    every = pl.concat([listed, flagged.select("field")]).unique(maintain_order=True)
    total = pl.lit(open_count, _COUNT)
    return (
        every.join(flagged, on="field", how="left")
        .with_columns(total.alias("open_deals"), pl.col("flagged_deals").fill_null(0))
        .with_columns(_score(pl.col("flagged_deals"), pl.col("open_deals")).alias("score"))
        .select("field", "open_deals", "flagged_deals", "score")
        .sort("score", "field", nulls_last=True)
    )


def _owner_names(deals: pl.DataFrame, users: pl.DataFrame | None) -> pl.DataFrame:
    """owner_id -> name: from `users` when given, else the rep name on the deals they own."""
    if users is not None:
        _need(users, ("id", "name"), "users")
        return users.select(pl.col("id").alias("owner_id"), pl.col("name").alias("owner"))
    return (
        deals.filter(pl.col("owner_id").is_not_null())
        .sort("id")
        .unique("owner_id", keep="first", maintain_order=True)
        .select("owner_id", pl.col("rep").alias("owner"))
    )


def _kind() -> pl.Expr:
    """The defect kind a flag counts for, from its rule type (and field); null for none."""
    rule_type = pl.col("rule_type")
    missing = pl.col("field").replace_strict(_MISSING_KINDS, default=None, return_dtype=pl.String)
    return (
        pl.when(rule_type == "missing_field")
        .then(missing)
        .when(rule_type.is_in(_SAME_NAME))
        .then(rule_type)
    )
