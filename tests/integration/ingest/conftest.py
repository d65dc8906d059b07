"""Fixtures of the import tests: the shared sample data and the importer's own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest_support import DATA, DEVORG, MAVEN


@pytest.fixture
def devorg() -> Path:
    """The Salesforce dev-org sample (Data Loader dialect)."""
    return DEVORG


@pytest.fixture
def maven() -> Path:
    """The Maven CRM data set."""
    return MAVEN


@pytest.fixture
def data() -> Path:
    """The importer's own test files."""
    return DATA
