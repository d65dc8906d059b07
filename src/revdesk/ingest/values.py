"""Text, numbers, booleans and vocabularies as exports write them, parsed a column at a time.

Every parser takes a String series and returns the parsed series with null wherever a value does
not parse, so callers can report `raw is not null and parsed is null` as a problem::

    >>> parse_decimal(pl.Series(["USD 1,234.50", "(20)", "1.2.3"])).to_list()
    [Decimal('1234.5000'), Decimal('-20.0000'), None]
    >>> parse_bool(pl.Series(["TRUE", "0", "maybe"])).to_list()
    [True, False, None]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Final, Literal

import polars as pl
from babel import Locale

from revdesk.crm.model import ForecastCategory, OpportunityType, Role

DecimalMark = Literal[".", ","]

_TRUE: Final = ("1", "true", "t", "yes", "y", "x", "checked")
_FALSE: Final = ("0", "false", "f", "no", "n", "unchecked")
_SYMBOLS: Final = r"[$€£¥₹\s\u00a0\u202f%']"


def by_distinct(raw: pl.Series, parse: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Apply `parse` to the distinct values only and map them back (few distinct, many rows)."""
    distinct = raw.unique()
    if distinct.len() * 4 > raw.len():
        return parse(raw)
    mapping = pl.DataFrame({"_raw": distinct, "_parsed": parse(distinct)})
    return (
        raw.to_frame("_raw")
        .join(mapping, on="_raw", how="left", nulls_equal=True, maintain_order="left")["_parsed"]
        .alias(raw.name)
    )


def clean(raw: pl.Series) -> pl.Series:
    """Strip surrounding blanks; empty text becomes null (no copy when nothing changes)."""
    text = raw.cast(pl.String)
    padded = pl.Series([False])
    for blank in (" ", "\t"):
        padded = padded | text.str.starts_with(blank) | text.str.ends_with(blank)
    if padded.any():
        text = text.str.strip_chars()
    empty = text.str.len_bytes() == 0
    if empty.any():
        text = text.set(empty, None)
    return text


def parse_bool(raw: pl.Series) -> pl.Series:
    """1/0, true/false, yes/no, y/n, x (any case); anything else is null."""
    mapping = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
    return (
        clean(raw).str.to_lowercase().replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    )


def detect_decimal_mark(columns: Iterable[pl.Series]) -> DecimalMark:
    """',' when more values end in a comma decimal part (1.234,50) than a dot one; else '.'."""
    comma = dot = 0
    for column in columns:
        text = clean(column).drop_nulls()
        comma += int(text.str.contains(r"\d,\d{1,2}(\D*)$").sum())
        dot += int(text.str.contains(r"\d\.\d{1,2}(\D*)$").sum())
    return "," if comma > dot else "."


def parse_decimal(raw: pl.Series, *, mark: DecimalMark = ".", scale: int = 4) -> pl.Series:
    """Amounts with thousands separators, a currency code or symbol, or (negative) brackets."""
    text = raw.cast(pl.String)
    if mark == ".":  # plain numbers (every Data Loader export) need no rewriting
        plain = text.str.contains(r"^[+-]?\d+(\.\d+)?$").fill_null(False)
        fast = text.set(~plain, None).cast(pl.Decimal(38, scale), strict=False)
        todo = ~plain & text.str.strip_chars().ne("").fill_null(False)
        if not todo.any():
            return fast
        where = todo.arg_true()
        return fast.scatter(where, _decimal(text.gather(where), mark, scale))
    return _decimal(text, mark, scale)


def _decimal(raw: pl.Series, mark: DecimalMark, scale: int) -> pl.Series:
    text = clean(raw)
    negative = text.str.contains(r"^\(.*\)$")
    text = text.str.replace(r"^\((.*)\)$", "$1")
    text = text.str.replace(r"^[A-Za-z]{3}\s*", "").str.replace(r"\s*[A-Za-z]{3}$", "")
    text = text.str.replace_all(_SYMBOLS, "")
    sep, dec = (r"\.", ",") if mark == "," else (",", r"\.")
    grouped = rf"^[+-]?(\d{{1,3}}({sep}\d{{3}})+|\d+)({dec}\d*)?$"
    plain = rf"^[+-]?(\d+({dec}\d*)?|{dec}\d+)([eE][+-]?\d+)?$"
    valid = text.str.contains(grouped) | text.str.contains(plain)
    if mark == ",":
        text = text.str.replace_all(r"\.", "").str.replace(",", ".")
    else:
        text = text.str.replace_all(",", "")
    text = text.set(~valid.fill_null(False), None)
    value = text.cast(pl.Decimal(38, scale), strict=False)
    return value.zip_with(~negative.fill_null(False), -value)


