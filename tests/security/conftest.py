"""Fixtures of the security suite, and the figures it prints at the end of a run.

``pytest --long`` (declared in ``tests/conftest.py``) makes the fuzzing runs try many more
inputs; the section "KetaWatch security figures" says how many were tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from web_corpus import build_corpus, study_id_of

from digest.build import build_week
from digest.weeks import parse_week
from index.search import close_searchers
from ketawatch.model import Study
from ketawatch.store import open_store
from ketawatch.web import create_app

from . import support

#: the week the hostile study was first seen in (web_corpus ingests extras on 2024-06-04)
DIGEST_WEEK = "2024-W23"


def pytest_configure(config) -> None:
    """Tell the fuzzers whether this is a ``--long`` run."""
    support.LONG = bool(config.getoption("long", default=False))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print how many inputs the fuzzers and tables of this run tried."""
    if not support.FIGURES:
        return
    terminalreporter.section("KetaWatch security figures")
    for name in sorted(support.FIGURES):
        terminalreporter.write_line(f"{name}: {support.FIGURES[name]}")


@dataclass
class SearchWorld:
    """The session's corpus, index, subscribers and digest (see ``support``)."""

    config: Any
    app: Any
    study_id: int
    hostile_id: int
    merged_id: int
    confirmed: Any
    week: str = DIGEST_WEEK


@pytest.fixture(scope="session")
def search_world(tmp_path_factory) -> SearchWorld:
    """Build the corpus (plus the hostile study) once for the whole suite."""
    config = build_corpus(tmp_path_factory.mktemp("security"), extra=[support.hostile_study()])
    mp = pytest.MonkeyPatch()
    mp.setenv("KETAWATCH_FAKE_NOW", "2024-06-05T12:00:00Z")
    try:
        with open_store(config) as store:
            # a merged-away id, so the one redirect of the app has something to do
            store.ingest([(Study(source="pubmed", source_id="34000001", pmid="34000001",
                                 doi="10.1000/merge.1", title="Ketamine merge probe"), None)])
            store.ingest([(Study(source="medrxiv", source_id="10.1101/2024.06.01.9",
                                 preprint_dois=["10.1101/2024.06.01.9"], preprint=True,
                                 title="Ketamine merge probe preprint"), None)])
            store.ingest([(Study(source="medrxiv", source_id="10.1101/2024.06.01.9",
                                 preprint_dois=["10.1101/2024.06.01.9"], preprint=True,
                                 published_doi="10.1000/merge.1",
                                 title="Ketamine merge probe preprint"), None)])
            merged = store.merged_away_since(0)[-1]
            confirmed, _ = store.add_subscriber("reader@example.org", name="Reader",
                                                confirmed=True)
            build_week(config, store, parse_week(DIGEST_WEEK))
    finally:
        mp.undo()
    world = SearchWorld(config=config, app=create_app(config),
                        study_id=study_id_of(config, "pmid", "30000001"),
                        hostile_id=study_id_of(config, "pmid", support.HOSTILE_PMID),
                        merged_id=merged, confirmed=confirmed)
    yield world
    close_searchers()


@pytest.fixture
def mail_world(tmp_path, monkeypatch):
    """A fresh store, a recording SMTP server on 127.0.0.1 and an app, at a pinned time."""
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")
    with support.open_mail_world(tmp_path / "home") as world:
        yield world
