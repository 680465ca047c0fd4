"""What the JSON API spiders share: reading a page (fetching a garbled one again) and the store.

A page that is not valid JSON is fetched again (a cut connection can garble it); if it stays
broken, ``ParseError`` goes up to the callback's caller and the crawl reports it
(``crawlers.failures``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request

from crawlers.failures import crawl_stats
from ketawatch.errors import ParseError

#: how often a page that is not valid JSON is fetched again before it counts as failed
MALFORMED_RETRIES = 2


class JsonApiSpider(scrapy.Spider):
    """A spider over a paged JSON API, with an optional store it reads stored records from."""

    def __init__(self, *args: Any, store=None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        #: the store (opened from ``self.config`` on first use when not given)
        self._store = store
        self._own_store = False

    def read_page(self, response, parse: Callable[..., Any]) -> tuple[Any, Any]:
        """``(page, None)`` for a good page, ``(None, retry request)`` for a garbled one.

        Raises ParseError when the page stays garbled after ``MALFORMED_RETRIES`` fetches.
        """
        try:
            page = parse(response.body, url=response.url)
        except ParseError:
            retry = self._refetch(response)
            if retry is None:
                raise
            return None, retry
        stats = crawl_stats(self)
        if stats is not None:
            stats.inc_value("ketawatch/pages")
        return page, None

    def _refetch(self, response):
        """A new request for a page that came back garbled, while tries are left."""
        if getattr(self, "crawler", None) is None or response.request is None:
            return None
        return get_retry_request(response.request, spider=self, reason="malformed JSON",
                                 max_retry_times=MALFORMED_RETRIES,
                                 stats_base_key="ketawatch/malformed_retry",
                                 give_up_log_level="DEBUG")

    @property
    def store(self):
        """The store this spider reads from, opened on first use."""
        if self._store is None and getattr(self, "config", None) is not None:
            from ketawatch.store import open_store

            self._store = open_store(self.config)
            self._own_store = True
        return self._store

    def closed(self, reason: str) -> None:
        """Close the store this spider opened."""
        if self._own_store and self._store is not None:
            self._store.close()
            self._store = None
