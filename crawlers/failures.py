"""Counting what failed during a Scrapy crawl, so that the job can report it.

A page that could not be fetched or parsed, or a record that could not be read, is reported
here instead of vanishing in a log line: ``record_failure`` counts it in the crawl stats
(``ketawatch/failed``) and keeps its message (``ketawatch/errors``); ``crawlers.scrapy_job``
turns both into the crawl's ``SourceResult``.

A spider callback that meets a malformed page raises ``ketawatch.errors.ParseError``; the
``FailureReport`` extension records it (Scrapy's ``spider_error`` signal), and the other pages
go on.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

FAILED = "ketawatch/failed"
ERRORS = "ketawatch/errors"
INVALID = "ketawatch/invalid"
#: records the store refused (a batch that could not be written)
STORE_FAILED = "ketawatch/store_failed"
#: every counter whose sum is the crawl's ``failed``
FAILURE_STATS = (FAILED, INVALID, STORE_FAILED)
#: at most this many messages are kept; the count keeps counting
MAX_MESSAGES = 50


def crawl_stats(target):
    """The stats collector of a crawler, or of a spider's crawler; None outside a crawl."""
    crawler = target if isinstance(target, Crawler) else getattr(target, "crawler", None)
    # the private attribute: the public one raises before the crawl has started
    return getattr(crawler, "_stats", None) if crawler is not None else None


def record_failure(target, message: str, *, stat: str = FAILED, count: int = 1) -> None:
    """Count one failure of a crawl (a page or record lost) and keep its message.

    ``target`` is the crawler or the spider; ``stat`` the counter (``ketawatch/failed`` for
    pages and requests, ``ketawatch/invalid`` for items), ``count`` how many records were lost. A spider outside a crawl (parser tests) keeps the
    message in its ``ketawatch_failures`` list instead.
    """
    stats = crawl_stats(target)
    if stats is None:
        if target is not None:
            target.__dict__.setdefault("ketawatch_failures", []).append(message)
        return
    stats.inc_value(stat, count)
    messages = list(stats.get_value(ERRORS) or [])
    if len(messages) < MAX_MESSAGES:
        messages.append(message)
        stats.set_value(ERRORS, messages)


class FailureReport:
    """Scrapy extension: a callback that raised (a malformed page) counts as a failure."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler):
        """Build the extension for a crawler (Scrapy's component protocol)."""
        return cls(crawler)

    def spider_error(self, failure, response, spider, **kwargs) -> None:
        """Record the exception a callback raised, naming the page it was parsing."""
        exc = failure.value
        text = str(exc)
        url = getattr(response, "url", "")
        if url and url not in text:
            text = f"{text} ({url})"
        record_failure(spider, f"{type(exc).__name__}: {text}")
