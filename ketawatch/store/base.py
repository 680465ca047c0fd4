"""Opening the SQLite store: connection settings, migrations, transactions, revisions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ketawatch.errors import StoreError
from ketawatch.store.schema import migrate


def dumps(value: Any) -> str:
    """JSON for the store: compact, keys sorted so equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class StoreBase:
    """The connection and its transaction discipline; the mixins hold the SQL of each concern."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit mode: every write goes through ``transaction()``, one batch at a time
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0,
                                        check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode keeps the database consistent after a crash; the last
            # transactions may roll back after a power loss, which a re-run repairs
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.schema_version = migrate(self.conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        self._depth = 0

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one); rolled back on any error."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the store at {self.path}: {exc}") from exc
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"cannot commit to the store at {self.path}: {exc}") from exc

    # -- meta and revisions ------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value of the meta table."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the meta table."""
        with self.transaction():
            self.conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def next_rev(self) -> int:
        """Take the next store revision (inside a transaction): every change is stamped with one."""
        rev = int(self.get_meta("rev", "0")) + 1
        self.conn.execute("UPDATE meta SET value = ? WHERE key = 'rev'", (str(rev),))
        return rev

    @property
    def rev(self) -> int:
        """The latest store revision."""
        return int(self.get_meta("rev", "0"))

    def integrity_check(self) -> list[str]:
        """SQLite's own integrity check plus our invariants; an empty list means healthy."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        orphans = self.conn.execute(
            "SELECT count(*) FROM source_records r LEFT JOIN studies s ON s.id = r.study_id "
            "WHERE s.id IS NULL").fetchone()[0]
        if orphans:
            problems.append(f"{orphans} source records point at no study")
        dangling = self.conn.execute(
            "SELECT count(*) FROM identifiers i LEFT JOIN studies s ON s.id = i.study_id "
            "WHERE s.id IS NULL").fetchone()[0]
        if dangling:
            problems.append(f"{dangling} identifiers point at no study")
        empty = self.conn.execute(
            "SELECT count(*) FROM studies s WHERE NOT EXISTS "
            "(SELECT 1 FROM source_records r WHERE r.study_id = s.id)").fetchone()[0]
        if empty:
            problems.append(f"{empty} studies have no source record")
        return problems
