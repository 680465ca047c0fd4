"""Search latency p50/p95/p99 for the clinician queries, warm, against SQLite FTS5.

Each run opens a fresh searcher (``index.search.open_searcher``), warms it with queries that are
never measured (every filter, facets and highlights; the first of them, on empty caches, is
reported on its own row), then asks every query of
``bench.queries`` once and times ``Searcher.search(SearchRequest)``. The FTS5 baseline
(``bench.fts5``) answers the same queries over the same studies, with the same protocol. Each
percentile is computed per run; the table shows its median over the runs.
"""

from __future__ import annotations

import time
from typing import Any

from bench.memory import run_child
from bench.queries import KIND_LABELS, KINDS, PER_KIND, percentile, query_set
from bench.table import Row
from bench.world import CRAWLED_AT, BenchWorld, bench_config, clock_env

TARGET_SIZE = 100_000
PERCENTILES = (50, 95, 99)


def request_for(query: dict[str, Any]):
    """The SearchRequest of one query of ``bench.queries``."""
    from index.search import SearchRequest

    return SearchRequest(query=query["q"], facets=query["facets"],
                         highlight=query["highlight"], **query["filters"])


def child_search(home: str, runs: int, per_kind: int) -> dict[str, Any]:
    """Run the query set ``runs`` times through our searcher; milliseconds per query."""
    from index.search import close_searchers, open_searcher

    config = bench_config(home)
    queries = query_set(per_kind)
    latencies: dict[str, list[list[float]]] = {kind: [] for kind in KINDS}
    totals: dict[str, list[int]] = {kind: [] for kind in KINDS}
    repeated: list[list[float]] = []
    open_ms: list[float] = []
    first_ms: list[float] = []
    for _ in range(runs):
        close_searchers()
        started = time.perf_counter()
        searcher = open_searcher(config)
        open_ms.append((time.perf_counter() - started) * 1000)
        for n, q in enumerate(queries["warmup"]):
            req = request_for(q)
            started = time.perf_counter()
            searcher.search(req)
            if n == 0:  # the first query after opening: every cache still empty
                first_ms.append((time.perf_counter() - started) * 1000)
        for kind in KINDS:
            one_pass = []
            for q in queries[kind]:
                req = request_for(q)
                started = time.perf_counter()
                response = searcher.search(req)
                one_pass.append((time.perf_counter() - started) * 1000)
                totals[kind].append(response.total)
            latencies[kind].append(one_pass)
        # the same "full" queries again: now their match sets are cached
        again = []
        for q in queries["full"]:
            req = request_for(q)
            started = time.perf_counter()
            searcher.search(req)
            again.append((time.perf_counter() - started) * 1000)
        repeated.append(again)
    close_searchers()
    return {"latencies": latencies, "totals": totals, "repeated": repeated, "open_ms": open_ms,
            "first_ms": first_ms}


def measure(world: BenchWorld) -> list[Row]:
    """One row per query kind and percentile, ours against FTS5."""
    home = world.ensure_index()
    env = clock_env(CRAWLED_AT)
    db = world.workdir / "fts5.sqlite3"
    built = run_child("bench.fts5:build", {"home": str(home), "db_path": str(db)}, env=env,
                      profile_to=world.profile_path("fts5-build"))
    ours = run_child("bench.search:child_search",
                     {"home": str(home), "runs": world.runs, "per_kind": PER_KIND}, env=env,
                     profile_to=world.profile_path("search-ours"))
    base = run_child("bench.fts5:child_search",
                     {"db_path": str(db), "runs": world.runs, "per_kind": PER_KIND}, env=env,
                     profile_to=world.profile_path("search-fts5"))
    docs = built.value["docs"]
    rows = []
    for kind in KINDS:
        for pct in PERCENTILES:
            full = kind == "full"
            rows.append(Row(
                "search", f"{KIND_LABELS[kind]}, p{pct} ({PER_KIND} queries, {docs:,} studies)",
                "ms", [percentile(run, pct) for run in ours.value["latencies"][kind]],
                baseline_name="FTS5",
                baseline=[percentile(run, pct) for run in base.value["latencies"][kind]],
                target=50.0 if full and pct == 95 else None,
                target_text="< 50 ms at 100k", target_size=TARGET_SIZE,
                peak_mb=ours.peak_mb if pct == 50 and kind == "plain" else None,
                baseline_peak_mb=base.peak_mb if pct == 50 and kind == "plain" else None,
                note=_hits_note(ours.value["totals"][kind], base.value["totals"][kind])
                if pct == 50 else ""))
    rows.append(Row(
        "search", "first query after opening the index (caches empty; 2 filters, facets, "
        "highlights)", "ms", ours.value["first_ms"], baseline_name="FTS5, new connection",
        baseline=base.value["first_ms"],
        note="what the first clinician pays after a process start or after an index update "
             "(the searcher then reopens and its term and match-set caches start empty)"))
    repeated = [percentile(run, 50) for run in ours.value["repeated"]]
    world.notes.append(
        f"search: FTS5 baseline built in {built.value['seconds']:.1f} s "
        f"({docs / built.value['seconds']:,.0f} docs/s, {built.value['db_mb']:.0f} MB); "
        f"ours opens a searcher in {_mid(ours.value['open_ms']):.0f} ms; the 'full' queries "
        f"asked a second time (match sets cached) take {_mid(repeated):.1f} ms p50")
    return rows


def _hits_note(ours: list[int], base: list[int]) -> str:
    return (f"mean matches per query: ours {sum(ours) / max(1, len(ours)):,.0f}, "
            f"FTS5 {sum(base) / max(1, len(base)):,.0f} (ours expands synonyms)")


def _mid(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0
