"""medRxiv: the /details parser on the real recorded pages, the relevance filter, the spider's
callbacks, the replay handler, and whole crawls through ``crawl_with_scrapy`` against a replay
server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from scrapy.http import Request as ScrapyRequest
from scrapy.http import TextResponse

from crawlers.items import StudyItem
from crawlers.medrxiv_json import (
    details_url,
    group_by_doi,
    is_withdrawn,
    load_raw,
    merge_version_records,
    parse_page,
    parse_preprint,
    raw_text,
    split_authors,
)
from crawlers.relevance import assess, is_relevant
from crawlers.spiders.medrxiv import MedrxivSpider
from ketawatch.errors import ParseError, SourceError
from ketawatch.model import Study
from ketawatch.replay.medrxiv import MedrxivHandler
from ketawatch.replay.server import Request as ReplayRequest

MASON = "masonberger4_X_details_biorxiv_cancer_biology_interval.json"
RESEARCH_BOT = "research_bot_details_biorxiv_interval_trimmed.json"
KETAMINE_TITLE = "Intranasal esketamine versus intravenous ketamine for treatment-resistant depression"
KETAMINE_ABSTRACT = ("Background: Ketamine has rapid antidepressant effects in major depressive "
                     "disorder. Methods: 120 adults with treatment-resistant depression were "
                     "randomised. Results: MADRS scores fell.")


@pytest.fixture(scope="module")
def biorxiv(real_fixtures: Path) -> Path:
    return real_fixtures / "biorxiv"


@pytest.fixture(scope="module")
def template(biorxiv: Path) -> dict:
    """A real /details record, the shape every record made up here starts from."""
    return json.loads((biorxiv / RESEARCH_BOT).read_text("utf-8"))["collection"][0]


def make_record(template: dict, doi: str, *, version: int = 1, day: str = "2024-03-05",
                title: str = KETAMINE_TITLE, abstract: str = KETAMINE_ABSTRACT,
                published: str = "NA", server: str = "medRxiv") -> dict:
    """A medRxiv version record in the real shape (the template's keys, our own values)."""
    record = dict(template)
    record.update(doi=doi, version=str(version), date=day, title=title, abstract=abstract,
                  published=published, server=server, category="psychiatry and clinical psychology",
                  type="PUBLISHAHEADOFPRINT", authors="Doe, J. A.; Roe, R.; Study Group",
                  funder="NA")
    return record


def page_body(records: list[dict], *, cursor: int = 0, total: int | None = None) -> bytes:
    """A /details page with the real envelope (count_new_papers and total as strings)."""
    total = len(records) if total is None else total
    return json.dumps({
        "messages": [{"status": "ok", "interval": "2024-03-01:2024-03-31", "cursor": cursor,
                      "count": len(records), "count_new_papers": str(len(records)),
                      "total": str(total)}],
        "collection": records}).replace("/", "\\/").encode("utf-8")


def response(url: str, body: bytes) -> TextResponse:
    return TextResponse(url=url, body=body, encoding="utf-8", request=ScrapyRequest(url))


# -- the parser on the real recorded pages -------------------------------------------------------


def test_real_page_with_int_cursor_and_string_counts(biorxiv):
    raw = (biorxiv / MASON).read_bytes()
    assert b'\\/' in raw and b"\\u03b1" in raw  # the wire format this test is about
    page = parse_page(raw, url="https://api.biorxiv.org/details/biorxiv/x")
    assert (page.status, page.cursor, page.count, page.total) == ("ok", 0, 18, 18)
    assert page.interval == "2026-09-07:2026-09-09"
    assert page.next_cursor is None
    assert len(page.records) == 18
    groups = group_by_doi(page.records)
    assert len(groups) == 18
    studies = {doi: parse_preprint(records) for doi, records in groups.items()}
    for doi, study in studies.items():
        assert study.source == "medrxiv" and study.source_id == doi == study.preprint_dois[0]
        assert study.preprint and study.doi is None and study.published_doi is None
        assert "\\" not in doi and study.title and study.authors
        assert study.journal == "bioRxiv"
        assert study.url == f"https://www.biorxiv.org/content/{doi}v{study.extras['latest_version']}"
        assert study.extras["category"] == "cancer biology"
    alpha = studies["10.64898/2026.08.21.746295"]
    assert "SHH \u03b1 Medulloblastoma" in alpha.title
    assert alpha.extras["latest_version"] == 3
    # version 1 was posted before the window: its date comes from the DOI, not from version 3
    assert alpha.pub_date == "2026-08-21" and alpha.versions[0]["date"] == "2026-09-07"
    assert studies["10.64898/2026.09.04.749239"].extras["author_corresponding"].startswith(
        "\u00c9tienne")
    # funder is a list of {name, id, id-type, award} or the string "NA"
    assert studies["10.64898/2026.04.19.716936"].extras["funders"] == [
        "Boehringer Ingelheim (United States)", "Fukui CardioVascular Center"]
    assert studies["10.64898/2026.09.03.749302"].extras["funders"] == []
    assert studies["10.1101/2025.03.25.645286"].pub_date == "2025-03-25"
    assert studies["10.64898/2026.04.19.716936"].authors == [
        "Dehghan Manshadi M", "Setoodeh P", "Zare H"]


def test_real_trimmed_page(biorxiv):
    page = parse_page((biorxiv / RESEARCH_BOT).read_text("utf-8"))
    assert (page.cursor, page.count, page.total) == (0, 3, 3)
    studies = [parse_preprint(v) for v in group_by_doi(page.records).values()]
    assert [s.extras["funders"] for s in studies] == [[], [], ["Agence Nationale de la Recherche"]]
    assert studies[0].authors == ["Ghafari T", "Quinn AJ", "Jensen O"]
    assert studies[0].pub_date == "2026-07-15"


def test_real_records_are_not_about_ketamine(biorxiv):
    records = json.loads((biorxiv / MASON).read_text("utf-8"))["collection"]
    assert not any(is_relevant(r["title"], r["abstract"]) for r in records)


@pytest.mark.parametrize("body, error", [
    (b"<html>502 Bad Gateway</html>", ParseError),
    (b'{"messages": [], "collection": []}', ParseError),
    (b'{"collection": []}', ParseError),
    (b'{"messages": [{"status": "ok", "cursor": 0, "count": 1, "total": "1"}]}', ParseError),
    (b'{"messages": [{"status": "ok", "cursor": 0, "count": "x", "total": "1"}],'
     b' "collection": []}', ParseError),
    (b'{"messages": [{"status": "ok", "count": 1, "total": 1}], "collection": ["a"]}',
     ParseError),
    (b'{"messages": [{"status": "Error: interval not recognised"}], "collection": []}',
     SourceError),
])
def test_bad_pages_raise_clear_errors(body, error):
    with pytest.raises(error) as info:
        parse_page(body, url="https://api.biorxiv.org/details/medrxiv/a/b/0")
    assert "medRxiv" in str(info.value)
    assert "details/medrxiv" in str(info.value)
    if error is SourceError:
        assert not isinstance(info.value, ParseError)


def test_no_posts_found_is_an_empty_page():
    page = parse_page(b'{"messages":[{"status":"no posts found"}],"collection":[]}')
    assert page.records == [] and page.next_cursor is None and page.total == 0


def test_next_cursor_counts_by_offset():
    body = json.dumps({"messages": [{"status": "ok", "cursor": "100", "count": "100",
                                     "total": "250"}], "collection": []})
    page = parse_page(body)
    assert (page.cursor, page.next_cursor) == (100, 200)
    assert details_url("http://h/biorxiv", date(2024, 1, 1), date(2024, 1, 7), 200) == (
        "http://h/biorxiv/details/medrxiv/2024-01-01/2024-01-07/200")


# -- versions, publication, withdrawal -----------------------------------------------------------


def test_versions_of_one_preprint_make_one_study(template):
    doi = "10.1101/2024.03.01.24303812"
    v1 = make_record(template, doi, version=1, day="2024-03-05")
    v2 = make_record(template, doi, version=2, day="2024-05-20", title=KETAMINE_TITLE + " (v2)",
                     published="10.1001/JAMAPSYCHIATRY.2024.0001")
    study = parse_preprint([v2, v1])
    assert study.source_id == doi and study.preprint_dois == [doi]
    assert study.title.endswith("(v2)")
    assert study.pub_date == "2024-03-05"
    assert study.published_doi == "10.1001/jamapsychiatry.2024.0001"
    assert [(v["version"], v["date"]) for v in study.versions] == [(1, "2024-03-05"),
                                                                  (2, "2024-05-20")]
    assert study.url == f"https://www.medrxiv.org/content/{doi}v2"
    assert study.journal == "medRxiv" and study.publication_types == ["Preprint"]
    assert study.authors == ["Doe JA", "Roe R", "Study Group"]
    assert Study.from_dict(study.to_dict()) == study


def test_a_later_version_merges_with_the_stored_ones(template):
    doi = "10.1101/2024.03.01.24303812"
    v1 = make_record(template, doi, version=1, day="2024-03-05")
    stored_raw = raw_text([v1])
    v2 = make_record(template, doi, version=2, day="2024-05-20")
    merged = merge_version_records(load_raw(stored_raw), [v2])
    assert [r["version"] for r in merged] == ["1", "2"]
    # the same versions seen again give the same raw text: the store sees an unchanged record
    assert raw_text(merge_version_records(merged, [v1])) == raw_text(merged)
    assert load_raw(None) == [] and load_raw("not json") == []


def test_withdrawn_preprint_counts_as_retracted(template):
    doi = "10.1101/2024.03.01.24303812"
    v2 = make_record(template, doi, version=2, day="2024-06-01",
                     title="Withdrawn: " + KETAMINE_TITLE, abstract="This preprint is withdrawn.")
    assert is_withdrawn(v2)
    study = parse_preprint([make_record(template, doi), v2])
    assert study.retracted and study.extras["withdrawn"]
    assert not parse_preprint([make_record(template, doi)]).retracted


def test_invalid_versions_are_refused(template):
    with pytest.raises(ParseError):
        parse_preprint([])
    with pytest.raises(ParseError, match="no title"):
        parse_preprint([make_record(template, "10.1101/2024.01.01.1", title=" ")])
    with pytest.raises(ParseError, match="bad date"):
        parse_preprint([make_record(template, "10.1101/2024.01.01.1", day="last week")])
    with pytest.raises(ParseError, match="different DOIs"):
        parse_preprint([make_record(template, "10.1101/a"), make_record(template, "10.1101/b")])
    with pytest.raises(ParseError, match="DOI"):
        parse_preprint([dict(make_record(template, "10.1101/a"), doi="NA")])


@pytest.mark.parametrize("text, expected", [
    ("Ghafari, T.; Quinn, A. J.; Jensen, O.", ["Ghafari T", "Quinn AJ", "Jensen O"]),
    ("Audet-Walsh, \u00c9.; Smith, J.-P.", ["Audet-Walsh \u00c9", "Smith JP"]),
    ("Smith, John; COVID-19 Genomics Consortium;", ["Smith John", "COVID-19 Genomics Consortium"]),
    ("", []),
    (None, []),
])
def test_split_authors(text, expected):
    assert split_authors(text) == expected


# -- the relevance filter -------------------------------------------------------------------------


@pytest.mark.parametrize("title, abstract, relevant", [
    (KETAMINE_TITLE, KETAMINE_ABSTRACT, True),
    ("Arketamine for bipolar depression: a pilot study", "", True),
    ("Spravato in routine care", "Outcomes of patients with suicidal ideation.", True),
    ("(R)-ketamine and anhedonia", "A trial.", True),
    ("Real-world outcomes", "Esketamine nasal spray was given. Esketamine improved PTSD.", True),
    # the drug without a psychiatric condition
    ("Ketamine for postoperative pain", "Opioid consumption fell after ketamine.", False),
    # "depression" that is not a mood disorder
    ("Ketamine sedation in the emergency department",
     "Respiratory depression occurred in 2% after ketamine.", False),
    ("Ketamine and ST-segment depression", "ECG changes.", False),
    # the drug only as an anaesthetic mixture
    ("A mouse model of depression",
     "Mice were anesthetized with ketamine/xylazine before surgery; depression-like behaviour.",
     False),
    # one passing mention in an abstract is not a ketamine study
    ("Psilocybin for major depressive disorder",
     "Patients previously treated with ketamine were excluded.", False),
    ("Depression in primary care", "", False),
    ("Ketamine and synaptic depression in the hippocampus", "Slices were recorded.", False),
    ("Long-term depression outcomes after ketamine infusions", "A cohort.", True),
    ("", None, False),
])
def test_relevance(title, abstract, relevant):
    assert is_relevant(title, abstract) is relevant


def test_relevance_says_why():
    verdict = assess(KETAMINE_TITLE, KETAMINE_ABSTRACT)
    assert verdict.relevant
    assert set(verdict.drug_terms) == {"esketamine", "ketamine"}
    assert "treatment-resistant depression" not in verdict.psych_terms  # terms, not phrases
    assert "depression" in verdict.psych_terms


# -- the spider's callbacks ------------------------------------------------------------------------


def test_first_page_requests_every_other_page_and_keeps_relevant_preprints(template):
    spider = MedrxivSpider(since="2024-03-01", until="2024-03-31", base_url="http://h/biorxiv/")
    relevant = make_record(template, "10.1101/2024.03.01.24300001")
    other = make_record(template, "10.1101/2024.03.01.24300002", title="Statins and stroke",
                        abstract="No psychiatric outcome.")
    url = spider.page_url(0)
    assert url == "http://h/biorxiv/details/medrxiv/2024-03-01/2024-03-31/0"
    out = list(spider.parse(response(url, page_body([relevant, other], total=5)), first=True))
    requests = [o for o in out if isinstance(o, ScrapyRequest)]
    items = [o for o in out if isinstance(o, StudyItem)]
    # two records a page, five in the window: the pages at offsets 2 and 4 follow
    assert [r.url.rsplit("/", 1)[1] for r in requests] == ["2", "4"]
    assert [i.study.source_id for i in items] == ["10.1101/2024.03.01.24300001"]
    assert json.loads(items[0].raw)[0]["doi"] == "10.1101/2024.03.01.24300001"
    assert items[0].url == url


def test_pages_step_by_the_page_size():
    spider = MedrxivSpider(since="2024-03-01", until="2024-03-31", base_url="http://h/")
    body = json.dumps({"messages": [{"status": "ok", "cursor": 0, "count": 100,
                                     "total": "250"}], "collection": []}).encode()
    out = list(spider.parse(response(spider.page_url(0), body), first=True))
    assert [r.url.rsplit("/", 1)[1] for r in out] == ["100", "200"]
    # a later page never schedules pages again
    assert list(spider.parse(response(spider.page_url(100), body))) == []


def test_versions_on_two_pages_of_one_run_end_in_one_record(template):
    spider = MedrxivSpider(since="2024-03-01", until="2024-06-30", base_url="http://h/")
    doi = "10.1101/2024.03.01.24300001"
    first = list(spider.parse(response(spider.page_url(0), page_body(
        [make_record(template, doi, version=1)]))))
    later = list(spider.parse(response(spider.page_url(100), page_body(
        [make_record(template, doi, version=2, day="2024-06-01")], cursor=100, total=101))))
    assert [v["version"] for v in first[0].study.versions] == [1]
    assert [v["version"] for v in later[0].study.versions] == [1, 2]


def test_malformed_page_raises_and_bad_record_is_reported(template):
    spider = MedrxivSpider(since="2024-03-01", until="2024-03-31", base_url="http://h/")
    with pytest.raises(ParseError):
        list(spider.parse(response(spider.page_url(100), b'{"messages": [{"status": "ok"')))
    good = make_record(template, "10.1101/2024.03.01.24300001")
    bad_date = make_record(template, "10.1101/2024.03.01.24300003", day="03/05/2024")
    no_doi = dict(make_record(template, "x"), doi="")
    out = list(spider.parse(response(spider.page_url(0), page_body([good, bad_date, no_doi]))))
    assert [o.study.source_id for o in out] == ["10.1101/2024.03.01.24300001"]
    failures = spider.__dict__["ketawatch_failures"]
    assert len(failures) == 2
    assert any("bad date" in f for f in failures) and any("DOI" in f for f in failures)


def test_stored_preprint_keeps_its_versions(template, tmp_path):
    from ketawatch.store import Store

    doi = "10.1101/2024.03.01.24300001"
    v1 = make_record(template, doi, version=1)
    with Store(tmp_path / "k.sqlite3") as store:
        store.ingest([(parse_preprint([v1]), raw_text([v1]))])
        spider = MedrxivSpider(since="2024-06-01", until="2024-06-30", base_url="http://h/",
                               store=store)
        # version 2's new title no longer names the drug: it is kept because we hold v1
        v2 = make_record(template, doi, version=2, day="2024-06-02", title="A revised title",
                         abstract="Revised.")
        out = list(spider.parse(response(spider.page_url(0), page_body([v2]))))
    assert [v["version"] for v in out[0].study.versions] == [1, 2]
    assert out[0].study.pub_date == "2024-03-05"
    assert [r["version"] for r in json.loads(out[0].raw)] == ["1", "2"]


# -- the replay handler ----------------------------------------------------------------------------


def _get(handler: MedrxivHandler, path: str):
    return handler.handle(ReplayRequest("GET", path, {}, {}))


def test_replay_pages_with_the_real_envelope(template):
    records = [make_record(template, f"10.1101/2024.03.01.2430{i:04d}",
                           day=f"2024-03-{1 + i % 28:02d}") for i in range(150)]
    handler = MedrxivHandler(records)
    first = _get(handler, "details/medrxiv/2024-03-01/2024-03-31/0")
    assert b"\\/" in first.body
    page = parse_page(first.body)
    assert (page.cursor, page.count, page.total, page.next_cursor) == (0, 100, 150, 100)
    message = json.loads(first.body)["messages"][0]
    assert isinstance(message["cursor"], int) and isinstance(message["total"], str)
    assert message["count_new_papers"] == "150"
    second = parse_page(_get(handler, "details/medrxiv/2024-03-01/2024-03-31/100/json").body)
    assert (second.count, second.next_cursor) == (50, None)
    assert {r["doi"] for r in page.records}.isdisjoint(r["doi"] for r in second.records)
    window = parse_page(_get(handler, "details/medrxiv/2024-03-02/2024-03-02/0").body)
    assert window.total == len([r for r in records if r["date"] == "2024-03-02"])
    empty = parse_page(_get(handler, "details/medrxiv/2030-01-01/2030-01-02/0").body)
    assert empty.status == "no posts found" and empty.records == []
    assert parse_page(_get(handler, "details/biorxiv/2024-03-01/2024-03-31/0").body).total == 0
    with pytest.raises(SourceError):
        parse_page(_get(handler, "details/medrxiv/2024-13-01/2024-03-31/0").body)
    assert _get(handler, "pubs/medrxiv/x").status == 404


# -- whole crawls: crawl_with_scrapy (one child process each) against the replay server ---------

WINDOW = {"since": date(2024, 3, 1), "until": date(2024, 3, 31)}


def ketamine_records(template: dict, n: int, *, day: str = "2024-03-05") -> list[dict]:
    return [make_record(template, f"10.1101/2024.03.01.243{i:05d}", day=day,
                        title=f"{KETAMINE_TITLE}: cohort {i}") for i in range(n)]


def other_records(template: dict, n: int) -> list[dict]:
    return [make_record(template, f"10.1101/2024.03.02.243{i:05d}", title=f"Statin trial {i}",
                        abstract="Cardiovascular outcomes.") for i in range(n)]


@pytest.fixture
def crawl(tmp_path):
    """Run the medRxiv crawl job against a replay server of some records; yields a runner."""
    from crawlers.scrapy_job import crawl_with_scrapy
    from ketawatch.config import load_config
    from ketawatch.replay.server import ReplayServer
    from ketawatch.store import open_store

    opened = []

    def run(records: list[dict], *, faults=None, store=None, **window):
        server = ReplayServer({"biorxiv/": MedrxivHandler(records)}, faults=faults).start()
        opened.append(server)
        config = load_config(home=tmp_path, env={}, medrxiv_url=server.url + "biorxiv/",
                             europepmc_url=server.url + "europepmc/",
                             clinicaltrials_url=server.url + "ctgov/", request_delay=0.0)
        store = store or open_store(config)
        opened.append(store)
        result = crawl_with_scrapy(config, store, "medrxiv", **(window or WINDOW))
        return result, store, server

    yield run
    for thing in reversed(opened):
        (thing.stop if hasattr(thing, "stop") else thing.close)()


def _answers(server, suffix: str) -> list[int]:
    return [r.status for r in server.requests_to(suffix)]


def test_crawl_reads_every_page_through_429_and_500(template, crawl):
    from ketawatch.replay.server import Response

    records = ketamine_records(template, 230) + other_records(template, 40)
    served = {"/100": 0, "/200": 0}

    def faults(request):
        for suffix, outcome in (("/100", Response.text("slow down", 429, {"Retry-After": "1"})),
                                ("/200", Response.text("boom", 500))):
            if request.full_path.endswith(suffix) and not served[suffix]:
                served[suffix] += 1
                return outcome
        return None

    result, store, server = crawl(records, faults=faults)
    assert result.ok, result.line()
    assert (result.new, result.failed) == (230, 0)
    assert store.source_counts() == {"medrxiv": 230}
    assert store.count_studies() == 230
    assert _answers(server, "/0") == [200]
    assert _answers(server, "/100") == [429, 200]
    assert _answers(server, "/200") == [500, 200]
    assert store.crawl_state("medrxiv").last_until == "2024-03-31"
    stored = store.find_study("doi", "10.1101/2024.03.01.24300007").study
    assert stored.preprint and stored.title.endswith("cohort 7")
    assert "esketamine" in stored.drugs and stored.journal == "medRxiv"
    # the same window again changes nothing
    again, _, _ = crawl(records, store=store)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 230)


