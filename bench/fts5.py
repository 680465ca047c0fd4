"""The SQLite FTS5 baseline: the same studies and the same queries, answered by SQLite.

One FTS5 table ``docs(title, mesh, abstract)`` (porter stemmer over unicode61, rowid = study
id), a ``tags(kind, value, study_id)`` table for the filters and facets (condition, drug, route,
design, source, flag, year) and a ``cards`` table with the JSON a hit shows. A search:

- matches ``{title mesh abstract} : (...)``: every word required, quoted phrases exact, read
  again with OR when nothing matches every word (as ours does);
- applies each filter as ``+rowid IN (SELECT study_id FROM tags WHERE kind = ? AND value IN
  ...)``; the unary ``+`` keeps SQLite from handing the rowid list to FTS5, which would then run
  the full-text query once per listed row (seconds instead of milliseconds);
- counts the matches, ranks them by ``bm25(docs, 3.0, 1.5, 1.0)`` (our field weights), takes
  the first 20 with their card and, for highlights, ``snippet()`` of the abstract;
- for facets, counts ``tags`` over the matches, once with every filter and once more for each
  filtered kind without its own filter (multi-select facets, as ours).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.queries import KINDS, query_set
from bench.world import bench_config

WEIGHTS = (3.0, 1.5, 1.0)
PER_PAGE = 20
#: SearchRequest field -> tag kind
FILTER_KINDS = {"conditions": "condition", "drugs": "drug", "routes": "route",
                "designs": "design", "sources": "source"}
FACET_KINDS = ("condition", "drug", "route", "design", "source", "flag", "year")
_PHRASE = re.compile(r'"([^"]*)"|(\S+)')


def build(home: str, db_path: str) -> dict[str, Any]:
    """Build the FTS5 database of the store in ``home``; seconds and documents."""
    from index.schema import card, flags_of, sources_of
    from ketawatch.store import open_store

    path = Path(db_path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(bench_config(home))
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, mesh, abstract, "
                 "tokenize='porter unicode61 remove_diacritics 2')")
    conn.execute("CREATE TABLE tags(kind TEXT, value TEXT, study_id INTEGER)")
    conn.execute("CREATE TABLE cards(id INTEGER PRIMARY KEY, card TEXT)")
    docs = 0
    try:
        with conn:
            for stored in store.iter_studies():
                s = stored.study
                conn.execute("INSERT INTO docs(rowid, title, mesh, abstract) VALUES (?, ?, ?, ?)",
                             (stored.id, s.title or "",
                              "; ".join([*s.mesh, *s.keywords, *s.publication_types]),
                              s.abstract or ""))
                tags = [("condition", v) for v in s.conditions]
                tags += [("drug", v) for v in s.drugs] + [("route", v) for v in s.routes]
                tags += [("design", s.design or "other")]
                tags += [("source", v) for v in sources_of(s)]
                tags += [("flag", v) for v in flags_of(s)]
                if s.year:
                    tags.append(("year", str(s.year)))
                conn.executemany("INSERT INTO tags(kind, value, study_id) VALUES (?, ?, ?)",
                                 [(k, v, stored.id) for k, v in tags])
                conn.execute("INSERT INTO cards(id, card) VALUES (?, ?)",
                             (stored.id, json.dumps(card(stored), separators=(",", ":"))))
                docs += 1
            conn.execute("CREATE INDEX tags_kind ON tags(kind, value, study_id)")
            conn.execute("CREATE INDEX tags_study ON tags(study_id, kind, value)")
            conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        store.close()
    return {"seconds": seconds, "docs": docs, "db_mb": path.stat().st_size / 1e6}


def match_expression(text: str, mode: str = "and") -> str:
    """An FTS5 MATCH expression for a query text: words and "phrases", on the text columns."""
    parts = []
    for phrase, word in _PHRASE.findall(text):
        value = phrase if phrase else word
        value = value.replace('"', " ").strip()
        if value:
            parts.append(f'"{value}"')
    joiner = " OR " if mode == "or" else " "
    return "{title mesh abstract} : (" + joiner.join(parts) + ")"


class FTS5Searcher:
    """Searches the FTS5 baseline database."""

    def __init__(self, db_path: str):
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def _filters(self, filters: dict[str, Any], skip: str | None = None
                 ) -> tuple[str, list[Any]]:
        sql, args = "", []
        for name, kind in FILTER_KINDS.items():
            values = filters.get(name) or []
            if values and kind != skip:
                marks = ", ".join("?" for _ in values)
                sql += (" AND +docs.rowid IN (SELECT study_id FROM tags WHERE kind = ? "
                        f"AND value IN ({marks}))")
                args += [kind, *values]
        if (filters.get("year_from") or filters.get("year_to")) and skip != "year":
            sql += (" AND +docs.rowid IN (SELECT study_id FROM tags WHERE kind = 'year' "
                    "AND CAST(value AS INTEGER) BETWEEN ? AND ?)")
            args += [int(filters.get("year_from") or 0), int(filters.get("year_to") or 9999)]
        return sql, args

    def search(self, query: dict[str, Any]) -> dict[str, Any]:
        """Run one query of ``bench.queries``: total, the first page, facets if asked."""
        filters = query.get("filters") or {}
        where, args = self._filters(filters)
        expression = match_expression(query["q"])
        total = self.conn.execute(f"SELECT count(*) FROM docs WHERE docs MATCH ?{where}",
                                  [expression, *args]).fetchone()[0]
        if total == 0 and len(query["q"].split()) > 1:
            expression = match_expression(query["q"], mode="or")
            total = self.conn.execute(f"SELECT count(*) FROM docs WHERE docs MATCH ?{where}",
                                      [expression, *args]).fetchone()[0]
        snippet = ("snippet(docs, 2, '<mark>', '</mark>', ' … ', 32)" if query.get("highlight")
                   else "''")
        w = ", ".join(str(x) for x in WEIGHTS)
        rows = self.conn.execute(
            f"SELECT docs.rowid, bm25(docs, {w}) AS score, {snippet}, cards.card FROM docs "
            f"JOIN cards ON cards.id = docs.rowid WHERE docs MATCH ?{where} "
            f"ORDER BY score LIMIT {PER_PAGE}", [expression, *args]).fetchall()
        hits = [{"id": r[0], "score": -r[1], "snippet": r[2], **json.loads(r[3])} for r in rows]
        facets: dict[str, list[tuple[str, int]]] = {}
        if query.get("facets"):
            facets = self._facets(expression, filters)
        return {"total": total, "results": hits, "facets": facets}

    def _facets(self, expression: str, filters: dict[str, Any]) -> dict[str, list]:
        out: dict[str, list] = {}
        filtered = {FILTER_KINDS[n] for n in FILTER_KINDS if filters.get(n)}
        if filters.get("year_from") or filters.get("year_to"):
            filtered.add("year")
        # one count over the matches with every filter, for the kinds nobody filters on
        where, args = self._filters(filters)
        kinds = [k for k in FACET_KINDS if k not in filtered]
        marks = ", ".join("?" for _ in kinds)
        for kind, value, n in self.conn.execute(
                f"SELECT kind, value, count(*) FROM tags WHERE kind IN ({marks}) AND study_id IN "
                f"(SELECT docs.rowid FROM docs WHERE docs MATCH ?{where}) GROUP BY kind, value",
                [*kinds, expression, *args]):
            out.setdefault(kind, []).append((value, n))
        # a filtered kind counts without its own filter (multi-select)
        for kind in filtered:
            where, args = self._filters(filters, skip=kind)
            out[kind] = [(value, n) for value, n in self.conn.execute(
                f"SELECT value, count(*) FROM tags WHERE kind = ? AND study_id IN "
                f"(SELECT docs.rowid FROM docs WHERE docs MATCH ?{where}) GROUP BY value",
                [kind, expression, *args])]
        for values in out.values():
            values.sort(key=lambda vn: -vn[1])
        return out


def child_search(db_path: str, runs: int, per_kind: int) -> dict[str, Any]:
    """Run the query set ``runs`` times (fresh connection and warm-up each time); ms each."""
    queries = query_set(per_kind)
    latencies: dict[str, list[list[float]]] = {kind: [] for kind in KINDS}
    totals: dict[str, list[int]] = {kind: [] for kind in KINDS}
    first_ms: list[float] = []
    for _ in range(runs):
        searcher = FTS5Searcher(db_path)
        try:
            for n, q in enumerate(queries["warmup"]):
                started = time.perf_counter()
                searcher.search(q)
                if n == 0:  # the first query on a new connection
                    first_ms.append((time.perf_counter() - started) * 1000)
            for kind in KINDS:
                one_pass = []
                for q in queries[kind]:
                    started = time.perf_counter()
                    response = searcher.search(q)
                    one_pass.append((time.perf_counter() - started) * 1000)
                    totals[kind].append(response["total"])
                latencies[kind].append(one_pass)
        finally:
            searcher.close()
    return {"latencies": latencies, "totals": totals, "first_ms": first_ms}