def parse_int(raw: pl.Series, *, mark: DecimalMark = ".") -> pl.Series:
    """Whole numbers (1,000 allowed); fractions and text are null."""
    number = parse_decimal(raw, mark=mark, scale=4)
    whole = number.cast(pl.Float64) % 1 == 0
    return number.set(~whole.fill_null(False), None).cast(pl.Int64, strict=False)


def currency_in_amount(raw: pl.Series) -> pl.Series:
    """The ISO code written inside an amount ("USD 1,000", "1.000 EUR"), else null."""
    text = clean(raw)
    prefix = text.str.extract(r"^([A-Za-z]{3})\s*[-+(\d.,]", 1)
    return prefix.fill_null(text.str.extract(r"[\d)]\s*([A-Za-z]{3})$", 1)).str.to_uppercase()


def _key(value: str) -> str:
    return re.sub(r"[^a-z]", "", value.lower())


_FORECAST: Final[Mapping[str, ForecastCategory]] = {
    "pipeline": ForecastCategory.PIPELINE,
    "bestcase": ForecastCategory.BEST_CASE,
    "upside": ForecastCategory.BEST_CASE,
    "commit": ForecastCategory.COMMIT,
    "closed": ForecastCategory.CLOSED,
    "closedwon": ForecastCategory.CLOSED,
    "won": ForecastCategory.CLOSED,
    "omitted": ForecastCategory.OMITTED,
    "omit": ForecastCategory.OMITTED,
    "notforecasted": ForecastCategory.OMITTED,
    "closedlost": ForecastCategory.OMITTED,
}


def forecast_category(raw: pl.Series) -> pl.Series:
    """Salesforce/HubSpot forecast categories ('Best Case', 'BestCase') as RevDesk values."""
    return by_distinct(raw, _categories)


def _categories(raw: pl.Series) -> pl.Series:
    keys = clean(raw).str.to_lowercase().str.replace_all("[^a-z]", "")
    mapping = {k: v.value for k, v in _FORECAST.items()}
    return keys.replace_strict(mapping, default=None, return_dtype=pl.String)


def opportunity_type(raw: pl.Series) -> pl.Series:
    """'New Customer' -> new, 'Existing Customer - Upgrade' -> expansion, 'Renewal' -> renewal."""
    text = clean(raw).str.to_lowercase()
    return (
        pl.DataFrame({"t": text})
        .select(
            pl.when(pl.col("t").str.contains("renew"))
            .then(pl.lit(OpportunityType.RENEWAL.value))
            .when(pl.col("t").str.contains(r"\bnew|newbusiness"))
            .then(pl.lit(OpportunityType.NEW.value))
            .when(
                pl.col("t").str.contains(
                    r"exist|upgrade|upsell|up-sell|expan|cross|add-on|addon|downgrade|replace"
                )
            )
            .then(pl.lit(OpportunityType.EXPANSION.value))
            .alias(raw.name)
        )
        .to_series()
    )


_ROLE_RULES: Final = (
    (r"\bcfo\b|chief financial", Role.CFO),
    (r"deal desk", Role.DEAL_DESK),
    (r"sales op|revenue op|revops|sales operations", Role.SALES_OPS),
    (r"\blegal\b|counsel|attorney", Role.LEGAL),
    (r"financ|controller|accounting", Role.FINANCE),
    (r"system admin|\badmin", Role.ADMIN),
    (r"product manag|head of product", Role.PRODUCT),
    (r"\bceo\b|\bcoo\b|\bcro\b|chief|president|\bs?vp\b|\bevp\b|head of", Role.VP),
    (r"director|manager|\blead\b|supervisor", Role.MANAGER),
)


