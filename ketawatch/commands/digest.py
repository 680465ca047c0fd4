"""``ketawatch digest``: build a week's public digest, or send the subscribers' digests."""

from __future__ import annotations

import sys

from ketawatch.store import open_store


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("digest", help="build or send the weekly digest",
                       description="build: render the week's public digest to the data folder "
                                   "and the web archive. send: mail each confirmed subscriber "
                                   "their digest (at most one per week; safe to re-run).")
    p.add_argument("action", choices=("build", "send"), help="build or send")
    p.add_argument("--week", help="ISO week, YYYY-Www (default: the current week)")
    p.add_argument("--dry-run", action="store_true",
                   help="send: write .eml files instead of sending, record nothing")
    p.add_argument("--out", help="send --dry-run: folder for the .eml files "
                                 "(default: <data folder>/outbox/<week>)")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Build or send; exit 1 when any subscriber's digest failed."""
    from digest.build import build_week
    from digest.send import send_week
    from digest.weeks import parse_week
    from ketawatch.errors import UsageError

    week = parse_week(args.week)
    if args.action == "build":
        if args.dry_run or args.out:
            raise UsageError("--dry-run and --out belong to digest send")
        with open_store(config) as store:
            print(build_week(config, store, week).line())
        return 0
    if args.out and not args.dry_run:
        raise UsageError("--out only works with --dry-run")
    with open_store(config) as store:
        report = send_week(config, store, week, dry_run=args.dry_run, out_dir=args.out)
    for outcome in report.outcomes:
        if outcome.status == "written":
            print(f"wrote {outcome.path}")
    for line in report.lines():
        print(line)
    if not report.ok:
        sys.stderr.write(f"Error: {len(report.failures)} digest(s) not delivered; "
                         "see above (temporary failures are retried by the next run)\n")
        return 1
    return 0
