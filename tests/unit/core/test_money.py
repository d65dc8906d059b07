from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revdesk.core.errors import CurrencyMismatch, InvalidInput, UnknownCurrency
from revdesk.core.money import Money, currency_code, minor_units, sum_money, to_decimal

cents = st.integers(min_value=-(10**12), max_value=10**12)


def usd(cents_value: int) -> Money:
    return Money(Decimal(cents_value).scaleb(-2), "USD")


def test_currency_code_strips_and_upper_cases() -> None:
    # given a lower-case code with padding / when normalised / then it is the ISO code
    assert currency_code(" eur ") == "EUR"


def test_currency_code_refuses_codes_outside_iso_4217() -> None:
    # given a made-up code / when normalised / then UnknownCurrency names it
    with pytest.raises(UnknownCurrency) as caught:
        currency_code("XYZ")

    assert str(caught.value) == "unknown currency code 'XYZ' (not ISO 4217)"


def test_minor_units_come_from_the_currency() -> None:
    # given three currencies with different minor units / then each has its own precision
    assert (minor_units("USD"), minor_units("jpy"), minor_units("BHD")) == (2, 0, 3)


def test_constructor_rounds_half_up_to_the_minor_unit() -> None:
    # given amounts exactly half-way between two cents / when constructed
    up = Money(Decimal("0.125"), "USD")
    down = Money(Decimal("-0.125"), "USD")

    # then they round away from zero, as commercial rounding does
    assert up.amount == Decimal("0.13")
    assert str(up.amount) == "0.13"
    assert down.amount == Decimal("-0.13")


def test_constructor_normalises_the_currency_code() -> None:
    # given a lower-case code / when constructed / then the code is upper-cased
    assert Money(Decimal("1"), "usd").currency == "USD"


def test_of_accepts_int_str_and_decimal() -> None:
    # given the three accepted input types / when built with Money.of / then all are equal
    assert Money.of(12, "USD") == Money.of(" 12.000 ", "USD") == Money.of(Decimal("12"), "USD")
    assert str(Money.of("12", "USD").amount) == "12.00"


def test_jpy_rounds_to_whole_yen() -> None:
    # given yen with a fraction / when built / then it rounds half up to a whole yen
    assert Money.of("1234.5", "JPY").amount == Decimal("1235")


def test_negative_zero_is_stored_as_zero() -> None:
    # given an amount that rounds to minus zero / then it prints without a sign
    assert str(Money.of("-0.004", "USD")) == "USD 0.00"


@pytest.mark.parametrize("bad", [1.5, True, None, [1]])
def test_of_refuses_float_and_other_types(bad: object) -> None:
    # given a non-Decimal, non-int, non-str amount / when built / then InvalidInput
    with pytest.raises(InvalidInput, match="must be a Decimal, int or str"):
        Money.of(bad, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "sNaN"])
def test_of_refuses_non_finite_amounts(bad: str) -> None:
    with pytest.raises(InvalidInput, match="must be finite"):
        Money.of(bad, "USD")


def test_constructor_refuses_non_finite_decimal() -> None:
    with pytest.raises(InvalidInput, match="must be finite"):
        Money(Decimal("NaN"), "USD")


def test_of_refuses_text_that_is_not_a_number() -> None:
    with pytest.raises(InvalidInput, match="amount '12,50' is not a number"):
        Money.of("12,50", "USD")


def test_to_decimal_refuses_float() -> None:
    with pytest.raises(InvalidInput, match="rate must be a Decimal, int or str, not float"):
        to_decimal(0.1, what="rate")


def test_add_and_subtract_same_currency() -> None:
    # given two dollar amounts / when added and subtracted / then results are exact
    a, b = Money.of("10.10", "USD"), Money.of("0.25", "USD")

    assert a + b == Money.of("10.35", "USD")
    assert a - b == Money.of("9.85", "USD")


def test_add_across_currencies_names_both() -> None:
    with pytest.raises(CurrencyMismatch, match="cannot combine USD and EUR amounts"):
        _ = Money.of(1, "USD") + Money.of(1, "EUR")


def test_subtract_across_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatch, match="cannot combine EUR and USD amounts"):
        _ = Money.of(1, "EUR") - Money.of(1, "USD")


def test_add_a_plain_number_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Money.of(1, "USD") + 1


def test_negation_and_absolute_value() -> None:
    money = Money.of("-3.50", "EUR")

    assert -money == Money.of("3.50", "EUR")
    assert abs(money) == Money.of("3.50", "EUR")


def test_multiply_by_decimal_and_int_rounds_half_up() -> None:
    # given 10.05 USD / when multiplied by 1.5 (15.075) and by 3 / then rounded half up
    money = Money.of("10.05", "USD")

    assert money * Decimal("1.5") == Money.of("15.08", "USD")
    assert 3 * money == Money.of("30.15", "USD")


def test_divide_rounds_half_up() -> None:
    # given 10 USD / when divided by 3 (3.333...) and by 16 (0.625) / then rounded half up
    money = Money.of(10, "USD")

    assert money / 3 == Money.of("3.33", "USD")
    assert money / Decimal(16) == Money.of("0.63", "USD")


