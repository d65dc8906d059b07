"""How `revdesk demo` reads its options: whole numbers, dates and the supported scale."""

from __future__ import annotations

from datetime import date

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.demo.cli import iso_day, whole_number
from revdesk.demo.service import check_scale


@pytest.mark.parametrize(
    ("text", "value"), [("20000", 20_000), ("1,000,000", 10**6), ("1_000", 1000)]
)
def test_whole_numbers_may_be_grouped(text: str, value: int) -> None:
    assert whole_number(text, "--scale") == value


@pytest.mark.parametrize("text", ["abc", "-5", "1.5", "1e6", "", "1,00"])
def test_anything_else_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match=f"--seed must be a whole number, not {text!r}"):
        whole_number(text, "--seed")


def test_the_scale_must_be_between_100_and_ten_million() -> None:
    assert check_scale(100) == 100
    assert check_scale(10_000_000) == 10_000_000
    with pytest.raises(InvalidInput, match="between 100 and 10,000,000 opportunities, not 99"):
        check_scale(99)
    with pytest.raises(InvalidInput, match="not 10,000,001"):
        check_scale(10_000_001)


def test_today_is_an_iso_date() -> None:
    assert iso_day(" 2026-11-23 ") == date(2026, 11, 23)
    with pytest.raises(
        InvalidInput, match="--today must be a date as YYYY-MM-DD, not '23/11/2026'"
    ):
        iso_day("23/11/2026")
