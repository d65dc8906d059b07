"""A small demo company generated in memory (no database), shared by the unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from revdesk.core.fiscal import FiscalCalendar
from revdesk.demo.generator import CompanyFrames, generate_frames
from revdesk.demo.model import DemoParameters
from revdesk.demo.timeline import World, window_start

TODAY = date(2026, 11, 23)
Make = Callable[..., CompanyFrames]


def _make(scale: int, *, seed: int = 7, batch_size: int = 250) -> CompanyFrames:
    params = replace(DemoParameters(), batch_size=batch_size)
    world = World(scale, TODAY, window_start(TODAY, FiscalCalendar(), 12), 2, "USD")
    return generate_frames(world, params, seed=seed)


@pytest.fixture(scope="session")
def make_company() -> Make:
    """Generate a company of `scale` opportunities (seed 7, batches of 250, today 2026-11-23)."""
    return _make


@pytest.fixture(scope="session")
def company() -> CompanyFrames:
    """600 opportunities in three batches (250, 250, 100)."""
    return _make(600)
