"""Building and updating the index from the store: incremental runs, merges, rebuilds, locks."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage

from index.build import (
    CURRENT_FILE,
    LOCK_NAME,
    current_generation,
    read_marker,
    update_index,
)
from index.schema import SCHEMA_VERSION
from index.search import SearchRequest, close_searchers, open_searcher
from ketawatch.cli import main
from ketawatch.config import load_config
from ketawatch.errors import KetaWatchError, LockedError
from ketawatch.model import Study
from ketawatch.store import open_store


def _article(pmid: str, title: str, **kw) -> Study:
    base = dict(source="pubmed", source_id=pmid, pmid=pmid, title=title,
                abstract=f"{title}. Ketamine was studied.", pub_date="2022-01-01",
                drugs=["ketamine"], conditions=["depression"], design="rct", human=True)
    base.update(kw)
    return Study(**base)


@pytest.fixture
def config(tmp_path):
    yield load_config(home=tmp_path, env={})
    close_searchers()


def _ids(config, query: str = "") -> list[int]:
    return open_searcher(config).search_ids(SearchRequest(query=query))


def test_first_run_builds_the_index_and_records_the_revision(config):
    with open_store(config) as store:
        store.ingest([(_article("1", "Ketamine for depression"), None),
                      (_article("2", "Esketamine nasal spray"), None)])
        stats = update_index(config, store)
        assert stats.rebuilt and stats.reason == "missing"
        assert (stats.added, stats.updated, stats.deleted, stats.total) == (2, 0, 0, 2)
        assert store.get_meta("indexed_rev") == str(store.rev)
    assert read_marker(current_generation(config.index_path))["indexed_rev"] == stats.indexed_rev
    assert sorted(_ids(config)) == [1, 2]


def test_incremental_update_adds_changes_and_deletes_merged_studies(config):
    with open_store(config) as store:
        store.ingest([(_article("1", "Ketamine for depression"), None),
                      (_article("2", "Esketamine nasal spray", doi="10.1/esk"), None)])
        update_index(config, store)
        gen = current_generation(config.index_path)
        searcher = open_searcher(config)
        assert searcher.search(SearchRequest(query="arketamine")).total == 0

        # nothing changed: nothing to do
        stats = update_index(config, store)
        assert (stats.added, stats.updated, stats.deleted, stats.rebuilt) == (0, 0, 0, False)

        # one new study, one changed study
        store.ingest([(_article("3", "Arketamine in mice", design="preclinical"), None),
                      (_article("1", "Ketamine for bipolar depression"), None)])
        stats = update_index(config, store)
        assert (stats.added, stats.updated, stats.deleted) == (1, 1, 0)
        assert current_generation(config.index_path) == gen  # updated in place
        # the cached searcher sees the commit without being reopened by hand
        assert searcher.search(SearchRequest(query="arketamine")).total == 1
        assert searcher.search(SearchRequest(query="bipolar")).total == 1

        # a preprint that shares a DOI with study 2 and a PMID with study 3 merges them
        store.ingest([(Study(source="medrxiv", source_id="10.1101/x", doi="10.1101/x",
                             preprint_dois=["10.1101/x"], published_doi="10.1/esk",
                             title="Esketamine nasal spray preprint", preprint=True,
                             design="rct"), None)])
        store.ingest([(_article("3", "Arketamine in mice", design="preclinical",
                                doi="10.1/esk"), None)])
        merged_away = store.merged_away_since(0)
        assert merged_away
        stats = update_index(config, store)
        assert stats.deleted == len(merged_away)
        remaining = {s.id for s in store.iter_studies()}
    assert set(_ids(config)) == remaining
    assert searcher.doc_count == len(remaining)


def test_retraction_mark_reaches_the_index(config):
    with open_store(config) as store:
        store.ingest([(_article("1", "Ketamine trial", doi="10.1/r"), None)])
        update_index(config, store)
        store.add_marks([{"kind": "doi", "value": "10.1/r", "mark": "retracted",
                          "by_source": "crossref:10.1/notice"}])
        stats = update_index(config, store)
        assert stats.updated == 1
    searcher = open_searcher(config)
    assert searcher.search(SearchRequest(query="ketamine")).results[0].retracted
    assert searcher.search(SearchRequest(query="ketamine", hide_retracted=True)).total == 0


def test_rebuild_swaps_in_a_fresh_generation_while_searches_continue(config):
    with open_store(config) as store:
        store.ingest([(_article(str(i), f"Ketamine study {i}"), None) for i in range(1, 31)])
        update_index(config, store)
        old = current_generation(config.index_path)
        searcher = open_searcher(config)
        assert searcher.search(SearchRequest(query="ketamine")).total == 30

        errors: list[BaseException] = []
        stop = threading.Event()

        def keep_searching():
            while not stop.is_set():
                try:
                    assert searcher.search(SearchRequest(query="ketamine")).total == 30
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

        thread = threading.Thread(target=keep_searching)
        thread.start()
        try:
            for _ in range(3):
                stats = update_index(config, store, rebuild=True)
                assert stats.rebuilt and stats.reason == "asked" and stats.added == 30
        finally:
            stop.set()
            thread.join()
        assert not errors
    new = current_generation(config.index_path)
    assert new != old and not old.exists()  # generations older than the previous are removed
    generations = [p for p in Path(config.index_path).iterdir() if p.name.startswith("g-")]
    assert len(generations) == 2
    assert searcher.search(SearchRequest(query="ketamine")).total == 30


def test_missing_or_corrupt_index_is_rebuilt_from_the_store(config):
    with open_store(config) as store:
        store.ingest([(_article("1", "Ketamine for depression"), None)])
        update_index(config, store)
        gen = current_generation(config.index_path)
        for path in gen.iterdir():
            if path.suffix in (".seg", ".toc") or path.name.startswith("_MAIN"):
                path.write_bytes(b"garbage")
        stats = update_index(config, store)
        assert stats.rebuilt and stats.reason == "corrupt" and stats.total == 1

        shutil.rmtree(config.index_path)
        stats = update_index(config, store)
        assert stats.rebuilt and stats.reason == "missing" and stats.total == 1

        # an index that claims a later revision than the store belongs to another store
        (current_generation(config.index_path) / "ketawatch.json").write_text(
            json.dumps({"schema": SCHEMA_VERSION, "indexed_rev": 999999}))
        assert update_index(config, store).reason == "index newer than store"
    assert _ids(config) == [1]


def test_a_second_writer_waits_briefly_then_gets_a_clear_error(config, monkeypatch):
    monkeypatch.setattr("index.build.LOCK_TIMEOUT", 0.2)
    with open_store(config) as store:
        store.ingest([(_article("1", "Ketamine"), None)])
        update_index(config, store)
        lock = FileStorage(str(config.index_path)).lock(LOCK_NAME)
        assert lock.acquire()
        try:
            with pytest.raises(LockedError, match="another ketawatch process is writing"):
                update_index(config, store)
        finally:
            lock.release()
        assert update_index(config, store).rebuilt is False


def test_search_without_an_index_says_how_to_build_it(config):
    with pytest.raises(KetaWatchError, match="run `ketawatch index`"):
        open_searcher(config)


def test_index_command_prints_what_it_did(config, capsys):
    pytest.importorskip("ketawatch.commands.serve", reason="the CLI needs every subcommand module")
    with open_store(config) as store:
        store.ingest([(_article("1", "Ketamine"), None), (_article("2", "Esketamine"), None)])
    assert main(["--home", str(config.home_path), "index"]) == 0
    assert "index rebuilt (missing): 2 added" in capsys.readouterr().out
    assert main(["--home", str(config.home_path), "index"]) == 0
    assert "index updated: 0 added, 0 updated, 0 deleted; 2 studies" in capsys.readouterr().out
    assert main(["--home", str(config.home_path), "index", "--rebuild"]) == 0
    assert "index rebuilt (asked): 2 added" in capsys.readouterr().out
    assert (Path(config.index_path) / CURRENT_FILE).exists()


def test_parallel_rebuild_joins_the_workers_segments(config, monkeypatch):
    monkeypatch.setattr("index.build.MULTIPROC_MIN_DOCS", 10)
    monkeypatch.setattr("index.build.MAX_PROCS", 2)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    with open_store(config) as store:
        store.ingest([(_article(str(i), f"Ketamine study {i}"), None) for i in range(1, 41)])
        stats = update_index(config, store, rebuild=True)
        assert stats.added == 40
        gen = current_generation(config.index_path)
        assert not [p for p in gen.iterdir() if p.name.startswith("part-")]
        assert sorted(_ids(config, "ketamine")) == list(range(1, 41))
        # the joined index takes incremental updates like any other
        store.ingest([(_article("41", "Esketamine study"), None)])
        assert update_index(config, store).added == 1
    assert open_searcher(config).search(SearchRequest(query="ketamine")).total == 41
