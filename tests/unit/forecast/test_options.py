"""Option parsing of `revdesk forecast`: methods and amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.forecast.cli import _amount
from revdesk.forecast.model import Method
from revdesk.forecast.run import parse_methods


def test_all_means_every_method_in_order() -> None:
    assert parse_methods("all") == list(Method)
    assert parse_methods("markov, stage_weighted") == [Method.STAGE_WEIGHTED, Method.MARKOV]


def test_an_unknown_method_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput, match="unknown method") as caught:
        parse_methods("markov,magic")

    assert "stage_weighted" in caught.value.message
    assert caught.value.where == "--method"


def test_amounts_accept_thousands_separators_and_refuse_words() -> None:
    assert _amount("1,250.50", "--commit") == Decimal("1250.50")
    with pytest.raises(InvalidInput, match="'lots' is not an amount"):
        _amount("lots", "--commit")
    with pytest.raises(InvalidInput, match="not an amount"):
        _amount("NaN", "--commit")
