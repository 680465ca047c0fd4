"""The PubMed crawl job: search a date window, fetch it in batches, store each batch.

Each batch is stored in one transaction together with where the run stands, so a run that
dies resumes at the next batch; the window only counts as done (``last_until``) when every
batch of it was stored.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import date, timedelta

from crawlers.prepare_pool import Prepared, PreparePool
from crawlers.pubmed import Batch, PubMedClient
from crawlers.results import SourceResult
from ketawatch.clock import now
from ketawatch.errors import KetaWatchError

SOURCE = "pubmed"
#: where a first crawl starts when no --since is given
FIRST_CRAWL_SINCE = date(1990, 1, 1)
#: batches handed to the workers before the oldest is stored
BATCHES_AHEAD = 2


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
    every batch stored before it stays stored. Large batches are parsed and tagged in worker
    processes (``prepare_workers``) while the next batches are fetched and older ones stored
    (``BATCHES_AHEAD`` are with the workers before the oldest is stored).
    """
    started = time.monotonic()
    result = SourceResult(SOURCE)
    with PreparePool(config.prepare_workers) as pool:
        try:
            client = client or PubMedClient(config)
            since, until = crawl_window(store, since, until)
            # overlap one day: edat windows are inclusive and records seen again are unchanged
            mindate = since - timedelta(days=1) if since > FIRST_CRAWL_SINCE else since
            state = store.crawl_state(SOURCE)
            window = {"window": [since.isoformat(), until.isoformat()]}
            pending: deque[tuple[Batch, Callable[[], Prepared]]] = deque()
            try:
                for batch in client.crawl(config.pubmed_query, mindate, until,
                                          batch_size=batch_size, parse=False):
                    pending.append((batch, pool.start(batch.document, batch.articles,
                                                      batch.url)))
                    # store the oldest batch while the workers tag the newer ones: with two
                    # batches handed over, the workers still have one to tag while this
                    # process searches and fetches (a new search window, a short last batch)
                    if len(pending) > BATCHES_AHEAD:
                        _store_batch(store, state, window, batch_size, *pending.popleft(),
                                     result)
            finally:
                # a failed search or fetch still stores the batches before it, in order
                while pending:
                    _store_batch(store, state, window, batch_size, *pending.popleft(), result)
            if result.ok:
                state.last_until = until.isoformat()
                state.cursor = None
                store.save_crawl_state(state)
        except KetaWatchError as exc:
            result.errors.append(str(exc))
    result.seconds = time.monotonic() - started
    return result


def _store_batch(store, state, window: dict, batch_size: int, batch: Batch,
                 prepared: Callable[[], Prepared], result: SourceResult) -> None:
    """Store one prepared batch, and where the run stands, in one transaction."""
    records, errors = prepared()
    for error in batch.errors + errors:
        result.failed += 1
        result.errors.append(str(error))
    with store.transaction():
        stored = store.ingest(records)
        state.cursor = str(batch.retstart + batch_size)
        state.data = window
        store.save_crawl_state(state)
    result.new += stored.new
    result.updated += stored.updated
    result.unchanged += stored.unchanged
    result.study_ids |= stored.study_ids
