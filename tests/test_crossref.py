"""The Crossref retraction watch against the Crossref replay handler on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from crawlers.crossref import check_retractions, marks_of_work
from ketawatch.config import load_config
from ketawatch.model import Study
from ketawatch.replay.crossref import CrossrefHandler
from ketawatch.replay.server import ReplayServer, Request, Response, first_n
from ketawatch.store import open_store

DOI = "10.1000/ketamine.trd.2024"
NOTICE = "10.1000/retraction.2026"


def article(n: int, doi: str) -> Study:
    return Study(source="pubmed", source_id=str(1000 + n), pmid=str(1000 + n), doi=doi,
                 title=f"Ketamine for treatment-resistant depression {n}", design="rct",
                 drugs=["ketamine"], conditions=["trd"])


def update(kind: str, notice: str = NOTICE, source: str = "publisher") -> dict:
    return {"DOI": notice, "type": kind, "label": kind.replace("_", " ").title(),
            "source": source, "updated": {"date-parts": [[2026, 2, 3]],
                                          "date-time": "2026-02-03T00:00:00Z"}}


def work(doi: str, **fields) -> dict:
    return {"DOI": doi, "type": "journal-article", "title": [f"Work {doi}"], **fields}


@pytest.fixture
def world(tmp_path):
    handler = CrossrefHandler({})
    server = ReplayServer({"crossref/": handler}).start()
    config = load_config(home=tmp_path, env={}, crossref_url=server.url + "crossref/",
                         ncbi_email="ops@example.org")
    store = open_store(config)
    yield server, handler, config, store
    store.close()
    server.stop()


def works_requests(server) -> list[Request]:
    return [r for r in server.requests if r.full_path.startswith("/crossref/works")]


def test_a_retraction_flags_the_study_once(world):
    server, handler, config, store = world
    store.ingest([(article(1, DOI), None), (article(2, "10.1000/clean"), None)])
    handler.set_works({DOI: work(DOI, **{"updated-by": [update("retraction")]}),
                       "10.1000/clean": work("10.1000/clean")})
    result = check_retractions(config, store)
    assert result.ok, result.line()
    assert (result.updated, result.unchanged, result.failed) == (1, 1, 0)
    stored = store.find_study("doi", DOI)
    assert stored.study.retracted is True
    assert stored.provenance["retracted"] == f"crossref:{NOTICE}"
    assert store.find_study("doi", "10.1000/clean").study.retracted is False
    events = store.events(kinds=("retracted",))
    assert [(e.study_id, e.data["by"]) for e in events] == [(stored.id, f"crossref:{NOTICE}")]

    again = check_retractions(config, store)
    assert again.ok and (again.updated, again.unchanged) == (0, 2)
    assert len(store.events(kinds=("retracted",))) == 1


def test_requests_are_batched_and_polite(world):
    server, handler, config, store = world
    store.ingest([(article(n, f"10.1000/k.{n:02d}"), None) for n in range(45)])
    result = check_retractions(config, store, batch_size=20)
    assert result.ok and result.unchanged == 45
    requests = works_requests(server)
    assert len(requests) == 3
    first = requests[0]
    assert first.path == "works"
    assert first.param("filter").split(",")[:2] == ["doi:10.1000/k.00", "doi:10.1000/k.01"]
    assert first.param("rows") == "20" and first.param("mailto") == "ops@example.org"
    assert first.headers["User-Agent"].startswith("KetaWatch/0.1 (+https://github.com/ketawatch")


def test_corrections_and_concerns_are_marked(world):
    server, handler, config, store = world
    store.ingest([(article(1, "10.1000/a"), None), (article(2, "10.1000/b"), None)])
    handler.set_works({
        "10.1000/a": work("10.1000/a", **{"updated-by": [update("correction", "10.1000/fix")]}),
        "10.1000/b": work("10.1000/b", **{"updated-by": [
            update("expression_of_concern", "10.1000/eoc")]}),
    })
    result = check_retractions(config, store)
    assert result.ok
    a, b = store.find_study("doi", "10.1000/a"), store.find_study("doi", "10.1000/b")
    assert a.study.corrected is True and a.study.retracted is False
    assert [e.kind for e in store.events(study_id=a.id) if e.kind != "new_study"] == ["corrected"]
    # an expression of concern is a mark, not a retraction or a correction
    assert b.study.retracted is False and b.study.corrected is False
    assert [e.kind for e in store.events(study_id=b.id) if e.kind != "new_study"] == []
    row = store.conn.execute("SELECT mark, by_source, detail FROM marks WHERE value = ?",
                             ("10.1000/b",)).fetchone()
    assert (row["mark"], row["by_source"]) == ("expression_of_concern", "crossref:10.1000/eoc")
    assert json.loads(row["detail"])["date"] == "2026-02-03"


def test_a_notice_we_hold_marks_the_work_it_updates(world):
    server, handler, config, store = world
    store.ingest([(article(1, DOI), None), (article(2, NOTICE), None)])
    # Crossref has not (yet) linked the original back; the notice's update-to says it all
    handler.set_works({DOI: work(DOI), NOTICE: work(NOTICE, **{
        "update-to": [update("retraction", DOI)]})})
    result = check_retractions(config, store)
    assert result.ok and result.updated == 1
    assert store.find_study("doi", DOI).study.retracted is True
    assert store.find_study("doi", NOTICE).study.retracted is False


def test_429_with_retry_after_then_success(world):
    server, handler, config, store = world
    store.ingest([(article(1, DOI), None)])
    handler.set_works({DOI: work(DOI, **{"updated-by": [update("retraction")]})})
    server.faults = first_n(1, Response.text("Too Many Requests", 429, {"Retry-After": "1"}),
                            "crossref/works")
    result = check_retractions(config, store)
    assert result.ok and result.updated == 1
    assert [r.status for r in works_requests(server)] == [429, 200]
    assert result.seconds >= 1.0


def test_a_failing_crossref_is_reported_and_the_check_stops(world):
    server, handler, config, store = world
    store.ingest([(article(n, f"10.1000/k.{n:02d}"), None) for n in range(100)])
    server.faults = lambda r: Response.text("Bad Gateway", 502)
    result = check_retractions(config, store, batch_size=10)
    assert not result.ok
    assert result.failed == 100
    assert "HTTP 502" in result.errors[0]
    assert result.errors[-1] == "Crossref check stopped: 70 DOIs not checked"
    # three batches tried, each with its retries; the other seven never asked for
    assert len(works_requests(server)) == 3 * 5


def test_malformed_json_is_a_failed_batch_not_an_exception(world):
    server, handler, config, store = world
    store.ingest([(article(1, DOI), None)])
    server.faults = lambda r: Response.json(b'{"status":"ok","message":{"items":[')
    result = check_retractions(config, store)
    assert not result.ok and result.failed == 1 and "malformed JSON" in result.errors[0]


def test_a_doi_with_a_comma_is_asked_for_alone(world):
    server, handler, config, store = world
    odd = "10.1000/a,b(2024)"
    store.ingest([(article(1, odd), None)])
    handler.set_works({odd: work(odd, **{"updated-by": [update("withdrawal")]})})
    result = check_retractions(config, store)
    assert result.ok and result.updated == 1
    (request,) = works_requests(server)
    assert request.path.startswith("works/10.1000/")
    assert store.find_study("doi", odd).study.retracted is True


# -- the pure parts -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind, mark", [
    ("retraction", "retracted"), ("removal", "retracted"), ("withdrawal", "retracted"),
    ("correction", "corrected"), ("erratum", "corrected"), ("corrigendum", "corrected"),
    ("expression_of_concern", "expression_of_concern"), ("reinstatement", None),
    ("new_version", None),
])
def test_update_types_and_their_marks(kind, mark):
    marks = marks_of_work(work(DOI, **{"updated-by": [update(kind)]}))
    assert [m["mark"] for m in marks] == ([mark] if mark else [])


def test_a_retraction_watch_update_without_a_notice_doi():
    entry = {"type": "retraction", "source": "retraction-watch", "record-id": 123,
             "updated": {"date-parts": [[2025, 11]]}}
    (mark,) = marks_of_work(work(DOI.upper(), **{"updated-by": [entry]}))
    assert mark["value"] == DOI and mark["mark"] == "retracted"
    assert mark["by_source"] == f"crossref:retraction-watch:{DOI}"
    assert mark["detail"]["date"] == "2025-11"


def test_a_work_that_names_itself_marks_nothing():
    assert marks_of_work(work(DOI, **{"updated-by": [update("retraction", DOI)]})) == []
    assert marks_of_work({"title": ["no DOI"], "updated-by": [update("retraction")]}) == []


def handler_get(handler, path: str, **params):
    response = handler.handle(Request("GET", path, {k: [v] for k, v in params.items()}, {},
                                      prefix="crossref/"))
    return response.status, response.body


def test_replay_handler_speaks_crossrefs_envelopes():
    handler = CrossrefHandler({DOI: work(DOI), NOTICE: work(NOTICE, **{
        "update-to": [update("retraction", DOI)]})})
    status, body = handler_get(handler, f"works/{DOI.upper()}")
    data = json.loads(body)
    assert status == 200 and data["status"] == "ok" and data["message-type"] == "work"
    assert data["message"]["DOI"] == DOI
    assert handler_get(handler, "works/10.9999/unknown") == (404, b"Resource not found.")
    status, body = handler_get(handler, "works", filter=f"doi:{DOI},doi:10.9/x", rows="5")
    data = json.loads(body)
    assert data["message-type"] == "work-list"
    assert [i["DOI"] for i in data["message"]["items"]] == [DOI]
    assert data["message"]["total-results"] == 1
    status, body = handler_get(handler, "works", filter=f"updates:{DOI}")
    assert [i["DOI"] for i in json.loads(body)["message"]["items"]] == [NOTICE]
    status, body = handler_get(handler, "works", filter="from-pub-date:2020")
    data = json.loads(body)
    assert status == 400 and data["message-type"] == "validation-failure"
    assert data["message"][0]["type"] == "filter-not-available"
    assert handler_get(handler, "works", rows="many")[0] == 400
