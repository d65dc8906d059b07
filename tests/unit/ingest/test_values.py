"""Numbers, yes/no values, vocabularies and ids as exports write them."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from revdesk.ingest.values import (
    clean,
    close_match,
    country_codes,
    currency_in_amount,
    detect_decimal_mark,
    forecast_category,
    opportunity_type,
    parse_bool,
    parse_decimal,
    parse_int,
    placeholder_emails,
    role_from_title,
    salesforce_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15000", Decimal(15000)),
        ("USD 1,234.50", Decimal("1234.5")),
        ("$15,000.00", Decimal(15000)),
        ("1.5E3", Decimal(1500)),
        ("(20)", Decimal(-20)),
        ("-3", Decimal(-3)),
        ("12.5%", Decimal("12.5")),
        ("1,5", None),  # a decimal comma is not read as a thousands separator
        ("1.2.3", None),
        ("twelve", None),
        ("", None),
    ],
)
def test_decimals_with_separators_codes_and_brackets(text: str, expected: Decimal | None) -> None:
    assert parse_decimal(pl.Series([text])).to_list() == [expected]


def test_a_decimal_comma_when_the_mark_says_so() -> None:
    values = parse_decimal(pl.Series(["1.234,50", "1,5", "EUR 2.000"]), mark=",").to_list()

    assert values == [Decimal("1234.5"), Decimal("1.5"), Decimal(2000)]


def test_the_decimal_mark_is_told_by_the_values() -> None:
    assert detect_decimal_mark([pl.Series(["1.234,50", "2,5"])]) == ","
    assert detect_decimal_mark([pl.Series(["1,234.50", "15000"])]) == "."


def test_whole_numbers_refuse_fractions() -> None:
    assert parse_int(pl.Series(["1,200", "2.0", "2.5", "x"])).to_list() == [1200, 2, None, None]


def test_yes_no_values() -> None:
    values = parse_bool(pl.Series(["1", "0", "TRUE", "false", " Yes ", "maybe", None])).to_list()

    assert values == [True, False, True, False, True, None, None]


def test_blank_text_is_null_and_padding_goes() -> None:
    assert clean(pl.Series([" a ", "", "  ", None, "\tb"])).to_list() == [
        "a",
        None,
        None,
        None,
        "b",
    ]


def test_currency_codes_written_in_amounts() -> None:
    codes = currency_in_amount(pl.Series(["USD 1,000", "1.000 EUR", "100", None])).to_list()

    assert codes == ["USD", "EUR", None, None]


def test_forecast_categories_in_salesforce_spellings() -> None:
    values = forecast_category(pl.Series(["Best Case", "BestCase", "Omitted", "Closed", "x"]))

    assert values.to_list() == ["best_case", "best_case", "omitted", "closed", None]


def test_opportunity_types() -> None:
    values = opportunity_type(
        pl.Series(["New Customer", "Existing Customer - Upgrade", "Renewal", "newbusiness", "?"])
    )

    assert values.to_list() == ["new", "expansion", "renewal", "new", None]


def test_roles_read_from_role_names_and_titles() -> None:
    values = role_from_title(
        pl.Series(["CEO", "VP, North American Sales", "Director, Direct Sales", "CFO",
                   "Western Sales Team", "System Administrator", None])
    )  # fmt: skip

    assert values.to_list() == ["vp", "vp", "manager", "cfo", "rep", "admin", "rep"]


def test_countries_by_name_code_alias_and_near_miss() -> None:
    codes, near = country_codes(pl.Series(["United States", "USA", "fr", "Philipines", "Atlantis"]))

    assert codes.to_list() == ["US", "US", "FR", "PH", None]
    assert near.to_list() == [False, False, False, True, False]


def test_typos_are_near_misses_of_a_vocabulary_word() -> None:
    assert close_match("technolgy", ["technology", "retail"]) == "technology"
    assert close_match("retail", ["technology", "retail"]) is None
    assert close_match("banana", ["technology", "retail"]) is None


def test_placeholder_emails_are_unique() -> None:
    emails = placeholder_emails(
        pl.Series(["Anna Snelling", "Anna Snelling", "Zoë Ö", None]), "x.invalid"
    )

    assert emails.to_list() == [
        "anna.snelling@x.invalid",
        "anna.snelling.2@x.invalid",
        "zoe.o@x.invalid",
        "user@x.invalid",
    ]


def test_salesforce_ids_in_their_18_character_form() -> None:
    ids = salesforce_id(
        pl.Series(["006Hp000015Yh7k", "006Hp000015Yh7kIAC", "000000000000000AAA", ""])
    )

    assert ids.to_list() == ["006Hp000015Yh7kIAC", "006Hp000015Yh7kIAC", None, None]
