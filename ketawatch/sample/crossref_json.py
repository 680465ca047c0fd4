"""Render the Crossref ``message`` of ``GET /works/{doi}`` for DOIs with updates.

The modern shape: ``updated-by`` lists ``{"updated": {"date-parts", "date-time", "timestamp"},
"DOI", "type", "source", "label", "record-id"}``; Retraction Watch entries say
``"source": "retraction-watch"``, some retractions also have the publisher's own entry. The
sample-data mark is an ``assertion`` (a field Crossref uses for publisher notes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ketawatch.sample import vocab
from ketawatch.sample.common import stable
from ketawatch.sample.prose import strip_tags
from ketawatch.sample.world import WorldStudy

_LABELS = {"retraction": "Retraction", "correction": "Correction",
           "expression_of_concern": "Expression of concern"}


def _when(d: date) -> dict[str, Any]:
    moment = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return {"date-parts": [[d.year, d.month, d.day]],
            "date-time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timestamp": int(moment.timestamp() * 1000)}


def render(s: WorldStudy, by_sid: dict[str, WorldStudy]) -> dict[str, Any] | None:
    """The Crossref work of ``s`` when Crossref knows an update for it, else None."""
    updates = [u for u in s.updates if "crossref" in u.known_to]
    if not updates or not s.doi or not s.journal:
        return None
    j = s.journal
    d = s.pub_date or s.edat or date(2024, 1, 1)
    updated_by = []
    for u in updates:
        notice = by_sid.get(u.notice_sid or "")
        doi = notice.doi if notice and notice.doi else u.notice_doi
        entry = {"updated": _when(u.day), "DOI": doi, "type": u.kind, "source": "retraction-watch",
                 "label": _LABELS[u.kind], "record-id": str(u.record_id)}
        updated_by.append(entry)
        if u.kind == "retraction" and stable(s.sid, "pub", 2):
            updated_by.append({"updated": _when(u.day), "DOI": doi, "type": u.kind,
                               "source": "publisher", "label": _LABELS[u.kind]})
    issued = [d.year, d.month] + ([d.day] if s.date_style == "ymd" else [])
    msg: dict[str, Any] = {
        "indexed": _when(max(u.day for u in updates)),
        "reference-count": 20 + stable(s.sid, "refs", 40),
        "publisher": j.publisher,
        "content-domain": {"domain": [], "crossmark-restriction": False},
        "short-container-title": [j.iso],
        "DOI": s.doi,
        "type": "journal-article",
        "created": _when(s.edat or d),
        "source": "Crossref",
        "is-referenced-by-count": stable(s.sid, "cites", 80),
        "title": [strip_tags(s.title).rstrip(".")],
        "prefix": s.doi.split("/")[0],
        "author": [{"given": a.fore, "family": a.last, "sequence": "first" if i == 0 else "additional",
                    "affiliation": []} for i, a in enumerate(a for a in s.authors if not a.collective)],
        "member": str(1000 + stable(j.publisher, "member", 8000)),
        "container-title": [j.title],
        "language": "en",
        "deposited": _when(max(u.day for u in updates)),
        "score": 1,
        "issued": {"date-parts": [issued]},
        "URL": f"https://doi.org/{s.doi}",
        "ISSN": [x for x in (j.issn_print, j.issn_electronic) if x],
        "published": {"date-parts": [issued]},
        "assertion": [{"value": vocab.SAMPLE_MARK, "name": "sample_data", "label": "Sample data"}],
        "updated-by": updated_by,
    }
    if s.volume:
        msg["volume"] = s.volume
    if s.issue:
        msg["issue"] = s.issue
    if s.pages:
        msg["page"] = s.pages
    return msg
