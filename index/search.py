"""The search engine: requests, responses, and a cached searcher per index folder.

``open_searcher(config)`` returns the process-wide ``Searcher`` of the configuration's index; it
keeps one whoosh searcher open across requests and refreshes it when the index changed (a new
commit, or a rebuild swapped in). ``Searcher.search(SearchRequest) -> SearchResponse`` is what the
CLI, the web app, the feeds and the digest call; ``SearchResponse.to_dict()`` is the JSON contract
of ``ketawatch search --json`` and of the JSON API.

Ranking (``index.rank``): fielded BM25-like scores over title, MeSH/keywords and abstract with
synonyms expanded; every concept the user typed is required, and when nothing matches all of
them the words are read with OR. The evidence ranking (on by default) lifts stronger designs and
recent studies a little, so it reorders studies of similar relevance.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index import rank
from index.build import current_generation, unreadable
from index.facets import FACET_FIELDS, DocSets, MaskSet, ids_of, mask_of
from index.query import build_query, parse_query, tag_value, tag_values
from index.snippets import make_snippet
from ketawatch.clock import now
from ketawatch.errors import KetaWatchError, UsageError

SORTS = ("relevance", "newest", "evidence")
MAX_PER_PAGE = 100
#: deepest result a page may reach (page * per_page)
MAX_DEPTH = 10_000

_FILTER_PARAMS = {"conditions": "condition", "drugs": "drug", "routes": "route",
                  "designs": "design", "sources": "source"}


# -- the request ----------------------------------------------------------------------------------


@dataclass
class SearchRequest:
    """What a user asked for: a query, filters, a sort order and a page."""

    query: str = ""
    conditions: list[str] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    designs: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    human: bool | None = None
    preprint: bool | None = None
    hide_retracted: bool = False
    sort: str = "relevance"
    evidence_ranking: bool = True
    page: int = 1
    per_page: int = 20
    facets: bool = True
    highlight: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Normalize tag spellings and check every value; raises UsageError."""
        for name, kind in _FILTER_PARAMS.items():
            values = []
            for raw in getattr(self, name) or []:
                value = tag_value(kind, str(raw))
                if value is None:
                    raise UsageError(f"unknown {kind} {raw!r}; use one of: "
                                     f"{', '.join(tag_values(kind))}")
                if value not in values:
                    values.append(value)
            setattr(self, name, values)
        if self.sort not in SORTS:
            raise UsageError(f"unknown sort {self.sort!r}; use one of: {', '.join(SORTS)}")
        for name in ("year_from", "year_to"):
            value = getattr(self, name)
            if value is not None and not (1000 <= int(value) <= 9999):
                raise UsageError(f"{name.replace('_', '-')} must be a four-digit year")
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise UsageError("year-from is after year-to")
        if not 1 <= int(self.per_page) <= 1000:
            raise UsageError("per_page must be between 1 and 1000")
        if int(self.page) < 1:
            raise UsageError("page must be 1 or more")
        if (int(self.page) - 1) * int(self.per_page) >= MAX_DEPTH:
            raise UsageError(f"results beyond the first {MAX_DEPTH} cannot be paged to; "
                             "narrow the search")

    @property
    def has_filters(self) -> bool:
        """True when any filter narrows the results."""
        return bool(self.conditions or self.drugs or self.routes or self.designs or self.sources
                    or self.year_from or self.year_to or self.human is not None
                    or self.preprint is not None or self.hide_retracted)

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | Any) -> SearchRequest:
        """A request from web query arguments (a MultiDict) or a dict of CLI values.

        Accepted keys: q (or query), condition, drug, route, design, source (each repeatable
        and comma-separable; plural names work too), year_from, year_to, human, preprint,
        hide_retracted, sort, evidence_ranking, page, per_page, facets, highlight.
        Raises UsageError on a bad value.
        """
        get_list = _list_getter(args)

        def one(*names: str) -> str | None:
            for name in names:
                values = [v for v in get_list(name) if v not in (None, "")]
                if values:
                    return str(values[-1]).strip()
            return None

        def many(singular: str, plural: str) -> list[str]:
            out: list[str] = []
            for name in (singular, plural):
                for value in get_list(name):
                    if isinstance(value, list | tuple):
                        out.extend(str(v) for v in value)
                    elif value not in (None, ""):
                        out.extend(p.strip() for p in str(value).split(",") if p.strip())
            return out

        kwargs: dict[str, Any] = {
            "query": one("q", "query") or "",
            "conditions": many("condition", "conditions"),
            "drugs": many("drug", "drugs"),
            "routes": many("route", "routes"),
            "designs": many("design", "designs"),
            "sources": many("source", "sources"),
            "year_from": _int(one("year_from", "year-from", "from"), "year_from"),
            "year_to": _int(one("year_to", "year-to", "to"), "year_to"),
            "human": _bool(one("human"), "human"),
            "preprint": _bool(one("preprint"), "preprint"),
            "hide_retracted": bool(_bool(one("hide_retracted", "hide-retracted"),
                                         "hide_retracted")),
            "sort": one("sort") or "relevance",
            "evidence_ranking": _bool(one("evidence_ranking", "evidence-ranking", "evidence"),
                                      "evidence_ranking") is not False,
            "page": _default(_int(one("page"), "page"), 1),
            "per_page": _default(_int(one("per_page", "per-page", "limit"), "per_page"), 20),
            "facets": _bool(one("facets"), "facets") is not False,
            "highlight": _bool(one("highlight"), "highlight") is not False,
        }
        if kwargs["per_page"] > MAX_PER_PAGE:
            raise UsageError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        return cls(**kwargs)

    def to_args(self) -> list[tuple[str, str]]:
        """The request as (name, value) pairs for a URL (defaults left out); from_args reads it."""
        out: list[tuple[str, str]] = []
        if self.query:
            out.append(("q", self.query))
        for name, key in _FILTER_PARAMS.items():
            out.extend((key, v) for v in getattr(self, name))
        for name in ("year_from", "year_to"):
            if getattr(self, name):
                out.append((name, str(getattr(self, name))))
        for name in ("human", "preprint"):
            if getattr(self, name) is not None:
                out.append((name, "1" if getattr(self, name) else "0"))
        if self.hide_retracted:
            out.append(("hide_retracted", "1"))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if not self.evidence_ranking:
            out.append(("evidence_ranking", "0"))
        if self.page != 1:
            out.append(("page", str(self.page)))
        if self.per_page != 20:
            out.append(("per_page", str(self.per_page)))
        return out


