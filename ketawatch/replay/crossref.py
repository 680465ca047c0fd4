"""The Crossref REST API ``works`` routes replayed from a dict of work records.

- ``GET works/{doi}``: ``{"status": "ok", "message-type": "work", "message": {...}}``, or HTTP 404
  with the body ``Resource not found.`` for a DOI it does not know (as Crossref answers).
- ``GET works?filter=doi:A,doi:B&rows=N``: the ``work-list`` envelope with ``items``; filters of
  one name are ORed, as Crossref does. ``filter=updates:{doi}`` lists the notices whose
  ``update-to`` names that DOI. Another filter answers Crossref's 400 ``validation-failure``.

DOIs match case-insensitively. ``set_works`` replaces the records between requests (a notice
published after the first check).
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import unquote

from ketawatch.replay.server import Request, Response

FILTERS = ("doi", "updates")
MAX_ROWS = 1000


def _envelope(message_type: str, message: Any) -> Response:
    body = {"status": "ok", "message-type": message_type, "message-version": "1.0.0",
            "message": message}
    return Response.json(json.dumps(body, ensure_ascii=False))


def _failure(kind: str, value: str, message: str) -> Response:
    body = {"status": "failed", "message-type": "validation-failure",
            "message": [{"type": kind, "value": value, "message": message}]}
    return Response.json(json.dumps(body), status=400)


class CrossrefHandler:
    """Answers Crossref ``works`` requests from ``{doi: work message}``."""

    def __init__(self, works: dict[str, dict[str, Any]]):
        self._lock = threading.Lock()
        self.set_works(works)

    def set_works(self, works: dict[str, dict[str, Any]]) -> None:
        """Replace the work records (keys are DOIs, any case)."""
        with self._lock:
            self.works = {doi.lower(): dict(message, DOI=message.get("DOI", doi))
                          for doi, message in works.items()}

    def handle(self, request: Request) -> Response:
        """Route ``works`` and ``works/{doi}``."""
        path = request.path.strip("/")
        if path == "works":
            return self._list(request)
        if path.startswith("works/"):
            return self._one(unquote(path[len("works/"):]))
        return Response.text("Resource not found.", 404)

    def _one(self, doi: str) -> Response:
        with self._lock:
            work = self.works.get(doi.lower())
        if work is None:
            return Response.text("Resource not found.", 404)
        return _envelope("work", work)

    def _list(self, request: Request) -> Response:
        rows_text = request.param("rows", "20") or "20"
        try:
            rows = int(rows_text)
        except ValueError:
            return _failure("integer-not-valid", rows_text,
                            f"Integer specified as {rows_text} but must be a positive integer "
                            "less than or equal to 1000.")
        if rows < 0 or rows > MAX_ROWS:
            return _failure("integer-not-valid", rows_text,
                            f"Integer specified as {rows} but must be a positive integer "
                            "less than or equal to 1000.")
        wanted: dict[str, list[str]] = {}
        for part in (request.param("filter") or "").split(","):
            if not part.strip():
                continue
            name, _, value = part.partition(":")
            name = name.strip()
            if name not in FILTERS:
                return _failure("filter-not-available", name,
                                f"Filter {name} specified but there is no such filter for "
                                f"this route. Valid filters for this route are: "
                                f"{', '.join(FILTERS)}")
            wanted.setdefault(name, []).append(value.strip().lower())
        with self._lock:
            works = list(self.works.values())
        items = [w for w in works if self._matches(w, wanted)]
        message = {"facets": {}, "total-results": len(items), "items": items[:rows],
                   "items-per-page": rows, "query": {"start-index": 0, "search-terms": None}}
        return _envelope("work-list", message)

    @staticmethod
    def _matches(work: dict[str, Any], wanted: dict[str, list[str]]) -> bool:
        # filters of one name are ORed, of different names ANDed
        if "doi" in wanted and str(work.get("DOI", "")).lower() not in wanted["doi"]:
            return False
        if "updates" in wanted:
            targets = {str(u.get("DOI", "")).lower() for u in work.get("update-to") or []}
            if not targets & set(wanted["updates"]):
                return False
        return True
