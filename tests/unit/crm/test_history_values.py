"""The text form of tracked values in history, and its inverse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import ForecastCategory, TrackedField
from revdesk.crm.service import decode_value, encode_value


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        (TrackedField.AMOUNT, Decimal("1.23445"), "1.2345"),  # half-up, like the amount column
        (TrackedField.AMOUNT, Decimal(12500), "12500.0000"),
        (TrackedField.CLOSE_DATE, date(2027, 1, 31), "2027-01-31"),
        (TrackedField.OWNER, 17, "17"),
        (TrackedField.FORECAST_CATEGORY, ForecastCategory.BEST_CASE, "best_case"),
        (TrackedField.STAGE, "Proposal", "Proposal"),
        (TrackedField.AMOUNT, None, None),
    ],
)
def test_values_encode_to_their_history_text(
    field: TrackedField, value: object, text: str | None
) -> None:
    assert encode_value(field, value) == text


def test_decoding_inverts_encoding() -> None:
    assert decode_value(TrackedField.AMOUNT, "1.2345") == Decimal("1.2345")
    assert decode_value(TrackedField.CLOSE_DATE, "2027-01-31") == date(2027, 1, 31)
    assert decode_value(TrackedField.OWNER, "17") == 17
    assert decode_value(TrackedField.FORECAST_CATEGORY, "commit") is ForecastCategory.COMMIT


def test_an_unreadable_value_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="cannot read 'soon' as close_date"):
        decode_value(TrackedField.CLOSE_DATE, "soon")
