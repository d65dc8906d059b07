from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revdesk.core.errors import InvalidInput, NotFound, UnknownCurrency
from revdesk.core.fx import AMOUNT_DTYPE, RATE_DTYPE, ExchangeRate, RateTable
from revdesk.core.money import Money

JAN_1 = date(2024, 1, 1)
FEB_1 = date(2024, 2, 1)


def usd_table() -> RateTable:
    return RateTable(
        "USD",
        [
            ExchangeRate("EUR", "USD", FEB_1, Decimal("1.20")),
            ExchangeRate("EUR", "USD", JAN_1, Decimal("1.10")),
            ExchangeRate("GBP", "USD", JAN_1, Decimal("1.25")),
            ExchangeRate("JPY", "USD", JAN_1, Decimal("0.0067")),
        ],
    )


def test_exchange_rate_normalises_codes_and_rounds_rate_to_ten_places() -> None:
    # given a lower-case code and a rate with twelve decimals / when built
    rate = ExchangeRate("eur", "usd", JAN_1, Decimal("1.123456789050"))

    # then codes are ISO and the rate is rounded half up to ten places
    assert (rate.currency, rate.base) == ("EUR", "USD")
    assert str(rate.rate) == "1.1234567891"


@pytest.mark.parametrize("bad", [Decimal(0), Decimal("-1.1"), Decimal("0.00000000001")])
def test_exchange_rate_must_be_positive(bad: Decimal) -> None:
    with pytest.raises(InvalidInput, match="EUR->USD exchange rate must be positive"):
        ExchangeRate("EUR", "USD", JAN_1, bad)


def test_exchange_rate_refuses_float_and_datetime() -> None:
    with pytest.raises(InvalidInput, match="exchange rate must be a Decimal, int or str"):
        ExchangeRate("EUR", "USD", JAN_1, 1.1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="valid_from must be a date, not datetime"):
        ExchangeRate("EUR", "USD", datetime(2024, 1, 1, tzinfo=UTC), Decimal(1))


def test_exchange_rate_refuses_its_own_base_and_unknown_codes() -> None:
    with pytest.raises(InvalidInput, match="from USD to itself"):
        ExchangeRate("usd", "USD", JAN_1, Decimal(1))
    with pytest.raises(UnknownCurrency):
        ExchangeRate("XYZ", "USD", JAN_1, Decimal(1))


def test_table_refuses_a_rate_with_another_base() -> None:
    with pytest.raises(InvalidInput, match="EUR->GBP rate in a table based on USD"):
        RateTable("USD", [ExchangeRate("EUR", "GBP", JAN_1, Decimal("0.86"))])


def test_table_refuses_conflicting_rates_for_one_day() -> None:
    rates = [
        ExchangeRate("EUR", "USD", JAN_1, Decimal("1.1")),
        ExchangeRate("EUR", "USD", JAN_1, Decimal("1.2")),
    ]

    with pytest.raises(InvalidInput, match="two EUR->USD rates from 2024-01-01"):
        RateTable("USD", rates)


def test_rate_takes_the_latest_rate_on_or_before_the_day() -> None:
    table = usd_table()

    assert table.rate("EUR", JAN_1) == Decimal("1.10")
    assert table.rate("eur", date(2024, 1, 31)) == Decimal("1.10")
    assert table.rate("EUR", FEB_1) == Decimal("1.20")
    assert table.rate("EUR", date(2030, 1, 1)) == Decimal("1.20")


def test_rate_of_the_base_is_one_on_any_day() -> None:
    assert usd_table().rate("usd", date(1990, 1, 1)) == Decimal(1)


def test_rate_before_the_first_rate_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        usd_table().rate("EUR", date(2023, 12, 31))

    assert str(caught.value) == "no EUR->USD exchange rate on or before 2023-12-31"


def test_rate_of_a_currency_without_rates_is_not_found() -> None:
    with pytest.raises(NotFound, match="no CHF->USD exchange rate on or before 2024-01-01"):
        usd_table().rate("CHF", JAN_1)


def test_rate_refuses_a_datetime() -> None:
    with pytest.raises(InvalidInput, match="conversion date must be a date"):
        usd_table().rate("EUR", datetime(2024, 1, 1, tzinfo=UTC))


def test_currencies_include_the_base() -> None:
    assert usd_table().currencies == frozenset({"USD", "EUR", "GBP", "JPY"})


