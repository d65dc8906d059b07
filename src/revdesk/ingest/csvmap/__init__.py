"""Any CSV file with a mapping: one record type, columns named by the mapping YAML.

    mapping = load_mapping(Path("deals.yaml"))
    extract = extract_csv(Path("deals.csv"), mapping, base_currency="EUR")

Each mapped column is read as its field's type requires (text, number, date, timestamp, yes/no,
whole number), after the mapping's value map (exact text) and default (for blank cells and
unmapped fields). Ids and references by id get `id_prefix`. Vocabulary fields are read
leniently: forecast categories as in Salesforce ('Best Case'), opportunity types ('New
Business'), roles and segments in any case. Opportunities without a currency get the base
currency. For `object: history` the values are read as their row's field requires.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.ingest import stagedefs
from revdesk.ingest.canonical import MONEY, SCHEMAS, Extract
from revdesk.ingest.convert import Converter, currency, history_value
from revdesk.ingest.csvmap.mapping import ID_REFERENCES, Mapping, load_mapping
from revdesk.ingest.dates import (
    UTC_MICROS,
    DateOrder,
    detect_date_order,
    parse_date,
    parse_datetime,
)
from revdesk.ingest.read import RawTable, SourceFile, open_source, read_table
from revdesk.ingest.values import (
    country_codes,
    forecast_category,
    opportunity_type,
    parse_bool,
    parse_decimal,
    parse_int,
)

__all__ = ["extract_csv", "load_mapping"]

_LOWER: Final = ("role", "segment", "buying_role", "status")
_NOT_NEGATIVE: Final = ("amount", "annual_revenue", "list_price", "employees")


def _raw(conv: Converter, mapping: Mapping, field: str) -> pl.Series:
    """A field's text: the mapped column, through the value map, blanks filled by the default."""
    header = mapping.columns.get(field)
    raw = (
        conv.raw(header) if header is not None else pl.Series([None] * conv.height, dtype=pl.String)
    )
    if field in mapping.values:
        raw = raw.replace(mapping.values[field])
    if field in mapping.defaults:
        default = mapping.defaults[field]
        raw = raw.fill_null(str(default).lower() if isinstance(default, bool) else str(default))
    return raw.alias(field)


def _parsed(conv: Converter, field: str, raw: pl.Series, dtype: pl.DataType) -> pl.Series:
    if dtype == MONEY or isinstance(dtype, pl.Decimal):
        return parse_decimal(raw, mark=conv.mark)
    if dtype == pl.Date():
        return parse_date(raw, conv.order)
    if dtype == UTC_MICROS:
        return parse_datetime(raw, conv.order)
    if dtype == pl.Boolean():
        return parse_bool(raw)
    if dtype == pl.Int64():
        return parse_int(raw, mark=conv.mark)
    return _vocabulary(field, raw)


def _vocabulary(field: str, raw: pl.Series) -> pl.Series:
    if field == "forecast_category":
        return forecast_category(raw)
    if field == "type":
        return opportunity_type(raw)
    if field in _LOWER:
        return raw.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_")
    if field == "country":
        return country_codes(raw)[0]
    return raw


def _fields(conv: Converter, mapping: Mapping, base_currency: str) -> None:
    schema = SCHEMAS[mapping.object]
    wanted = [f for f in schema if f in mapping.columns or f in mapping.defaults]
    for field in wanted:
        if field in ("currency", "annual_revenue_currency"):
            continue
        raw = _raw(conv, mapping, field)
        parsed = _parsed(conv, field, raw, schema[field])
        column = mapping.columns.get(field, field)
        reason = "unknown value" if schema[field] == pl.String() else f"not a valid {field}"
        conv.check(raw.is_not_null() & parsed.is_null(), column, reason, value=raw)
        if field in _NOT_NEGATIVE:
            conv.check((parsed < 0).fill_null(False), column, "negative amount", value=raw)
        if field in ID_REFERENCES and mapping.id_prefix:
            parsed = pl.select(pl.format(f"{mapping.id_prefix}{{}}", pl.lit(parsed))).to_series()
        conv.put(field, parsed)
    _currencies(conv, mapping, base_currency)


