"""The store: one study per set of shared identifiers, whatever the order; events; safety."""

from __future__ import annotations

import itertools
import json

import pytest

from ketawatch.model import Study
from ketawatch.store import Store


def _preprint(**kw) -> Study:
    base = dict(source="medrxiv", source_id="10.1101/2024.01.02.24300001",
                preprint_dois=["10.1101/2024.01.02.24300001"], title="Esketamine preprint",
                preprint=True, design="rct", pub_date="2024-01-02", drugs=["esketamine"],
                conditions=["suicidal-ideation"], published_doi="10.1001/jamapsychiatry.2024.1")
    base.update(kw)
    return Study(**base)


def _article(**kw) -> Study:
    base = dict(source="pubmed", source_id="38000001", pmid="38000001",
                doi="10.1001/jamapsychiatry.2024.1", nct_ids=["NCT04000001"],
                title="Esketamine for suicidal ideation: a randomized clinical trial",
                abstract="CONCLUSIONS: Esketamine reduced suicidal ideation.", design="rct",
                pub_date="2024-06-01", journal="JAMA Psychiatry", drugs=["esketamine"],
                conditions=["suicidal-ideation", "depression"], sample_size=226, human=True)
    base.update(kw)
    return Study(**base)


def _trial(**kw) -> Study:
    base = dict(source="clinicaltrials", source_id="NCT04000001", nct_ids=["NCT04000001"],
                title="A Study of Esketamine in Adults With Suicidal Ideation",
                design="trial-registration", pub_date="2020-01-05", sample_size=230,
                trial={"status": "RECRUITING", "enrollment": 230, "has_results": False,
                       "last_update": "2020-01-05"})
    base.update(kw)
    return Study(**base)


def _snapshot(store: Store) -> dict:
    """The store's content without ids and times: what must not depend on crawl order."""
    studies = []
    for stored in store.iter_studies(with_sources=True):
        data = stored.study.to_dict()
        studies.append({"study": data, "sources": sorted(
            (s["source"], s["source_id"]) for s in stored.sources)})
    ids = sorted((r[0], r[1]) for r in store.conn.execute("SELECT kind, value FROM identifiers"))
    return {"studies": sorted(studies, key=json.dumps), "ids": ids}


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_preprint_article_and_trial_become_one_study_in_any_order(tmp_path, order):
    records = [_preprint(), _article(), _trial()]
    store = Store(tmp_path / "s.db")
    for i in order:
        store.ingest([(records[i], "<raw/>")])
    assert store.count_studies() == 1
    study = next(store.iter_studies()).study
    assert study.pmid == "38000001"
    assert study.doi == "10.1001/jamapsychiatry.2024.1"
    assert study.preprint_dois == ["10.1101/2024.01.02.24300001"]
    assert study.nct_ids == ["NCT04000001"]
    assert study.design == "rct"
    assert study.preprint is False
    assert study.title.startswith("Esketamine for suicidal ideation")
    assert sorted(study.extras["sources"]) == sorted(
        ["pubmed:38000001", "medrxiv:10.1101/2024.01.02.24300001", "clinicaltrials:NCT04000001"])
    assert store.integrity_check() == []


def test_merge_is_order_independent(tmp_path):
    records = [_preprint(), _article(), _trial()]
    snapshots = []
    for n, order in enumerate(itertools.permutations(range(3))):
        store = Store(tmp_path / f"s{n}.db")
        for i in order:
            store.ingest([(records[i], None)])
        snapshots.append(_snapshot(store))
    assert all(s == snapshots[0] for s in snapshots)


def test_reingesting_changes_nothing(tmp_path):
    store = Store(tmp_path / "s.db")
    first = store.ingest([(_article(), None), (_trial(), None)])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    rev = store.rev
    events = len(store.events())
    again = store.ingest([(_article(), None), (_trial(), None)])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert len(store.events()) == events
    assert store.count_studies() == 1
    assert store.rev == rev + 1
    assert list(store.iter_studies(since_rev=rev)) == []


def test_trial_snapshots_become_events_once(tmp_path):
    store = Store(tmp_path / "s.db")
    store.ingest([(_trial(), None)])
    changed = _trial(trial={"status": "COMPLETED", "enrollment": 226, "has_results": True,
                            "last_update": "2024-07-01"})
    store.ingest([(changed, None)])
    kinds = sorted(e.kind for e in store.events())
    assert kinds == ["enrollment_changed", "new_study", "results_posted", "trial_status_changed"]
    status = store.events(kinds=("trial_status_changed",))[0]
    assert status.data["from"] == "RECRUITING" and status.data["to"] == "COMPLETED"
    store.ingest([(changed, None)])
    assert len(store.events()) == 4
    snaps = store.conn.execute("SELECT count(*) FROM trial_snapshots").fetchone()[0]
    assert snaps == 2


