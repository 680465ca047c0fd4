"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The real recorded source responses (``shared/fixtures/real`` beside the repository)."""
    return Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