def test_malformed_page_is_reported_and_the_others_stored(template, crawl):
    from ketawatch.replay.server import Response

    def faults(request):
        if request.full_path.endswith("/100"):
            return Response.json(b'{"messages": [{"status": "ok", "cursor": 100, "coun')
        return None

    result, store, server = crawl(ketamine_records(template, 230), faults=faults)
    assert not result.ok
    assert result.failed == 1 and result.new == 130
    assert "ParseError" in result.errors[0] and "/100" in result.errors[0]
    assert len(server.requests_to("/100")) == 3  # fetched again twice before giving up
    assert store.crawl_state("medrxiv").last_until is None  # the window is not done


def test_empty_window(crawl):
    result, store, server = crawl([])
    assert result.ok and (result.new, result.failed) == (0, 0)
    assert len(server.requests) == 1 and store.count_studies() == 0
    assert store.crawl_state("medrxiv").last_until == "2024-03-31"


def test_later_version_joins_the_stored_one(template, crawl):
    doi = "10.1101/2024.03.01.24300001"
    first, store, _ = crawl([make_record(template, doi, version=1, day="2024-03-05")])
    assert first.new == 1
    second, _, _ = crawl([make_record(template, doi, version=1, day="2024-03-05"),
                          make_record(template, doi, version=2, day="2024-06-10",
                                      title="Revised: " + KETAMINE_TITLE)],
                         store=store, until=date(2024, 6, 30))
    assert second.ok and (second.new, second.updated) == (0, 1)
    study = store.find_study("doi", doi).study
    assert [v["version"] for v in study.versions] == [1, 2]
    assert study.title.startswith("Revised:") and study.pub_date == "2024-03-05"
    assert [r["version"] for r in json.loads(store.raw_record("medrxiv", doi))] == ["1", "2"]


