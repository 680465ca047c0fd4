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


def test_a_study_founded_by_one_record_is_stored_as_reading_it_back_gives(tmp_path) -> None:
    """Ingest builds a study its record just founded from the record in hand, not from the
    record read back from the store: rebuilding every study from the store changes no row."""
    import json

    from crawlers import clinicaltrials_json, medrxiv_json
    from crawlers.prepare import prepare
    from crawlers.pubmed_xml import parse_efetch
    from ketawatch.sample import generate
    from ketawatch.store.studies import IngestResult

    corpus = generate(400, seed=13)
    records, _errors = parse_efetch(corpus.efetch_document(corpus.pubmed))
    batch = [(prepare(study), raw) for study, raw in records]
    batch += [(prepare(clinicaltrials_json.parse_study(r)), json.dumps(r))
              for r in corpus.clinicaltrials]
    batch += [(prepare(medrxiv_json.parse_preprint(v)), json.dumps(v))
              for v in medrxiv_json.group_by_doi(corpus.medrxiv).values()]
    store = Store(tmp_path / "s.db")
    stamp = "2026-11-21T06:00:00+00:00"
    store.ingest(batch, now=stamp)
    rows = "SELECT * FROM studies ORDER BY id"
    founded = [tuple(row) for row in store.conn.execute(rows)]
    assert len(founded) > 300
    assert any(row["retracted"] for row in store.conn.execute(rows))  # marks were applied
    assert store.conn.execute("SELECT count(*) FROM studies WHERE data LIKE '%\"trial\":{%'"
                              ).fetchone()[0] > 0
    rev = store.conn.execute("SELECT max(rev) FROM studies").fetchone()[0]
    with store.transaction():
        for (sid,) in store.conn.execute("SELECT id FROM studies ORDER BY id").fetchall():
            store._recompute(sid, stamp, rev, IngestResult(), new_study=False)
    assert [tuple(row) for row in store.conn.execute(rows)] == founded
    store.close()
