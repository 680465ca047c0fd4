"""The PubMed crawl job: search a date window, fetch it in batches, store each batch.

Each batch is stored in one transaction together with where the run stands, so a run that
dies resumes at the next batch; the window only counts as done (``last_until``) when every
batch of it was stored.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from crawlers.prepare import prepare
from crawlers.pubmed import PubMedClient
from crawlers.results import SourceResult
from ketawatch.clock import now
from ketawatch.errors import KetaWatchError

SOURCE = "pubmed"
#: where a first crawl starts when no --since is given
FIRST_CRAWL_SINCE = date(1990, 1, 1)


def crawl_window(store, since: date | None, until: date | None) -> tuple[date, date]:
    """The window to crawl: from the end of the last successful run (or --since) to today."""
    state = store.crawl_state(SOURCE)
    if since is None:
        since = date.fromisoformat(state.last_until) if state.last_until else FIRST_CRAWL_SINCE
    if until is None:
        until = now().date()
    return since, until


def crawl_pubmed(config, store, *, since: date | None = None, until: date | None = None,
                 batch_size: int = 500, client: PubMedClient | None = None) -> SourceResult:
    """Crawl PubMed for the configured query and store what it finds.

    Never raises a KetaWatchError: a failing search or batch is reported in the result, and
    every batch stored before it stays stored.
    """
    started = time.monotonic()
    result = SourceResult(SOURCE)
    try:
        client = client or PubMedClient(config)
        since, until = crawl_window(store, since, until)
        # overlap one day: edat windows are inclusive and records seen again are unchanged
        mindate = since - timedelta(days=1) if since > FIRST_CRAWL_SINCE else since
        state = store.crawl_state(SOURCE)
        for batch in client.crawl(config.pubmed_query, mindate, until, batch_size=batch_size):
            for error in batch.errors:
                result.failed += 1
                result.errors.append(str(error))
            records = [(prepare(study), raw) for study, raw in batch.records]
            with store.transaction():
                stored = store.ingest(records)
                state.cursor = str(batch.retstart + batch_size)
                state.data = {"window": [since.isoformat(), until.isoformat()]}
                store.save_crawl_state(state)
            result.new += stored.new
            result.updated += stored.updated
            result.unchanged += stored.unchanged
            result.study_ids |= stored.study_ids
        if result.ok:
            state.last_until = until.isoformat()
            state.cursor = None
            store.save_crawl_state(state)
    except KetaWatchError as exc:
        result.errors.append(str(exc))
    result.seconds = time.monotonic() - started
    return result
