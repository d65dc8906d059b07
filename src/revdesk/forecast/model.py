"""The vocabulary of forecasting: methods, their common result, submissions.

Every method returns a `MethodResult`, whether it ran or was left out:

    >>> MethodResult.skipped(Method.MARKOV, "only 12 stage changes before the as-of moment").ran
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "CENTS",
    "Method",
    "MethodResult",
    "SubmissionKind",
    "money",
]

CENTS: Final = Decimal("0.01")


class Method(StrEnum):
    """A forecasting method, in the order they are shown."""

    STAGE_WEIGHTED = "stage_weighted"
    CONVERSION = "conversion"
    MARKOV = "markov"
    WIN_PROBABILITY = "win_probability"
    SUBMITTED = "submitted"

    @property
    def heading(self) -> str:
        """A human name for tables and charts."""
        return _TITLES[self]


_TITLES: Final = {
    Method.STAGE_WEIGHTED: "Stage-weighted pipeline",
    Method.CONVERSION: "Historical conversion",
    Method.MARKOV: "Stage transitions (Markov)",
    Method.WIN_PROBABILITY: "Win probability (model)",
    Method.SUBMITTED: "Submitted call",
}


class SubmissionKind(StrEnum):
    """A call a user makes for their own tree, or a manager's override of someone's call."""

    SUBMIT = "submit"
    OVERRIDE = "override"


def money(value: float | Decimal) -> Decimal:
    """A forecast figure as Decimal, rounded half-up to cents."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return exact.quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, eq=False)
class MethodResult:
    """What one method forecasts for one period as of one moment.

    `point` is the expected won amount in the base currency. `p10`, `p50` and `p90` are
    quantiles of the simulated distribution (methods without one leave them None).
    `best_case` is the submitted best case (submitted calls only). `probabilities` has one row
    per deal open at the moment (`id`, `p`: the probability that the deal is won inside the
    period), for Brier scores and calibration; `samples` are the simulated totals, for charts.
    """

    method: Method
    point: Decimal | None = None
    p10: Decimal | None = None
    p50: Decimal | None = None
    p90: Decimal | None = None
    best_case: Decimal | None = None
    probabilities: pl.DataFrame | None = None
    samples: npt.NDArray[np.float64] | None = None
    skipped_reason: str | None = None
    note: str = ""

    @classmethod
    def skipped(cls, method: Method, reason: str) -> MethodResult:
        """A method left out, with the reason."""
        return cls(method, skipped_reason=reason)

    @property
    def ran(self) -> bool:
        """True when the method produced a forecast."""
        return self.skipped_reason is None and self.point is not None


def quantiles(
    samples: npt.NDArray[np.float64],
) -> tuple[Decimal, Decimal, Decimal]:
    """P10, P50 and P90 of simulated totals."""
    low, mid, high = np.quantile(samples, [0.1, 0.5, 0.9])
    return money(float(low)), money(float(mid)), money(float(high))
