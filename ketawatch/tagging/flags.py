"""Status flags a record carries about itself: retracted, corrected, preprint.

The tagger only ever sets a flag; it never clears one, because another source (Crossref,
Europe PMC's status monitor) may have set it first. A notice (the erratum or the retraction
notice itself) is not flagged: the article it points to is.
"""

from __future__ import annotations

import re
from typing import Any

_RETRACTED_TYPES = {"retracted publication"}
_CORRECTED_TYPES = {"corrected and republished article"}
_PREPRINT_TYPES = {"preprint"}
# comments/corrections link types, normalized: PubMed "RetractionIn", Europe PMC "Retraction in"
_RETRACTED_LINKS = {"retractionin", "retractedandrepublishedin"}
_CORRECTED_LINKS = {"erratumin", "correctedandrepublishedin", "correctionin",
                    "correctedandrepublishedfrom"}
# Elsevier and Europe PMC prefix the titles of retracted or withdrawn articles
_RETRACTED_TITLE = re.compile(r"^\W*(?:retracted|withdrawn)\s*(?:article)?\s*:", re.IGNORECASE)


def _link_type(link: dict[str, Any]) -> str:
    return re.sub(r"[\s_-]+", "", str(link.get("type") or link.get("reftype") or "")).lower()


def status_flags(publication_types: list[str], comments_corrections: list[dict[str, Any]],
                 title: str) -> dict[str, bool]:
    """Which of retracted, corrected and preprint the record's own metadata says are true."""
    types = {p.strip().lower() for p in publication_types}
    links = {_link_type(c) for c in comments_corrections if isinstance(c, dict)}
    return {
        "retracted": bool(types & _RETRACTED_TYPES or links & _RETRACTED_LINKS
                          or _RETRACTED_TITLE.search(title or "")),
        "corrected": bool(types & _CORRECTED_TYPES or links & _CORRECTED_LINKS),
        "preprint": bool(types & _PREPRINT_TYPES),
    }
