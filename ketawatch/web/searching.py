"""Searching for the web: query arguments to SearchRequest, and what the search page shows.

The search page, the JSON API, the feeds and the exports all read the same query arguments
(``SearchRequest.from_args``: q, condition, drug, route, design, source, year_from, year_to,
human, preprint, hide_retracted, sort, evidence_ranking, page). Every link the page builds
(facet values, removing a filter, sorting, paging, exports, the feed) is that request's own
``to_args()`` with one thing changed, so links never carry anything the request did not parse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from werkzeug.exceptions import ServiceUnavailable

from index.search import SearchRequest, SearchResponse
from ketawatch.errors import InvalidSearchQueryError, KetaWatchError, UsageError
from ketawatch.links import doi_url, pubmed_url, trial_url
from ketawatch.vocabulary import label
from ketawatch.web.context import get_searcher

log = logging.getLogger(__name__)

#: facet groups of the sidebar: (facet key in SearchResponse.facets, heading, query argument)
FACET_GROUPS = (("conditions", "Condition", "condition"), ("drugs", "Drug", "drug"),
                ("routes", "Route", "route"), ("designs", "Study design", "design"),
                ("years", "Year", None), ("sources", "Source", "source"),
                ("flags", "Subjects and status", None))
#: arguments that choose a page or an order, not which studies match
_VIEW_ARGS = ("page", "per_page", "sort", "evidence_ranking")
#: facet values shown before "more"
FACET_SHOWN = 8
#: how many matches the feed looks through to find the most recently seen ones
FEED_POOL = 5000
_FEED_PAGE = 1000
SOURCE_LABELS = {"pubmed": "PubMed", "europepmc": "Europe PMC", "medrxiv": "medRxiv",
                 "clinicaltrials": "ClinicalTrials.gov"}
FLAG_LABELS = {"human": "Human studies", "animal": "Animal studies", "preprint": "Preprints",
               "retracted": "Retracted", "corrected": "Corrected"}
SORT_LABELS = (("relevance", "Relevance"), ("newest", "Newest"), ("evidence", "Strongest evidence"))


def request_from(args: Any, **changes: Any) -> SearchRequest:
    """The SearchRequest of query arguments, with some fields changed. Raises UsageError."""
    req = SearchRequest.from_args(args)
    return replace(req, **changes) if changes else req


def run_search(args: Any, **changes: Any) -> tuple[SearchRequest, SearchResponse]:
    """Parse the arguments and search. Bad arguments or queries raise 400-status errors."""
    req = request_from(args, **changes)
    return req, _searcher().search(req)


def _searcher():
    try:
        return get_searcher()
    except KetaWatchError as exc:
        # no index yet, or a damaged one: the operator's log says which and what to run
        log.error("search index unavailable: %s", exc)
        raise ServiceUnavailable("The search index is not ready yet. Please try again later.") from exc


def all_hit_ids(args: Any, cap: int) -> list[int]:
    """The ids of every match of the search (at most ``cap``), in the search's order."""
    req = request_from(args, page=1, facets=False, highlight=False)
    return _searcher().search_ids(req, limit=cap)


def newest_first_ids(args: Any, limit: int) -> list[int]:
    """The ids of the ``limit`` matches KetaWatch saw most recently (for feeds)."""
    req = request_from(args, sort="newest", facets=False, highlight=False, per_page=_FEED_PAGE)
    searcher = _searcher()
    seen: list[tuple[str, int]] = []
    page = 1
    while (page - 1) * _FEED_PAGE < FEED_POOL:
        response = searcher.search(replace(req, page=page))
        seen += [(hit.first_seen or "", int(hit.id)) for hit in response.results]
        if page * _FEED_PAGE >= response.total:
            break
        page += 1
    seen.sort(reverse=True)
    return [sid for _, sid in seen[:limit]]


def canonical_args(args: Any) -> list[tuple[str, str]]:
    """The arguments that say which studies match, in a fixed order (feed ids and titles)."""
    return [(k, v) for k, v in request_from(args).to_args() if k not in _VIEW_ARGS]