def test_retraction_notice_marks_the_article_whichever_comes_first(tmp_path):
    notice = Study(source="pubmed", source_id="39000002", pmid="39000002",
                   title="Retraction Note: Esketamine for suicidal ideation",
                   publication_types=["Retraction of Publication"],
                   comments_corrections=[{"type": "RetractionOf", "pmid": "38000001",
                                          "doi": None, "text": "JAMA Psychiatry. 2024"}])
    for order in ((_article(), notice), (notice, _article())):
        store = Store(tmp_path / f"r{order[0].source_id}.db")
        for rec in order:
            store.ingest([(rec, None)])
        article = store.find_study("pmid", "38000001")
        assert article is not None and article.study.retracted
        assert article.provenance["retracted"] == "pubmed:39000002"
        assert store.find_study("pmid", "39000002").study.retracted is False
    # the article was stored first: its subscribers must hear of the retraction
    store = Store(tmp_path / f"r{_article().source_id}.db")
    assert [e.kind for e in store.events(kinds=("retracted",))] == ["retracted"]


def test_crossref_marks_add_one_event(tmp_path):
    store = Store(tmp_path / "s.db")
    store.ingest([(_article(), None)])
    mark = {"kind": "doi", "value": "10.1001/jamapsychiatry.2024.1", "mark": "retracted",
            "by_source": "crossref:10.1001/notice.1", "detail": {"source": "retraction-watch"}}
    store.add_marks([mark])
    store.add_marks([mark])
    assert len(store.events(kinds=("retracted",))) == 1
    assert store.find_study("doi", "10.1001/jamapsychiatry.2024.1").study.retracted


def test_preprint_published_event(tmp_path):
    store = Store(tmp_path / "s.db")
    store.ingest([(_preprint(published_doi=None), None)])
    assert store.events(kinds=("preprint_published",)) == []
    store.ingest([(_preprint(), None)])  # medRxiv now names the journal DOI
    store.ingest([(_article(), None)])
    events = store.events(kinds=("preprint_published",))
    assert len(events) == 1
    assert events[0].data["doi"] == "10.1001/jamapsychiatry.2024.1"


def test_meta_analysis_citing_trials_does_not_swallow_them(tmp_path):
    store = Store(tmp_path / "s.db")
    meta = Study(source="pubmed", source_id="1", pmid="1", design="meta-analysis",
                 title="Ketamine meta-analysis", nct_ids=["NCT04000001"])
    store.ingest([(_trial(), None), (meta, None)])
    assert store.count_studies() == 2


def test_failed_batch_leaves_store_unchanged(tmp_path):
    store = Store(tmp_path / "s.db")
    store.ingest([(_trial(), None)])
    before = _snapshot(store)
    bad = _article()
    bad.authors = [object()]  # not JSON-serializable: the batch must roll back as a whole
    with pytest.raises(TypeError):
        store.ingest([(_article(source_id="2", pmid="2", doi=None, nct_ids=[]), None),
                      (bad, None)])
    assert _snapshot(store) == before
    assert store.integrity_check() == []


def test_merged_study_ids_keep_working(tmp_path):
    store = Store(tmp_path / "s.db")
    store.ingest([(_trial(), None)])
    store.ingest([(_preprint(published_doi=None), None)])
    preprint_id = store.find_study("doi", "10.1101/2024.01.02.24300001").id
    store.ingest([(_preprint(), None), (_article(), None)])
    assert store.count_studies() == 1
    survivor = store.find_study("nct", "NCT04000001").id
    assert store.get_study(preprint_id).id == survivor
    assert survivor in (preprint_id, 1) and store.merged_away_since(0)


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(tmp_path):
    store = Store(tmp_path / "s.db")
    dead = store.start_run("pubmed")  # the process died: finish_run never came
    alive = store.start_run("pubmed")
    runs = {r["id"]: r for r in store.last_runs()}
    assert runs[dead]["status"] == "interrupted" and runs[dead]["finished_at"]
    assert runs[alive]["status"] == "running"
