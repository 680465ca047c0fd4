"""Parse, normalize and tag PubMed batches in worker processes while the crawler fetches and stores.

Parsing articles and tagging them are pure Python and most of a crawl's CPU; one process cannot
fetch, parse, tag and store a first crawl of ~100,000 PubMed records quickly. ``PreparePool``
hands a batch's articles to worker processes, each reading its share of their raw XML
(``pubmed_xml.parse_article_texts``), and returns at once, so the crawler fetches the next
batch and stores the previous one meanwhile. The store stays in the crawling process (one
writer, one transaction per batch, resumable), and records come back in their order, parsed
and prepared exactly as ``parse_efetch`` and ``crawlers.prepare.prepare`` do inline
(``tests/test_pubmed_job.py`` compares the stores).

Small batches (a weekly crawl) are handled inline: starting workers costs more than it saves.
Once the workers run, every batch goes to them, however short (the last of a search window):
tagging it here would leave them idle meanwhile.
Workers are started with ``spawn``: the crawler may run threads (tests, the replay server) and
holds an open SQLite connection, neither of which a child should inherit.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawlers.prepare import prepare
from crawlers.pubmed_xml import SOURCE, parse_article_texts, parse_articles
from ketawatch.errors import ParseError, SourceError
from ketawatch.model import Study

#: a batch smaller than this is handled inline
MIN_POOLED_BATCH = 500

Records = list[tuple[Study, str]]
Prepared = tuple[Records, list[ParseError]]


def watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the crawling process is gone.

    A crawl killed with SIGKILL (the operator, the OOM killer, our crash tests) cannot stop
    its workers, and a pool worker waiting for work never notices on its own: it would wait
    forever, holding its memory.
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def parse_and_prepare(document: bytes, start: int, stop: int) -> list[Study | str]:
    """Parse and prepare articles ``start`` to ``stop - 1`` of an efetch answer.

    An article that cannot be read gives its error message (exceptions with keyword
    arguments do not survive the trip between processes). So does each of them when the
    answer as a whole does not parse: ``split_efetch`` cut a plain-looking answer at its
    articles' tags, and one of them turned out malformed.
    """
    try:
        items = parse_articles(document, start, stop)
    except ParseError as exc:
        return [f"PubMed article #{position + 1} in the answer could not be read: {exc}"
                for position in range(start, stop)]
    return _prepared(items)


def parse_and_prepare_texts(articles: list[str], start: int) -> list[Study | str] | None:
    """``parse_and_prepare`` for the raw XML of the articles from ``start`` on, each parsed
    on its own (``pubmed_xml.parse_article_texts``): a worker reads only its share, not the
    whole answer. None when they cannot be read on their own (read them from the answer).
    """
    items = parse_article_texts(articles, start)
    return None if items is None else _prepared(items)


def _prepared(items: list[Study | ParseError]) -> list[Study | str]:
    return [str(item) if isinstance(item, ParseError) else prepare(item) for item in items]


class PreparePool:
    """Turns batches of raw articles into prepared records, inline or in worker processes.

    Use as a context manager: the workers stop when it closes.
    """

    def __init__(self, workers: int, min_batch: int | None = None) -> None:
        self.workers = max(0, int(workers))
        self.min_batch = MIN_POOLED_BATCH if min_batch is None else min_batch
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> PreparePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers, dropping work nobody will collect (a crawl that failed)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def start(self, document: bytes, articles: list[str], url: str = "") -> Callable[[], Prepared]:
        """Begin parsing and preparing one batch: its efetch answer and its articles' raw XML.

        Returns a function that waits for them and gives the (Study, raw XML) records in
        order, and a ParseError (with ``url``) for each article that could not be parsed.
        """
        if self.workers == 0 or (self._executor is None and len(articles) < self.min_batch):
            done = parse_and_prepare(document, 0, len(articles))
            return lambda: _records(articles, done, url)
        executor = self._pool()
        size = -(-len(articles) // self.workers)
        # each worker gets its share of the articles' raw XML, not the whole answer: parsing
        # the answer in every worker cost each of them the parse of all the others' articles
        shares = [(i, min(i + size, len(articles))) for i in range(0, len(articles), size)]
        futures: list[Future[list[Study | str] | None]] = [
            executor.submit(parse_and_prepare_texts, articles[start:stop], start)
            for start, stop in shares]

        def collect() -> Prepared:
            done: list[Study | str] = []
            for (start, stop), future in zip(shares, futures, strict=True):
                try:
                    share = future.result()
                except BrokenProcessPool as exc:
                    # a worker died (killed, out of memory): this batch is not stored and the
                    # crawl window stays open, so the next run fetches it again
                    raise SourceError(f"a PubMed tagging worker process died: {exc}",
                                      source=SOURCE, url=url) from exc
                if share is None:
                    # articles that mean something only in their answer: read them there
                    share = parse_and_prepare(document, start, stop)
                done += share
            return _records(articles, done, url)

        return collect

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=watch_parent, initargs=(os.getpid(),))
        return self._executor


def _records(articles: list[str], done: list[Study | str], url: str) -> Prepared:
    records: Records = []
    errors: list[ParseError] = []
    for raw, item in zip(articles, done, strict=True):
        if isinstance(item, str):
            errors.append(ParseError(item, source=SOURCE, url=url))
        else:
            records.append((item, raw))
    return records, errors
