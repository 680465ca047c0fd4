"""The one Scrapy item every KetaWatch spider yields: a Study with the raw record it came from.

Scrapy handles dataclass items through ``itemadapter``, so the item is a plain dataclass:
``study`` is the parsed ``ketawatch.model.Study`` (one source record) and ``raw`` is the
source's own text of that record (the JSON of one trial, one preprint, one Europe PMC result),
which the store keeps beside the parsed record. Keeping ``raw`` outside the Study means the
Study stays exactly what the store merges and hashes, whatever bytes the source sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ketawatch.model import Study


@dataclass
class StudyItem:
    """One source record: the parsed Study, its raw text, and the page it came from."""

    study: Study
    raw: str | None = None
    #: the URL of the page the record was read from (for error messages)
    url: str = ""


def raw_json(record: Any) -> str:
    """The raw text to keep for a JSON record: compact, keys in the source's order."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
