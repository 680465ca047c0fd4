"""Scrapy settings for every KetaWatch spider, built from the KetaWatch configuration.

``scrapy_settings(config)`` is the one place these live: ``crawlers.scrapy_job`` hands them to
``CrawlerProcess``, and a spider that needs something else says why in its ``custom_settings``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

#: how many times a request is retried after a 429, a 5xx or a connection error
RETRY_TIMES = 4
#: first back-off when a source sends no Retry-After; doubles on every retry
RETRY_BACKOFF_BASE = 2.0
#: the same for a local replay server (tests, demo): nobody to be polite to
LOCAL_BACKOFF_BASE = 0.05
#: longest wait we accept: a Retry-After beyond it is capped (a crawl must end within the job)
RETRY_MAX_WAIT = 120.0
#: a local replay server (tests, demo) gets no delay and short back-offs
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def user_agent(config) -> str:
    """The User-Agent every KetaWatch request sends: the project and a contact address."""
    contact = getattr(config, "ncbi_email", "") or "ketawatch@localhost"
    return f"KetaWatch/0.1 (+https://github.com/ketawatch; mailto:{contact})"


def is_local(url: str) -> bool:
    """True when a base URL points at this machine (the replay server of tests and the demo)."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def scrapy_settings(config) -> dict[str, Any]:
    """The settings dict for ``CrawlerProcess``/``CrawlerRunner`` for one KetaWatch crawl."""
    return {
        "BOT_NAME": "ketawatch",
        "SPIDER_MODULES": ["crawlers.spiders"],
        # one broken spider module must not stop the others from loading
        "SPIDER_LOADER_WARN_ONLY": True,
        "USER_AGENT": user_agent(config),
        # We only call documented JSON APIs (CT.gov API v2, the bioRxiv API, Europe PMC REST),
        # which are meant for programs; their robots.txt files govern the web pages, and an
        # extra robots.txt request per crawl would only add load and a failure point. We stay
        # polite instead with one request at a time per host, a delay and Retry-After.
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": 4,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": float(config.request_delay),
        # a local replay server (tests, the demo) gets no delay: per-host slot settings
        "DOWNLOAD_SLOTS": {host: {"delay": 0.0, "jitter": 0.0} for host in LOCAL_HOSTS},
        "DOWNLOAD_TIMEOUT": float(getattr(config, "request_timeout", 60.0) or 60.0),
        "COOKIES_ENABLED": False,
        # the APIs answer JSON; say so, so that an error page does not come back as HTML
        "DEFAULT_REQUEST_HEADERS": {"Accept": "application/json"},
        # no telnet console and no remote-control HTTP server (Scrapy 2.19 starts one by
        # default): a cron job must not open ports that run code
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "WARNING",
        "STATS_DUMP": False,
        # Retry-After aware retries replace Scrapy's own RetryMiddleware (same slot)
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.middlewares.PoliteRetryMiddleware": 550,
        },
        "RETRY_ENABLED": True,
        "RETRY_TIMES": RETRY_TIMES,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 408, 522, 524],
        "KETAWATCH_RETRY_BACKOFF_BASE": RETRY_BACKOFF_BASE,
        "KETAWATCH_LOCAL_BACKOFF_BASE": LOCAL_BACKOFF_BASE,
        "KETAWATCH_RETRY_MAX_WAIT": RETRY_MAX_WAIT,
        "EXTENSIONS": {"crawlers.failures.FailureReport": 500},
        # one concern each; numbers say the order
        "ITEM_PIPELINES": {
            "crawlers.pipelines.validate.ValidatePipeline": 100,
            "crawlers.pipelines.normalize.NormalizePipeline": 200,
            "crawlers.pipelines.tag.TagPipeline": 300,
            "crawlers.pipelines.store.StorePipeline": 900,
        },
        "KETAWATCH_STORE_BATCH": 200,
        # the configuration itself, for the pipelines that open the store
        "KETAWATCH_CONFIG": config,
    }