def role_from_title(raw: pl.Series) -> pl.Series:
    """A RevDesk role read from a role name, title or profile ('VP, Sales' -> vp), else rep."""
    text = clean(raw).str.to_lowercase().fill_null("")
    result = pl.Series(raw.name, [Role.REP.value] * raw.len(), dtype=pl.String)
    for pattern, role in reversed(_ROLE_RULES):  # the first rule that matches wins
        result = result.set(text.str.contains(pattern), role.value)
    return result


@cache
def _countries() -> dict[str, str]:
    names = {_key(name): code for code, name in Locale("en").territories.items() if len(code) == 2}
    aliases = {
        "usa": "US",
        "us": "US",
        "unitedstatesofamerica": "US",
        "america": "US",
        "uk": "GB",
        "greatbritain": "GB",
        "england": "GB",
        "korea": "KR",
        "southkorea": "KR",
        "russia": "RU",
        "uae": "AE",
    }
    codes = {_key(str(code)): str(code) for code in Locale("en").territories if len(str(code)) == 2}
    return {**names, **codes, **aliases}


def country_codes(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """ISO 3166 alpha-2 codes for country names or codes, and which ones were a near miss."""
    known = _countries()
    exact: dict[str, str] = {}
    close: dict[str, str] = {}
    for value in clean(raw).drop_nulls().unique().to_list():  # distinct names: a few dozen
        key = _key(value)
        if key in known:
            exact[value] = known[key]
        elif len(key) > 3 and (match := difflib.get_close_matches(key, known, n=1, cutoff=0.85)):
            close[value] = known[match[0]]
    text = clean(raw)
    codes = text.replace_strict({**exact, **close}, default=None, return_dtype=pl.String)
    return codes, text.is_in(list(close)).fill_null(False)


def close_match(value: str, vocabulary: Iterable[str], cutoff: float = 0.85) -> str | None:
    """The vocabulary word `value` is a near miss of (a typo), else None."""
    words = list(vocabulary)
    if value in words:
        return None
    found = difflib.get_close_matches(value.lower(), words, n=1, cutoff=cutoff)
    return found[0] if found else None


def placeholder_emails(names: pl.Series, domain: str) -> pl.Series:
    """Unique placeholder addresses (first.last@domain, then first.last.2@...) for people."""
    slug = (
        clean(names)
        .fill_null("user")
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", ".")
        .str.strip_chars(".")
    )
    slug = slug.set(slug == "", "user")
    frame = pl.DataFrame({"slug": slug}).with_columns(n=pl.col("slug").cum_count().over("slug"))
    return frame.select(
        pl.when(pl.col("n") > 1)
        .then(pl.format("{}.{}@{}", "slug", "n", pl.lit(domain)))
        .otherwise(pl.format("{}@{}", "slug", pl.lit(domain)))
        .alias(names.name)
    ).to_series()


_SF_SUFFIX: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(raw: pl.Series) -> pl.Series:
    """Salesforce ids in their 18-character form; the empty id 000000000000000AAA is null."""
    text = clean(raw)
    empty = text.is_in(["000000000000000AAA", "000000000000000"]).fill_null(False)
    text = text.set(empty, None)
    short = (text.str.len_bytes() == 15).fill_null(False)
    short = (
        short & text.str.contains(r"^[a-zA-Z0-9]{15}$").fill_null(False) if short.any() else short
    )
    if not short.any():
        return text
    frame = pl.DataFrame({"id": text})
    suffix = []
    for block in range(3):
        bits = sum(
            pl.col("id").str.slice(block * 5 + i, 1).str.contains("^[A-Z]$").cast(pl.Int32)
            * (1 << i)
            for i in range(5)
        ) + pl.lit(0)
        suffix.append(bits.replace_strict(dict(enumerate(_SF_SUFFIX)), return_dtype=pl.String))
    long = frame.select(pl.concat_str(pl.col("id"), *suffix).alias(raw.name)).to_series()
    return text.zip_with(~short, long)


def decimal_text(values: pl.Series) -> pl.Series:
    """Decimals as plain text without trailing zeros (15000.5000 -> 15000.5, 20.0000 -> 20)."""
    text = values.cast(pl.String)
    trimmed = text.str.replace(r"(\.\d*?)0+$", "$1").str.replace(r"\.$", "")
    return trimmed.set(trimmed == "-0", "0")
