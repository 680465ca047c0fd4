"""The PubMed crawl job end to end: replay server -> Bio.Entrez -> parse -> tag -> store."""

from __future__ import annotations

from datetime import date

import pytest

from crawlers.pubmed_job import crawl_pubmed
from crawlers.pubmed_xml import parse_efetch
from ketawatch.config import load_config
from ketawatch.replay.eutils import EutilsHandler, articles_from_efetch_files
from ketawatch.replay.server import ReplayServer, Response
from ketawatch.store import Store

EFETCH_FILES = ("biopython_pubmed*.xml", "metapub_efetch_pmid_*.xml",
                "meta_harness_efetch_esketamine_3articles.xml")


@pytest.fixture
def real_articles(real_fixtures):
    paths = sorted(p for pattern in EFETCH_FILES for p in (real_fixtures / "pubmed").glob(pattern))
    return articles_from_efetch_files(paths)


def _config(tmp_path, server):
    return load_config(home=tmp_path, env={}).with_overrides(
        pubmed_url=server.url + "eutils/", request_delay=0.0)


def test_every_real_article_is_stored_once_and_rerun_adds_nothing(tmp_path, real_articles):
    expected = {a.pmid for a in real_articles}
    with ReplayServer({"eutils/": EutilsHandler(real_articles)}) as server:
        config = _config(tmp_path, server)
        store = Store(config.db_path)
        first = crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26),
                             batch_size=7)
        assert first.ok, first.errors
        assert first.new == len(expected)
        stored = {s.study.pmid for s in store.iter_studies()}
        assert stored == expected
        # the three esketamine RCTs carry their trial numbers and tags
        sustain = store.find_study("pmid", "31166571").study
        assert sustain.nct_ids == ["NCT02493868"]
        assert "esketamine" in sustain.drugs and sustain.design == "rct"
        assert sustain.doi == "10.1001/jamapsychiatry.2019.1189"
        again = crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26),
                             batch_size=7)
        assert again.ok and again.new == 0 and again.updated == 0
        assert again.unchanged == len(expected)
        assert store.count_studies() == len({s.id for s in store.iter_studies()})
        assert store.integrity_check() == []
        state = store.crawl_state("pubmed")
        assert state.last_until == "2026-11-26" and state.cursor is None


def test_incremental_run_starts_where_the_last_ended(tmp_path, real_articles):
    with ReplayServer({"eutils/": EutilsHandler(real_articles)}) as server:
        config = _config(tmp_path, server)
        store = Store(config.db_path)
        crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26))
        server.requests.clear()
        crawl_pubmed(config, store, until=date(2026, 11, 27))
        search = [r for r in server.requests if "esearch" in r.path][0]
        assert search.param("mindate") == "2026/11/25"


def test_malformed_batch_is_reported_and_the_rest_stored(tmp_path, real_articles):
    calls = {"n": 0}

    def faults(request):
        if "efetch" in request.path and request.param("retstart") == "5":
            calls["n"] += 1
            return Response(200, {"Content-Type": "text/xml"}, b"<PubmedArticleSet><Pubmed")
        return None

    with ReplayServer({"eutils/": EutilsHandler(real_articles)}, faults=faults) as server:
        config = _config(tmp_path, server)
        store = Store(config.db_path)
        result = crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26),
                              batch_size=5)
        assert not result.ok and result.failed == 1
        assert result.new == len(real_articles) - 5
        assert store.crawl_state("pubmed").last_until is None  # the window is not done
        # the next run (the source healthy again) finishes the job
        server.faults = None
        retry = crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26),
                             batch_size=5)
        assert retry.ok and retry.new == 5
        assert store.crawl_state("pubmed").last_until == "2026-11-26"


def test_empty_answer_loses_nothing(tmp_path, real_articles):
    with ReplayServer({"eutils/": EutilsHandler(real_articles)}) as server:
        config = _config(tmp_path, server)
        store = Store(config.db_path)
        crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26))
        before = store.count_studies()
        server.routes["eutils/"] = EutilsHandler([])
        result = crawl_pubmed(config, store, until=date(2026, 11, 28))
        assert result.ok and result.new == 0
        assert store.count_studies() == before