def test_published_preprint_joins_its_pubmed_article(template, crawl, real_fixtures, tmp_path):
    from crawlers.prepare import prepare
    from crawlers.pubmed_xml import parse_efetch
    from ketawatch.config import load_config
    from ketawatch.store import open_store

    xml = (real_fixtures / "pubmed" / "meta_harness_efetch_esketamine_3articles.xml").read_bytes()
    articles, errors = parse_efetch(xml)
    assert not errors
    sustain1 = next(s for s, _ in articles if s.pmid == "31166571")
    store = open_store(load_config(home=tmp_path, env={}))
    store.ingest([(prepare(s), raw) for s, raw in articles])
    preprint_doi = "10.1101/2019.01.15.19000001"
    record = make_record(template, preprint_doi, day="2024-03-05", published=sustain1.doi)
    result, store, _ = crawl([record], store=store)
    assert result.ok and result.new == 1
    article = store.find_study("pmid", "31166571")
    assert store.find_study("doi", preprint_doi).id == article.id
    assert {s["source"] for s in article.sources} == {"pubmed", "medrxiv"}
    merged = article.study
    assert merged.doi == sustain1.doi and preprint_doi in merged.preprint_dois
    assert not merged.preprint and merged.title == sustain1.title
    # the article was known first: one study, announced once, nothing "published" to tell
    assert [e.kind for e in store.events(study_id=article.id)] == ["new_study"]


