"""Europe PMC's REST ``search`` replayed from a list of ``core`` result records.

``GET search?query=...&resultType=core&format=json&pageSize=N&cursorMark=C`` answers with the
real envelope: ``version``, ``hitCount``, ``nextCursorMark``, ``nextPageUrl``, the ``request``
echo and ``resultList.result``. Paging follows Solr's cursors as Europe PMC does: every page
with results hands out a new ``nextCursorMark``; asking past the end gives an empty page whose
``nextCursorMark`` is the cursor that was sent; a search without hits has none.

The query is honoured loosely, enough for the crawler's searches: ``SRC:XXX`` keeps records of
that source, ``PUB_TYPE:"..."`` (several are OR-ed) keeps records of those publication types,
a drug word (ketamine, esketamine, arketamine, spravato) keeps records that mention one, and
``FIRST_PDATE:[a TO b]`` keeps records first published in that range. Everything else is
ignored. A query with unbalanced parentheses or quotes, an unknown cursor or a format other
than JSON answers HTTP 400 with an error body.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from ketawatch.replay.server import Request, Response

VERSION = "6.9"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
DRUG_WORDS = ("ketamine", "esketamine", "arketamine", "spravato")
_SRC_RE = re.compile(r"(?<![A-Z_])SRC:\s*\(?\s*([A-Za-z]{3})", re.IGNORECASE)
_PUB_TYPE_RE = re.compile(r'PUB_TYPE:\s*"([^"]+)"', re.IGNORECASE)
_PDATE_RE = re.compile(r"FIRST_PDATE:\s*\[\s*(\S+)\s+TO\s+(\S+?)\s*\]", re.IGNORECASE)
_FIELD_RE = re.compile(r'[A-Z_]+:\s*(?:"[^"]*"|\[[^\]]*\]|\S+)', re.IGNORECASE)


def encode_cursor(offset: int) -> str:
    """An opaque cursor for an offset (base64, like Europe PMC's ``AoII...==`` marks)."""
    return base64.b64encode(f"AoII{offset:08d}".encode("ascii")).decode("ascii")


def decode_cursor(cursor: str) -> int | None:
    """The offset a cursor stands for, or None for a cursor this server never gave out."""
    if cursor in ("*", "%2A"):
        return 0
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (ValueError, UnicodeError):
        return None
    return int(text[4:]) if text.startswith("AoII") and text[4:].isdigit() else None


def _text(record: dict[str, Any]) -> str:
    """The searchable text of a record: title, abstract, keywords, MeSH and chemicals."""
    parts = [str(record.get("title") or ""), str(record.get("abstractText") or "")]
    parts += [str(k) for k in (record.get("keywordList") or {}).get("keyword", [])]
    parts += [str(m.get("descriptorName", "")) for m in
              (record.get("meshHeadingList") or {}).get("meshHeading", []) if isinstance(m, dict)]
    parts += [str(c.get("name", "")) for c in
              (record.get("chemicalList") or {}).get("chemical", []) if isinstance(c, dict)]
    return " ".join(parts).lower()


def _pub_types(record: dict[str, Any]) -> set[str]:
    types = (record.get("pubTypeList") or {}).get("pubType", [])
    if isinstance(types, str):
        types = [types]
    return {str(t).lower() for t in types}


def query_problem(query: str) -> str | None:
    """Why a query cannot be parsed (None when it can)."""
    if not query.strip():
        return "query must not be empty"
    if query.count('"') % 2:
        return "unbalanced quotes in query"
    depth = 0
    for ch in query:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            break
    if depth != 0:
        return "unbalanced parentheses in query"
    return None


def matches(record: dict[str, Any], query: str) -> bool:
    """True when a record passes the loose reading of ``query`` (see the module docstring)."""
    sources = {s.upper() for s in _SRC_RE.findall(query)}
    if sources and str(record.get("source", "")).upper() not in sources:
        return False
    wanted_types = {t.lower() for t in _PUB_TYPE_RE.findall(query)}
    if wanted_types and not wanted_types & _pub_types(record):
        return False
    free = _FIELD_RE.sub(" ", query).lower()
    drugs = [w for w in DRUG_WORDS if re.search(rf"\b{w}\b", free)]
    if drugs:
        text = _text(record)
        if not any(w in text for w in drugs):
            return False
    for low, high in _PDATE_RE.findall(query):
        first = str(record.get("firstPublicationDate") or "")
        if not first or not low <= first <= high:
            return False
    return True


class EuropePMCHandler:
    """Answers Europe PMC's ``search`` from ``core`` result records."""

    def __init__(self, results: Iterable[dict[str, Any]]):
        self.results = [dict(r) for r in results]

    def handle(self, request: Request) -> Response:
        """One page of a search."""
        if request.path.strip("/") != "search":
            return Response.text(f"unknown Europe PMC path {request.path!r}", 404)
        query = request.param("query", "") or ""
        result_type = request.param("resultType", "lite") or "lite"
        cursor = request.param("cursorMark", "*") or "*"
        echo = {"queryString": query, "resultType": result_type, "cursorMark": cursor,
                "pageSize": 0, "sort": request.param("sort", "") or "", "synonym": False}
        if (request.param("format", "xml") or "xml").lower() != "json":
            return self._error(echo, "this replay speaks format=json only")
        problem = query_problem(query)
        if problem:
            return self._error(echo, f"Invalid query: {problem}")
        try:
            size = int(request.param("pageSize", str(DEFAULT_PAGE_SIZE)) or DEFAULT_PAGE_SIZE)
        except ValueError:
            return self._error(echo, "pageSize must be a number")
        size = max(1, min(size, MAX_PAGE_SIZE))
        echo["pageSize"] = size
        offset = decode_cursor(cursor)
        if offset is None:
            return self._error(echo, f"Invalid cursorMark: {cursor}")
        hits = [r for r in self.results if matches(r, query)]
        page = [self._shape(r, result_type) for r in hits[offset:offset + size]]
        body: dict[str, Any] = {"version": VERSION, "hitCount": len(hits)}
        if hits:
            nxt = encode_cursor(offset + len(page)) if page else cursor
            body["nextCursorMark"] = nxt
            if page:
                body["nextPageUrl"] = (
                    "https://www.ebi.ac.uk/europepmc/webservices/rest/search?" + urlencode(
                        {"query": query, "cursorMark": nxt, "resultType": result_type,
                         "pageSize": size, "format": "json"}))
        body["request"] = echo
        body["resultList"] = {"result": page}
        return Response.json(json.dumps(body))

    @staticmethod
    def _shape(record: dict[str, Any], result_type: str) -> dict[str, Any]:
        """A record cut down to what the asked result type carries."""
        if result_type == "idlist":
            return {k: record[k] for k in ("id", "source", "pmid", "pmcid", "doi")
                    if k in record}
        return record

    @staticmethod
    def _error(echo: dict[str, Any], message: str) -> Response:
        body = {"version": VERSION, "hitCount": 0, "request": echo, "errCode": 400,
                "errMsg": message}
        return Response.json(json.dumps(body), status=400)