def test_to_base_multiplies_and_rounds_to_the_base_minor_unit() -> None:
    # given 1,000 yen at 0.0067 = 6.70 USD, and 10.05 EUR at 1.20 = 12.06 USD
    table = usd_table()

    assert table.to_base(Money.of(1000, "JPY"), JAN_1) == Money.of("6.70", "USD")
    assert table.to_base(Money.of("10.05", "EUR"), FEB_1) == Money.of("12.06", "USD")
    assert table.to_base(Money.of("3.14", "USD"), JAN_1) == Money.of("3.14", "USD")


def test_convert_crosses_through_the_base() -> None:
    # given 100 EUR = 110 USD on Jan 1, and 1 GBP = 1.25 USD / then 110 / 1.25 = 88 GBP
    table = usd_table()

    assert table.convert(Money.of(100, "EUR"), "gbp", JAN_1) == Money.of(88, "GBP")
    # 100 GBP = 125 USD = 125 / 0.0067 JPY = 18656.716... -> 18,657 JPY
    assert table.convert(Money.of(100, "GBP"), "JPY", JAN_1) == Money.of(18657, "JPY")
    assert table.convert(Money.of(100, "USD"), "EUR", FEB_1) == Money.of("83.33", "EUR")


def test_convert_to_the_same_currency_is_identity() -> None:
    money = Money.of("1.23", "CHF")

    assert usd_table().convert(money, "CHF", JAN_1) is money


def test_frame_lists_rates_by_currency_and_day() -> None:
    frame = usd_table().frame()

    assert frame.schema == pl.Schema(
        {"currency": pl.String, "valid_from": pl.Date, "rate": RATE_DTYPE}
    )
    assert frame.rows() == [
        ("EUR", JAN_1, Decimal("1.1")),
        ("EUR", FEB_1, Decimal("1.2")),
        ("GBP", JAN_1, Decimal("1.25")),
        ("JPY", JAN_1, Decimal("0.0067")),
    ]


def deals(
    amounts: list[str | None], currencies: list[str | None], days: list[date | None]
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": list(range(len(amounts))),
            "amount": [None if a is None else Decimal(a) for a in amounts],
            "currency": currencies,
            "close_date": days,
        },
        schema_overrides={"amount": AMOUNT_DTYPE},
    )


def test_to_base_frame_converts_keeping_rows_and_order() -> None:
    # given rows out of date order, in three currencies plus a lower-case code
    df = deals(
        ["100", "1000", "10.05", "1.0005", "-0.0002"],
        ["EUR", "JPY", "eur", "USD", "GBP"],
        [FEB_1, JAN_1, date(2024, 1, 15), date(1999, 1, 1), JAN_1],
    )

    # when converted to USD
    out = usd_table().to_base_frame(
        df, amount="amount", currency="currency", on="close_date", out="amount_usd"
    )

    # then each row has its own rate (base rows at 1) and the frame keeps its shape and order
    assert out.columns == ["id", "amount", "currency", "close_date", "amount_usd"]
    assert out.schema["amount_usd"] == AMOUNT_DTYPE
    assert out["id"].to_list() == [0, 1, 2, 3, 4]
    assert out["amount_usd"].to_list() == [
        Decimal("120.0000"),  # 100 * 1.20
        Decimal("6.7000"),  # 1000 * 0.0067
        Decimal("11.0550"),  # 10.05 * 1.10
        Decimal("1.0005"),  # base currency, any day
        Decimal("-0.0003"),  # -0.00025 rounds half away from zero
    ]


def test_to_base_frame_rounds_once_from_the_exact_product() -> None:
    # given products just below and at least half of the fourth decimal
    table = RateTable("USD", [ExchangeRate("EUR", "USD", JAN_1, Decimal("0.000050005"))])
    df = deals(["0.9999", "-0.9999", "1", "-1"], ["EUR"] * 4, [JAN_1] * 4)

    out = table.to_base_frame(df, amount="amount", currency="currency", on="close_date", out="o")

    # then 0.9999 * 0.000050005 = 0.0000499999995 rounds to 0.0000 (rounding to 10 places
    # first would give 0.0000500000 and then 0.0001), and 0.000050005 rounds away from zero
    assert out["o"].to_list() == [
        Decimal("0.0000"),
        Decimal("0.0000"),
        Decimal("0.0001"),
        Decimal("-0.0001"),
    ]


