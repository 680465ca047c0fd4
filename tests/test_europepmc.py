"""Europe PMC: the /search parser on every real recorded answer, the spider's callbacks, the
replay handler, and whole crawls through ``crawl_with_scrapy`` against a replay server on
127.0.0.1."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from scrapy.http import Request as ScrapyRequest
from scrapy.http import TextResponse

from crawlers.europepmc_json import (
    abstract_sections,
    html_to_text,
    is_medrxiv,
    parse_page,
    parse_result,
    search_url,
)
from crawlers.items import StudyItem
from crawlers.spiders.europepmc import EuropePMCSpider, preprint_query, status_query
from ketawatch.errors import ParseError, SourceError
from ketawatch.model import Study
from ketawatch.replay.europepmc import EuropePMCHandler, decode_cursor, encode_cursor, matches
from ketawatch.replay.server import Request as ReplayRequest

CORE = "pyeuropepmc_search_cancer_core.json"
RETRACTED = "europepmc_evidence_mcp_search_retracted_core.json"
NO_RESULTS = "pyeuropepmc_search_no_results.json"
OTHER_TYPES = ("pyeuropepmc_search_cancer_idlist.json", "pyeuropepmc_search_cancer_page2.json",
               "pyeuropepmc_search_cancer_sorted_cited.json", "pyeuropepmc_search_post_cancer.json",
               "pyeuropepmc_demo_immunotherapy_pubyear_range_lite.json")
PPR_TITLE = "Esketamine nasal spray for <i>treatment-resistant</i> depression: a cohort study"
PPR_ABSTRACT = ("<h4>Background</h4>Esketamine is approved for treatment-resistant depression."
                "<h4>Methods</h4>We followed 212 adults (p &lt; .05 was significant; p <.01)."
                "<h4>Results</h4>Remission at 28 days was 36%.")


@pytest.fixture(scope="module")
def epmc(real_fixtures: Path) -> Path:
    return real_fixtures / "europepmc"


@pytest.fixture(scope="module")
def core_results(epmc: Path) -> list[dict]:
    return json.loads((epmc / CORE).read_text("utf-8"))["resultList"]["result"]


def make_preprint(template: dict, ppr: str, *, doi: str, publisher: str = "Research Square",
                  title: str = PPR_TITLE, abstract: str = PPR_ABSTRACT,
                  first: str = "2024-03-05", pub_types=("Preprint",)) -> dict:
    """A PPR result in the real core shape (a real record's keys, our own values)."""
    record = copy.deepcopy(template)
    for key in ("pmid", "pmcid", "journalInfo", "meshHeadingList", "chemicalList",
                "commentCorrectionList", "fullTextIdList"):
        record.pop(key, None)
    record.update(id=ppr, source="PPR", doi=doi, title=title, abstractText=abstract,
                  firstPublicationDate=first, pubYear=first[:4],
                  pubTypeList={"pubType": list(pub_types)},
                  bookOrReportDetails={"publisher": publisher, "yearOfPublication": 2024},
                  versionNumber=1,
                  versionList={"version": [{"id": ppr, "source": "PPR", "versionNumber": 1,
                                            "firstPublishDate": first,
                                            "pubTypeList": {"pubType": list(pub_types)}}]})
    return record


def make_article(template: dict, pmid: str, *, doi: str, title: str, pub_types: list[str],
                 links: list[dict] | None = None) -> dict:
    """A MED result in the real core shape."""
    record = copy.deepcopy(template)
    record.update(id=pmid, source="MED", pmid=pmid, doi=doi, title=title,
                  pubTypeList={"pubType": pub_types})
    record.pop("commentCorrectionList", None)
    if links:
        record["commentCorrectionList"] = {"commentCorrection": links}
    return record


def search_body(results: list[dict], *, hits: int | None = None, cursor: str = "*",
                next_cursor: str | None = "AoIIQEkS9yg1NTcyMzcxNw==") -> bytes:
    body = {"version": "6.9", "hitCount": len(results) if hits is None else hits,
            "request": {"queryString": "q", "resultType": "core", "cursorMark": cursor,
                        "pageSize": 100, "sort": "", "synonym": False},
            "resultList": {"result": results}}
    if next_cursor:
        body["nextCursorMark"] = next_cursor
    return json.dumps(body).encode("utf-8")


def response(url: str, body: bytes) -> TextResponse:
    return TextResponse(url=url, body=body, encoding="utf-8", request=ScrapyRequest(url))


# -- the parser on every real recorded answer ---------------------------------------------------


def test_real_core_page(epmc):
    page = parse_page((epmc / CORE).read_bytes(), url="https://www.ebi.ac.uk/x")
    assert (page.hit_count, page.cursor, page.result_type) == (5059039, "*", "core")
    assert page.next_cursor == "AoIIP4ZawSg1MzEyODI1MA=="
    studies = [parse_result(r) for r in page.results]
    assert len(studies) == 25
    assert len({s.source_id for s in studies}) == 25
    for study, record in zip(studies, page.results, strict=True):
        assert study.source == "europepmc" and study.source_id == f"MED:{record['id']}"
        assert study.pmid == record["pmid"] and study.title and study.journal
        assert study.url == f"https://europepmc.org/article/MED/{record['id']}"
        assert study.language == "eng" and not study.preprint
        assert study.pub_date == record["firstPublicationDate"]
        assert study.publication_types == record["pubTypeList"]["pubType"]
        assert "<" not in study.title
        if "abstractText" in record:
            assert study.abstract and "<h4>" not in study.abstract
        Study.from_dict(study.to_dict())
    by_id = {s.source_id: s for s in studies}
    lancet = by_id["MED:39709209"]
    assert lancet.doi == "10.1016/s0140-6736(24)02600-x" and lancet.pmcid is None
    assert lancet.journal == "Lancet (London, England)"
    assert lancet.authors == ["Schoenfeld JD", "Haas-Kogan DA", "O'Neill AF"]
    structured = by_id["MED:40468710"]
    assert [label for label, _ in structured.abstract_sections][:2] == ["Objective", "Design"]
    assert structured.abstract.startswith("Objective: This study investigated")
    assert "\n\nDesign: This was an online" in structured.abstract
    assert "Neoplasms" in structured.mesh and "Cancer" in structured.keywords
    erratum = by_id["MED:39709208"]
    assert erratum.pmcid == "PMC12124214"
    assert erratum.comments_corrections[0]["type"] == "ErratumFor"
    assert erratum.comments_corrections[0]["pmid"] == "39293462"
    assert erratum.comments_corrections[0]["doi"] == "10.1016/s0140-6736(24)01653-2"
    assert not erratum.corrected and not erratum.retracted
    h2s = by_id["MED:40511629"]
    assert "(H2S)" in h2s.abstract and "<sub>" not in h2s.abstract
    assert "Paclitaxel" in h2s.mesh  # chemicals join MeSH, as in the PubMed parser
    assert by_id["MED:39038316"].doi is None


def test_real_retracted_records(epmc):
    page = parse_page((epmc / RETRACTED).read_text("utf-8"))
    assert page.hit_count == 34617 and len(page.results) == 2
    editorial, letter = (parse_result(r) for r in page.results)
    assert editorial.retracted and letter.retracted
    assert editorial.publication_types == ["Retracted Publication", "Editorial"]
    link = editorial.comments_corrections[0]
    assert link["type"] == "RetractionIn" and link["pmid"] == "42715445"
    assert link["doi"] == "10.3928/02793695-20260817-01"
    # a "Retraction in" link without an id: only the reference (a DOI) is known
    bare = letter.comments_corrections[0]
    assert bare["type"] == "RetractionIn" and bare["pmid"] is None and bare["id"] is None
    assert bare["doi"] == "10.1016/j.jse.2026.06.002"
    assert letter.title.startswith("WITHDRAWN:") and letter.extras["withdrawn"]
    assert letter.authors == ["Smadi Z", "Abboud JA"]
    assert editorial.journal == "Journal of psychosocial nursing and mental health services"


def test_real_empty_answer(epmc):
    page = parse_page((epmc / NO_RESULTS).read_bytes())
    assert page.hit_count == 0 and page.results == [] and page.next_cursor is None


@pytest.mark.parametrize("name", OTHER_TYPES)
def test_real_lite_and_idlist_pages_are_refused(epmc, name):
    with pytest.raises(ParseError, match="needs core"):
        parse_page((epmc / name).read_bytes())


def test_real_lite_record_still_parses(epmc):
    lite = json.loads((epmc / OTHER_TYPES[4]).read_text("utf-8"))["resultList"]["result"][0]
    study = parse_result(lite)
    assert study.journal == "Nat Immunol" and study.publication_types == ["review",
                                                                           "journal article"]
    assert study.authors == ["Khleif SN", "Gupta S"]


def test_real_idlist_record_is_refused(epmc):
    record = json.loads((epmc / OTHER_TYPES[0]).read_text("utf-8"))["resultList"]["result"][0]
    with pytest.raises(ParseError, match="no title"):
        parse_result(record)


def test_real_xml_answer_is_refused(epmc):
    with pytest.raises(ParseError, match="malformed JSON"):
        parse_page((epmc / "pyeuropepmc_search_cancer.xml").read_bytes())


@pytest.mark.parametrize("body, error", [
    (b'{"version": "6.9", "errCode": 400, "errMsg": "Invalid query"}', SourceError),
    (b'{"version": "6.9", "hitCount": 3}', ParseError),
    (b'{"hitCount": "many", "resultList": {"result": []}}', ParseError),
    (b'[1, 2]', ParseError),
    (b'{"hitCount": 1, "resultList": {"result": ["x"]}}', ParseError),
])
def test_bad_answers(body, error):
    with pytest.raises(error) as info:
        parse_page(body, url="https://www.ebi.ac.uk/europepmc/webservices/rest/search?q")
    assert "Europe PMC" in str(info.value) and "rest/search" in str(info.value)


def test_result_without_id_is_refused(core_results):
    record = dict(core_results[0])
    del record["id"]
    with pytest.raises(ParseError, match="without source and id"):
        parse_result(record)


def test_preprint_record(core_results):
    record = make_preprint(core_results[2], "PPR812345", doi="10.21203/RS.3.RS-1234/V1")
    study = parse_result(record)
    assert study.source_id == "PPR:PPR812345" and study.preprint
    assert study.doi is None and study.preprint_dois == ["10.21203/rs.3.rs-1234/v1"]
    assert study.journal == "Research Square"
    assert study.title == "Esketamine nasal spray for treatment-resistant depression: a cohort study"
    assert study.abstract_sections[1] == [
        "Methods", "We followed 212 adults (p < .05 was significant; p <.01)."]
    assert study.url == "https://europepmc.org/article/PPR/PPR812345"
    assert study.pmid is None and study.pub_date == "2024-03-05"
    assert study.versions[0]["version"] == 1 and not study.retracted
    withdrawn = parse_result(make_preprint(core_results[2], "PPR9", doi="10.21203/x",
                                           pub_types=("Preprint", "preprint-withdrawal")))
    assert withdrawn.retracted and withdrawn.extras["withdrawn"]


def test_medrxiv_preprints_are_recognised(core_results):
    template = core_results[2]
    assert is_medrxiv(make_preprint(template, "PPR1", doi="10.1101/x", publisher="medRxiv"))
    assert not is_medrxiv(make_preprint(template, "PPR1", doi="10.1101/2024.01.01.577001",
                                        publisher="bioRxiv"))
    nameless = make_preprint(template, "PPR1", doi="10.1101/2024.01.01.24301234")
    del nameless["bookOrReportDetails"]
    assert is_medrxiv(nameless)
    del nameless["doi"]
    assert not is_medrxiv(nameless)


def test_retraction_notice_points_at_its_target(core_results):
    notice = make_article(core_results[0], "40000001", doi="10.1/notice",
                          title="Retraction Note: Ketamine in depression",
                          pub_types=["Retraction of Publication"],
                          links=[{"id": "31166571", "source": "MED", "type": "Retraction of",
                                  "reference": "JAMA Psychiatry. 2019. doi: 10.1001/X.1",
                                  "orderIn": 1}])
    study = parse_result(notice)
    assert study.comments_corrections == [{
        "type": "RetractionOf", "pmid": "31166571", "doi": "10.1001/x.1",
        "text": "JAMA Psychiatry. 2019. doi: 10.1001/X.1", "source": "MED", "id": "31166571"}]
    assert not study.retracted


def test_html_to_text():
    assert html_to_text("A <b>bold</b> &amp; <i>x</i><sup>2</sup> claim") == "A bold & x2 claim"
    assert html_to_text("<p>one</p><p>two</p>") == "one\ntwo"
    assert html_to_text("p < .001 and <1 year") == "p < .001 and <1 year"
    assert html_to_text(None) == ""
    assert abstract_sections("plain text only") == [["", "plain text only"]]
    assert abstract_sections("lead<h4>Aim:</h4>go") == [["", "lead"], ["Aim", "go"]]


# -- the spider's callbacks ------------------------------------------------------------------------


def test_queries_and_urls():
    assert preprint_query("2024-03-01", "2024-03-08") == (
        "(SRC:PPR) AND (ketamine OR esketamine OR arketamine OR spravato) AND "
        "(FIRST_PDATE:[2024-03-01 TO 2024-03-08])")
    assert "FIRST_PDATE" not in preprint_query(None, None)
    assert 'PUB_TYPE:"Retracted Publication" OR PUB_TYPE:"Retraction of Publication"' in (
        status_query())
    url = search_url("http://h/europepmc", "a b", "AoII==", 100)
    assert url.startswith("http://h/europepmc/search?query=a+b&resultType=core&format=json")
    assert "cursorMark=AoII%3D%3D" in url and "pageSize=100" in url


def test_preprint_page_yields_items_then_the_next_cursor(core_results):
    spider = EuropePMCSpider(since="2024-03-01", until="2024-03-31", base_url="http://h/")
    keep = make_preprint(core_results[2], "PPR1", doi="10.21203/rs.1")
    medrxiv = make_preprint(core_results[2], "PPR2", doi="10.1101/2024.03.01.24301234",
                            publisher="medRxiv")
    off_topic = make_preprint(core_results[2], "PPR3", doi="10.21203/rs.3",
                              title="Ketamine for fracture pain", abstract="Pain scores fell.")
    url = search_url("http://h/", preprint_query("2024-03-01", "2024-03-31"))
    out = list(spider.parse(response(url, search_body([keep, medrxiv, off_topic], hits=250)),
                            job="preprints", cursor="*"))
    items = [o for o in out if isinstance(o, StudyItem)]
    requests = [o for o in out if isinstance(o, ScrapyRequest)]
    assert [i.study.source_id for i in items] == ["PPR:PPR1"]
    assert json.loads(items[0].raw)["id"] == "PPR1"
    assert len(requests) == 1 and "cursorMark=AoIIQEkS9yg1NTcyMzcxNw%3D%3D" in requests[0].url
    assert requests[0].cb_kwargs == {"job": "preprints", "cursor": "AoIIQEkS9yg1NTcyMzcxNw=="}


def test_search_stops_at_the_end(core_results):
    spider = EuropePMCSpider(base_url="http://h/")
    one = make_preprint(core_results[2], "PPR1", doi="10.21203/rs.1")
    # every hit read: no further page, even with a cursor offered
    out = list(spider.parse(response("http://h/search", search_body([one], hits=1)),
                            job="preprints"))
    assert not [o for o in out if isinstance(o, ScrapyRequest)]
    # an empty page ends the search
    assert list(spider.parse(response("http://h/search", search_body([], hits=5)),
                             job="status")) == []
    assert "ketawatch_failures" not in spider.__dict__


def test_repeated_cursor_stops_and_is_reported(core_results):
    spider = EuropePMCSpider(base_url="http://h/")
    first = make_preprint(core_results[2], "PPR1", doi="10.21203/rs.1")
    second = make_preprint(core_results[2], "PPR2", doi="10.21203/rs.2")
    out = list(spider.parse(response("http://h/s", search_body([first], hits=10,
                                                               next_cursor="C1")),
                            job="preprints", cursor="*"))
    assert [o.cb_kwargs["cursor"] for o in out if isinstance(o, ScrapyRequest)] == ["C1"]
    again = list(spider.parse(response("http://h/s2", search_body([second], hits=10,
                                                                  next_cursor="C1")),
                              job="preprints", cursor="C1"))
    assert [o.study.source_id for o in again] == ["PPR:PPR2"]  # the page itself is kept
    failures = spider.__dict__["ketawatch_failures"]
    assert len(failures) == 1 and "repeated cursor 'C1'" in failures[0]


def test_malformed_page_raises(core_results):
    spider = EuropePMCSpider(base_url="http://h/")
    with pytest.raises(ParseError):
        list(spider.parse(response("http://h/s", b'{"version": "6.9", "hitCo'),
                          job="preprints"))


def test_status_records_are_kept_only_for_studies_we_hold(core_results, tmp_path):
    from ketawatch.store import Store

    held = Study(source="pubmed", source_id="31166571", pmid="31166571", doi="10.1001/held.1",
                 title="Held article")
    retracted_held = make_article(core_results[0], "31166571", doi="10.1001/held.1",
                                  title="Held article", pub_types=["Retracted Publication"])
    retracted_other = make_article(core_results[0], "39999999", doi="10.1/other",
                                   title="Ketamine in rats", pub_types=["Retracted Publication"])
    notice = make_article(core_results[0], "40000001", doi="10.1/notice", title="Retraction",
                          pub_types=["Retraction of Publication"],
                          links=[{"id": "31166571", "source": "MED", "type": "Retraction of",
                                  "reference": "JAMA Psychiatry. 2019."}])
    body = search_body([retracted_held, retracted_other, notice], hits=3)
    with Store(tmp_path / "k.sqlite3") as store:
        store.ingest([(held, None)])
        spider = EuropePMCSpider(base_url="http://h/", store=store)
        out = list(spider.parse(response("http://h/s", body), job="status"))
    assert [o.study.source_id for o in out] == ["MED:31166571", "MED:40000001"]
    assert out[0].study.retracted
    # without a store nothing is known to be held
    assert list(EuropePMCSpider(base_url="http://h/").parse(response("http://h/s", body),
                                                            job="status")) == []


# -- the replay handler ----------------------------------------------------------------------------


def _search(handler: EuropePMCHandler, **params) -> tuple[int, dict]:
    query = {k: [str(v)] for k, v in params.items()}
    answer = handler.handle(ReplayRequest("GET", "search", query, {}))
    return answer.status, json.loads(answer.body)


def test_replay_cursor_paging(core_results):
    preprints = [make_preprint(core_results[2], f"PPR{i}", doi=f"10.21203/rs.{i}",
                               first=f"2024-03-{1 + i % 28:02d}") for i in range(150)]
    handler = EuropePMCHandler(preprints + core_results)
    query = preprint_query("2024-03-01", "2024-03-31")
    status, first = _search(handler, query=query, resultType="core", format="json",
                            pageSize=100, cursorMark="*")
    assert status == 200 and first["hitCount"] == 150 and first["version"] == "6.9"
    assert first["request"]["queryString"] == query and first["request"]["pageSize"] == 100
    page = parse_page(json.dumps(first))
    assert len(page.results) == 100 and page.next_cursor == encode_cursor(100)
    _, second = _search(handler, query=query, resultType="core", format="json", pageSize=100,
                        cursorMark=page.next_cursor)
    assert len(second["resultList"]["result"]) == 50
    _, past = _search(handler, query=query, resultType="core", format="json", pageSize=100,
                      cursorMark=second["nextCursorMark"])
    # past the end: an empty page hands back the cursor it was given
    assert past["resultList"]["result"] == [] and past["nextCursorMark"] == (
        second["nextCursorMark"])
    _, narrow = _search(handler, query=preprint_query("2024-03-02", "2024-03-02"),
                        resultType="core", format="json")
    assert narrow["hitCount"] == len([p for p in preprints
                                      if p["firstPublicationDate"] == "2024-03-02"])
    _, none = _search(handler, query="(SRC:PPR) AND arketamine", resultType="core",
                      format="json")
    assert none["hitCount"] == 0 and "nextCursorMark" not in none


def test_replay_filters_and_errors(core_results, epmc):
    retracted = json.loads((epmc / RETRACTED).read_text("utf-8"))["resultList"]["result"]
    handler = EuropePMCHandler(core_results + retracted)
    _, answer = _search(handler, query='PUB_TYPE:"Retracted Publication"', resultType="core",
                        format="json")
    assert answer["hitCount"] == 2
    assert matches(retracted[0], "suicide AND (PUB_TYPE:\"Retracted Publication\")")
    assert not matches(retracted[0], "ketamine")
    assert not matches(retracted[0], "SRC:PPR")
    for bad in ({"query": "(ketamine", "format": "json"},
                {"query": 'PUB_TYPE:"x', "format": "json"},
                {"query": "ketamine", "format": "xml"},
                {"query": "ketamine", "format": "json", "cursorMark": "bogus"}):
        status, body = _search(handler, **bad)
        assert status == 400 and body["errMsg"]
        with pytest.raises(SourceError):
            parse_page(json.dumps(body))
    assert decode_cursor(encode_cursor(1234)) == 1234 and decode_cursor("*") == 0
    _, ids = _search(handler, query="cancer", resultType="idlist", format="json")
    assert set(ids["resultList"]["result"][0]) <= {"id", "source", "pmid", "pmcid", "doi"}


# -- whole crawls: crawl_with_scrapy (one child process each) against the replay server ---------

WINDOW = {"since": date(2024, 3, 1), "until": date(2024, 3, 31)}


def preprints(template: dict, n: int, *, first: str = "2024-03-05") -> list[dict]:
    return [make_preprint(template, f"PPR{700000 + i}", doi=f"10.21203/rs.3.rs-{i}/v1",
                          title=f"{PPR_TITLE} {i}", first=first) for i in range(n)]


@pytest.fixture
def crawl(tmp_path):
    """Run the Europe PMC crawl job against a replay server of some results."""
    from crawlers.scrapy_job import crawl_with_scrapy
    from ketawatch.config import load_config
    from ketawatch.replay.server import ReplayServer
    from ketawatch.store import open_store

    opened = []

    def run(results: list[dict], *, faults=None, store=None, **window):
        server = ReplayServer({"europepmc/": EuropePMCHandler(results)}, faults=faults).start()
        opened.append(server)
        config = load_config(home=tmp_path, env={}, europepmc_url=server.url + "europepmc/",
                             medrxiv_url=server.url + "biorxiv/",
                             clinicaltrials_url=server.url + "ctgov/", request_delay=0.0)
        store = store or open_store(config)
        opened.append(store)
        result = crawl_with_scrapy(config, store, "europepmc", **(window or WINDOW))
        return result, store, server

    yield run
    for thing in reversed(opened):
        (thing.stop if hasattr(thing, "stop") else thing.close)()


def _preprint_pages(server) -> list[tuple[str, int]]:
    return [(r.param("cursorMark"), r.status) for r in server.requests
            if "SRC:PPR" in (r.param("query") or "")]


def test_crawl_pages_through_429_and_500(core_results, crawl):
    from ketawatch.replay.server import Response

    template = core_results[2]
    medrxiv = make_preprint(template, "PPR1", doi="10.1101/2024.03.01.24301234",
                            publisher="medRxiv")
    outside = make_preprint(template, "PPR2", doi="10.21203/old", first="2023-01-05")
    results = preprints(template, 150) + [medrxiv, outside] + core_results
    sent = []

    def faults(request):
        if "SRC:PPR" not in (request.param("query") or ""):
            return None
        cursor = request.param("cursorMark")
        if cursor not in sent:
            sent.append(cursor)
            if cursor == "*":
                return Response.text("slow down", 429, {"Retry-After": "1"})
            return Response.text("boom", 500)
        return None

    result, store, server = crawl(results, faults=faults)
    assert result.ok, result.line()
    assert (result.new, result.failed) == (150, 0)
    assert store.source_counts() == {"europepmc": 150}
    assert _preprint_pages(server) == [("*", 429), ("*", 200), (encode_cursor(100), 500),
                                       (encode_cursor(100), 200)]
    study = store.find_study("doi", "10.21203/rs.3.rs-7/v1").study
    assert study.preprint and "esketamine" in study.drugs and study.journal == "Research Square"
    assert store.crawl_state("europepmc").last_until == "2024-03-31"


def test_retraction_marks_the_stored_article(core_results, crawl, real_fixtures, tmp_path):
    from crawlers.prepare import prepare
    from crawlers.pubmed_xml import parse_efetch
    from ketawatch.config import load_config
    from ketawatch.store import open_store

    xml = (real_fixtures / "pubmed" / "meta_harness_efetch_esketamine_3articles.xml").read_bytes()
    articles, _ = parse_efetch(xml)
    store = open_store(load_config(home=tmp_path, env={}))
    store.ingest([(prepare(s), raw) for s, raw in articles])
    sustain1 = store.find_study("pmid", "31166571")
    assert not sustain1.study.retracted
    retracted = make_article(core_results[3], "31166571", doi=sustain1.study.doi,
                             title=sustain1.study.title,
                             pub_types=["Journal Article", "Retracted Publication"])
    retracted["abstractText"] = "Esketamine nasal spray in treatment-resistant depression."
    unheld = make_article(core_results[3], "39999999", doi="10.1/unheld",
                          title="Ketamine anaesthesia in rats",
                          pub_types=["Retracted Publication"])
    result, store, server = crawl([retracted, unheld] + core_results, store=store)
    assert result.ok and result.new == 1, result.line()
    study = store.find_study("pmid", "31166571")
    assert study.id == sustain1.id and study.study.retracted
    assert {s["source"] for s in study.sources} == {"pubmed", "europepmc"}
    assert [e.kind for e in store.events(study_id=study.id, kinds=("retracted",))] == [
        "retracted"]
    assert store.find_study("pmid", "39999999") is None


def test_malformed_page_is_reported_and_the_others_stored(core_results, crawl):
    from ketawatch.replay.server import Response

    def faults(request):
        if "SRC:PPR" in (request.param("query") or "") and request.param("cursorMark") != "*":
            return Response.json(b'{"version": "6.9", "hitCount": 150, "resultList": {"resu')
        return None

    result, store, server = crawl(preprints(core_results[2], 150), faults=faults)
    assert not result.ok and result.failed == 1 and result.new == 100
    assert "ParseError" in result.errors[0]
    assert store.crawl_state("europepmc").last_until is None


def test_empty_result(crawl):
    result, store, server = crawl([])
    assert result.ok and (result.new, result.failed) == (0, 0)
    assert len(server.requests) == 2  # one page of each search
    assert store.count_studies() == 0


# -- fixed bugs: wrong-typed fields, Unicode digits, deep nesting -----------------------------

@pytest.mark.parametrize("author", [{"lastName": 42, "initials": "K"},
                                    {"fullName": {"x": 1}}, {"initials": ["J"]}])
def test_an_author_name_part_of_the_wrong_type_is_a_parse_error(core_results, author):
    # dropping the author would change the authorship the stored version has, without a word
    record = dict(core_results[0], authorList={"author": [author]})
    with pytest.raises(ParseError, match=f"{record['source']}:{record['id']} has an author"):
        parse_result.__wrapped__(record)


def test_authors_that_are_not_objects_are_skipped(core_results):
    record = dict(core_results[0], authorList={"author": ["Roe R", 7, {"lastName": "Doe"},
                                                         {"initials": "A"},
                                                         {"lastName": "Smith", "initials": "J"}]})
    assert parse_result.__wrapped__(record).authors == ["Doe", "Smith J"]


def test_every_other_field_of_the_wrong_type_is_skipped_not_fatal(core_results):
    record = copy.deepcopy(core_results[0])
    record.update(pmid="²", journalInfo={"journal": {"title": 5}}, journalTitle=[1],
                  keywordList={"keyword": ["ketamine", 3, None]}, language={"en": 1},
                  pubTypeList={"pubType": ["Review", {"x": 1}]}, pubYear=[2024],
                  meshHeadingList={"meshHeading": [{"descriptorName": 9}, "Depression"]},
                  commentCorrectionList={"commentCorrection": [
                      {"type": 1, "source": ["MED"], "id": {"x": 1}, "reference": 2}]},
                  bookOrReportDetails={"publisher": 7}, firstIndexDate=5, versionNumber=True,
                  firstPublicationDate="２０２４-01-01", electronicPublicationDate=None)
    record.pop("fullTextIdList", None)
    study = parse_result.__wrapped__(record)  # without the ParseError backstop: no slip left
    assert study.source_id == f"MED:{record['id']}" and study.pmid == record["id"]
    assert study.keywords == ["ketamine"] and study.publication_types == ["Review"]
    assert study.mesh == [] and study.language is None and study.journal == ""
    assert study.comments_corrections[0]["type"] == "" and study.extras["version"] is None
    assert study.extras["publisher"] == "" and study.extras["first_index_date"] is None
    assert study.pub_date is None  # "２０２４-01-01" and [2024] are no dates


def test_a_result_with_a_wrong_typed_id_is_a_parse_error(core_results):
    record = dict(core_results[0], id=["1"])
    with pytest.raises(ParseError, match="source and id"):
        parse_result(record)


@pytest.mark.parametrize("hits", ["²", "١٢", True, 1.5, None])
def test_a_hit_count_not_in_ascii_digits_is_a_parse_error(core_results, hits):
    body = json.loads(search_body(core_results[:1]))
    body["hitCount"] = hits
    with pytest.raises(ParseError, match="hitCount"):
        parse_page(json.dumps(body).encode())


def test_a_cursor_of_the_wrong_type_is_a_parse_error(core_results):
    body = json.loads(search_body(core_results[:1]))
    body["nextCursorMark"] = {"x": 1}
    with pytest.raises(ParseError, match="nextCursorMark"):
        parse_page(json.dumps(body).encode())


def test_deeply_nested_answer_is_a_parse_error():
    with pytest.raises(ParseError, match="malformed"):
        parse_page(b'{"resultList": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
