"""ClinicalTrials.gov API v2 replayed from a list of study records (``GET studies``, ``studies/{nct}``).

What it honours, as the real API does:

- ``query.intr`` and ``query.cond``: loosely, each an OR of terms matched case-insensitively as
  substrings (interventions: names, other names, arm groups and intervention MeSH terms;
  conditions: conditions, keywords, titles and condition MeSH terms); ``query.term`` against the
  whole record. (The real Essie search is richer; the sample data does not need it.)
- ``filter.advanced`` with ``AREA[LastUpdatePostDate]RANGE[from,to]`` (``MIN``/``MAX`` allowed).
- ``pageSize`` (default 10, 0 means the default, coerced down to ``page_size_max``),
  ``pageToken`` (opaque; refused when it does not belong to the same query), ``countTotal``
  (``totalCount`` on the first page only), ``format`` (json only here).
- A bad parameter answers HTTP 400 with a plain-text message; an unknown NCT number 404.

Records are served in NCT order, so paging is stable. ``studies`` may be replaced between
requests (``set_studies``) to play a registry that changed between two crawls.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from ketawatch.replay.server import Request, Response

DEFAULT_PAGE_SIZE = 10
_RANGE_RE = re.compile(r"^AREA\[LastUpdatePostDate\]RANGE\[\s*([^,\]]*)\s*,\s*([^\]]*)\s*\]$",
                       re.IGNORECASE)
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_NCT_RE = re.compile(r"^NCT\d{8}$")


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def nct_of(study: dict[str, Any]) -> str:
    """The NCT number of a study record."""
    return str(_get(study, "protocolSection", "identificationModule", "nctId") or "")


def last_update_of(study: dict[str, Any]) -> str:
    """The LastUpdatePostDate of a study record ("" when missing)."""
    return str(_get(study, "protocolSection", "statusModule", "lastUpdatePostDateStruct", "date")
               or "")


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def intervention_text(study: dict[str, Any]) -> str:
    """Everything the InterventionSearch area looks at, lowercased."""
    arms = _get(study, "protocolSection", "armsInterventionsModule") or {}
    parts: list[str] = []
    for item in arms.get("interventions") or []:
        parts.append(str(_get(item, "name") or ""))
        parts.extend(_strings(_get(item, "otherNames")))
        parts.append(str(_get(item, "description") or ""))
    for group in arms.get("armGroups") or []:
        parts.extend(_strings(_get(group, "interventionNames")))
    for mesh in _get(study, "derivedSection", "interventionBrowseModule", "meshes") or []:
        parts.append(str(_get(mesh, "term") or ""))
    return " \n".join(parts).lower()


def condition_text(study: dict[str, Any]) -> str:
    """Everything the ConditionSearch area looks at, lowercased."""
    protocol = study.get("protocolSection") or {}
    parts = _strings(_get(protocol, "conditionsModule", "conditions"))
    parts += _strings(_get(protocol, "conditionsModule", "keywords"))
    parts.append(str(_get(protocol, "identificationModule", "briefTitle") or ""))
    parts.append(str(_get(protocol, "identificationModule", "officialTitle") or ""))
    for mesh in _get(study, "derivedSection", "conditionBrowseModule", "meshes") or []:
        parts.append(str(_get(mesh, "term") or ""))
    return " \n".join(parts).lower()


def _terms(expression: str) -> list[str]:
    """The OR-separated terms of a query, lowercased, without quotes and parentheses."""
    cleaned = expression.replace("(", " ").replace(")", " ").replace('"', " ")
    return [t.strip().lower() for t in re.split(r"\s+OR\s+", cleaned, flags=re.IGNORECASE)
            if t.strip()]


class BadRequest(Exception):
    """A parameter the real API would refuse with HTTP 400."""


class ClinicalTrialsHandler:
    """Answers ``studies`` and ``studies/{nctId}`` like ClinicalTrials.gov API v2."""

    def __init__(self, studies: list[dict[str, Any]], page_size_max: int = 1000):
        self.page_size_max = page_size_max
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, int]] = {}
        self.set_studies(studies)

    def set_studies(self, studies: list[dict[str, Any]]) -> None:
        """Replace the registry's records (a second snapshot of the registry)."""
        with self._lock:
            self.studies = sorted(studies, key=nct_of)

    def handle(self, request: Request) -> Response:
        """Route a request to the search or the single-study answer."""
        path = request.path.strip("/")
        try:
            if path == "studies":
                return self._search(request)
            if path.startswith("studies/"):
                return self._one(request, path[len("studies/"):])
        except BadRequest as exc:
            return Response.text(str(exc), 400)
        return Response.text(f"Not found: /{request.prefix}{request.path}", 404)

    # -- GET studies/{nctId} -------------------------------------------------------------------

    def _one(self, request: Request, nct: str) -> Response:
        nct = nct.upper()
        if not _NCT_RE.match(nct):
            raise BadRequest(f"Invalid NCT number: {nct}")
        self._check_format(request)
        with self._lock:
            found = [s for s in self.studies if nct_of(s) == nct]
        if not found:
            return Response.text(f"Study {nct} not found", 404)
        return Response.json(json.dumps(found[0], ensure_ascii=False))

    # -- GET studies ---------------------------------------------------------------------------

    @staticmethod
    def _check_format(request: Request) -> None:
        fmt = request.param("format", "json")
        if fmt != "json":
            raise BadRequest(f"format: unsupported value '{fmt}' (this replay serves json)")

    def _page_size(self, request: Request) -> int:
        raw = request.param("pageSize")
        if raw is None or raw == "":
            return DEFAULT_PAGE_SIZE
        try:
            size = int(raw)
        except ValueError:
            raise BadRequest(f"pageSize: '{raw}' is not an integer") from None
        if size < 0:
            raise BadRequest(f"pageSize: must be non-negative, got {size}")
        return min(size or DEFAULT_PAGE_SIZE, self.page_size_max)

    @staticmethod
    def _date_range(request: Request) -> tuple[str, str] | None:
        expression = (request.param("filter.advanced") or "").strip()
        if not expression:
            return None
        m = _RANGE_RE.match(expression)
        if not m:
            raise BadRequest(f"filter.advanced: cannot parse '{expression}' "
                             "(this replay knows AREA[LastUpdatePostDate]RANGE[from,to])")
        low, high = (v.strip().upper() for v in m.groups())
        for value in (low, high):
            if value not in ("MIN", "MAX") and not _DATE_RE.match(value):
                raise BadRequest(f"filter.advanced: bad date '{value}' in RANGE")
        return ("" if low == "MIN" else low, "9999" if high == "MAX" else high)

    def _matches(self, study: dict[str, Any], request: Request,
                 window: tuple[str, str] | None) -> bool:
        intr = request.param("query.intr")
        if intr and not any(t in intervention_text(study) for t in _terms(intr)):
            return False
        cond = request.param("query.cond")
        if cond and not any(t in condition_text(study) for t in _terms(cond)):
            return False
        term = request.param("query.term")
        if term:
            text = json.dumps(study, ensure_ascii=False).lower()
            if not any(t in text for t in _terms(term)):
                return False
        if window:
            updated = last_update_of(study)
            low, high = window
            # a partial bound covers its whole month or year: compare on the bound's length
            if not updated or updated < low or updated[:len(high)] > high:
                return False
        return True

    def _signature(self, request: Request) -> str:
        keys = ("query.intr", "query.cond", "query.term", "filter.advanced", "format")
        return json.dumps([request.param(k) for k in keys])

    def _token(self, signature: str, offset: int) -> str:
        digest = hashlib.sha1(f"{signature}|{offset}".encode()).digest()
        token = digest[:8].hex()
        with self._lock:
            self._tokens[token] = (signature, offset)
        return token

    def _search(self, request: Request) -> Response:
        self._check_format(request)
        size = self._page_size(request)
        window = self._date_range(request)
        signature = self._signature(request)
        token = request.param("pageToken")
        offset = 0
        if token:
            with self._lock:
                known = self._tokens.get(token)
            if known is None or known[0] != signature:
                raise BadRequest(f"pageToken: invalid value '{token}'")
            offset = known[1]
        with self._lock:
            studies = list(self.studies)
        matching = [s for s in studies if self._matches(s, request, window)]
        page = matching[offset:offset + size]
        body: dict[str, Any] = {}
        if not token and (request.param("countTotal") or "").lower() == "true":
            body["totalCount"] = len(matching)
        body["studies"] = page
        if offset + size < len(matching):
            body["nextPageToken"] = self._token(signature, offset + size)
        return Response.json(json.dumps(body, ensure_ascii=False))
