"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser) -> None:
    """``--long``: many more crash iterations and hypothesis examples (not for CI)."""
    parser.addoption("--long", action="store_true", default=False,
                     help="run the fault, crash and property suites at full size (slow)")


@pytest.fixture(scope="session")
def long_run(request) -> bool:
    """True when the run was started with ``--long``."""
    return bool(request.config.getoption("--long"))


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The real recorded source responses (``shared/fixtures/real`` beside the repository)."""
    return Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
