"""Ingest looks a record's identifiers and marks up in one statement (``studies._lookup``);
the rows must be those of one statement per identifier, in the same order."""

from __future__ import annotations

from ketawatch.store import Store
from ketawatch.store.studies import _LOOKUP_CHUNK, _lookup

_MARKS = "SELECT mark, by_source FROM marks WHERE kind = ? AND value = ?"


def test_lookup_gives_the_rows_of_one_select_per_key(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    marks = [("pmid", "1", "retracted", "pubmed:9"), ("pmid", "1", "corrected", "pubmed:8"),
             ("pmid", "1", "retracted", "crossref:x"), ("doi", "10.1/a", "corrected", "pubmed:7")]
    with store.transaction():
        store.conn.executemany("INSERT INTO marks(kind, value, mark, by_source, created_at) "
                               "VALUES (?, ?, ?, ?, 'now')", marks)
    keys = [("doi", "10.1/a"), ("pmid", "2"), ("pmid", "1"), ("doi", "10.1/a")]
    keys += [("pmid", str(n)) for n in range(_LOOKUP_CHUNK + 5)]  # more than one statement
    expected = [tuple(row) for key in keys for row in store.conn.execute(_MARKS, key)]
    assert [tuple(row) for row in _lookup(store.conn, _MARKS, keys)] == expected
    assert len(expected) == 2 + 3 + 3  # the doi twice, pmid 1 twice (once among the numbers)
    assert _lookup(store.conn, _MARKS, []) == []
    store.close()
