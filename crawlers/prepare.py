"""The pipeline steps every source shares, in order: normalize, then tag.

Scrapy's item pipelines and the Entrez fetcher both call these, so a Study is prepared the
same way whatever source it came from. Storing (with merging) is the store's ``ingest``.
"""

from __future__ import annotations

from crawlers.normalize import normalize_study
from ketawatch.model import Study
from ketawatch.tagging import tag_study


def prepare(study: Study) -> Study:
    """Normalize and tag one Study item (in place); return it."""
    return tag_study(normalize_study(study))
