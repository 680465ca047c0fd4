"""Crash safety: ``ketawatch crawl`` and ``ketawatch index`` killed with SIGKILL at random points.

A killed run must leave a store that passes its integrity check and still holds everything it
held before; one ``ketawatch index`` must bring the search index back in line with the store
(the same study ids); and a re-run must complete. A final full crawl must then leave exactly
what a crawl that was never interrupted stores, record for record and study for study.

The kill takes the whole process group (the CLI and its Scrapy child), as a power cut or an
OOM kill of the job would. A few kills by default (CI), many more with ``pytest --long``; the
seed of the random kill points is in every failure message.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from crawlers.medrxiv_json import load_raw
from ketawatch.replay.server import ReplayServer
from ketawatch.store import open_store

from . import support
from .support import (
    check_consistent,
    cli_env,
    index_ids,
    ketawatch,
    kill_group,
    run,
    snapshot,
    start,
    store_ids,
)

CRAWLS = [("crawl",), ("crawl", "--source", "pubmed"), ("crawl", "--source", "clinicaltrials"),
          ("crawl", "--source", "medrxiv"), ("crawl", "--source", "europepmc")]


@pytest.fixture(scope="module")
def crawl_world(fault_world, tmp_path_factory):
    """The sample corpus on a replay server, and what one uninterrupted full crawl stores."""
    with ReplayServer(fault_world.handlers()) as server:
        env = cli_env(server, KETAWATCH_FAKE_NOW=f"{fault_world.until.isoformat()}T12:00:00")
        home = tmp_path_factory.mktemp("crash-baseline")
        started = time.monotonic()
        done = run(ketawatch(home, "crawl"), env)
        seconds = time.monotonic() - started
        assert done.returncode == 0, done.stdout + done.stderr
        with open_store(fault_world.config(home, server)) as store:
            baseline = snapshot(store)
        yield server, env, baseline, seconds


def _check_after_crash(config, before: dict, baseline: dict, where: str) -> None:
    with open_store(config) as store:
        assert store.integrity_check() == [], where
        after = snapshot(store)
    lost = sorted(before.keys() - after.keys())
    assert not lost, f"{where}: records stored before the kill are gone: {lost[:5]}"
    for key, held in before.items():
        if key[0] == "medrxiv":  # a preprint only ever gains versions
            had = {json.dumps(r, sort_keys=True) for r in load_raw(held.raw)}
            has = {json.dumps(r, sort_keys=True) for r in load_raw(after[key].raw)}
            assert had <= has, f"{where}: {key} lost a version"
    check_consistent(after, baseline, where=where, compare_studies=False)


def _index_in_line(config, env, where: str) -> None:
    done = run(ketawatch(config.home_path, "index"), env)
    assert done.returncode == 0, f"{where}: ketawatch index failed: {done.stderr}"
    assert index_ids(config) == store_ids(config), f"{where}: the index is not in line"


def test_crawl_killed_at_random_points(crawl_world, fault_world, tmp_path, long_run):
    server, env, baseline, full_seconds = crawl_world
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    home = tmp_path / "home"
    config = fault_world.config(home, server)
    kills = 40 if long_run else 3
    for i in range(kills):
        command = rng.choice(CRAWLS)
        # a kill point anywhere in a typical run of the command (one source: about a quarter)
        point = rng.uniform(0.1, full_seconds if command == ("crawl",) else full_seconds / 4)
        where = f"seed {seed}, kill {i + 1}: {' '.join(command)} at {point:.2f} s"
        with open_store(config) as store:
            before = snapshot(store)
        proc = start(ketawatch(home, *command), env)
        time.sleep(point)
        if proc.poll() is None:
            kill_group(proc)
            support.count("crashes survived: crawl (SIGKILL)")
        else:
            proc.communicate()
            support.count("crawl runs that ended before their kill point")
        _check_after_crash(config, before, baseline, where)
        _index_in_line(config, env, where)
        rerun = run(ketawatch(home, *command), env)
        assert rerun.returncode == 0, f"{where}: the re-run failed: {rerun.stdout}{rerun.stderr}"
        with open_store(config) as store:
            check_consistent(snapshot(store), baseline, where=where, compare_studies=False)
    done = run(ketawatch(home, "crawl"), env)
    assert done.returncode == 0, done.stdout + done.stderr
    with open_store(config) as store:
        assert store.integrity_check() == []
        final = snapshot(store)
    assert final.keys() == baseline.keys(), f"seed {seed}: records differ from a clean crawl"
    check_consistent(final, baseline, where=f"seed {seed}: after the final crawl")
    _index_in_line(config, env, f"seed {seed}: after the final crawl")


def test_index_killed_at_random_points(seed_store, tmp_path, long_run):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    config = seed_store.config(tmp_path / "home")
    env = cli_env()
    started = time.monotonic()
    first = run(ketawatch(config.home_path, "index"), env)
    build_seconds = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    pending = [list(chunk) for chunk in seed_store.pending]
    kills = 40 if long_run else 4
    for i in range(kills):
        if pending and rng.random() < 0.5:
            # new studies since the last index update: the killed run is an incremental one
            chunk = pending.pop(0)
            with open_store(config) as store:
                store.ingest(chunk)
            command = ("index",)
        else:
            command = ("index", "--rebuild")
        # anywhere from start-up to the end of a typical full build
        point = rng.uniform(0.05, build_seconds)
        where = f"seed {seed}, kill {i + 1}: {' '.join(command)} at {point:.2f} s"
        with open_store(config) as store:
            before = snapshot(store)
        proc = start(ketawatch(config.home_path, *command), env)
        time.sleep(point)
        if proc.poll() is None:
            kill_group(proc)
            support.count("crashes survived: index (SIGKILL)")
        else:
            proc.communicate()
            support.count("index runs that ended before their kill point")
        with open_store(config) as store:
            assert store.integrity_check() == [], where
            assert snapshot(store) == before, f"{where}: the index build changed the store"
        _index_in_line(config, env, where)