def test_multiply_and_divide_refuse_float() -> None:
    money = Money.of(10, "USD")

    with pytest.raises(InvalidInput, match="factor must be"):
        _ = money * 1.5
    with pytest.raises(InvalidInput, match="divisor must be"):
        _ = money / 2.0


def test_divide_by_zero_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="cannot divide money by zero"):
        _ = Money.of(10, "USD") / 0


def test_comparisons_within_one_currency() -> None:
    small, large = Money.of("1.00", "USD"), Money.of("1.01", "USD")

    assert small < large
    assert small <= large
    assert large > small
    assert large >= small
    assert small <= Money.of(1, "USD")


@pytest.mark.parametrize("compare", ["<", "<=", ">", ">="])
def test_comparisons_across_currencies_raise(compare: str) -> None:
    usd_one, eur_one = Money.of(1, "USD"), Money.of(1, "EUR")
    operations = {
        "<": lambda: usd_one < eur_one,
        "<=": lambda: usd_one <= eur_one,
        ">": lambda: usd_one > eur_one,
        ">=": lambda: usd_one >= eur_one,
    }

    with pytest.raises(CurrencyMismatch, match="USD and EUR"):
        operations[compare]()


def test_equality_is_by_value_and_currency() -> None:
    # given equal amounts written differently / then they are equal and hash alike
    assert Money.of("5", "USD") == Money(Decimal("5.000"), "usd")
    assert hash(Money.of("5", "USD")) == hash(Money(Decimal("5.000"), "usd"))
    assert Money.of(5, "USD") != Money.of(5, "EUR")


def test_zero_and_is_zero() -> None:
    assert Money.zero("EUR") == Money.of(0, "EUR")
    assert Money.zero("EUR").is_zero()
    assert not Money.of("0.01", "EUR").is_zero()


def test_sum_money_totals_and_empty_is_zero() -> None:
    items = [Money.of("1.10", "USD"), Money.of("2.20", "USD"), Money.of("-0.30", "USD")]

    assert sum_money(items, "USD") == Money.of("3.00", "USD")
    assert sum_money([], "usd") == Money.zero("USD")


def test_sum_money_refuses_a_foreign_item() -> None:
    with pytest.raises(CurrencyMismatch, match="USD and EUR"):
        sum_money([Money.of(1, "USD"), Money.of(1, "EUR")], "USD")


def test_allocate_gives_leftover_cents_to_the_largest_remainders() -> None:
    # given 100 EUR split in three equal parts / when allocated
    parts = Money.of(100, "EUR").allocate([1, 1, 1])

    # then the first part takes the leftover cent and nothing is lost
    assert parts == [Money.of("33.34", "EUR"), Money.of("33.33", "EUR"), Money.of("33.33", "EUR")]


def test_allocate_with_uneven_decimal_ratios() -> None:
    # given 0.05 USD split 70/20/10: exact shares 3.5, 1.0, 0.5 cents
    parts = Money.of("0.05", "USD").allocate([Decimal("0.7"), Decimal("0.2"), Decimal("0.1")])

    # then floors are 3, 1, 0 and the one leftover cent goes to the largest remainder (ties: first)
    assert parts == [Money.of("0.04", "USD"), Money.of("0.01", "USD"), Money.of("0.00", "USD")]


def test_allocate_negative_amount_mirrors_positive() -> None:
    parts = Money.of("-0.05", "USD").allocate([1, 1, 1])

    assert parts == [Money.of("-0.02", "USD"), Money.of("-0.02", "USD"), Money.of("-0.01", "USD")]


def test_allocate_zero_ratio_gets_nothing() -> None:
    parts = Money.of(10, "JPY").allocate([1, 0, 2])

    assert parts == [Money.of(3, "JPY"), Money.of(0, "JPY"), Money.of(7, "JPY")]


@pytest.mark.parametrize(
    ("ratios", "message"),
    [
        ([], "at least one ratio"),
        ([1, -1], "must not be negative"),
        ([0, 0], "must not all be zero"),
        ([0.5, 0.5], "ratio must be a Decimal, int or str, not float"),
    ],
)
def test_allocate_refuses_bad_ratios(ratios: list[int], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Money.of(1, "USD").allocate(ratios)


def test_str_groups_thousands_and_shows_minor_units() -> None:
    assert str(Money.of("1234.5", "USD")) == "USD 1,234.50"
    assert str(Money.of("1234.5", "JPY")) == "JPY 1,235"
    assert str(Money.of("-1234567.891", "BHD")) == "BHD -1,234,567.891"


@given(cents, cents, cents)
def test_addition_is_associative_and_commutative(a: int, b: int, c: int) -> None:
    x, y, z = usd(a), usd(b), usd(c)

    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert (x + y).amount == Decimal(a + b).scaleb(-2)


@given(cents, st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8))
def test_allocate_never_loses_a_minor_unit(amount: int, ratios: list[int]) -> None:
    if sum(ratios) == 0:
        ratios = [*ratios[:-1], 1]
    money = usd(amount)

    parts = money.allocate(ratios)

    assert sum_money(parts, "USD") == money
    assert len(parts) == len(ratios)
    assert all(part.is_zero() for part, ratio in zip(parts, ratios, strict=True) if ratio == 0)