def test_parse_and_store_agree_on_fixture_count(real_fixtures):
    data = (real_fixtures / "pubmed" / "meta_harness_efetch_esketamine_3articles.xml").read_bytes()
    records, errors = parse_efetch(data)
    assert len(records) == 3 and errors == []


def test_tagging_in_worker_processes_stores_what_inline_tagging_stores(tmp_path, real_articles,
                                                                       monkeypatch):
    """Large batches are prepared in worker processes; the store must not tell the difference."""
    from crawlers import prepare_pool

    monkeypatch.setattr(prepare_pool, "MIN_POOLED_BATCH", 1)  # pool even these small batches
    stores = {}
    with ReplayServer({"eutils/": EutilsHandler(real_articles)}) as server:
        for workers in (0, 2):
            home = tmp_path / f"workers{workers}"
            config = _config(home, server).with_overrides(prepare_workers=workers)
            store = Store(config.db_path)
            result = crawl_pubmed(config, store, since=date(1900, 1, 1),
                                  until=date(2026, 11, 26), batch_size=7)
            assert result.ok, result.errors
            assert result.new == len({a.pmid for a in real_articles})
            assert store.integrity_check() == []
            stores[workers] = {s.study.pmid: s.study.fields_view() for s in store.iter_studies()}
    assert stores[2] == stores[0]
    tagged = [s for s in stores[2].values() if s["conditions"] and s["design"]]
    assert len(tagged) >= 5  # the comparison covers tagged records, not only empty ones


def test_a_killed_crawl_leaves_no_tagging_worker_behind(tmp_path):
    """SIGKILL of a crawl whose batches go to worker processes: the workers exit too, and the
    next run finishes the window with a sound store."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from ketawatch.replay.eutils import ReplayArticle
    from ketawatch.sample import generate

    corpus = generate(1500, seed=3)
    articles = [ReplayArticle(a.pmid, a.edat, a.xml) for a in corpus.pubmed]
    assert len(articles) >= 1000  # two full batches of 500: both go to the workers
    with ReplayServer({"eutils/": EutilsHandler(articles)}) as server:
        env = dict(os.environ, KETAWATCH_HOME=str(tmp_path), KETAWATCH_REQUEST_DELAY="0",
                   KETAWATCH_PUBMED_URL=server.url + "eutils/", KETAWATCH_PREPARE_WORKERS="2")
        command = [sys.executable, "-m", "ketawatch", "crawl", "--source", "pubmed",
                   "--since", "1990-01-01"]
        crawl = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        workers: list[str] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = subprocess.run(["pgrep", "-P", str(crawl.pid)], capture_output=True,
                                     text=True).stdout.split()
        assert len(workers) >= 2, "the crawl never started its workers"
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(pid) for pid in workers):
            time.sleep(0.1)
        assert not any(_running(pid) for pid in workers), "workers outlived the crawl"
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stdout + again.stderr
    store = Store(tmp_path / "ketawatch.sqlite3")
    assert store.integrity_check() == []
    assert {s.study.pmid for s in store.iter_studies()} >= {a.pmid for a in articles}


def _running(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_refused_fetch_stores_every_batch_handed_over_before_it(tmp_path, real_articles):
    """Two batches are with the workers when a fetch fails: both are stored, in order, and the
    cursor says the next run starts at the refused one."""
    assert len(real_articles) > 12

    def faults(request):
        if "efetch" in request.path and request.param("retstart") == "10":
            return Response(200, {"Content-Type": "text/xml"},
                            b"<eFetchResult><ERROR>Cannot retrieve history data</ERROR>"
                            b"</eFetchResult>")
        return None

    handler = EutilsHandler(real_articles)
    first_ten = {a.pmid for a in handler.articles[:10]}
    with ReplayServer({"eutils/": handler}, faults=faults) as server:
        config = _config(tmp_path, server)
        store = Store(config.db_path)
        result = crawl_pubmed(config, store, since=date(1900, 1, 1), until=date(2026, 11, 26),
                              batch_size=5)
        assert not result.ok and "Cannot retrieve history data" in result.errors[0]
        assert result.new == 10
        assert {s.study.pmid for s in store.iter_studies()} == first_ten
        state = store.crawl_state("pubmed")
        assert state.cursor == "10" and state.last_until is None
