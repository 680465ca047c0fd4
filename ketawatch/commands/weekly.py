"""``ketawatch weekly``: the operator's one command for cron: crawl, index, send the digests.

Safe to re-run: crawling is incremental, and the delivery log sends each subscriber at most one
digest per ISO week.
"""

from __future__ import annotations

import sys
import time

from ketawatch.jobs import JobReport, refresh_store, update_index_step
from ketawatch.lock import job_lock
from ketawatch.store import open_store


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("weekly", help="crawl every source, update the index, send the digests",
                       description="The weekly job for cron or a systemd timer. Safe to re-run "
                                   "in the same week: nothing is sent twice.")
    p.add_argument("--week", help="ISO week to send (YYYY-Www; default: the current week)")
    p.add_argument("--dry-run", action="store_true",
                   help="write the digests as .eml files instead of sending them")
    p.add_argument("--no-crawl", action="store_true", help="skip crawling (index and send only)")
    p.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for another running job before giving up (default 0)")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Run the steps in order; every step runs even if an earlier one failed partly."""
    from digest.send import send_week
    from digest.weeks import parse_week

    week = parse_week(args.week)
    report = JobReport()
    started = time.monotonic()
    with job_lock(config.home_path, wait=args.wait), open_store(config) as store:
        if not args.no_crawl:
            refresh_store(config, store, report)
        update_index_step(config, store, report)
        delivery = send_week(config, store, week, dry_run=args.dry_run)
        report.lines += delivery.lines()
        if not delivery.ok:
            report.failures.append("some digests were not delivered")
    for line in report.lines:
        print(line)
    status = "ok" if report.ok else "FAILED: " + "; ".join(report.failures)
    print(f"weekly {week}: {status} ({time.monotonic() - started:.1f}s)")
    if not report.ok:
        sys.stderr.write(f"Error: weekly job had failures: {'; '.join(report.failures)}\n")
        return 1
    return 0