# -- fixed bugs: Unicode digits, wrong-typed fields, deep nesting -----------------------------

@pytest.mark.parametrize("field", ["cursor", "count", "total"])
@pytest.mark.parametrize("value", ["²", "١٢", True, 1.5, [1]])
def test_page_numbers_not_in_ascii_digits_are_a_parse_error(template, field, value):
    body = json.loads(page_body([make_record(template, "10.1101/2024.03.05.24303812")]))
    body["messages"][0][field] = value
    with pytest.raises(ParseError, match=field):
        parse_page(json.dumps(body).encode())


@pytest.mark.parametrize("version", ["²", "١", True, 1.0, {"v": 1}, None])
def test_a_version_not_in_ascii_digits_is_a_parse_error(template, version):
    record = dict(make_record(template, "10.1101/2024.03.05.24303812"), version=version)
    with pytest.raises(ParseError, match="version"):
        parse_preprint([record])


@pytest.mark.parametrize("day", ["20240305", "２０２４-03-05", "2024-W10-2", 20240305])
def test_a_date_not_written_yyyy_mm_dd_is_a_parse_error(template, day):
    record = dict(make_record(template, "10.1101/2024.03.05.24303812"), date=day)
    with pytest.raises(ParseError, match="bad date"):
        parse_preprint([record])


