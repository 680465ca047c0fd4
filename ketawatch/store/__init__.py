"""The SQLite store: the only place SQL lives, and the source of truth of KetaWatch.

Open it with ``open_store(config)``; everything else in KetaWatch reads and writes through the
``Store`` methods. The Whoosh index is derived from it and can be rebuilt at any time.
"""

from __future__ import annotations

from ketawatch.store.base import StoreBase
from ketawatch.store.crawlstate import CrawlState, CrawlStateMixin
from ketawatch.store.deliveries import DeliveriesMixin
from ketawatch.store.events import EVENT_KINDS, Event, EventsMixin
from ketawatch.store.studies import IngestResult, StoredStudy, StudiesMixin
from ketawatch.store.subscribers import SubscribersMixin

__all__ = ["Store", "open_store", "CrawlState", "Event", "EVENT_KINDS", "IngestResult",
           "StoredStudy"]


class Store(StudiesMixin, EventsMixin, CrawlStateMixin, SubscribersMixin, DeliveriesMixin,
            StoreBase):
    """The KetaWatch store. See the mixins for each concern's methods."""


def open_store(config) -> Store:
    """Open (and migrate) the store of a configuration's data folder."""
    return Store(config.db_path)