def _list_getter(args: Any):
    if hasattr(args, "getlist"):
        return args.getlist
    if not isinstance(args, Mapping):
        args = vars(args)

    def get_list(name: str) -> list:
        value = args.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]
    return get_list


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _int(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise UsageError(f"{name} must be a whole number, not {text!r}") from exc


_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


def _bool(text: str | None, name: str) -> bool | None:
    if text is None or text.lower() in ("", "any", "all"):
        return None
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise UsageError(f"{name} must be yes or no, not {text!r}")


# -- the response ---------------------------------------------------------------------------------


#: the keys of one result in the JSON contract, in order
HIT_KEYS = ("id", "pmid", "doi", "nct_ids", "title", "year", "journal", "design", "conditions",
            "drugs", "routes", "sample_size", "retracted", "url", "snippet", "score")


@dataclass
class Hit:
    """One search result: the study's card fields, its score and its HTML-safe snippet."""

    id: int
    score: float
    snippet: str = ""
    pmid: str | None = None
    doi: str | None = None
    nct_ids: list[str] = field(default_factory=list)
    title: str = ""
    year: int | None = None
    journal: str = ""
    design: str = "other"
    conditions: list[str] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    sample_size: int | None = None
    retracted: bool = False
    url: str | None = None
    preprint: bool = False
    human: bool | None = None
    authors: list[str] = field(default_factory=list)
    author_count: int = 0
    pub_date: str | None = None
    corrected: bool = False
    first_seen: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON contract has it (``search --json``)."""
        data = asdict(self)
        data["score"] = round(self.score, 4)
        return {key: data[key] for key in HIT_KEYS}


@dataclass
class SearchResponse:
    """The answer to a SearchRequest."""

    query: str
    total: int
    page: int
    per_page: int
    results: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    took_ms: float = 0.0
    #: a note for the user, e.g. how a malformed query was read
    message: str | None = None
    request: SearchRequest | None = None

    @property
    def pages(self) -> int:
        """How many pages the results fill (capped by how deep paging may go)."""
        reachable = min(self.total, MAX_DEPTH)
        return max(1, -(-reachable // self.per_page))

    def to_dict(self) -> dict[str, Any]:
        """{"query", "total", "results", "facets"}: the JSON contract."""
        return {"query": self.query, "total": self.total,
                "results": [h.to_dict() for h in self.results],
                "facets": {k: [[v, n] for v, n in vs] for k, vs in self.facets.items()}}


# -- the searcher -----------------------------------------------------------------------------------


_SEARCHERS: dict[str, Searcher] = {}
_SEARCHERS_LOCK = threading.Lock()


def open_searcher(config) -> Searcher:
    """The process-wide Searcher of a configuration's index (opened on first use).

    Raises KetaWatchError when there is no index yet (``ketawatch index`` builds it).
    """
    root = str(Path(config.index_path).resolve())
    with _SEARCHERS_LOCK:
        searcher = _SEARCHERS.get(root)
        if searcher is None:
            searcher = Searcher(Path(root))
            searcher.refresh()
            _SEARCHERS[root] = searcher
    return searcher


def close_searchers() -> None:
    """Close every cached searcher (tests and shutdown)."""
    with _SEARCHERS_LOCK:
        for searcher in _SEARCHERS.values():
            searcher.close()
        _SEARCHERS.clear()


class Searcher:
    """Searches one index folder; safe to share between threads (searches take turns)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.RLock()
        self._gen: Path | None = None
        self._ix = None
        self._ws = None
        self._sets: DocSets | None = None

    # -- keeping up with the index -------------------------------------------------------------

    def refresh(self) -> None:
        """Follow the index: reopen after a rebuild, refresh after a commit."""
        with self._lock:
            gen = current_generation(self.root)
            if gen is None:
                raise KetaWatchError(f"there is no search index in {self.root}: "
                                     "run `ketawatch index` to build it")
            try:
                if gen != self._gen or self._ws is None:
                    problem = unreadable(gen)
                    if problem:
                        raise KetaWatchError(f"the search index in {self.root} cannot be read "
                                             f"({problem}): run `ketawatch index --rebuild`")
                    ix = whoosh_index.open_dir(str(gen))
                    ws = ix.searcher()
                    self.close()
                    self._gen, self._ix, self._ws = gen, ix, ws
                    self._sets = DocSets(ws)
                elif not self._ws.up_to_date():
                    # a fresh searcher, not whoosh's refresh(): refresh() reuses the readers of
                    # unchanged segments together with their stale deletion lists, so studies
                    # deleted by a merge would still be found
                    ws = self._ix.searcher()
                    self._ws.close()
                    self._ws = ws
                    self._sets = DocSets(ws)
            except KetaWatchError:
                raise
            except Exception as exc:  # noqa: BLE001 - a damaged index raises many error kinds
                raise KetaWatchError(f"the search index in {self.root} cannot be read ({exc}): "
                                     "run `ketawatch index --rebuild`") from exc

    def close(self) -> None:
        """Close the open whoosh searcher."""
        with self._lock:
            if self._ws is not None:
                self._ws.close()
            self._ws = None
            self._sets = None

    @property
    def doc_count(self) -> int:
        """How many studies the index holds."""
        with self._lock:
            self.refresh()
            return self._ws.doc_count()

    # -- searching ------------------------------------------------------------------------------

    def search(self, req: SearchRequest) -> SearchResponse:
        """Run a search. Raises InvalidSearchQueryError for a query that cannot be read."""
        started = time.perf_counter()
        with self._lock:
            self.refresh()
            plan = self._plan(req)
            start = (req.page - 1) * req.per_page
            ranked = self._rank(req, plan, start + req.per_page)[start:]
            hits = [self._hit(docnum, score, plan.highlight if req.highlight else set())
                    for docnum, score in ranked]
            facets = self._facets(req, plan) if req.facets else {}
        return SearchResponse(query=req.query, total=plan.total, page=req.page,
                              per_page=req.per_page, results=hits, facets=facets,
                              took_ms=round((time.perf_counter() - started) * 1000, 2),
                              message="; ".join(plan.messages) or None, request=req)

    def search_ids(self, req: SearchRequest, limit: int | None = None) -> list[int]:
        """The study ids of every match (or the first ``limit``) in the request's order.

        For exports and feeds: no paging, no snippets, no facets.
        """
        with self._lock:
            self.refresh()
            plan = self._plan(req)
            wanted = plan.total if limit is None else min(limit, plan.total)
            ranked = self._rank(req, plan, wanted)
            return [int(self._ws.stored_fields(d)["id"]) for d, _ in ranked]

    def count(self, req: SearchRequest) -> int:
        """How many studies match (the digest's "and N more")."""
        with self._lock:
            self.refresh()
            return self._plan(req).total

    # -- internals ------------------------------------------------------------------------------

    def _plan(self, req: SearchRequest) -> _Plan:
        sets = self._sets
        parsed = parse_query(req.query)
        messages = list(parsed.messages)
        reader = self._ws.reader()
        built = build_query(parsed, reader, mode="and")
        filters = self._filter_masks(req)
        allowed = sets.live
        for mask in filters.values():
            allowed &= mask
        matched = sets.query(built.query)
        if built.query is not None and not (matched & allowed) and parsed.has_implicit():
            relaxed = build_query(parsed, reader, mode="or")
            relaxed_matched = sets.query(relaxed.query)
            if relaxed_matched & allowed:
                built, matched = relaxed, relaxed_matched
                messages.append("no study matches all the words; showing studies that match "
                                "some of them")
        if parsed.text.strip() and parsed.empty:
            messages.append("the query has no words to search for; showing every study")
        return _Plan(query=built.query, units=built.units, highlight=built.highlight,
                     matched=matched,
                     filters=filters, results=matched & allowed,
                     total=(matched & allowed).bit_count(), messages=messages)

    def _filter_masks(self, req: SearchRequest) -> dict[str, int]:
        """One set per active filter group (values of one group are OR-ed)."""
        sets = self._sets
        out: dict[str, int] = {}
        for name, fld in _FILTER_PARAMS.items():
            values = getattr(req, name)
            if values:
                mask = 0
                for value in values:
                    mask |= sets.term(fld, value)
                out[name] = mask
        if req.year_from or req.year_to:
            out["years"] = sets.year_range(req.year_from, req.year_to)
        flags = 0
        flag_filter = False
        if req.human is not None:
            flags = sets.term("flag", "human" if req.human else "animal")
            flag_filter = True
        mask = flags if flag_filter else sets.live
        if req.preprint is True:
            mask &= sets.term("flag", "preprint")
        elif req.preprint is False:
            mask &= ~sets.term("flag", "preprint")
        if req.hide_retracted:
            mask &= ~sets.term("flag", "retracted")
        if flag_filter or req.preprint is not None or req.hide_retracted:
            out["flags"] = mask
        return out

    def _facets(self, req: SearchRequest, plan: _Plan) -> dict[str, list[tuple[str, int]]]:
        """Facet counts; a facet's own filter is left out of its counts (multi-select)."""
        sets = self._sets
        out: dict[str, list[tuple[str, int]]] = {}

        def without(name: str) -> int:
            mask = plan.matched & sets.live
            for other, fmask in plan.filters.items():
                if other != name:
                    mask &= fmask
            return mask

        for name, fld in FACET_FIELDS.items():
            out[name] = sets.counts(fld, without(name))
        out["years"] = sets.year_counts(without("years"))
        return out

    def _rank(self, req: SearchRequest, plan: _Plan, wanted: int) -> list[tuple[int, float]]:
        """The first ``wanted`` (docnum, score) pairs in the request's order."""
        if wanted <= 0 or not plan.total:
            return []
        wanted = min(wanted, plan.total)
        if req.sort == "newest" or (req.sort == "relevance" and not plan.units):
            return [(d, 0.0) for d in self._newest(plan.results, wanted)]
        if req.sort == "evidence":
            return self._by_evidence(plan, wanted)
        weighted = rank.relevance_units(self._sets, plan.units, plan.results)
        if req.evidence_ranking:
            weighted += rank.evidence_units(self._sets, plan.units, plan.results, now().year)
        return rank.top(self._sets, weighted, plan.results, wanted, self._newest)

    def _newest(self, within: int, limit: int) -> list[int]:
        """Documents of ``within``, newest first (publication date, then first seen)."""
        sets = self._sets
        if within.bit_count() <= 4096:
            col = sets.column("newest")
            return sorted(ids_of(within), key=lambda d: (-col[d], d))[:limit]
        allow = MaskSet(within)
        out = []
        for d in sets.order("newest"):
            if d in allow:
                out.append(d)
                if len(out) >= limit:
                    break
        return out

    def _by_evidence(self, plan: _Plan, wanted: int) -> list[tuple[int, float]]:
        """Design strength, then sample size, then relevance (newest without a query)."""
        sets = self._sets
        strength, size = sets.column("strength"), sets.column("n")
        groups: dict[tuple[int, int], list[int]] = {}
        if plan.total <= 4096:
            for d in ids_of(plan.results):
                groups.setdefault((strength[d], size[d]), []).append(d)
        else:
            allow = MaskSet(plan.results)
            taken = 0
            last_key = None
            for d in sets.order_by("evidence", ("strength", "n")):
                if d not in allow:
                    continue
                key = (strength[d], size[d])
                if taken >= wanted and key != last_key:
                    break
                groups.setdefault(key, []).append(d)
                taken += 1
                last_key = key
        out: list[tuple[int, float]] = []
        for key in sorted(groups, reverse=True):
            members = groups[key]
            need = wanted - len(out)
            if need <= 0:
                break
            if len(members) == 1 or not plan.units:
                out.extend((d, 0.0) for d in self._newest(mask_of(members, sets.size), need))
                continue
            within = mask_of(members, sets.size)
            weighted = rank.relevance_units(sets, plan.units, within)
            out.extend(rank.top(sets, weighted, within, need, self._newest))
        return out[:wanted]

    def _hit(self, docnum: int, score: float, words: set[str]) -> Hit:
        stored = self._ws.stored_fields(docnum)
        card = json.loads(stored["card"])
        snippet = make_snippet(json.loads(stored.get("snip") or "[]"), words)
        known = {k: card[k] for k in Hit.__dataclass_fields__ if k in card}
        known.pop("score", None)
        known.pop("snippet", None)
        return Hit(score=float(score), snippet=snippet, **known)


@dataclass
class _Plan:
    """A request turned into a whoosh query and document sets."""

    query: Any
    units: list
    highlight: set[str]
    matched: int
    filters: dict[str, int]
    results: int
    total: int
    messages: list[str]


def search(config, req: SearchRequest) -> SearchResponse:
    """Search a configuration's index (shortcut for ``open_searcher(config).search(req)``)."""
    return open_searcher(config).search(req)