def test_optional_fields_of_the_wrong_type_are_skipped(template):
    record = make_record(template, "10.1101/2024.03.05.24303812", version=2)
    record.update(abstract=["x"], authors={"a": 1}, server=5, category=None, type=7,
                  license=[1], funder={"name": "x"}, published=3, author_corresponding=1.5)
    study = parse_preprint.__wrapped__([record])  # without the ParseError backstop
    assert study.title == KETAMINE_TITLE and study.abstract == "" and study.authors == []
    assert study.journal == "medRxiv" and study.published_doi is None
    assert study.extras["category"] == "" and study.extras["funders"] == []
    assert [v["version"] for v in study.versions] == [2]


def test_versions_that_are_not_records_are_a_parse_error(template):
    with pytest.raises(ParseError):
        parse_preprint([make_record(template, "10.1101/2024.03.05.24303812"), "v2"])
    with pytest.raises(ParseError):
        parse_preprint({"doi": "10.1101/2024.03.05.24303812"})


def test_a_version_sent_as_a_number_merges_with_the_same_version_as_a_string(template):
    doi = "10.1101/2024.03.05.24303812"
    stored = [make_record(template, doi, version=1)]
    new = [dict(make_record(template, doi, version=1), version=1, title="Revised")]
    merged = merge_version_records(stored, new)
    assert len(merged) == 1 and merged[0]["title"] == "Revised"


def test_deeply_nested_page_is_a_parse_error():
    with pytest.raises(ParseError, match="malformed"):
        parse_page(b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
