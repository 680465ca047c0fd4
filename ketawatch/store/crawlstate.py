"""Crawl state per source (where the next run starts) and the log of crawl runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ketawatch.clock import now_iso
from ketawatch.store.base import dumps


@dataclass
class CrawlState:
    """Where a source's crawling stands."""

    source: str
    last_until: str | None = None
    cursor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class CrawlStateMixin:
    """Crawl state and crawl runs."""

    def crawl_state(self, source: str) -> CrawlState:
        """The state of one source (empty when it was never crawled)."""
        row = self.conn.execute("SELECT last_until, cursor, data FROM crawl_state WHERE source = ?",
                                (source,)).fetchone()
        if row is None:
            return CrawlState(source)
        return CrawlState(source, row["last_until"], row["cursor"], json.loads(row["data"]))

    def save_crawl_state(self, state: CrawlState) -> None:
        """Write a source's crawl state (joins the caller's transaction when there is one)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO crawl_state(source, last_until, cursor, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                "last_until = excluded.last_until, cursor = excluded.cursor, "
                "data = excluded.data, updated_at = excluded.updated_at",
                (state.source, state.last_until, state.cursor, dumps(state.data), now_iso()))

    def start_run(self, source: str) -> int:
        """Log the start of a crawl run; returns its id.

        Crawls run under the job lock, so a run of the same source still marked ``running``
        belongs to a process that died: it is marked ``interrupted``.
        """
        stamp = now_iso()
        with self.transaction():
            self.conn.execute("UPDATE crawl_runs SET status = 'interrupted', finished_at = ?, "
                              "message = 'the process ended before the run finished' "
                              "WHERE source = ? AND status = 'running'", (stamp, source))
            return self.conn.execute("INSERT INTO crawl_runs(source, started_at) VALUES (?, ?)",
                                     (source, stamp)).lastrowid

    def finish_run(self, run_id: int, *, status: str, new: int = 0, updated: int = 0,
                   unchanged: int = 0, failed: int = 0, message: str = "") -> None:
        """Log how a crawl run ended."""
        with self.transaction():
            self.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, new = ?, updated = ?, "
                "unchanged = ?, failed = ?, message = ? WHERE id = ?",
                (now_iso(), status, new, updated, unchanged, failed, message[:2000], run_id))

    def last_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent crawl runs, newest first."""
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", (limit,))]
