"""The world every benchmark measures: a sample corpus, its replay server, a filled store.

``BenchWorld`` generates the corpus (``ketawatch.sample.generate(size, seed)``), keeps some
PubMed records back for the incremental benchmarks, serves the rest on a replay server on
127.0.0.1 and, on first need, fills a *fixture* data folder by running the real crawlers
against it (PubMed, then the ClinicalTrials.gov, medRxiv and Europe PMC spiders). The index,
search, digest and web benchmarks read that folder; the crawl benchmark's first run is what
fills it.

The clock is pinned (``KETAWATCH_FAKE_NOW``) so that every run stores the same timestamps:
the fixture is crawled at ``CRAWLED_AT``; the digest benchmark's subscribers confirm at
``CONFIRMED_AT`` and its week's news (the corpus one week later) is crawled at ``NEWS_AT``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ketawatch.config import Config, load_config

#: when the fixture store is crawled (the day after the sample corpus ends)
CRAWLED_AT = "2026-11-21T06:00:00+00:00"
#: when the digest benchmark's subscribers confirmed: more than the digest's 4-week backfill
#: after the fixture crawl, so that their first digest holds one week of news, not everything
CONFIRMED_AT = "2027-01-02T12:00:00+00:00"
#: when the week's news (the corpus one week later) is crawled; the digest is for this week
NEWS_AT = "2027-01-05T06:00:00+00:00"
#: a fixed signing key: the digest signs unsubscribe links, the web app its sessions
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
#: PubMed records kept back from the served corpus per run of the incremental benchmark
INCREMENTAL_BATCH = 100
#: the oldest Entrez date a crawl asks for (the sample corpus starts in 2000)
CRAWL_SINCE = date(1990, 1, 2)


def bench_config(home: str | os.PathLike, urls: dict[str, str] | None = None,
                 **overrides: Any) -> Config:
    """The configuration every benchmark child uses: defaults plus the benchmark's settings.

    The environment is not read (a developer's NCBI key or SMTP server must not leak into a
    measurement); base URLs point at the replay server, mail has no rate limit.
    """
    values: dict[str, Any] = {
        "secret_key": SECRET_KEY, "mail_rate": 1e9, "request_delay": 0.0,
        "base_url": "http://127.0.0.1:8080", "mail_from": "KetaWatch <digest@example.org>",
        "ncbi_email": "bench@example.org",
    }
    values.update(urls or {})
    values.update(overrides)
    return load_config(str(home), env={}, **values)


def clock_env(moment: str) -> dict[str, str]:
    """The environment that pins KetaWatch's clock for a child."""
    return {"KETAWATCH_FAKE_NOW": moment}


def copy_home(source: Path, target: Path) -> Path:
    """Copy a data folder (store with its WAL files, index, crawl state) to a fresh place."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


@dataclass
class BenchWorld:
    """The corpus, the replay server that serves it, and the fixture data folder."""

    size: int
    seed: int
    runs: int
    workdir: Path
    subscribers: int = 10_000
    profile: bool = False
    #: use a fixture folder a previous run left in ``workdir`` instead of crawling again
    reuse_fixture: bool = False
    corpus: Any = None
    #: PubMed records not served, ingested later by the incremental index benchmark
    held_back: list[Any] = field(default_factory=list)
    server: Any = None
    urls: dict[str, str] = field(default_factory=dict)
    fixture_home: Path | None = None
    index_ready: bool = False
    #: lines printed under the table (how things were measured, caveats)
    notes: list[str] = field(default_factory=list)
    #: how many batches of held-back records the incremental benchmark has used
    held_used: int = 0
    #: records per incremental batch (``INCREMENTAL_BATCH`` unless the corpus is tiny)
    incremental_batch: int = INCREMENTAL_BATCH
    #: the crawl results of the fixture (records per source)
    fixture_counts: dict[str, int] = field(default_factory=dict)
    setup_seconds: dict[str, float] = field(default_factory=dict)

    # -- the corpus and the server -----------------------------------------------------------

    def start(self) -> BenchWorld:
        """Generate the corpus, hold back the incremental records, start the replay server."""
        import time

        from ketawatch.replay.world import serve_corpus, source_urls
        from ketawatch.sample import generate

        started = time.perf_counter()
        corpus = generate(self.size, self.seed)
        self.setup_seconds["generate corpus"] = time.perf_counter() - started
        self.corpus = corpus
        # a tiny corpus keeps back a tenth of its records at most
        self.incremental_batch = max(1, min(INCREMENTAL_BATCH,
                                            len(corpus.pubmed) // (10 * self.runs)))
        held = pick_held_back(corpus.pubmed, self.incremental_batch * self.runs)
        held_ids = {a.pmid for a in held}
        self.held_back = held
        served = replace(corpus, pubmed=[a for a in corpus.pubmed if a.pmid not in held_ids])
        started = time.perf_counter()
        self.server = serve_corpus(served)
        self.setup_seconds["start replay server"] = time.perf_counter() - started
        self.urls = source_urls(self.server)
        self.workdir.mkdir(parents=True, exist_ok=True)
        return self

    def stop(self) -> None:
        """Stop the replay server."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def crawl_until(self) -> date:
        """The end of every crawl window: the corpus' last day."""
        return self.corpus.end_date

    def served_counts(self) -> dict[str, int]:
        """How many records each source serves."""
        c = self.corpus
        return {"pubmed": len(c.pubmed) - len(self.held_back),
                "clinicaltrials": len(c.clinicaltrials), "medrxiv": len(c.medrxiv),
                "europepmc": len(c.europepmc)}

    def profile_path(self, name: str) -> Path | None:
        """Where a child's profile goes when profiling is on."""
        return self.workdir / "profiles" / f"{name}.txt" if self.profile else None

    # -- the fixture data folder -------------------------------------------------------------

    def ensure_fixture(self) -> Path:
        """The fixture data folder, crawled from the replay server if not done yet."""
        if self.fixture_home is None:
            from bench.crawl import crawl_all_sources

            home = self.workdir / "fixture"
            if self.reuse_fixture and (home / "ketawatch.sqlite3").exists():
                self.notes.append(f"the fixture store was reused from {home}, not crawled")
            else:
                crawl_all_sources(self, home)
            self.fixture_home = home
        return self.fixture_home

    def ensure_index(self) -> Path:
        """The fixture data folder with a built search index."""
        home = self.ensure_fixture()
        if not self.index_ready:
            from bench.index import build_fixture_index

            build_fixture_index(self, home)
            self.index_ready = True
        return home

    def take_held_back(self) -> list[Any]:
        """The next batch of held-back PubMed records (``incremental_batch`` of them)."""
        start = self.held_used * self.incremental_batch
        batch = self.held_back[start:start + self.incremental_batch]
        self.held_used += 1
        return batch


def pick_held_back(articles: list[Any], count: int) -> list[Any]:
    """``count`` PubMed records spread evenly over the corpus (none of the hand-written tricky
    ones, none of the last weeks, so a later weekly crawl never fetches them)."""
    if not articles or count <= 0:
        return []
    newest = max(a.edat for a in articles)
    pool = [a for a in articles if int(a.pmid) >= 90_000_001
            and a.edat < newest - timedelta(days=28)]
    if len(pool) <= count:
        return list(pool)
    step = len(pool) / count
    return [pool[int(i * step)] for i in range(count)]


def folder_mb(path: Path) -> float:
    """Size of a folder's files in MB."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):  # a file removed meanwhile
                total += os.path.getsize(os.path.join(root, name))
    return total / 1e6
