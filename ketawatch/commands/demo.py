"""``ketawatch demo``: the whole job offline, on KetaWatch's built-in sample data.

It starts a local replay server that speaks every source's wire format over the sample corpus
(synthetic records, marked as sample data), points the crawlers at it, crawls, indexes, builds
this week's digest, prints a summary and a sample search, then serves the web page.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from ketawatch.config import load_config
from ketawatch.errors import UsageError
from ketawatch.jobs import JobReport, refresh_store, update_index_step
from ketawatch.store import open_store

MARKER = ".ketawatch-demo"
DEFAULT_DEMO_HOME = "./ketawatch-demo"
SAMPLE_QUERIES = ("esketamine suicidal ideation", "ketamine PTSD", "treatment-resistant depression")


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("demo", help="run everything offline on built-in sample data",
                       description="Crawl the built-in sample data from a local replay server, "
                                   "index it, build the digest, then serve the web page. Uses "
                                   "./ketawatch-demo unless --home is given.")
    p.add_argument("--no-serve", action="store_true", help="stop after building the digest")
    p.add_argument("--size", type=int, default=200, help="studies in the sample corpus (200)")
    p.add_argument("--port", type=int, default=8080, help="port of the web page (8080)")
    p.set_defaults(run=run)


def _demo_home(args) -> Path:
    home = Path(args.home or os.environ.get("KETAWATCH_HOME") or DEFAULT_DEMO_HOME).resolve()
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise UsageError(f"{home} holds data that is not a KetaWatch demo; "
                             "give the demo an empty folder with --home")
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("made by ketawatch demo; safe to delete\n")
    return home


def run(args, config) -> int:
    """Run the demo and print what each step did."""
    from digest.send import build_week
    from digest.weeks import current_week
    from index.search import SearchRequest, open_searcher
    from ketawatch.replay.world import serve_corpus, source_urls
    from ketawatch.sample import generate

    if args.size < 1:
        raise UsageError("--size must be at least 1")
    home = _demo_home(args)
    started = time.monotonic()
    corpus = generate(args.size)
    server = serve_corpus(corpus)
    report = JobReport()
    try:
        config = load_config(home=home).with_overrides(
            **source_urls(server), request_delay=0.0,
            secret_key=config.values.get("secret_key") or secrets.token_urlsafe(32),
            base_url=f"http://127.0.0.1:{args.port}")
        config.demo = True
        print(f"KetaWatch demo in {home} (sample data: {args.size} studies, replay server "
              f"{server.url})")
        with open_store(config) as store:
            refresh_store(config, store, report)
            update_index_step(config, store, report)
            t0 = time.monotonic()
            week = current_week()
            built = build_week(config, store, week)
            report.timings["digest"] = time.monotonic() - t0
            report.lines.append(built.line())
            for line in report.lines:
                print(line)
            print(f"store: {store.count_studies()} studies from "
                  + ", ".join(f"{n} {s}" for s, n in store.source_counts().items())
                  + f"; {len(store.events())} events")
        searcher = open_searcher(config)
        for query in SAMPLE_QUERIES:
            response = searcher.search(SearchRequest(query=query, per_page=3))
            print(f'search "{query}": {response.total} results in {response.took_ms:.0f} ms')
            for hit in response.results:
                print(f"  [{hit.design}] {hit.year or '----'} {hit.title[:90]}")
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
        print(f"demo finished in {time.monotonic() - started:.1f}s ({timings})")
    finally:
        server.stop()
    if not report.ok:
        print("some steps failed: " + "; ".join(report.failures))
        return 1
    if args.no_serve:
        return 0
    from ketawatch.web import create_app

    app = create_app(config, demo=True)
    print(f"serving the web page on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)")
    app.run(host="127.0.0.1", port=args.port, debug=False, use_reloader=False)
    return 0
