"""Running crawls over several sources: one failing source never stops the others."""

from __future__ import annotations

import importlib
import logging
import time
from datetime import date

from crawlers.results import SourceResult

log = logging.getLogger(__name__)

#: each source's crawl function, as "module:function"; every one takes
#: (config, store, *, since, until) and returns a SourceResult without raising
SOURCE_JOBS: dict[str, str] = {
    "pubmed": "crawlers.pubmed_job:crawl_pubmed",
    "clinicaltrials": "crawlers.scrapy_job:crawl_clinicaltrials",
    "medrxiv": "crawlers.scrapy_job:crawl_medrxiv",
    "europepmc": "crawlers.scrapy_job:crawl_europepmc",
}
#: the Crossref retraction check, run after the crawls: f(config, store) -> SourceResult
CROSSREF_CHECK = "crawlers.crossref:check_retractions"
ALL_SOURCES = ("pubmed", "clinicaltrials", "medrxiv", "europepmc")


def _job(source: str):
    module, _, func = SOURCE_JOBS[source].partition(":")
    return getattr(importlib.import_module(module), func)


def available_sources() -> list[str]:
    """The sources this installation can crawl, in crawl order."""
    return [s for s in ALL_SOURCES if s in SOURCE_JOBS] + [
        s for s in SOURCE_JOBS if s not in ALL_SOURCES]


def crawl_sources(config, store, sources: list[str], *, since: date | None = None,
                  until: date | None = None) -> list[SourceResult]:
    """Crawl each source in turn; a source that fails is reported and the next one runs."""
    results = []
    for source in sources:
        started = time.monotonic()
        run_id = store.start_run(source)
        try:
            result = _job(source)(config, store, since=since, until=until)
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop the others
            log.exception("crawl of %s failed", source)
            result = SourceResult(source, errors=[f"{type(exc).__name__}: {exc}"],
                                  seconds=time.monotonic() - started)
        store.finish_run(run_id, status="ok" if result.ok else "failed", new=result.new,
                         updated=result.updated, unchanged=result.unchanged,
                         failed=result.failed, message="; ".join(result.errors))
        results.append(result)
    return results
