"""``ketawatch search``: search the index from the command line (text or the JSON contract)."""

from __future__ import annotations

import json
import sys

from index.build import index_exists, update_index
from index.search import SORTS, SearchRequest, open_searcher
from ketawatch.errors import KetaWatchError, UsageError
from ketawatch.store import open_store
from ketawatch.vocabulary import label

#: most results one command prints
MAX_LIMIT = 1000


def add_filter_arguments(p) -> None:
    """The filter options shared by ``search`` and ``export``."""
    p.add_argument("--condition", action="append", default=[], metavar="C",
                   help="only this condition (repeat for several: any of them)")
    p.add_argument("--drug", action="append", default=[], metavar="D", help="only this drug")
    p.add_argument("--route", action="append", default=[], metavar="R", help="only this route")
    p.add_argument("--design", action="append", default=[], metavar="X",
                   help="only this study design (rct, meta-analysis, ...)")
    p.add_argument("--source", action="append", default=[], metavar="S",
                   help="only studies from this source (pubmed, europepmc, medrxiv, "
                        "clinicaltrials)")
    p.add_argument("--year-from", type=int, metavar="Y", help="published in or after this year")
    p.add_argument("--year-to", type=int, metavar="Y", help="published in or before this year")
    p.add_argument("--human", choices=("yes", "no"), help="human studies only (yes) or animal (no)")
    p.add_argument("--preprint", choices=("yes", "no"), help="preprints only, or no preprints")
    p.add_argument("--hide-retracted", action="store_true", help="leave out retracted studies")
    p.add_argument("--sort", choices=SORTS, default="relevance",
                   help="relevance (default), newest, or evidence (design, then sample size)")
    p.add_argument("--no-evidence-ranking", action="store_true",
                   help="rank by relevance alone (no lift for strong designs and recent studies)")


def request_from_args(args, *, per_page: int, query: str | None = None) -> SearchRequest:
    """A SearchRequest from parsed command-line options (raises UsageError on a bad value)."""
    req = SearchRequest.from_args({
        "q": query if query is not None else " ".join(args.query or []),
        "condition": args.condition, "drug": args.drug, "route": args.route,
        "design": args.design, "source": args.source,
        "year_from": None if args.year_from is None else str(args.year_from),
        "year_to": None if args.year_to is None else str(args.year_to),
        "human": args.human, "preprint": args.preprint,
        "hide_retracted": "1" if args.hide_retracted else None, "sort": args.sort,
        "evidence_ranking": "0" if args.no_evidence_ranking else "1",
    })
    # the command line may ask for longer pages than the web's 100
    req.per_page = per_page
    req.validate()
    return req


def ensure_index(config) -> None:
    """Build the index from the store when there is none yet (the store is the source of truth)."""
    if index_exists(config):
        return
    if not config.db_path.exists():
        raise KetaWatchError(f"there is no store in {config.home_path}: run `ketawatch crawl` "
                             "(or `ketawatch demo`) first")
    sys.stderr.write("No search index yet: building it from the store...\n")
    with open_store(config) as store:
        stats = update_index(config, store)
    sys.stderr.write(stats.line() + "\n")


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "search", help="search the studies",
        description='Search titles, abstracts and MeSH terms. Plain words must all match '
                    '(synonyms count: "spravato" finds esketamine); use "quoted phrases", '
                    "AND/OR/NOT, parentheses, field:value (title:, author:, journal:, mesh:, "
                    "condition:, drug:, route:, design:, year:2020, year:[2019 TO 2024]) and "
                    "wildcards (depress*).")
    p.add_argument("query", nargs="*", help="what to search for (empty: every study)")
    add_filter_arguments(p)
    p.add_argument("--limit", type=int, default=10, metavar="N", help="how many results (10)")
    p.add_argument("--page", type=int, default=1, help="which page of --limit results")
    p.add_argument("--json", action="store_true", help="print the JSON contract")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Search and print the results."""
    if not 1 <= args.limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be between 1 and {MAX_LIMIT}")
    req = request_from_args(args, per_page=args.limit)
    req.page = args.page
    req.facets = args.json
    req.highlight = args.json
    req.validate()
    ensure_index(config)
    response = open_searcher(config).search(req)
    if args.json:
        print(json.dumps(response.to_dict(), indent=2, ensure_ascii=False))
        if response.message:
            sys.stderr.write(f"Note: {response.message}\n")
        return 0
    print(format_text(response))
    return 0


def format_text(response) -> str:
    """The text output: a header line, then one compact block per result."""
    first = (response.page - 1) * response.per_page
    shown = f"{first + 1}-{first + len(response.results)} of " if response.results else ""
    plural = "study" if response.total == 1 else "studies"
    lines = [f"{shown}{response.total} {plural} ({response.took_ms:.0f} ms)"
             + (f' for "{response.query}"' if response.query else "")]
    if response.message:
        lines.append(f"Note: {response.message}")
    for rank, hit in enumerate(response.results, start=first + 1):
        badges = [label(hit.design)]
        if hit.retracted:
            badges.insert(0, "RETRACTED")
        if hit.preprint:
            badges.append("preprint")
        lines.append("")
        lines.append(f"{rank:>3}. [{' | '.join(badges)}] {hit.year or '----'}  {hit.title}")
        facts = [hit.journal] if hit.journal else []
        if hit.sample_size:
            facts.append(f"n={hit.sample_size}")
        tags = [label(t) for t in (*hit.drugs, *hit.routes, *hit.conditions)]
        if tags:
            facts.append(", ".join(tags))
        if facts:
            lines.append(f"     {' · '.join(facts)}")
        ids = [f"PMID {hit.pmid}"] if hit.pmid else []
        if hit.doi:
            ids.append(f"doi:{hit.doi}")
        ids.extend(hit.nct_ids)
        ids.append(f"id {hit.id}")
        lines.append(f"     {' · '.join(ids)}")
    if not response.results and response.total:
        lines.append("(no results on this page)")
    return "\n".join(lines)