def describe_search(args: Any) -> str:
    """A short human description of a search: its words and filters."""
    req = request_from(args)
    parts = [f"“{req.query.strip()}”"] if req.query.strip() else []
    for _key, heading, param in FACET_GROUPS:
        if param:
            values = getattr(req, f"{param}s")
            if values:
                parts.append(f"{heading.lower()}: {', '.join(_value_label(param, v) for v in values)}")
    if req.year_from or req.year_to:
        parts.append(_year_label(req))
    if req.human is not None:
        parts.append("human studies" if req.human else "animal studies")
    if req.preprint is not None:
        parts.append("preprints only" if req.preprint else "no preprints")
    if req.hide_retracted:
        parts.append("retracted hidden")
    return "; ".join(parts)


def _value_label(param: str, value: str) -> str:
    if param == "source":
        return SOURCE_LABELS.get(value, value)
    return label(value)


def _year_label(req: SearchRequest) -> str:
    if req.year_from and req.year_to:
        return f"year {req.year_from}" if req.year_from == req.year_to else \
            f"years {req.year_from}–{req.year_to}"
    return f"from {req.year_from}" if req.year_from else f"until {req.year_to}"


def search_url(pairs: list[tuple[str, str]], endpoint: str = "pages.search", *,
               external: bool = False) -> str:
    """The URL of an endpoint with query arguments (absolute when ``external``)."""
    base = url_for(endpoint, _external=external)
    return base + ("?" + urlencode(pairs) if pairs else "")


# -- what the search page shows -----------------------------------------------------------------


@dataclass
class FacetItem:
    """One facet value in the sidebar: its label, count, whether it is on, and its toggle link."""

    label: str
    count: int
    active: bool
    url: str | None


@dataclass
class Chip:
    """An active filter, with the link that removes it."""

    label: str
    url: str


def _pairs(req: SearchRequest, **changes: Any) -> list[tuple[str, str]]:
    """The request's URL arguments with fields changed; a changed filter goes back to page 1."""
    if "page" not in changes:
        changes["page"] = 1
    return replace(req, **changes).to_args()


def _toggle(req: SearchRequest, field: str, value: str) -> dict[str, Any]:
    values = list(getattr(req, field))
    values = [v for v in values if v != value] if value in values else values + [value]
    return {field: values}


def facet_groups(req: SearchRequest, response: SearchResponse) -> list[dict[str, Any]]:
    """The sidebar: for each facet group, its heading and items (label, count, link, on/off)."""
    groups = []
    for key, heading, param in FACET_GROUPS:
        counts = response.facets.get(key, [])
        items: list[FacetItem] = []
        if param:
            field = f"{param}s"
            active = set(getattr(req, field))
            for value, count in counts:
                items.append(FacetItem(_value_label(param, value), count, value in active,
                                       search_url(_pairs(req, **_toggle(req, field, value)))))
            # a selected value with no match left still shows, so it can be removed
            for value in sorted(active - {v for v, _ in counts}):
                items.append(FacetItem(_value_label(param, value), 0, True,
                                       search_url(_pairs(req, **_toggle(req, field, value)))))
        elif key == "years":
            for value, count in counts:
                year = int(value)
                on = req.year_from == year and req.year_to == year
                change = {"year_from": None, "year_to": None} if on else \
                    {"year_from": year, "year_to": year}
                items.append(FacetItem(value, count, on, search_url(_pairs(req, **change))))
        else:
            items = _flag_items(req, dict(counts))
        if items:
            groups.append({"key": key, "heading": heading, "shown": items[:FACET_SHOWN],
                           "more": items[FACET_SHOWN:]})
    return groups


def _flag_items(req: SearchRequest, counts: dict[str, int]) -> list[FacetItem]:
    """Human/animal, preprint, retracted (a hide toggle) and corrected (a count only)."""
    items = []
    for flag, field, on_value in (("human", "human", True), ("animal", "human", False),
                                  ("preprint", "preprint", True)):
        if flag not in counts and getattr(req, field) != on_value:
            continue
        on = getattr(req, field) == on_value
        change = {field: None if on else on_value}
        items.append(FacetItem(FLAG_LABELS[flag], counts.get(flag, 0), on,
                               search_url(_pairs(req, **change))))
    if "retracted" in counts or req.hide_retracted:
        text = "Retracted (hidden)" if req.hide_retracted else "Retracted"
        items.append(FacetItem(text, counts.get("retracted", 0), req.hide_retracted,
                               search_url(_pairs(req, hide_retracted=not req.hide_retracted))))
    if "corrected" in counts:
        items.append(FacetItem(FLAG_LABELS["corrected"], counts["corrected"], False, None))
    return items


