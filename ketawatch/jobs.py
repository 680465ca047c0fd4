"""The jobs that chain the parts: crawl every source, check retractions, update the index, send.

``ketawatch weekly`` and ``ketawatch demo`` are thin wrappers around these functions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date

from crawlers.results import SourceResult, summary_line
from crawlers.runner import available_sources, crawl_sources
from ketawatch.errors import KetaWatchError

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    """What a chained job did: one line per step, and whether every step succeeded."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return not self.failures


def refresh_store(config, store, report: JobReport, *, since: date | None = None,
                  until: date | None = None) -> None:
    """Crawl every available source, then check the stored DOIs for retractions."""
    started = time.monotonic()
    results = crawl_sources(config, store, available_sources(), since=since, until=until)
    results.append(check_retractions_safely(config, store))
    report.sources = results
    report.lines += [r.line() for r in results]
    report.lines.append("crawl: " + summary_line(results))
    report.failures += [f"source {r.source} failed" for r in results if not r.ok]
    report.timings["crawl"] = time.monotonic() - started


def check_retractions_safely(config, store) -> SourceResult:
    """Crossref's retraction check, reported like a source (it never stops the job)."""
    started = time.monotonic()
    try:
        from crawlers.crossref import check_retractions

        return check_retractions(config, store)
    except Exception as exc:  # noqa: BLE001 - a failing check must not stop the weekly job
        log.exception("crossref check failed")
        return SourceResult("crossref", errors=[f"{type(exc).__name__}: {exc}"],
                            seconds=time.monotonic() - started)


def update_index_step(config, store, report: JobReport, *, rebuild: bool = False) -> None:
    """Bring the search index in line with the store."""
    from index.build import update_index

    started = time.monotonic()
    try:
        stats = update_index(config, store, rebuild=rebuild)
        report.lines.append(f"index: {stats.added} added, {stats.updated} updated, "
                            f"{stats.deleted} deleted ({stats.seconds:.1f}s)")
    except KetaWatchError as exc:
        report.lines.append(f"index: FAILED; {exc}")
        report.failures.append(f"index: {exc}")
    report.timings["index"] = time.monotonic() - started