def _currencies(conv: Converter, mapping: Mapping, base: str) -> None:
    for field, needed in (("currency", "opportunities"), ("annual_revenue_currency", "accounts")):
        if field not in SCHEMAS[mapping.object]:
            continue
        if field in mapping.columns or field in mapping.defaults or mapping.object == needed:
            column = mapping.columns.get(field, field)
            currency(conv, field, column, base, values=_raw(conv, mapping, field))


def _history(conv: Converter, mapping: Mapping) -> None:
    field = _raw(conv, mapping, "field").str.to_lowercase().str.replace_all(r"[^a-z]+", "_")
    conv.put("field", field)

    def owner(values: pl.Series) -> pl.Series:
        """Owner values are user ids: they get the prefix too."""
        return pl.select(pl.format(f"{mapping.id_prefix}{{}}", pl.lit(values))).to_series()

    for name in ("old_value", "new_value"):
        header = mapping.columns.get(name)
        if header is not None:
            conv.put(name, history_value(conv, field, header, owner))


def _extra(conv: Converter, mapping: Mapping) -> None:
    if not mapping.extra:
        return
    frame = pl.DataFrame({key: conv.raw(header) for key, header in sorted(mapping.extra.items())})
    conv.put("extra", frame.select(pl.struct(frame.columns).struct.json_encode()).to_series())


def _source(path: Path, mapping: Mapping) -> SourceFile:
    source = open_source(path, mapping.encoding)
    if mapping.delimiter:
        source = SourceFile(source.path, source.encoding, mapping.delimiter)
    return source


def _table(path: Path, mapping: Mapping) -> RawTable:
    """The file's records; every column the mapping names must be there (any case)."""
    table = read_table(_source(path, mapping))
    present = {c.lower() for c in table.columns}
    named = [*mapping.columns.values(), *mapping.extra.values()]
    missing = [h for h in named if h.lower() not in present]
    if missing:
        raise InvalidInput(
            f"column(s) {json.dumps(missing)} of the mapping are not in the file "
            f"(it has {json.dumps(table.columns)})",
            where=table.file.name,
        )
    return table


def _date_order(table: RawTable, mapping: Mapping) -> DateOrder | None:
    headers = {c.lower(): c for c in table.columns}
    dated = [
        table.frame[headers[h.lower()]]
        for f, h in mapping.columns.items()
        if SCHEMAS[mapping.object].get(f) in (pl.Date(), UTC_MICROS)
    ]
    return mapping.date_order or detect_date_order(dated)


def extract_csv(
    path: Path, mapping: Mapping, *, date_order: DateOrder | None = None, base_currency: str = "USD"
) -> Extract:
    """Read one CSV file into the canonical frame its mapping names."""
    label = mapping.source or "csv"
    extract = Extract(label, str(path), history_source=label)
    table = _table(path, mapping)
    extract.files[table.file.name] = table.file
    extract.dialects[table.file.name] = f"CSV ({mapping.object}, mapping)"
    order = date_order or _date_order(table, mapping)
    conv = Converter(table, mapping.object, order=order, mark=mapping.decimal)
    _fields(conv, mapping, base_currency)
    if mapping.object == "history":
        _history(conv, mapping)
    _extra(conv, mapping)
    conv.report_unused()
    frame, problems = conv.finish()
    extract.add_problems(problems)
    kept = [c for c in frame.columns if not c.startswith("_") or c in ("_file", "_row")]
    extract.put(mapping.object, frame.select(kept))
    if mapping.object == "opportunities":
        _stages(extract, frame)
    return extract


def _stages(extract: Extract, frame: pl.DataFrame) -> None:
    hints = (
        frame.select(
            pl.col("stage").alias("StageName"),
            *(
                [pl.col("probability").cast(pl.String).alias("Probability")]
                if "probability" in frame.columns
                else []
            ),
            *(
                [pl.col("forecast_category").alias("ForecastCategoryName")]
                if "forecast_category" in frame.columns
                else []
            ),
            "_file",
            "_row",
        )
        if "stage" in frame.columns
        else None
    )
    if hints is None:
        return
    proposed = stagedefs.stages([stagedefs.combos(hints)])
    if proposed.height:
        extract.put("stages", proposed)
