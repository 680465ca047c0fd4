"""Normalize and tag large batches in worker processes while the crawler fetches and stores.

Tagging is pure Python and the biggest CPU cost of a crawl; one process cannot fetch, parse,
tag and store a first crawl of ~100,000 PubMed records quickly. ``PreparePool`` hands a batch's
records to worker processes and returns at once, so the crawler fetches and parses the next
batch and stores the previous one meanwhile. The store stays in the crawling process (one
writer, one transaction per batch, resumable), and records come back in their order, prepared
exactly as ``crawlers.prepare.prepare`` prepares them inline.

Small batches (a weekly crawl) are prepared inline: starting workers costs more than it saves.
Workers are started with ``spawn``: the crawler may run threads (tests, the replay server) and
holds an open SQLite connection, neither of which a child should inherit.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from crawlers.prepare import prepare
from ketawatch.errors import SourceError
from ketawatch.model import Study

#: a batch smaller than this is prepared inline
MIN_POOLED_BATCH = 500

Records = list[tuple[Study, Any]]


def prepare_chunk(studies: list[Study]) -> list[Study]:
    """Prepare (normalize and tag) studies in a worker; they come back in order."""
    return [prepare(study) for study in studies]


class PreparePool:
    """Prepares batches of records inline or in worker processes; use as a context manager."""

    def __init__(self, workers: int, min_batch: int | None = None) -> None:
        self.workers = max(0, int(workers))
        self.min_batch = MIN_POOLED_BATCH if min_batch is None else min_batch
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> PreparePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (waiting for none: every batch submitted was collected)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def start(self, records: Records) -> Callable[[], Records]:
        """Begin preparing ``records``; returns a function that waits and returns them prepared.

        The records' raw texts stay in this process: only the Study items travel.
        """
        if self.workers == 0 or len(records) < self.min_batch:
            prepared = [(prepare(study), raw) for study, raw in records]
            return lambda: prepared
        executor = self._pool()
        size = -(-len(records) // self.workers)
        chunks = [records[i:i + size] for i in range(0, len(records), size)]
        futures: list[Future[list[Study]]] = [
            executor.submit(prepare_chunk, [study for study, _raw in chunk]) for chunk in chunks]

        def collect() -> Records:
            out: Records = []
            for chunk, future in zip(chunks, futures, strict=True):
                try:
                    studies = future.result()
                except BrokenProcessPool as exc:
                    # a worker died (killed, out of memory): this batch is not stored and the
                    # crawl window stays open, so the next run fetches it again
                    raise SourceError(f"a tagging worker process died: {exc}",
                                      source="pubmed") from exc
                out.extend((study, raw) for study, (_old, raw) in zip(studies, chunk,
                                                                       strict=True))
            return out

        return collect

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._executor
