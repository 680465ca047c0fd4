"""medRxiv spider: every preprint of a date window from ``/details/medrxiv``, filtered locally.

The API has no keyword search, so the spider reads every page of the window (100 version
records each) and keeps the preprints ``crawlers.relevance`` accepts, plus any preprint the
store already holds (its new versions must not be lost because a revised title reads
differently).

One preprint is one source record (``source_id`` = its DOI) holding all of its versions. A
version that arrives in a later run, or on a later page of this run, is merged with the
versions stored before (the stored raw record) and the ones this run already yielded, so a new
version never replaces the record of the old ones (``crawlers.medrxiv_json``).

The first page says how many records the window holds; every other page is requested from it
at once (cursor = offset), so one malformed page is reported and the pages after it are still
read. An incremental run starts at the end of the last good window (``crawlers.scrapy_job``);
the first run starts at medRxiv's launch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import scrapy

from crawlers.failures import crawl_stats, record_failure
from crawlers.items import StudyItem
from crawlers.medrxiv_json import (
    SOURCE,
    details_url,
    group_by_doi,
    load_raw,
    merge_version_records,
    parse_page,
    parse_preprint,
    raw_text,
    record_doi,
)
from crawlers.relevance import is_relevant
from crawlers.spiders.base import JsonApiSpider
from ketawatch.clock import now
from ketawatch.errors import KetaWatchError, ParseError

DEFAULT_BASE_URL = "https://api.biorxiv.org/"
#: medRxiv went online in June 2019: a first crawl starts there
FIRST_SINCE = date(2019, 6, 1)
IRRELEVANT = "ketawatch/medrxiv/irrelevant"


def _day(value: Any, default: date) -> date:
    if value in (None, ""):
        return default
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class MedrxivSpider(JsonApiSpider):
    """Crawl medRxiv's ``/details`` API for ketamine-family preprints in psychiatry."""

    name = "medrxiv"

    def __init__(self, config=None, since=None, until=None, base_url: str | None = None,
                 store=None, **kwargs):
        super().__init__(store=store, **kwargs)
        self.config = config
        self.base_url = base_url or getattr(config, "medrxiv_url", "") or DEFAULT_BASE_URL
        self.until = _day(until, now().date())
        self.since = _day(since, FIRST_SINCE)
        #: the store to read stored versions from (opened from ``config`` when not given)
        #: version records of the preprints this run yielded, by DOI
        self.yielded: dict[str, list[dict[str, Any]]] = {}

    # -- requests ------------------------------------------------------------------------------

    def page_url(self, cursor: int) -> str:
        """The URL of the page of the window that starts at ``cursor``."""
        return details_url(self.base_url, self.since, self.until, cursor)

    async def start(self):
        """The first page of the window; it tells how many pages follow."""
        yield scrapy.Request(self.page_url(0), callback=self.parse, cb_kwargs={"first": True})

    def parse(self, response, first: bool = False) -> Iterator:
        """One page: requests for the other pages (from the first), then one item per preprint."""
        page, retry = self.read_page(response, parse_page)
        if retry is not None:
            yield retry
            return
        if first and page.count > 0:
            # every page is known from the first: one broken page does not hide the others
            for cursor in range(page.cursor + page.count, page.total, page.count):
                yield scrapy.Request(self.page_url(cursor), callback=self.parse)
        for record in page.records:
            if not record_doi(record):
                record_failure(self, f"medRxiv record without a usable DOI ({response.url})")
        for doi, records in group_by_doi(page.records).items():
            item = self.item_for(doi, records, response.url)
            if item is not None:
                yield item


    # -- items ---------------------------------------------------------------------------------

    def item_for(self, doi: str, records: list[dict[str, Any]], url: str) -> StudyItem | None:
        """The item of one preprint from this page's versions and the ones known before.

        None when the preprint is not about the drugs in psychiatry and is not stored yet;
        a preprint whose versions cannot be parsed is reported, not yielded.
        """
        stored = self.stored_versions(doi)
        versions = merge_version_records(stored + self.yielded.get(doi, []), records)
        if not stored and not any(is_relevant(r.get("title"), r.get("abstract"))
                                  for r in versions):
            stats = crawl_stats(self)
            if stats is not None:
                stats.inc_value(IRRELEVANT)
            return None
        try:
            study = parse_preprint(versions)
        except ParseError as exc:
            record_failure(self, f"{exc} ({url})")
            return None
        self.yielded[doi] = versions
        return StudyItem(study=study, raw=raw_text(versions), url=url)

    def stored_versions(self, doi: str) -> list[dict[str, Any]]:
        """The version records the store holds for a preprint (none without a store)."""
        store = self.store
        if store is None:
            return []
        try:
            return load_raw(store.raw_record(SOURCE, doi))
        except KetaWatchError as exc:
            record_failure(self, f"cannot read stored medRxiv record {doi}: {exc}")
            return []



__all__ = ["MedrxivSpider", "SOURCE"]
