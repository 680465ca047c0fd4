"""Scrapy item pipelines, one concern each, in the order ``ITEM_PIPELINES`` gives them.

``validate`` (100) refuses items that cannot be stored, ``normalize`` (200) cleans strings and
identifiers, ``tag`` (300) adds the vocabulary tags, ``store`` (900) ingests batches into the
store. A broken item is counted in the crawl stats (``ketawatch/invalid``) and dropped, never
dropped silently.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawlers.failures import INVALID, record_failure


def reject(crawler, item, reason: str) -> DropItem:
    """Count a broken item in the crawl's stats and return the DropItem to raise."""
    study = getattr(item, "study", None)
    name = f"{getattr(study, 'source', '?')}:{getattr(study, 'source_id', '?')}"
    message = f"invalid item {name}: {reason}"
    url = getattr(item, "url", "")
    if url:
        message += f" ({url})"
    record_failure(crawler, message, stat=INVALID)
    return DropItem(message)


class Pipeline:
    """Base of the KetaWatch pipelines: keeps the crawler, for its stats and settings."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        """Build the pipeline for a crawler (Scrapy's component protocol)."""
        return cls(crawler)
