"""Europe PMC spider: preprints from servers other than medRxiv, and the status of what we hold.

Two searches run side by side, each paged with ``cursorMark`` (``*`` first, then each page's
``nextCursorMark``):

``preprints``
    ``(SRC:PPR) AND (ketamine OR esketamine OR arketamine OR spravato)``, narrowed to the
    crawl window by ``FIRST_PDATE`` on an incremental run. Europe PMC also searches full texts,
    so each record must pass ``crawlers.relevance`` on its title and abstract, as medRxiv
    preprints do. medRxiv preprints are skipped: the medRxiv spider crawls them from the
    source.
``status``
    ``(ketamine OR esketamine OR arketamine) AND (PUB_TYPE:"Retracted Publication" OR ...)``
    over all years (a retraction can come at any time): retracted articles, retraction notices
    and withdrawn or removed preprints. Only records about studies the store holds are kept:
    a record sharing an identifier with a stored study (it then joins that study and marks it
    retracted), or a notice whose "Retraction of" link points at one (the store marks the
    target).

A search stops at an empty page, when every hit has been read, or when Europe PMC hands back
a cursor it gave before; the last, while hits are left, is reported as a failure, because
following it would read the same page forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import scrapy

from crawlers.europepmc_json import (
    SOURCE,
    is_medrxiv,
    parse_page,
    parse_result,
    search_url,
)
from crawlers.failures import crawl_stats, record_failure
from crawlers.items import StudyItem, raw_json
from crawlers.relevance import is_relevant
from crawlers.spiders.base import JsonApiSpider
from ketawatch.errors import KetaWatchError, ParseError
from ketawatch.model import Study

DEFAULT_BASE_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
DRUG_TERMS = "(ketamine OR esketamine OR arketamine OR spravato)"
#: publication types that change what a clinician may rely on
STATUS_TYPES = ("Retracted Publication", "Retraction of Publication", "preprint-withdrawal",
                "preprint-removal")
MALFORMED_RETRIES = 2
SKIPPED = "ketawatch/europepmc/skipped"


def _iso(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


def preprint_query(since: str | None, until: str | None) -> str:
    """The preprint search, narrowed to first publication in [since, until] when given."""
    query = f"(SRC:PPR) AND {DRUG_TERMS}"
    if since or until:
        query += f" AND (FIRST_PDATE:[{since or '1900-01-01'} TO {until or '3000-01-01'}])"
    return query


def status_query() -> str:
    """The search for retracted, retracting and withdrawn records about the drugs."""
    types = " OR ".join(f'PUB_TYPE:"{t}"' for t in STATUS_TYPES)
    return f"{DRUG_TERMS} AND ({types})"


class EuropePMCSpider(JsonApiSpider):
    """Crawl Europe PMC for non-medRxiv preprints and for the status of stored studies."""

    name = "europepmc"

    def __init__(self, config=None, since=None, until=None, base_url: str | None = None,
                 store=None, page_size: int | None = None, **kwargs):
        super().__init__(store=store, **kwargs)
        self.config = config
        self.base_url = base_url or getattr(config, "europepmc_url", "") or DEFAULT_BASE_URL
        self.since = _iso(since)
        self.until = _iso(until)
        self.page_size = int(page_size or 100)
        #: per search: the cursors already requested, and how many records were read
        self.cursors: dict[str, set[str]] = {"preprints": set(), "status": set()}
        self.read: dict[str, int] = {"preprints": 0, "status": 0}
        #: source ids already yielded (a record can match both searches)
        self.yielded: set[str] = set()

    def queries(self) -> dict[str, str]:
        """The search of each job."""
        return {"preprints": preprint_query(self.since, self.until), "status": status_query()}

    def request(self, job: str, cursor: str = "*") -> scrapy.Request:
        """The request of one page of a job's search."""
        self.cursors[job].add(cursor)
        return scrapy.Request(search_url(self.base_url, self.queries()[job], cursor,
                                         self.page_size),
                              callback=self.parse, cb_kwargs={"job": job, "cursor": cursor},
                              dont_filter=True)

    async def start(self):
        """The first page of both searches."""
        yield self.request("preprints")
        yield self.request("status")

    def parse(self, response, job: str = "preprints", cursor: str = "*") -> Iterator:
        """One page: its items, then the next page unless the search is done."""
        page, retry = self.read_page(response, parse_page)
        if retry is not None:
            yield retry
            return
        self.read[job] = self.read.get(job, 0) + len(page.results)
        for record in page.results:
            item = self.item_for(job, record, response.url)
            if item is not None:
                yield item
        nxt = page.next_cursor
        if not page.results or not nxt or self.read[job] >= page.hit_count:
            return
        if nxt in self.cursors.setdefault(job, set()):
            record_failure(self, f"Europe PMC repeated cursor {nxt!r} after {self.read[job]} of "
                                 f"{page.hit_count} records of the {job} search; stopped "
                                 f"({response.url})")
            return
        yield self.request(job, nxt)


    # -- items ---------------------------------------------------------------------------------

    def item_for(self, job: str, record: dict[str, Any], url: str) -> StudyItem | None:
        """The item of one result, or None when the job does not keep it."""
        try:
            study = parse_result(record)
        except ParseError as exc:
            record_failure(self, f"{exc} ({url})")
            return None
        if study.source_id in self.yielded:
            return None
        keep = self.keep_preprint(record, study) if job == "preprints" else self.held(study)
        if not keep:
            stats = crawl_stats(self)
            if stats is not None:
                stats.inc_value(SKIPPED)
            return None
        self.yielded.add(study.source_id)
        return StudyItem(study=study, raw=raw_json(record), url=url)

    @staticmethod
    def keep_preprint(record: dict[str, Any], study: Study) -> bool:
        """A preprint is kept when it is not medRxiv's and is about the drugs in psychiatry."""
        return study.preprint and not is_medrxiv(record) and is_relevant(study.title,
                                                                         study.abstract)

    def held(self, study: Study) -> bool:
        """True when a status record is about a study the store holds (none without a store)."""
        store = self.store
        if store is None:
            return False
        keys = list(study.identifiers())
        keys += [(kind, link[kind]) for link in study.comments_corrections
                 if link.get("type") == "RetractionOf" for kind in ("pmid", "doi")
                 if link.get(kind)]
        try:
            return any(store.find_study(kind, value) is not None for kind, value in keys)
        except KetaWatchError as exc:
            record_failure(self, f"cannot look up {study.source_id} in the store: {exc}")
            return False



__all__ = ["EuropePMCSpider", "SOURCE", "preprint_query", "status_query"]
