"""The JSON API: the contract of ``search --json`` plus paging, study records, one error shape."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from web_corpus import build_corpus, make_config, study_id_of

from index.search import HIT_KEYS, SearchRequest, close_searchers, open_searcher
from ketawatch.web import create_app


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    yield build_corpus(tmp_path_factory.mktemp("api"))
    close_searchers()


@pytest.fixture(scope="module")
def client(config):
    return create_app(config).test_client()


def _assert_error_shape(response, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


def test_search_answers_the_search_json_contract_plus_paging(client, config):
    body = client.get("/api/search?q=ketamine&per_page=3").get_json()
    expected = open_searcher(config).search(SearchRequest(query="ketamine", per_page=3)).to_dict()
    assert body["query"] == expected["query"] == "ketamine"
    assert body["total"] == expected["total"] > 3
    assert body["facets"] == expected["facets"]
    assert [r["id"] for r in body["results"]] == [r["id"] for r in expected["results"]]
    for got, want in zip(body["results"], expected["results"], strict=True):
        assert set(HIT_KEYS) <= set(got)
        assert {k: got[k] for k in HIT_KEYS if k not in ("url", "snippet")} == {
            k: want[k] for k in HIT_KEYS if k not in ("url", "snippet")}
        assert got["study_url"] == f"http://localhost/study/{got['id']}"
    assert (body["page"], body["per_page"]) == (1, 3)
    assert body["pages"] == -(-body["total"] // 3)
    assert body["prev"] is None
    assert parse_qs(urlsplit(body["next"]).query) == {"q": ["ketamine"], "page": ["2"],
                                                      "per_page": ["3"]}
    second = client.get(body["next"]).get_json()
    assert second["page"] == 2 and second["prev"]
    assert not {r["id"] for r in body["results"]} & {r["id"] for r in second["results"]}


def test_search_filters_and_display_fields(client):
    body = client.get("/api/search?condition=ptsd").get_json()
    assert body["total"] == 1
    hit = body["results"][0]
    assert hit["pmid"] == "30000008" and hit["retracted"] is True
    assert hit["authors"] == ["Feder A"] and hit["pub_date"] == "2020-08-01"
    assert hit["url"] == "https://pubmed.ncbi.nlm.nih.gov/30000008/"
    assert client.get("/api/search?condition=ptsd&hide_retracted=1").get_json()["total"] == 0


def test_study_record_is_the_export_shape_plus_events(client, config):
    sid = study_id_of(config, "nct", "NCT04000001")
    body = client.get(f"/api/studies/{sid}").get_json()
    assert body["id"] == sid and body["pmid"] == "30000006"
    for key in ("doi", "nct_ids", "title", "abstract", "design", "sources", "first_seen",
                "retracted", "sample_size"):
        assert key in body
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "new_study" and "trial_status_changed" in kinds
    assert body["trial"]["status"] == "COMPLETED"
    assert {link["label"] for link in body["links"]} >= {"PubMed", "DOI", "ClinicalTrials.gov"}


@pytest.mark.parametrize("method, url, status", [
    ("get", "/api/studies/999999", 404),
    ("get", "/api/studies/abc", 404),
    ("get", "/api/no-such-endpoint", 404),
    ("get", "/api/search?sort=sideways", 400),
    ("get", "/api/search?per_page=100000", 400),
    ("get", "/api/search?page=-1", 400),
    ("get", "/api/search?year_from=twenty", 400),
    ("get", "/api/search?condition=nonsense", 400),
    ("get", "/api/search?q=*", 400),
    ("post", "/api/search", 405),
    ("delete", "/api/studies/1", 405),
])
def test_every_error_has_the_one_shape(client, method, url, status):
    _assert_error_shape(getattr(client, method)(url), status)


def test_405_says_which_methods_work(client):
    response = client.post("/api/search")
    assert "GET" in response.headers["Allow"]


def test_server_errors_have_the_shape_and_hide_internals(tmp_path):
    # a store that cannot be opened: the file is not a database
    config = make_config(tmp_path)
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    config.db_path.write_bytes(b"this is not a database" * 100)
    client = create_app(config).test_client()
    message = _assert_error_shape(client.get("/api/studies/1"), 500)
    assert str(tmp_path) not in message
    unavailable = _assert_error_shape(client.get("/api/search?q=ketamine"), 503)
    assert "index" in unavailable and str(tmp_path) not in unavailable
