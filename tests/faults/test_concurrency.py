"""Two jobs at once: the job lock, the index writer lock, and searches during index updates.

- A second ``crawl`` or ``weekly`` while a crawl runs exits 1 with one clear line naming the
  data folder and the pid that holds it; ``weekly --wait`` waits for the lock and then runs.
- Index updates started at the same time never leave a broken index: each one waits for the
  writer lock or says that another process is writing.
- A search process keeps answering while another process rebuilds or updates the index: no
  exception, the same answers while the studies are unchanged, and after an update either the
  old or the new answer, never a mix and never going back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from index.search import Searcher, SearchRequest
from ketawatch.config import load_config
from ketawatch.replay.server import ReplayServer
from ketawatch.store import open_store

from . import support
from .support import cli_env, index_ids, ketawatch, kill_group, run, start, store_ids

LOCKED = ("Error: another KetaWatch job is running in {home} (pid {pid}); "
          "try again when it has finished")


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_second_job_is_refused_or_waits_while_a_crawl_runs(fault_world, tmp_path):
    home = (tmp_path / "home").resolve()
    # the first page of ClinicalTrials.gov is held back until the test releases it: the crawl
    # holds the job lock meanwhile, however slow this machine is
    release = threading.Event()

    def hook(request):
        if request.full_path.endswith("ctgov/studies") and not release.is_set():
            release.wait(60)
        return None

    with ReplayServer(fault_world.handlers(), faults=hook) as server:
        env = cli_env(server, KETAWATCH_FAKE_NOW=f"{fault_world.until.isoformat()}T12:00:00")
        first = start(ketawatch(home, "crawl", "--source", "clinicaltrials"), env)
        waiter = None
        try:
            _wait_for(lambda: server.requests_to("ctgov/studies"), 60, "the crawl to start")
            expected = LOCKED.format(home=home, pid=first.pid)
            for command in (("crawl", "--source", "pubmed"), ("crawl",),
                            ("weekly", "--no-crawl", "--dry-run")):
                second = run(ketawatch(home, *command), env)
                support.count("second jobs refused by the lock")
                assert second.returncode == 1, (command, second.stdout, second.stderr)
                assert second.stderr.strip().splitlines()[-1] == expected, second.stderr
                assert "Traceback" not in second.stderr
            waiter = start(ketawatch(home, "weekly", "--no-crawl", "--dry-run", "--wait", "120"),
                           env)
            time.sleep(2.0)
            assert first.poll() is None, "the first crawl ended too early for this test"
            assert waiter.poll() is None, "weekly --wait did not wait for the running crawl"
            release.set()
            out, err = first.communicate(timeout=120)
            assert first.returncode == 0, out + err
            out, err = waiter.communicate(timeout=120)
            support.count("jobs that waited for the lock")
            assert waiter.returncode == 0, out + err
            assert "another KetaWatch job" not in err
        finally:
            release.set()
            for proc in (first, waiter):
                if proc is not None and proc.poll() is None:
                    kill_group(proc)
    config = load_config(home=home, env={})
    with open_store(config) as store:
        assert store.source_counts().get("clinicaltrials") == len(fault_world.corpus.clinicaltrials)
        assert store.integrity_check() == []
    # the waiting weekly job ran after the crawl had stored its trials: its index holds them
    assert index_ids(config) == store_ids(config)


def test_index_updates_at_the_same_time_leave_one_good_index(seed_store, tmp_path):
    config = seed_store.config(tmp_path / "home")
    env = cli_env()
    assert run(ketawatch(config.home_path, "index"), env).returncode == 0
    with open_store(config) as store:
        store.ingest(seed_store.pending[0])
    procs = [start(ketawatch(config.home_path, *args), env)
             for args in (("index", "--rebuild"), ("index",), ("index", "--rebuild"))]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        # each one either waited for the writer lock and did its work, or said who holds it
        assert proc.returncode == 0 or "writing the search index" in err, out + err
        assert "Traceback" not in err
        support.count("concurrent index updates")
    assert index_ids(config) == store_ids(config)


QUERIES = ("ketamine depression", "esketamine", "design:rct", "", "suicid*", "ptsd OR ocd")


def test_searches_keep_working_while_another_process_updates_the_index(seed_store, tmp_path):
    config = seed_store.config(tmp_path / "home")
    env = cli_env()
    assert run(ketawatch(config.home_path, "index"), env).returncode == 0
    searcher = Searcher(Path(config.index_path))

    def answer(query: str) -> tuple[int, list[int]]:
        response = searcher.search(SearchRequest(query=query, per_page=20, facets=False))
        return response.total, [hit.id for hit in response.results]

    before = {q: answer(q) for q in QUERIES}
    seen: list[tuple[str, str, int, list[int]]] = []
    errors: list[BaseException] = []
    phase = ["rebuild"]
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            for query in QUERIES:
                try:
                    total, ids = answer(query)
                except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(exc)
                    return
                seen.append((phase[0], query, total, ids))
                support.count("searches during index updates")

    thread = threading.Thread(target=search_loop, daemon=True)
    thread.start()
    try:
        # the studies do not change: a rebuild must never change an answer
        for _ in range(2):
            done = run(ketawatch(config.home_path, "index", "--rebuild"), env)
            assert done.returncode == 0, done.stderr
        rebuilt_seen = len(seen)
        # new studies, then an incremental update: each answer is the old or the new one
        phase[0] = "update"
        with open_store(config) as store:
            store.ingest(seed_store.pending[0] + seed_store.pending[1])
        done = run(ketawatch(config.home_path, "index"), env)
        assert done.returncode == 0, done.stderr
        _wait_for(lambda: len(seen) > rebuilt_seen + 2 * len(QUERIES), 60, "more searches")
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, f"a search failed while the index changed: {errors[0]!r}"
    after = {q: answer(q) for q in QUERIES}
    searcher.close()
    assert index_ids(config) == store_ids(config)
    rebuild_answers = [s for s in seen if s[0] == "rebuild"]
    assert rebuild_answers, "no search ran during the rebuilds"
    for _, query, total, ids in rebuild_answers:
        assert (total, ids) == before[query], f"{query!r} changed during a rebuild"
    last_total: dict[str, int] = {}
    for _, query, total, _ids in (s for s in seen if s[0] == "update"):
        assert total in (before[query][0], after[query][0]), f"{query!r}: {total} is a mix"
        if last_total.get(query) == after[query][0]:
            assert total == after[query][0], f"{query!r} went back to the old answer"
        last_total[query] = total
    assert after["ketamine depression"][0] >= before["ketamine depression"][0]
