"""Fixtures of the fault, crash, concurrency and property suites, and the figures they report.

``pytest --long`` (option declared in ``tests/conftest.py``) runs many more crash iterations and
hypothesis examples; at the end of every run that includes these suites, one summary section
says how many faults were injected, crashes survived and inputs tried, and how each row of the
fault table ended.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ketawatch.config import load_config
from ketawatch.store import open_store

from . import support


def pytest_configure(config) -> None:
    """Tell the helpers (and the hypothesis example counts) whether this is a --long run."""
    support.LONG = bool(config.getoption("long", default=False))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the figures of this run (docs/reliability.md quotes those of a --long run)."""
    figures = dict(support.FIGURES)
    if not figures:
        return
    write = terminalreporter.write_line
    terminalreporter.section("KetaWatch fault/crash/property figures")
    for name in sorted(figures):
        if not name.startswith("table:"):
            write(f"{name}: {figures[name]}")
    rows = sorted(name[len("table:"):] for name in figures if name.startswith("table:"))
    if rows:
        write("fault table outcomes:")
        for row in rows:
            write(f"  {row}")


@pytest.fixture(scope="session")
def fault_world() -> support.FaultWorld:
    """The sample corpus the fault and crash tests crawl."""
    return support.FaultWorld()


@pytest.fixture(scope="session")
def scrapy_timeout():
    """Give the Scrapy crawl children a short download timeout (see scrapy_shim/)."""
    mp = pytest.MonkeyPatch()
    path = [str(support.SCRAPY_SHIM)]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    mp.setenv("PYTHONPATH", os.pathsep.join(path))
    mp.setenv("KETAWATCH_TEST_DOWNLOAD_TIMEOUT", str(support.CLIENT_TIMEOUT))
    yield support.CLIENT_TIMEOUT
    mp.undo()


class Seed:
    """A store of sample studies built once, copied into each test's data folder.

    ``pending`` holds more tagged records in chunks, for tests that add studies between index
    updates.
    """

    def __init__(self, db: Path, pending: list[list[tuple]]):
        self.db = db
        self.pending = pending

    def config(self, home: Path):
        """A data folder holding a copy of the seed store; returns its configuration."""
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.db, home / self.db.name)
        return load_config(home=home, env={})


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory) -> Seed:
    """About 330 studies in a store (no index yet) and three chunks of 25 more."""
    records = support.prepared_records(450)
    held_back = 75
    home = tmp_path_factory.mktemp("seed-store")
    config = load_config(home=home, env={})
    with open_store(config) as store:
        store.ingest(records[:-held_back])
    tail = records[-held_back:]
    return Seed(config.db_path, [tail[i:i + 25] for i in range(0, held_back, 25)])
