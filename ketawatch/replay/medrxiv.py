"""The bioRxiv/medRxiv ``/details`` API replayed from a list of version records.

``GET details/{server}/{from}/{to}/{cursor}[/json]`` answers like api.biorxiv.org: a
``messages`` envelope (status "ok", interval, cursor as a number, count, and
``count_new_papers`` and ``total`` as strings, as the real service sends them) and a
``collection`` of at most 100 records, those posted in the window ordered by date. An empty
window, or a cursor past the end, answers status "no posts found". A malformed interval
answers an error status. Slashes are escaped (``\\/``) as on the wire.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from ketawatch.replay.server import Request, Response

PAGE_SIZE = 100
_PATH_RE = re.compile(r"^details/(?P<server>[a-z]+)/(?P<start>[^/]+)/(?P<end>[^/]+)"
                      r"(?:/(?P<cursor>[^/]+))?(?:/(?P<format>json))?/?$")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class MedrxivHandler:
    """Answers ``details/medrxiv/...`` (and ``details/biorxiv/...``) from version records."""

    def __init__(self, records: Iterable[dict[str, Any]], page_size: int = PAGE_SIZE):
        # the service lists a window oldest first; equal dates keep the order given
        self.records = sorted((dict(r) for r in records), key=lambda r: str(r.get("date", "")))
        self.page_size = page_size

    def handle(self, request: Request) -> Response:
        """One ``/details`` page."""
        m = _PATH_RE.match(request.path)
        if not m:
            return Response.text(f"unknown bioRxiv API path {request.path!r}", 404)
        start, end = _day(m["start"]), _day(m["end"])
        cursor_text = m["cursor"] or "0"
        if start is None or end is None or not cursor_text.isdigit():
            return self._status(f"interval or cursor not recognised: {m['start']}/{m['end']}/"
                                f"{cursor_text}")
        server = m["server"].lower()
        cursor = int(cursor_text)
        matches = [r for r in self.records
                   if str(r.get("server") or "medRxiv").lower() == server
                   and start.isoformat() <= str(r.get("date", "")) <= end.isoformat()]
        page = matches[cursor:cursor + self.page_size]
        if not page:
            return self._status("no posts found")
        body = {
            "messages": [{
                "status": "ok",
                "interval": f"{start.isoformat()}:{end.isoformat()}",
                "cursor": cursor,
                "count": len(page),
                "count_new_papers": str(sum(str(r.get("version")) == "1" for r in matches)),
                "total": str(len(matches)),
            }],
            "collection": page,
        }
        # the service escapes every slash (10.1101\/2024...): valid JSON, and a parser
        # that reads the text rather than the JSON would trip on it here too
        return Response.json(json.dumps(body).replace("/", "\\/"))

    @staticmethod
    def _status(status: str) -> Response:
        return Response.json(json.dumps({"messages": [{"status": status}], "collection": []}))
