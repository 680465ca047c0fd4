"""``ketawatch index``: bring the search index up to date with the store (or rebuild it)."""

from __future__ import annotations

from index.build import update_index
from ketawatch.store import open_store


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("index", help="update the search index from the store",
                       description="Index the studies changed since the last run (a missing or "
                                   "damaged index is rebuilt). --rebuild indexes everything into "
                                   "a fresh index and swaps it in; searches keep working meanwhile.")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Update (or rebuild) the index and print what was done."""
    with open_store(config) as store:
        stats = update_index(config, store, rebuild=args.rebuild)
    print(stats.line())
    return 0
