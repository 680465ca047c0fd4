"""Downloader middleware: retries that honour ``Retry-After``, with exponential back-off.

Scrapy's own ``RetryMiddleware`` retries a 429 or a 503 at once, ignoring the ``Retry-After``
header the source sent. ``PoliteRetryMiddleware`` takes its place: it waits what the source
asked for (seconds or an HTTP date, capped at ``KETAWATCH_RETRY_MAX_WAIT``), or
``base * 2**n`` seconds when the source said nothing, then retries, up to ``RETRY_TIMES``.
The wait does not block the reactor (Twisted's ``deferLater``) and holds the request's download
slot, so no other request goes to a host that asked us to wait.

A request that still fails when the retries are spent, and any other response of status 400
or more, is recorded as a crawl failure (``crawlers.failures``), so the job reports it.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.task import deferLater

from crawlers.failures import record_failure
from crawlers.retry_after import retry_after_seconds
from crawlers.settings import is_local


class PoliteRetryMiddleware:
    """Retry 429/5xx answers and connection errors, waiting as the source asks."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(x) for x in settings.getlist("RETRY_HTTP_CODES")}
        self.backoff_base = settings.getfloat("KETAWATCH_RETRY_BACKOFF_BASE", 2.0)
        self.local_backoff_base = settings.getfloat("KETAWATCH_LOCAL_BACKOFF_BASE", 0.05)
        self.max_wait = settings.getfloat("KETAWATCH_RETRY_MAX_WAIT", 120.0)
        self.exceptions = tuple(load_object(x) if isinstance(x, str) else x
                                for x in settings.getlist("RETRY_EXCEPTIONS"))

    @classmethod
    def from_crawler(cls, crawler):
        """Build the middleware for a crawler (Scrapy's component protocol)."""
        return cls(crawler)

    def _wait_for(self, request, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        attempt = request.meta.get("retry_times", 0)
        base = self.local_backoff_base if is_local(request.url) else self.backoff_base
        return min(base * (2 ** attempt), self.max_wait)

    async def _retry(self, request, reason: str, retry_after: float | None):
        """A copy of the request to send after the wait, or None when retries are spent."""
        spider = self.crawler.spider
        max_times = request.meta.get("max_retry_times", self.max_retry_times)
        new = get_retry_request(request, spider=spider, reason=reason,
                                max_retry_times=max_times, give_up_log_level="DEBUG")
        if new is None:
            return None
        wait = self._wait_for(request, retry_after)
        self.crawler.stats.inc_value("ketawatch/retry_wait_seconds", wait)
        if wait > 0:
            # imported here: importing the reactor installs one, which only Scrapy may choose
            from twisted.internet import reactor

            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return new

    async def process_response(self, request, response):
        """Retry a retryable status after the wait; report a final error status."""
        if request.meta.get("dont_retry"):
            return response
        status = response.status
        if status in self.retry_http_codes:
            retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
            new = await self._retry(request, f"HTTP {status}", retry_after)
            if new is not None:
                return new
        if status >= 400 and status not in request.meta.get("handle_httpstatus_list", ()):
            record_failure(self.crawler.spider,
                           f"HTTP {status} from {request.url} (after "
                           f"{request.meta.get('retry_times', 0)} retries)")
        return response

    async def process_exception(self, request, exception):
        """Retry a connection error or timeout after a back-off; report it when spent."""
        if isinstance(exception, IgnoreRequest):
            return None
        if isinstance(exception, self.exceptions) and not request.meta.get("dont_retry"):
            new = await self._retry(request, type(exception).__name__, None)
            if new is not None:
                return new
        record_failure(self.crawler.spider,
                       f"{type(exception).__name__} for {request.url}: {exception}")
        return None
