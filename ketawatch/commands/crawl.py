"""``ketawatch crawl``: fetch new and changed studies from the sources into the store."""

from __future__ import annotations

import sys

from crawlers.results import summary_line
from crawlers.runner import ALL_SOURCES, available_sources, crawl_sources
from ketawatch.commands.dates import iso_date
from ketawatch.errors import UsageError
from ketawatch.jobs import check_retractions_safely
from ketawatch.lock import job_lock
from ketawatch.store import open_store


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("crawl", help="fetch studies from the sources into the store",
                       description="Fetch new and changed studies. Incremental by default: each "
                                   "source starts where its last successful run ended.")
    p.add_argument("--source", default="all", choices=(*ALL_SOURCES, "all"),
                   help="one source, or all of them and the Crossref retraction check (default)")
    p.add_argument("--since", type=iso_date, help="start of the window (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, help="end of the window (YYYY-MM-DD)")
    p.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for another running job before giving up (default 0)")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Crawl, print one line per source and a summary; exit 1 if any source failed."""
    sources = available_sources() if args.source == "all" else [args.source]
    if args.source != "all" and args.source not in available_sources():
        raise UsageError(f"source {args.source} is not available in this installation")
    if args.since and args.until and args.since > args.until:
        raise UsageError("--since is after --until")
    with job_lock(config.home_path, wait=args.wait), open_store(config) as store:
        results = crawl_sources(config, store, sources, since=args.since, until=args.until)
        if args.source == "all":
            # the retraction watch runs with every full crawl, reported like a source
            results.append(check_retractions_safely(config, store))
    for result in results:
        print(result.line())
    print(summary_line(results))
    failed = [r for r in results if not r.ok]
    if failed:
        sys.stderr.write(f"Error: {len(failed)} source(s) failed: "
                         f"{', '.join(r.source for r in failed)}\n")
        return 1
    return 0
