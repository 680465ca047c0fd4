"""Store pipeline: ingest items into the SQLite store in batches, one transaction each.

Items are kept until ``KETAWATCH_STORE_BATCH`` of them are waiting, then ``Store.ingest`` files
them in one transaction; the rest are flushed when the spider closes. What each batch did
(new, updated, unchanged source records, events, study ids) is added to the crawl stats, where
``crawlers.scrapy_job`` reads it. A batch the store refuses is counted as failed, and the crawl
goes on: batches already stored stay stored.
"""

from __future__ import annotations

from crawlers.failures import STORE_FAILED, record_failure
from crawlers.pipelines import Pipeline
from ketawatch.errors import KetaWatchError
from ketawatch.store import open_store

NEW = "ketawatch/new"
UPDATED = "ketawatch/updated"
UNCHANGED = "ketawatch/unchanged"
EVENTS = "ketawatch/events"
STUDY_IDS = "ketawatch/study_ids"


class StorePipeline(Pipeline):
    """Ingest StudyItems into the store in batches."""

    def __init__(self, crawler=None, *, store=None, batch_size: int | None = None):
        super().__init__(crawler)
        settings = crawler.settings if crawler is not None else {}
        self.batch_size = batch_size or int(settings.get("KETAWATCH_STORE_BATCH", 200))
        self.store = store
        self._own_store = False
        self.pending: list[tuple] = []

    def open_spider(self, spider=None) -> None:
        """Open the store of the crawl's configuration (unless one was handed in)."""
        if self.store is None:
            self.store = open_store(self.crawler.settings["KETAWATCH_CONFIG"])
            self._own_store = True

    def process_item(self, item):
        """Queue the item for the next batch; store the batch when it is full."""
        if self.store is None:
            self.open_spider()
        self.pending.append((item.study, item.raw))
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        """Ingest the queued items in one transaction and count what it did."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        stats = self.crawler.stats if self.crawler is not None else None
        try:
            result = self.store.ingest(batch)
        except KetaWatchError as exc:
            record_failure(self.crawler, f"store refused a batch of {len(batch)}: {exc}",
                           stat=STORE_FAILED, count=len(batch))
            return
        if stats is None:
            return
        stats.inc_value(NEW, result.new)
        stats.inc_value(UPDATED, result.updated)
        stats.inc_value(UNCHANGED, result.unchanged)
        stats.inc_value(EVENTS, result.events)
        ids = set(stats.get_value(STUDY_IDS) or []) | result.study_ids
        stats.set_value(STUDY_IDS, sorted(ids))

    def close_spider(self, spider=None) -> None:
        """Store what is left and close the store this pipeline opened."""
        try:
            self.flush()
        finally:
            if self._own_store and self.store is not None:
                self.store.close()
                self.store = None
