"""ClinicalTrials.gov spider: ketamine, esketamine and arketamine trials from API v2 ``/studies``.

One search (``query.intr``), paged with ``pageToken`` until a page carries no
``nextPageToken``. An incremental run (``since``) asks only for records updated in its window
(``filter.advanced=AREA[LastUpdatePostDate]RANGE[since,until]``); the first run takes them all.
Every record becomes a ``StudyItem``; the store keeps a snapshot per trial and turns status,
enrollment and results changes into events.

A page that is not JSON is fetched again (a cut connection can garble it); if it stays broken,
the callback raises ``ParseError`` and the crawl reports it (``crawlers.failures``). The pages
before it stay stored; the ones after it cannot be reached, because only a page knows the token
of the next, so the window is not marked done and the next run covers it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from urllib.parse import urlencode

import scrapy

from crawlers.clinicaltrials_json import SOURCE, parse_page, parse_study
from crawlers.failures import crawl_stats, record_failure
from crawlers.items import StudyItem, raw_json
from crawlers.spiders.base import JsonApiSpider
from ketawatch.errors import ParseError

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2/"
#: the intervention search: every spelling the API's InterventionSearch area should match
INTERVENTION_QUERY = "ketamine OR esketamine OR arketamine"
#: records per page (the API allows up to 1,000; smaller pages lose less to a broken one)
PAGE_SIZE = 200


def _iso(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


class ClinicalTrialsSpider(JsonApiSpider):
    """Crawl ClinicalTrials.gov API v2 for ketamine-family trials."""

    name = "clinicaltrials"

    def __init__(self, config=None, since=None, until=None, base_url: str | None = None,
                 page_size: int | None = None, condition: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.base_url = base_url or getattr(config, "clinicaltrials_url", "") or DEFAULT_BASE_URL
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        self.since = _iso(since)
        self.until = _iso(until)
        self.page_size = int(page_size or PAGE_SIZE)
        self.condition = condition
        #: page tokens already followed: a source that repeats one is reported, not looped on
        self.tokens_seen: set[str] = set()

    def search_params(self, page_token: str | None = None) -> dict[str, str]:
        """The query parameters of one page of the search."""
        params = {"format": "json", "query.intr": INTERVENTION_QUERY,
                  "pageSize": str(self.page_size)}
        if self.condition:
            params["query.cond"] = self.condition
        if self.since:
            params["filter.advanced"] = (
                f"AREA[LastUpdatePostDate]RANGE[{self.since},{self.until or 'MAX'}]")
        if page_token:
            params["pageToken"] = page_token
        else:
            # the API counts only when asked, and only on the first page
            params["countTotal"] = "true"
        return params

    def search_url(self, page_token: str | None = None) -> str:
        """The URL of one page of the search."""
        return f"{self.base_url}studies?{urlencode(self.search_params(page_token))}"

    async def start(self):
        """The first page of the search."""
        yield scrapy.Request(self.search_url(), callback=self.parse)

    def parse(self, response) -> Iterator:
        """One page: a StudyItem per record, then the request for the next page."""
        page, retry = self.read_page(response, parse_page)
        if retry is not None:
            yield retry
            return
        stats = crawl_stats(self)
        if stats is not None and "totalCount" in page:
            stats.set_value("ketawatch/total_count", page["totalCount"])
        for record in page.get("studies") or []:
            try:
                study = parse_study(record)
            except ParseError as exc:
                record_failure(self, f"{exc} ({response.url})")
                continue
            yield StudyItem(study=study, raw=raw_json(record), url=response.url)
        token = page.get("nextPageToken")
        if not token:
            return
        if token in self.tokens_seen:
            # a token that repeats would loop or (filtered as a duplicate) end the crawl
            # silently with trials unread: report it, so the window stays open
            record_failure(self, f"ClinicalTrials.gov repeated page token {token!r} "
                                 f"({response.url}); the rest of the search was not read")
            return
        self.tokens_seen.add(token)
        yield scrapy.Request(self.search_url(token), callback=self.parse, dont_filter=True)

__all__ = ["ClinicalTrialsSpider", "SOURCE"]
