"""Monte Carlo of a period's won amount: which open deals are won, in what kind of quarter.

A method gives every open deal a probability p of being won inside the period. Quarters do not
go as expected deal by deal, independently: a strong or weak quarter moves them together. So
each run first draws a *quarter effect* d, a shift of every deal's log-odds, then wins each deal
independently with probability sigmoid(logit p + d) (a Poisson-binomial draw), and adds an amount
for deals not created yet, drawn from what past quarters won from deals created after the same
offset into them:

    total = won so far + Σ value of the deals won + amount from deals not yet created

The quarter effects come from the method's own record: for each past quarter, the shift that
would have made its probabilities for the deals open at the same offset into that quarter add
up (in value) to what those deals actually won (`quarter_effect`). A new quarter's effect is
taken as one more draw from the same spread: Student's t with n - 1 degrees of freedom, scaled
by the effects' standard deviation × sqrt(1 + 1/n), centred on 0 so that the distribution stays
around the method's own expectation (the predictive interval of a normal sample of n; with few
quarters it is wide, as it should be). The measured effects also carry the luck of which deals
happened to win, which the simulation draws again; that part of their variance is taken out
(`effect_noise`), else small companies would get intervals twice too wide. The t distribution
is drawn at `LEVELS` fixed quantiles, so each level's probabilities are computed once.
Everything is vectorised and seeded: the same inputs give the same quantiles.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "LEVELS",
    "RUNS",
    "SEED",
    "effect_noise",
    "logit",
    "quarter_effect",
    "sigmoid",
    "simulate",
    "spread",
]

RUNS: Final = 2_000
SEED: Final = 20_270_201
LEVELS: Final = 41
MAX_EFFECT: Final = 4.0  # log-odds; a quarter that won nothing would otherwise be -infinity
_CELLS: Final = 4_000_000  # uniform draws held in memory at once
Floats = npt.NDArray[np.float64]


def logit(p: Floats) -> Floats:
    """log(p / (1 - p)), with p kept inside (1e-6, 1 - 1e-6)."""
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=np.float64)


def sigmoid(x: Floats) -> Floats:
    """1 / (1 + exp(-x))."""
    return np.asarray(1 / (1 + np.exp(-x)), dtype=np.float64)


def quarter_effect(p: Floats, values: Floats, target: float) -> float:
    """The shift d with Σ sigmoid(logit p + d) × value = target, within ±MAX_EFFECT."""
    low, high = -MAX_EFFECT, MAX_EFFECT
    base = logit(p)
    for _ in range(50):
        middle = (low + high) / 2
        if float(sigmoid(base + middle) @ values) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def effect_noise(p: Floats, values: Floats, shift: float) -> float:
    """Variance of a measured quarter effect that is only the luck of which deals were won.

    Near the shift, the won value has variance Σ q(1 - q) v² and moves by Σ q(1 - q) v per unit
    of log-odds (q the shifted probabilities), so luck alone moves the measured effect by about
    sqrt(Σ q(1 - q) v²) / Σ q(1 - q) v.
    """
    q = sigmoid(logit(p) + shift)
    weight = q * (1 - q)
    slope = float(weight @ values)
    return float(weight @ values**2) / slope**2 if slope > 0 else 0.0


def spread(effects: Floats, noise: Floats | None = None, *, seed: int = SEED) -> Floats:
    """`LEVELS` equally likely quarter effects for a new quarter, given past ones (centred).

    `noise` holds each past effect's variance due to luck alone (`effect_noise`); it is taken
    out of the effects' variance, because the simulation draws that luck again deal by deal.
    """
    n = effects.size
    if n < 2:
        return np.zeros(1)
    luck = float(np.mean(noise)) if noise is not None and noise.size else 0.0
    variance = float(np.var(effects, ddof=1)) - luck
    if variance <= 1e-12:
        return np.zeros(1)
    scale = np.sqrt(variance) * np.sqrt(1 + 1 / n)
    draws = np.random.default_rng(seed).standard_t(n - 1, size=20_000)
    quantiles = np.quantile(draws, (np.arange(LEVELS) + 0.5) / LEVELS)
    levels = (quantiles - quantiles[::-1]) / 2  # exactly symmetric around 0
    return np.asarray(np.clip(scale * levels, -MAX_EFFECT, MAX_EFFECT), dtype=np.float64)


def simulate(
    base: float,
    values: Floats,
    probabilities: Floats,
    extra: Floats,
    *,
    shifts: Floats | None = None,
    runs: int = RUNS,
    seed: int = SEED,
) -> Floats:
    """Simulated totals; each run draws a shift of log-odds and an `extra` amount uniformly."""
    levels = np.zeros(1) if shifts is None else shifts
    if values.shape != probabilities.shape or extra.size == 0:
        raise ValueError("probabilities must match values, and extra needs an amount")
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, levels.size, size=runs)
    totals = base + extra[rng.integers(0, extra.size, size=runs)]
    live = np.flatnonzero(probabilities > 0)
    worth = values[live].astype(np.float64)
    odds = logit(probabilities[live])
    chunk = max(1, _CELLS // max(1, live.size))
    for level, shift in enumerate(levels):
        p = (probabilities[live] if shift == 0 else sigmoid(odds + shift)).astype(np.float32)
        members = np.flatnonzero(chosen == level)
        for start in range(0, members.size, chunk):
            rows = members[start : start + chunk]
            won = rng.random((rows.size, live.size), dtype=np.float32) < p
            totals[rows] += won @ worth
    return np.asarray(totals, dtype=np.float64)
