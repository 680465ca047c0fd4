"""Crawl throughput through the real crawlers against the replay server.

PubMed: ``crawlers.pubmed_job.crawl_pubmed`` (Bio.Entrez esearch + efetch from the history
server, ``parse_efetch``, ``prepare`` = normalize + tag, ``store.ingest``) with a large efetch
batch, so that requests are few; Bio.Entrez keeps its own limit of 3 requests a second (10 with
an API key), and the time it sleeps for it is measured. The spiders (ClinicalTrials.gov, medRxiv,
Europe PMC) run through ``crawlers.scrapy_job.crawl_with_scrapy``: one Scrapy child process per
crawl, no download delay for 127.0.0.1 (``crawlers.settings``). Every run crawls into a fresh
data folder; the first run's folder becomes the fixture the other benchmarks read.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.memory import ChildResult, run_child
from bench.table import Row
from bench.world import CRAWL_SINCE, CRAWLED_AT, BenchWorld, bench_config, clock_env

#: efetch batch size: E-utilities serve up to 10,000 records a request; 2,000 keeps one answer
#: (about 14 MB of XML) and its parse tree comfortably in memory
BATCH_SIZE = 2000
SPIDERS = ("clinicaltrials", "medrxiv", "europepmc")
SPIDER_LABELS = {"clinicaltrials": "ClinicalTrials.gov", "medrxiv": "medRxiv",
                 "europepmc": "Europe PMC"}


# -- the children ---------------------------------------------------------------------------------

def child_pubmed(home: str, urls: dict[str, str], since: str, until: str,
                 batch_size: int = BATCH_SIZE, api_key: str = "") -> dict[str, Any]:
    """Crawl PubMed from the replay server into ``home``; returns counts and seconds."""
    from crawlers.pubmed_job import crawl_pubmed
    from ketawatch.store import open_store

    slept = _count_sleep()
    config = bench_config(home, urls, ncbi_api_key=api_key)
    store = open_store(config)
    try:
        started = time.perf_counter()
        result = crawl_pubmed(config, store, since=date.fromisoformat(since),
                              until=date.fromisoformat(until), batch_size=batch_size)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"records": result.new + result.updated + result.unchanged + result.failed,
            "new": result.new, "updated": result.updated, "unchanged": result.unchanged,
            "failed": result.failed, "errors": result.errors[:3], "seconds": seconds,
            "entrez_sleep": slept[0]}


def _count_sleep() -> list[float]:
    """Count the seconds slept in this process (Bio.Entrez's rate limiter calls time.sleep)."""
    slept = [0.0]
    real_sleep = time.sleep

    def counting_sleep(seconds: float) -> None:
        slept[0] += max(0.0, seconds)
        real_sleep(seconds)

    time.sleep = counting_sleep  # this child process only
    return slept


def child_spider(home: str, urls: dict[str, str], spider: str, until: str,
                 since: str | None = None) -> dict[str, Any]:
    """Run one spider (in its own Scrapy process) into ``home``; returns counts and seconds."""
    from crawlers.scrapy_job import crawl_with_scrapy
    from ketawatch.store import open_store

    config = bench_config(home, urls)
    store = open_store(config)
    try:
        started = time.perf_counter()
        result = crawl_with_scrapy(config, store, spider,
                                   since=date.fromisoformat(since) if since else None,
                                   until=date.fromisoformat(until))
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"stored": result.new + result.updated + result.unchanged, "new": result.new,
            "updated": result.updated, "failed": result.failed, "errors": result.errors[:3],
            "seconds": seconds}


# -- the parent side ------------------------------------------------------------------------------

def crawl_all_sources(world: BenchWorld, home: Path, *, tag: str = "fixture"
                      ) -> dict[str, ChildResult]:
    """Crawl every source into ``home`` (PubMed first), each in its own child process."""
    env = clock_env(CRAWLED_AT)
    out: dict[str, ChildResult] = {}
    out["pubmed"] = run_child("bench.crawl:child_pubmed", {
        "home": str(home), "urls": world.urls, "since": CRAWL_SINCE.isoformat(),
        "until": world.crawl_until.isoformat()}, env=env,
        profile_to=world.profile_path(f"crawl-pubmed-{tag}"))
    _check(out["pubmed"], "PubMed")
    for spider in SPIDERS:
        out[spider] = run_child("bench.crawl:child_spider", {
            "home": str(home), "urls": world.urls, "spider": spider,
            "until": world.crawl_until.isoformat()}, env=env,
            profile_to=world.profile_path(f"crawl-{spider}-{tag}"))
        _check(out[spider], SPIDER_LABELS[spider])
    if not world.fixture_counts:
        world.fixture_counts = {"pubmed": out["pubmed"].value["records"],
                                **{s: out[s].value["stored"] for s in SPIDERS}}
    return out


def _check(result: ChildResult, label: str) -> None:
    errors = result.value.get("errors") or []
    if errors:
        from bench.memory import BenchError

        raise BenchError(f"the {label} crawl reported errors: {'; '.join(errors)}")


def measure(world: BenchWorld) -> list[Row]:
    """Crawl every source ``runs`` times into fresh folders; one row per source."""
    served = world.served_counts()
    runs: list[dict[str, ChildResult]] = []
    for i in range(world.runs):
        if world.fixture_home is None and not world.reuse_fixture:
            home = world.workdir / "fixture"
            runs.append(crawl_all_sources(world, home, tag=f"run{i}"))
            world.fixture_home = home
        else:
            home = world.workdir / f"crawl-{i}"
            runs.append(crawl_all_sources(world, home, tag=f"run{i}"))
            shutil.rmtree(home, ignore_errors=True)

    pubmed = [r["pubmed"] for r in runs]
    records = pubmed[0].value["records"]
    rows = [Row("crawl", f"PubMed crawl+parse+store ({records:,} records, efetch batch "
                f"{BATCH_SIZE:,})", "rec/s",
                [r.value["records"] / r.value["seconds"] for r in pubmed],
                target=2000.0, target_text=">= 2,000 rec/s at 100k", target_size=100_000,
                peak_mb=max(r.peak_mb for r in pubmed),
                note=_sleep_note(pubmed))]
    for spider in SPIDERS:
        results = [r[spider] for r in runs]
        stored = results[0].value["stored"]
        rows.append(Row("crawl", f"{SPIDER_LABELS[spider]} spider ({served[spider]:,} records "
                        f"served, {stored:,} stored)", "rec/s",
                        [served[spider] / r.value["seconds"] for r in results],
                        peak_mb=max(r.peak_mb for r in results),
                        note="Scrapy child process start-up included"))
    return rows


def _sleep_note(results: list[ChildResult]) -> str:
    slept = sorted(r.value["entrez_sleep"] for r in results)[len(results) // 2]
    seconds = sorted(r.value["seconds"] for r in results)[len(results) // 2]
    # Bio.Entrez pauses between requests to NCBI only: a replay server on 127.0.0.1 is asked
    # without the pause, so this stays 0 unless a client is routed elsewhere
    return (f"Bio.Entrez rate-limit sleep {slept:.2f} s of {seconds:.1f} s "
            f"({100 * slept / seconds:.0f}%; NCBI's pause is not applied to the local server)")
