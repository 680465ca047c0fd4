"""The web page's search response, p50/p95: the Flask app behind werkzeug's server.

``ketawatch.web.create_app(config)`` runs in werkzeug's threaded server
(``werkzeug.serving.make_server``) on a free 127.0.0.1 port, in a thread of the measuring
process; each query is one ``GET /search?q=...&condition=...`` over a new loopback HTTP
connection, timed from connect to the last byte of the HTML page (search, facets, highlights,
template). The same page is also measured through Flask's test client (no socket, no HTTP
parsing) with other queries, to show what the HTTP server adds. Each run opens a fresh
searcher and warms it with queries never measured, as the search benchmark does.
"""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any
from urllib.parse import urlencode

from bench.memory import run_child
from bench.queries import PER_KIND, percentile, query_set
from bench.table import Row
from bench.world import CRAWLED_AT, BenchWorld, bench_config, clock_env

#: SearchRequest field -> query argument of the web page
ARGS = {"conditions": "condition", "drugs": "drug", "routes": "route", "designs": "design",
        "sources": "source"}


def search_path(query: dict[str, Any]) -> str:
    """The web page's URL path of one query of ``bench.queries``."""
    params: list[tuple[str, str]] = [("q", query["q"])]
    for name, values in query["filters"].items():
        if name in ARGS:
            params += [(ARGS[name], v) for v in values]
        else:
            params.append((name, str(values)))
    return "/search?" + urlencode(params)


def _get(port: int, path: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def child_web(home: str, runs: int, per_kind: int) -> dict[str, Any]:
    """Time the search page through werkzeug's server and through the test client; ms each."""
    from werkzeug.serving import make_server

    from index.search import close_searchers
    from ketawatch.web import create_app

    config = bench_config(home)
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    queries = query_set(per_kind)
    http_ms: list[list[float]] = []
    client_ms: list[list[float]] = []
    statuses: set[int] = set()
    sizes: list[int] = []
    client = app.test_client()
    try:
        for _ in range(runs):
            close_searchers()
            for q in queries["warmup"]:
                _get(port, search_path(q))
            one_pass = []
            for q in queries["full"]:
                path = search_path(q)
                started = time.perf_counter()
                status, size = _get(port, path)
                one_pass.append((time.perf_counter() - started) * 1000)
                statuses.add(status)
                sizes.append(size)
            http_ms.append(one_pass)
            one_pass = []
            for q in queries["filters"]:
                path = search_path(q)
                started = time.perf_counter()
                response = client.get(path)
                response.get_data()
                one_pass.append((time.perf_counter() - started) * 1000)
                statuses.add(response.status_code)
            client_ms.append(one_pass)
    finally:
        server.shutdown()
        server.server_close()
        close_searchers()
    return {"http_ms": http_ms, "client_ms": client_ms, "statuses": sorted(statuses),
            "mean_kb": sum(sizes) / max(1, len(sizes)) / 1024}


def measure(world: BenchWorld) -> list[Row]:
    """p50 and p95 of the search page, through the HTTP server and the test client."""
    home = world.ensure_index()
    result = run_child("bench.web:child_web",
                       {"home": str(home), "runs": world.runs, "per_kind": PER_KIND},
                       env=clock_env(CRAWLED_AT), profile_to=world.profile_path("web"))
    v = result.value
    if v["statuses"] != [200]:
        from bench.memory import BenchError

        raise BenchError(f"the search page answered HTTP {v['statuses']}")
    rows = []
    for pct in (50, 95):
        rows.append(Row("web", f"GET /search via werkzeug server on 127.0.0.1, p{pct} "
                        f"({PER_KIND} queries, 2 filters)", "ms",
                        [percentile(run, pct) for run in v["http_ms"]],
                        target=100.0 if pct == 95 else None, target_text="< 100 ms at 100k",
                        target_size=100_000, peak_mb=result.peak_mb if pct == 50 else None,
                        note=f"new connection per request; pages of {v['mean_kb']:.0f} KB"
                        if pct == 50 else ""))
    for pct in (50, 95):
        rows.append(Row("web", f"GET /search via Flask test client, p{pct} "
                        f"({PER_KIND} other queries)", "ms",
                        [percentile(run, pct) for run in v["client_ms"]]))
    return rows