def test_to_base_frame_keeps_nulls_as_nulls() -> None:
    # given a null amount, a null currency, a null date, and a base row without a date
    df = deals([None, "1", "1", "2"], ["EUR", None, "EUR", "USD"], [JAN_1, JAN_1, None, None])

    out = usd_table().to_base_frame(
        df, amount="amount", currency="currency", on="close_date", out="usd"
    )

    # then the first three are null (not "missing rate") and the base row needs no date
    assert out["usd"].to_list() == [None, None, None, Decimal("2.0000")]


def test_to_base_frame_accepts_integer_amounts_and_can_replace_a_column() -> None:
    df = pl.DataFrame({"amount": [3, 7], "currency": ["GBP", "USD"], "day": [JAN_1, JAN_1]})

    out = usd_table().to_base_frame(
        df, amount="amount", currency="currency", on="day", out="amount"
    )

    assert out.columns == ["amount", "currency", "day"]
    assert out["amount"].to_list() == [Decimal("3.7500"), Decimal("7.0000")]


def test_to_base_frame_names_the_pairs_without_a_rate() -> None:
    # given two rows before the first EUR rate (same pair twice) and one CHF row
    df = deals(
        ["1", "2", "3", "4"],
        ["EUR", "EUR", "CHF", "GBP"],
        [date(2023, 6, 1), date(2023, 6, 1), JAN_1, JAN_1],
    )

    with pytest.raises(NotFound) as caught:
        usd_table().to_base_frame(
            df, amount="amount", currency="currency", on="close_date", out="o"
        )

    assert str(caught.value) == (
        "no exchange rate on or before the row's date for 2 (currency, date) pair(s): "
        "EUR->USD on 2023-06-01, CHF->USD on 2024-01-01"
    )


def test_to_base_frame_shows_only_the_first_five_missing_pairs() -> None:
    days = [date(2023, 1, day) for day in range(1, 8)]
    df = deals(["1"] * 7, ["EUR"] * 7, days)

    with pytest.raises(
        NotFound, match=r"for 7 \(currency, date\) pair\(s\): .*2023-01-05, \.\.\.$"
    ):
        usd_table().to_base_frame(
            df, amount="amount", currency="currency", on="close_date", out="o"
        )


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pl.DataFrame({"amount": [1.5], "currency": ["EUR"], "day": [JAN_1]}),
            "Decimal or integer",
        ),
        (pl.DataFrame({"amount": [1], "currency": ["EUR"], "day": ["2024-01-01"]}), "must be Date"),
        (pl.DataFrame({"amount": [1], "currency": [1], "day": [JAN_1]}), "must be String"),
        (pl.DataFrame({"amount": [1], "day": [JAN_1]}), "no column(s) 'currency'"),
    ],
)
def test_to_base_frame_refuses_wrong_columns(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        usd_table().to_base_frame(frame, amount="amount", currency="currency", on="day", out="o")

    assert message in str(caught.value)


money_text = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False
).map(str)
rates = st.decimals(min_value=Decimal("0.0000000001"), max_value=Decimal("1000"), places=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(money_text, min_size=1, max_size=20), rates)
def test_to_base_frame_equals_exact_half_up_rounding(amounts: list[str], rate: Decimal) -> None:
    table = RateTable("USD", [ExchangeRate("EUR", "USD", JAN_1, rate)])
    df = deals(amounts, ["EUR"] * len(amounts), [JAN_1] * len(amounts))

    out = table.to_base_frame(df, amount="amount", currency="currency", on="close_date", out="o")

    with localcontext(prec=60):  # the default 28 digits would round before the quantize
        expected = [(Decimal(a) * rate).quantize(Decimal("0.0001"), ROUND_HALF_UP) for a in amounts]
    assert out["o"].to_list() == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_rate_is_the_latest_on_or_before(day: date) -> None:
    monthly = [ExchangeRate("EUR", "USD", date(2010, m, 1), Decimal(m)) for m in range(1, 13)]

    table = RateTable("USD", monthly)

    if day < date(2010, 1, 1):
        with pytest.raises(NotFound):
            table.rate("EUR", day)
    else:
        expected = day.month if day.year == 2010 else 12
        assert table.rate("EUR", day) == Decimal(expected)