def active_filters(req: SearchRequest) -> list[Chip]:
    """The filters in force, each with a link that removes it."""
    chips = []
    for _key, heading, param in FACET_GROUPS:
        if param:
            field = f"{param}s"
            for value in getattr(req, field):
                chips.append(Chip(f"{heading}: {_value_label(param, value)}",
                                  search_url(_pairs(req, **_toggle(req, field, value)))))
    if req.year_from or req.year_to:
        chips.append(Chip(_year_label(req).capitalize(),
                          search_url(_pairs(req, year_from=None, year_to=None))))
    if req.human is not None:
        chips.append(Chip("Human studies" if req.human else "Animal studies",
                          search_url(_pairs(req, human=None))))
    if req.preprint is not None:
        chips.append(Chip("Preprints only" if req.preprint else "No preprints",
                          search_url(_pairs(req, preprint=None))))
    if req.hide_retracted:
        chips.append(Chip("Retracted hidden", search_url(_pairs(req, hide_retracted=False))))
    return chips


def page_info(response: SearchResponse, endpoint: str = "pages.search", *,
              external: bool = False) -> dict[str, Any]:
    """Page number, size, count and the URLs of the previous and next pages (None at the ends)."""
    req = response.request or SearchRequest()
    pages = response.pages

    def link(n: int) -> str:
        return search_url(_pairs(req, page=n), endpoint, external=external)

    return {"page": response.page, "per_page": response.per_page, "pages": pages,
            "prev": link(response.page - 1) if response.page > 1 else None,
            "next": link(response.page + 1) if response.page < pages else None}


def page_links(response: SearchResponse) -> list[dict[str, Any]]:
    """Numbered page links around the current page (first and last always shown)."""
    req = response.request or SearchRequest()
    current, last = response.page, response.pages
    numbers = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    out: list[dict[str, Any]] = []
    previous = 0
    for n in numbers:
        if n - previous > 1:
            out.append({"gap": True})
        out.append({"number": n, "current": n == current,
                    "url": search_url(_pairs(req, page=n))})
        previous = n
    return out


def hit_links(hit: Any) -> list[tuple[str, str]]:
    """External links of a result, built from its identifiers only."""
    out = []
    if (url := pubmed_url(hit.pmid)):
        out.append(("PubMed", url))
    if (url := doi_url(hit.doi)):
        out.append(("DOI", url))
    for nct in hit.nct_ids or []:
        if (url := trial_url(nct)):
            out.append((nct, url))
    return out


def hit_url(hit: Any) -> str | None:
    """The best external URL of a result, built from its identifiers (never a crawled URL)."""
    links = hit_links(hit)
    return links[0][1] if links else None


def search_page_context(args: Any) -> tuple[dict[str, Any], int]:
    """Everything the search template needs, and the HTTP status (400 for a bad search)."""
    query = str(args.get("q", "") or "")
    try:
        req, response = run_search(args)
    except (UsageError, InvalidSearchQueryError) as exc:
        return {"query": query, "error": str(exc), "response": None}, 400
    view = [(k, v) for k, v in req.to_args() if k != "page"]
    matching = [(k, v) for k, v in view if k not in _VIEW_ARGS]
    return {
        "query": req.query, "error": None, "req": req, "response": response,
        "facet_groups": facet_groups(req, response), "chips": active_filters(req),
        "pages": page_info(response), "page_links": page_links(response),
        "sorts": [{"label": text, "on": req.sort == value,
                   "url": search_url(_pairs(req, sort=value))} for value, text in SORT_LABELS],
        "evidence_url": search_url(_pairs(req, evidence_ranking=not req.evidence_ranking)),
        "retracted_url": search_url(_pairs(req, hide_retracted=not req.hide_retracted)),
        "exports": [(name, url_for("exports.export", fmt=fmt)
                     + ("?" + urlencode(view) if view else ""))
                    for name, fmt in (("RIS", "ris"), ("BibTeX", "bibtex"), ("CSV", "csv"))],
        "feed_url": url_for("feeds.feed") + ("?" + urlencode(matching) if matching else ""),
        "hidden_args": [(k, v) for k, v in matching if k != "q"]
                       + [(k, v) for k, v in view if k in ("sort", "evidence_ranking")],
        "hit_links": hit_links, "description": describe_search(args),
    }, 200
