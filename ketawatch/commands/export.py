"""``ketawatch export``: write studies (all, or a search's results) as jsonl, CSV, RIS or BibTeX."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from index.search import open_searcher
from ketawatch.commands.search import add_filter_arguments, ensure_index, request_from_args
from ketawatch.errors import UsageError
from ketawatch.store import open_store

FORMATS = ("jsonl", "csv", "ris", "bibtex")
#: studies fetched from the store per query while exporting
_BATCH = 500


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("export", help="export studies as jsonl, CSV, RIS or BibTeX",
                       description="Export every study, or the results of a search (same query "
                                   "and filters as `ketawatch search`), in the search's order.")
    p.add_argument("query", nargs="*", help="what to search for (empty: every study)")
    p.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (jsonl)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--limit", type=int, metavar="N", help="export at most N studies")
    add_filter_arguments(p)
    p.set_defaults(run=run)


def _writer():
    """The export writer of ketawatch.exports, or a jsonl-only stand-in while it is missing."""
    try:
        from ketawatch.exports import write_export
    except ImportError:
        def write_export(studies, fmt, out):
            if fmt != "jsonl":
                raise UsageError(f"export format {fmt} is not available in this installation")
            for stored in studies:
                out.write(json.dumps(stored.to_export(), ensure_ascii=False) + "\n")
    return write_export


def run(args, config) -> int:
    """Export and say how many studies were written (on stderr when writing to stdout)."""
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be 1 or more")
    req = request_from_args(args, per_page=20)
    write_export = _writer()
    with open_store(config) as store:
        if req.query.strip() or req.has_filters or req.sort != "relevance":
            ensure_index(config)
            ids = open_searcher(config).search_ids(req, limit=args.limit)
            studies = []
            for i in range(0, len(ids), _BATCH):
                studies.extend(store.get_studies(ids[i:i + _BATCH]))
        else:
            studies = []
            for stored in store.iter_studies(with_sources=True):
                studies.append(stored)
                if args.limit and len(studies) >= args.limit:
                    break
        if args.output:
            path = Path(args.output)
            with path.open("w", encoding="utf-8", newline="") as out:
                write_export(studies, args.format, out)
            print(f"exported {len(studies)} studies to {path} ({args.format})")
        else:
            write_export(studies, args.format, sys.stdout)
            sys.stderr.write(f"exported {len(studies)} studies ({args.format})\n")
    return 0
