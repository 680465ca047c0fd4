"""ClinicalTrials.gov: the API v2 parser on the real recorded records, the spider's callback, and
the replay handler's paging, filters and errors."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import Request as ScrapyRequest
from scrapy.http import TextResponse

from crawlers.clinicaltrials_json import parse_page, parse_study, trial_facts
from crawlers.items import StudyItem
from crawlers.spiders.clinicaltrials import INTERVENTION_QUERY, ClinicalTrialsSpider
from ketawatch.errors import ParseError
from ketawatch.replay.ctgov import ClinicalTrialsHandler
from ketawatch.replay.server import Request

BASE = "http://127.0.0.1:9/ctgov/"


@pytest.fixture(scope="module")
def ctgov(real_fixtures: Path) -> Path:
    return real_fixtures / "clinicaltrials"


def load(folder: Path, name: str):
    return json.loads((folder / name).read_text(encoding="utf-8"))


def all_records(folder: Path) -> list[dict]:
    """Every study record in every real fixture (search pages and single studies)."""
    records = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        records.extend(data.get("studies", [data]))
    return records


# -- the parser on every real record --------------------------------------------------------

def test_every_real_record_parses_to_a_registration(ctgov):
    records = all_records(ctgov)
    assert len(records) == 6
    for record in records:
        study = parse_study(record)
        nct = record["protocolSection"]["identificationModule"]["nctId"]
        assert study.source == "clinicaltrials"
        assert study.source_id == nct and study.nct_ids[0] == nct
        assert study.url == f"https://clinicaltrials.gov/study/{nct}"
        assert study.title and study.abstract
        assert study.preprint is False and study.human is True
        assert study.trial["status"] == record["protocolSection"]["statusModule"]["overallStatus"]
        assert study.trial["has_results"] is record["hasResults"]
        assert study.pub_date and study.pub_date[:4].isdigit()
        # the record survives the store's JSON round trip unchanged
        assert json.loads(json.dumps(study.to_dict())) == study.to_dict()


def test_terminated_trial_keeps_why_stopped(ctgov):
    study = parse_study(load(ctgov, "cyanheads_study_NCT00184067_terminated.json"))
    assert study.title.startswith("A Randomized Phase II Continuation Booster Trial")
    assert study.pub_date == "2005-09-16"
    assert study.trial == {
        "status": "TERMINATED", "enrollment": 23, "enrollment_type": "ACTUAL",
        "start_date": "2004-05", "primary_completion_date": "2007-04",
        "completion_date": "2009-09", "has_results": False, "phases": ["PHASE2"],
        "allocation": "RANDOMIZED", "study_type": "INTERVENTIONAL",
        "conditions": ["Melanoma"], "interventions": ["Montanide ISA 51"],
        "why_stopped": "Primary PI left institution", "last_update": "2014-05-21",
    }
    assert study.sample_size == 23
    assert "Melanoma" in study.mesh


def test_active_not_recruiting_trial(ctgov):
    study = parse_study(load(ctgov, "cyanheads_study_NCT03934567.json"))
    assert study.source_id == "NCT03934567"
    assert study.trial["status"] == "ACTIVE_NOT_RECRUITING"
    assert study.trial["enrollment"] == 87
    assert study.trial["phases"] == ["PHASE2"]
    assert study.trial["interventions"] == ["Abexinostat"]
    assert study.trial["conditions"] == ["Lymphoma, Follicular"]
    assert study.trial["why_stopped"] is None
    assert study.pub_date == "2019-05-02"
    assert study.trial["last_update"] == "2025-04-10"


def test_big_record_with_references_and_estimated_enrollment(ctgov):
    record = load(ctgov, "py_load_ctgov_study_NCT04267848.json")
    study = parse_study(record)
    assert study.source_id == "NCT04267848"
    assert study.title.startswith("Integration of Immunotherapy Into Adjuvant Therapy")
    assert study.trial["status"] == "RECRUITING"
    assert study.trial["enrollment"] == 1210
    assert study.trial["enrollment_type"] == "ESTIMATED"
    # an estimated enrollment is a target, not a sample size
    assert study.sample_size is None
    assert study.trial["phases"] == ["PHASE3"]
    assert "Carboplatin" in study.trial["interventions"]
    assert study.trial["primary_completion_date"] == "2025-12-15"
    assert study.extras["reference_pmids"] == ["33878954"]
    # 1,148 locations are not part of the Study (they stay in the raw record)
    assert "locations" not in json.dumps(study.to_dict())


def test_search_pages_and_their_next_page_tokens(ctgov):
    one = parse_page((ctgov / "cyanheads_search_1study_nextPageToken.json").read_bytes())
    two = parse_page((ctgov / "cyanheads_search_2studies_nextPageToken.json").read_bytes())
    assert one["nextPageToken"] == "NF0g5JaGmg"
    assert two["nextPageToken"] == "NF0g5JCG"
    assert [parse_study(s).source_id for s in two["studies"]] == ["NCT00184067", "NCT03934567"]
    assert parse_study(one["studies"][0]).trial["status"] == "RECRUITING"


@pytest.mark.parametrize("record, message", [
    ({}, "protocolSection"),
    ({"protocolSection": {"identificationModule": {"nctId": "nope"}}}, "nctId"),
    ([], "protocolSection"),
])
def test_records_without_an_nct_number_are_refused(record, message):
    with pytest.raises(ParseError, match=message):
        parse_study(record)


def test_wrong_types_inside_a_record_are_ignored_not_fatal():
    record = {"protocolSection": {
        "identificationModule": {"nctId": "NCT01234567", "briefTitle": "Ketamine for TRD"},
        "statusModule": {"overallStatus": "COMPLETED", "startDateStruct": "2020"},
        "designModule": {"enrollmentInfo": {"count": "forty"}, "phases": "PHASE2"},
        "conditionsModule": {"conditions": ["Depression", 7]},
    }, "hasResults": True}
    facts = trial_facts(record)
    assert facts["enrollment"] is None and facts["phases"] == [] and facts["start_date"] is None
    assert facts["conditions"] == ["Depression"] and facts["has_results"] is True
    assert parse_study(record).title == "Ketamine for TRD"


@pytest.mark.parametrize("body", [b'{"studies": [', b"<html>busy</html>", b'{"studies": {}}',
                                  b'[1, 2]', b'{"studies": [], "nextPageToken": 5}'])
def test_malformed_pages_raise_parse_error(body):
    with pytest.raises(ParseError):
        parse_page(body, url="http://x/studies")


# -- the spider's callback --------------------------------------------------------------------

def response_for(url: str, body: bytes) -> TextResponse:
    return TextResponse(url=url, body=body, encoding="utf-8", request=ScrapyRequest(url))


def test_spider_first_url_asks_for_ketamine_trials():
    spider = ClinicalTrialsSpider(base_url=BASE)
    query = parse_qs(urlsplit(spider.search_url()).query)
    assert query["query.intr"] == [INTERVENTION_QUERY]
    assert query["format"] == ["json"] and query["countTotal"] == ["true"]
    assert "filter.advanced" not in query and "pageToken" not in query


def test_incremental_spider_filters_on_last_update():
    spider = ClinicalTrialsSpider(base_url=BASE, since="2026-01-01", until="2026-01-08")
    query = parse_qs(urlsplit(spider.search_url("TOKEN")).query)
    assert query["filter.advanced"] == ["AREA[LastUpdatePostDate]RANGE[2026-01-01,2026-01-08]"]
    assert query["pageToken"] == ["TOKEN"] and "countTotal" not in query


def test_parse_yields_items_then_the_next_page(ctgov):
    spider = ClinicalTrialsSpider(base_url=BASE)
    body = (ctgov / "cyanheads_search_2studies_nextPageToken.json").read_bytes()
    out = list(spider.parse(response_for(spider.search_url(), body)))
    items = [o for o in out if isinstance(o, StudyItem)]
    requests = [o for o in out if isinstance(o, ScrapyRequest)]
    assert [i.study.source_id for i in items] == ["NCT00184067", "NCT03934567"]
    # the raw record is the study's own JSON, for the store
    assert json.loads(items[0].raw)["protocolSection"]["identificationModule"]["nctId"] == \
        "NCT00184067"
    assert len(requests) == 1
    query = parse_qs(urlsplit(requests[0].url).query)
    assert query["pageToken"] == ["NF0g5JCG"]
    assert query["query.intr"] == [INTERVENTION_QUERY]


def test_parse_of_the_last_page_requests_nothing_more(ctgov):
    spider = ClinicalTrialsSpider(base_url=BASE)
    page = load(ctgov, "cyanheads_search_1study_nextPageToken.json")
    del page["nextPageToken"]
    out = list(spider.parse(response_for(spider.search_url(), json.dumps(page).encode())))
    assert [type(o) for o in out] == [StudyItem]


def test_parse_skips_and_reports_one_bad_record(ctgov):
    spider = ClinicalTrialsSpider(base_url=BASE)
    page = load(ctgov, "cyanheads_search_2studies_nextPageToken.json")
    page["studies"].insert(1, {"protocolSection": {}})
    out = list(spider.parse(response_for(spider.search_url(), json.dumps(page).encode())))
    assert [o.study.source_id for o in out if isinstance(o, StudyItem)] == [
        "NCT00184067", "NCT03934567"]
    assert len(spider.ketawatch_failures) == 1 and "nctId" in spider.ketawatch_failures[0]


def test_parse_of_a_malformed_page_raises():
    spider = ClinicalTrialsSpider(base_url=BASE)
    with pytest.raises(ParseError, match="malformed JSON"):
        list(spider.parse(response_for(spider.search_url(), b'{"studies": [{"protocolSe')))


# -- the replay handler -----------------------------------------------------------------------

def trial(nct: str, intervention: str, condition: str, updated: str) -> dict:
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": f"{intervention} for {condition}"},
        "statusModule": {"overallStatus": "RECRUITING",
                         "lastUpdatePostDateStruct": {"date": updated, "type": "ACTUAL"}},
        "conditionsModule": {"conditions": [condition]},
        "armsInterventionsModule": {"interventions": [{"type": "DRUG", "name": intervention}]},
    }, "hasResults": False}


@pytest.fixture
def handler() -> ClinicalTrialsHandler:
    return ClinicalTrialsHandler([
        trial("NCT00000003", "Esketamine nasal spray", "Depression", "2026-01-05"),
        trial("NCT00000001", "Ketamine", "PTSD", "2025-06-01"),
        trial("NCT00000002", "Placebo", "Depression", "2026-01-02"),
        trial("NCT00000004", "Arketamine", "Bipolar Depression", "2026-02-01"),
    ], page_size_max=3)


def get(handler, path: str, **params):
    request = Request("GET", path, {k: [v] for k, v in params.items()}, {}, prefix="ctgov/")
    response = handler.handle(request)
    body = json.loads(response.body) if response.headers.get("Content-Type", "").startswith(
        "application/json") else response.body.decode()
    return response.status, body


def ncts(body) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in body["studies"]]


def test_replay_pages_through_a_search_with_opaque_tokens(handler):
    status, first = get(handler, "studies", **{"query.intr": INTERVENTION_QUERY,
                                                "pageSize": "2", "countTotal": "true"})
    assert status == 200 and first["totalCount"] == 3
    assert ncts(first) == ["NCT00000001", "NCT00000003"]
    status, second = get(handler, "studies", **{"query.intr": INTERVENTION_QUERY,
                                                 "pageSize": "2", "countTotal": "true",
                                                 "pageToken": first["nextPageToken"]})
    assert ncts(second) == ["NCT00000004"]
    assert "nextPageToken" not in second and "totalCount" not in second


def test_replay_filters_by_condition_and_last_update(handler):
    _, body = get(handler, "studies", **{"query.cond": "depression"})
    assert ncts(body) == ["NCT00000002", "NCT00000003", "NCT00000004"]
    _, body = get(handler, "studies", **{
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-01-03,MAX]"})
    assert ncts(body) == ["NCT00000003", "NCT00000004"]
    _, body = get(handler, "studies", **{
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[MIN,2026-01]"})
    assert ncts(body) == ["NCT00000001", "NCT00000002", "NCT00000003"]
    _, body = get(handler, "studies", **{"query.intr": "psilocybin"})
    assert body == {"studies": []}


def test_replay_coerces_page_size_down(handler):
    _, body = get(handler, "studies", pageSize="1000")
    assert len(body["studies"]) == 3 and "nextPageToken" in body


@pytest.mark.parametrize("params, message", [
    ({"pageSize": "ten"}, "pageSize"),
    ({"pageSize": "-1"}, "pageSize"),
    ({"pageToken": "forged"}, "pageToken"),
    ({"filter.advanced": "AREA[LastUpdatePostDate]RANGE[yesterday,MAX]"}, "filter.advanced"),
    ({"filter.advanced": "AREA[Phase]PHASE3 AND"}, "filter.advanced"),
    ({"format": "csv"}, "format"),
])
def test_replay_refuses_bad_parameters_with_400(handler, params, message):
    status, body = get(handler, "studies", **params)
    assert status == 400 and message in body


def test_replay_token_belongs_to_its_query(handler):
    _, first = get(handler, "studies", pageSize="1")
    status, body = get(handler, "studies", pageSize="1", pageToken=first["nextPageToken"],
                       **{"query.cond": "ptsd"})
    assert status == 400 and "pageToken" in body


def test_replay_single_study(handler):
    status, body = get(handler, "studies/NCT00000004")
    assert status == 200 and body["protocolSection"]["identificationModule"]["nctId"] == \
        "NCT00000004"
    assert get(handler, "studies/NCT09999999")[0] == 404
    assert get(handler, "studies/banana")[0] == 400


# -- fixed bugs: wrong-typed modules, Unicode digits, deep nesting ----------------------------

def _real_record(ctgov: Path) -> dict:
    return load(ctgov, "cyanheads_study_NCT00184067_terminated.json")


@pytest.mark.parametrize("part, value", [
    ("statusModule", ["RECRUITING"]),
    ("designModule", "PHASE2"),
    ("armsInterventionsModule", 5),
    ("referencesModule", [{"pmid": "123"}]),
])
def test_a_module_of_the_wrong_type_is_a_parse_error_naming_it(ctgov, part, value):
    # read as missing, a statusModule would become a false "status changed to None" event
    record = _real_record(ctgov)
    record["protocolSection"][part] = value
    with pytest.raises(ParseError, match=f"NCT00184067 has a {part} of the wrong type"):
        parse_study(record)


@pytest.mark.parametrize("part, value", [
    ("armsInterventionsModule", {"interventions": 5}),
    ("armsInterventionsModule", {"interventions": ["ketamine", None, {"name": 7}]}),
    ("referencesModule", {"references": {"pmid": "123"}}),
    ("identificationModule", {"nctId": "NCT00184067", "briefTitle": 42}),
    ("statusModule", {"overallStatus": "TERMINATED", "whyStopped": ["x"]}),
])
def test_a_wrong_typed_value_inside_a_module_is_skipped_and_the_record_kept(ctgov, part, value):
    record = _real_record(ctgov)
    record["protocolSection"][part] = value
    record["derivedSection"] = {"conditionBrowseModule": {"meshes": 3}}
    study = parse_study.__wrapped__(record)  # without the ParseError backstop: no slip left
    assert study.source_id == "NCT00184067" and study.mesh == []
    assert trial_facts(record)["status"] in (None, "TERMINATED")


def test_trial_facts_of_a_record_that_is_not_an_object_are_empty():
    facts = trial_facts(["not", "a", "record"])
    assert facts["status"] is None and facts["interventions"] == [] and not facts["has_results"]


def test_a_record_without_an_nct_number_is_a_parse_error_naming_it(ctgov):
    record = _real_record(ctgov)
    record["protocolSection"]["identificationModule"]["nctId"] = {"id": "NCT00184067"}
    with pytest.raises(ParseError, match="bad nctId .*'Continuation Booster Trial"):
        parse_study(record)


def test_unicode_digits_are_no_enrollment_and_no_pmid(ctgov):
    record = _real_record(ctgov)
    record["protocolSection"]["designModule"]["enrollmentInfo"] = {"count": "²", "type": "ACTUAL"}
    record["protocolSection"]["referencesModule"] = {"references": [{"pmid": "²"},
                                                                    {"pmid": "12345678"}]}
    study = parse_study(record)
    assert study.trial["enrollment"] is None and study.sample_size is None
    assert study.extras["reference_pmids"] == ["12345678"]


def test_deeply_nested_page_is_a_parse_error():
    with pytest.raises(ParseError, match="malformed"):
        parse_page(b'{"studies": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
