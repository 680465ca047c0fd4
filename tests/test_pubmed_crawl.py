"""crawlers.pubmed (Bio.Entrez) against the replay server speaking E-utilities on 127.0.0.1."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date

import pytest
from Bio import Entrez

from crawlers.pubmed import PubMedClient
from crawlers.pubmed_xml import parse_efetch
from ketawatch.config import load_config
from ketawatch.errors import ParseError, SourceError
from ketawatch.replay import Fault, ReplayServer, Response, first_n
from ketawatch.replay.eutils import EutilsHandler, articles_from_efetch_files

API_KEY = "test-key-123"


@pytest.fixture(scope="module")
def articles(real_fixtures):
    folder = real_fixtures / "pubmed"
    paths = sorted([*folder.glob("biopython_pubmed*.xml"), *folder.glob("metapub_efetch_pmid_*.xml"),
                    *folder.glob("meta_harness_efetch_*.xml")])
    return articles_from_efetch_files(paths)


@pytest.fixture(scope="module")
def expected_pmids(real_fixtures):
    """Every PMID the parser finds in the recorded efetch answers: what a crawl must return."""
    folder = real_fixtures / "pubmed"
    pmids = []
    for path in [*folder.glob("biopython_pubmed*.xml"), *folder.glob("metapub_efetch_pmid_*.xml"),
                 *folder.glob("meta_harness_efetch_*.xml")]:
        pmids += [study.pmid for study, _ in parse_efetch(path.read_bytes())[0]]
    return Counter(pmids)


@pytest.fixture
def handler(articles):
    return EutilsHandler(articles)


@pytest.fixture
def server(handler):
    with ReplayServer({"eutils/": handler}) as running:
        yield running


def make_client(tmp_path, server, **settings):
    values = {"pubmed_url": server.url + "eutils/", "ncbi_api_key": API_KEY,
              "ncbi_email": "curator@example.org"}
    values.update(settings)
    config = load_config(home=tmp_path, env={}, **values)
    return PubMedClient(config)


def crawled_pmids(batches):
    pmids = []
    for batch in batches:
        assert batch.errors == []
        pmids += [study.pmid for study, _ in batch.records]
    return pmids


def test_crawl_gets_every_real_article_once_in_pages(tmp_path, server, articles, expected_pmids):
    assert len(expected_pmids) == len(articles) == 24  # no PMID recorded twice
    client = make_client(tmp_path, server)
    batches = list(client.crawl("ketamine AND depression", batch_size=3))
    assert Counter(crawled_pmids(batches)) == expected_pmids
    assert [b.retstart for b in batches] == list(range(0, 24, 3))
    for batch in batches:
        for study, raw in batch.records:
            assert raw.startswith(("<PubmedArticle>", "<PubmedBookArticle>"))
            assert f">{study.pmid}</PMID>" in raw
    searches = server.requests_to("esearch.fcgi")
    fetches = server.requests_to("efetch.fcgi")
    assert len(searches) == 1 and searches[0].param("usehistory") == "y"
    assert searches[0].param("term") == "ketamine AND depression"
    assert searches[0].param("retmax") == "0"
    assert [r.param("retstart") for r in fetches] == [str(n) for n in range(0, 24, 3)]
    assert {r.param("retmax") for r in fetches} == {"3"}
    assert {r.param("query_key") for r in fetches} == {"1"}
    assert all(r.status == 200 for r in server.requests)


def test_last_page_asks_only_for_what_is_left(tmp_path, server):
    client = make_client(tmp_path, server)
    batches = list(client.crawl("ketamine", batch_size=10))
    assert [len(b.records) for b in batches] == [10, 10, 4]
    assert [r.param("retmax") for r in server.requests_to("efetch.fcgi")] == ["10", "10", "4"]


def test_date_window_on_entrez_date(tmp_path, server, articles):
    client = make_client(tmp_path, server)
    since, until = date(2019, 6, 6), date(2023, 12, 4)
    pmids = crawled_pmids(client.crawl("ketamine", since=since, until=until, batch_size=4))
    expected = {a.pmid for a in articles if since <= a.edat <= until}
    assert sorted(pmids) == sorted(expected)
    # both ends inclusive: SUSTAIN-1 entered 2019-06-06, the German editorial 2023-12-04
    assert {"31166571", "38048813"} <= set(pmids)
    assert "38147649" not in pmids  # entered 2023-12-26
    search = server.requests_to("esearch.fcgi")[0]
    assert (search.param("datetype"), search.param("mindate"), search.param("maxdate")) == (
        "edat", "2019/06/06", "2023/12/04")


def test_since_alone_runs_to_today(tmp_path, server, monkeypatch):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2024-01-15T12:00:00Z")
    client = make_client(tmp_path, server)
    pmids = crawled_pmids(client.crawl("ketamine", since=date(2023, 12, 1)))
    assert sorted(pmids) == ["38048813", "38147649"]
    assert server.requests_to("esearch.fcgi")[0].param("maxdate") == "2024/01/15"


def test_no_results_gives_no_batches(tmp_path, server):
    client = make_client(tmp_path, server)
    result = client.esearch("noresults xyzzy")
    assert (result.count, result.webenv) == (0, None)
    assert list(client.crawl("noresults xyzzy")) == []
    assert server.requests_to("efetch.fcgi") == []


def test_expired_webenv_raises_source_error(tmp_path, server, handler):
    # Decision: the history server forgetting a search stops the crawl with a SourceError
    # (every later batch would fail the same way); batches already yielded stay yielded.
    client = make_client(tmp_path, server)
    result = client.esearch("ketamine")
    batches = client.fetch_batches(result, batch_size=5)
    first = next(batches)
    assert len(first.records) == 5
    handler.forget_history()
    with pytest.raises(SourceError) as info:
        next(batches)
    assert not isinstance(info.value, ParseError)
    assert "Cannot retrieve history data" in str(info.value)
    assert "efetch.fcgi" in info.value.url and "retstart=5" in info.value.url
    assert info.value.source == "pubmed"
    assert all(r.status == 200 for r in server.requests_to("efetch.fcgi"))  # like NCBI


def test_unknown_webenv_answer_is_the_real_error_body(server):
    url = server.url + "eutils/efetch.fcgi?db=pubmed&WebEnv=MCID_nope&query_key=1&retmode=xml"
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.status == 200
        body = answer.read()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult')
    assert b"<eFetchResult>" in body and b"<ERROR>Cannot retrieve history data." in body
    with pytest.raises(ParseError, match="Cannot retrieve history data"):
        parse_efetch(body)


def test_efetch_by_id_list_keeps_order(server):
    url = server.url + "eutils/efetch.fcgi?db=pubmed&id=31166571,9997,1&retmode=xml"
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = answer.read()
    assert body.startswith(b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC')
    assert b"&#x2009;" in body  # the recorded bytes, not a re-serialization
    records, errors = parse_efetch(body)
    assert [s.pmid for s, _ in records] == ["31166571", "9997"] and errors == []


def test_identity_is_sent_with_every_request(tmp_path, server):
    client = make_client(tmp_path, server)
    list(client.crawl("ketamine", batch_size=12))
    assert len(server.requests) == 3
    for request in server.requests:
        assert request.param("email") == "curator@example.org"
        assert request.param("tool") == "ketawatch"
        assert request.param("api_key") == API_KEY


def test_default_email_and_no_api_key(tmp_path, server):
    client = make_client(tmp_path, server, ncbi_email="", ncbi_api_key="")
    client.esearch("ketamine")
    (request,) = server.requests
    assert request.param("email") == "ketawatch@localhost"
    assert request.param("tool") == "ketawatch"
    assert "api_key" not in request.query


def test_server_error_becomes_source_error_quickly(tmp_path, server):
    server.faults = lambda request: Response.text("Internal Server Error", 500)
    client = make_client(tmp_path, server)
    started = time.perf_counter()
    with pytest.raises(SourceError) as info:
        client.esearch("ketamine")
    assert time.perf_counter() - started < 3
    assert "HTTP 500" in str(info.value)
    assert info.value.url.startswith(server.url + "eutils/esearch.fcgi?")
    assert info.value.url in str(info.value)
    assert API_KEY not in str(info.value) and "api_key=***" in info.value.url
    assert len(server.requests) == client.max_tries == 2


def test_unreachable_server_becomes_source_error(tmp_path):
    with ReplayServer({}) as gone:
        base = gone.url
    config = load_config(home=tmp_path, env={}, pubmed_url=base + "eutils/", ncbi_api_key=API_KEY)
    with pytest.raises(SourceError, match="could not be reached") as info:
        PubMedClient(config).esearch("ketamine")
    assert info.value.url.startswith(base + "eutils/esearch.fcgi")


def test_truncated_batch_is_retried_once(tmp_path, server, expected_pmids):
    server.faults = first_n(1, Fault.truncate(300), path_contains="efetch.fcgi")
    client = make_client(tmp_path, server)
    assert Counter(crawled_pmids(client.crawl("ketamine", batch_size=6))) == expected_pmids
    assert [r.param("retstart") for r in server.requests_to("efetch.fcgi")] == [
        "0", "0", "6", "12", "18"]


def test_batch_malformed_twice_is_reported_and_the_crawl_goes_on(tmp_path, server,
                                                                 expected_pmids):
    server.faults = first_n(2, Response.xml(b"<PubmedArticleSet><PubmedArticle>"),
                            path_contains="efetch.fcgi")
    client = make_client(tmp_path, server)
    batches = list(client.crawl("ketamine", batch_size=6))
    assert [b.retstart for b in batches] == [0, 6, 12, 18]
    failed = batches[0]
    assert failed.records == [] and len(failed.errors) == 1
    error = failed.errors[0]
    assert isinstance(error, ParseError) and "records 0-5" in str(error)
    assert "efetch.fcgi" in error.url and "retstart=0" in error.url
    got = Counter(s.pmid for b in batches[1:] for s, _ in b.records)
    assert sum(got.values()) == 18 and set(got) < set(expected_pmids)


def test_reset_connection_is_retried(tmp_path, server, expected_pmids):
    server.faults = first_n(1, Fault.reset(), path_contains="efetch.fcgi")
    client = make_client(tmp_path, server)
    assert Counter(crawled_pmids(client.crawl("ketamine", batch_size=12))) == expected_pmids
    statuses = [r.status for r in server.requests_to("efetch.fcgi")]
    assert statuses == [0, 200, 200]


def test_slow_server_times_out(tmp_path, server):
    server.faults = lambda request: Fault.sleep(1.0)
    config = load_config(home=tmp_path, env={}, pubmed_url=server.url + "eutils/",
                         ncbi_api_key=API_KEY)
    client = PubMedClient(config, timeout=0.2, max_tries=1)
    started = time.perf_counter()
    with pytest.raises(SourceError):
        client.esearch("ketamine")
    assert time.perf_counter() - started < 1.0


def test_big_window_is_split_to_stay_under_the_retrieval_limit(tmp_path, articles,
                                                                expected_pmids):
    with ReplayServer({"eutils/": EutilsHandler(articles, max_retstart=4)}) as small:
        config = load_config(home=tmp_path, env={}, pubmed_url=small.url + "eutils/",
                             ncbi_api_key=API_KEY)
        client = PubMedClient(config, max_records_per_search=5)
        pmids = crawled_pmids(client.crawl("ketamine", since=date(1970, 1, 1),
                                           until=date(2025, 12, 31), batch_size=5))
        assert Counter(pmids) == expected_pmids
        assert len(small.requests_to("esearch.fcgi")) > 2
        assert all(int(r.param("retstart")) <= 4 for r in small.requests_to("efetch.fcgi"))


def test_retrieval_limit_refusal_is_a_source_error(tmp_path, articles):
    with ReplayServer({"eutils/": EutilsHandler(articles, max_retstart=4)}) as small:
        config = load_config(home=tmp_path, env={}, pubmed_url=small.url + "eutils/",
                             ncbi_api_key=API_KEY)
        batches = PubMedClient(config).fetch_batches(
            PubMedClient(config).esearch("ketamine"), batch_size=5)
        assert len(next(batches).records) == 5
        with pytest.raises(SourceError, match="HTTP 400.*'retstart' cannot be larger than 4"):
            next(batches)


def test_two_clients_keep_their_own_base(tmp_path, articles):
    before = (Entrez.max_tries, Entrez.sleep_between_tries, Entrez.email, Entrez.tool)
    with ReplayServer({"eutils/": EutilsHandler(articles[:5])}) as one, \
            ReplayServer({"eutils/": EutilsHandler(articles[5:])}) as two:
        first = make_client(tmp_path, one)
        second = make_client(tmp_path, two, ncbi_email="other@example.org")
        assert first.esearch("x").count == 5
        assert second.esearch("x").count == 19
        assert first.esearch("x").count == 5
        assert len(one.requests) == 2 and len(two.requests) == 1
        assert two.requests[0].param("email") == "other@example.org"
    # Bio.Entrez's own settings are left as they were
    assert (Entrez.max_tries, Entrez.sleep_between_tries, Entrez.email, Entrez.tool) == before


def test_esearch_errors(tmp_path, server):
    server.faults = lambda request: Response.xml(
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>12</Count>'
        b"<RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_1</WebEnv>"
        b"<IdList/><ErrorList><FieldNotFound>ketamin</FieldNotFound></ErrorList></eSearchResult>")
    client = make_client(tmp_path, server)
    with pytest.raises(SourceError, match="FieldNotFound: ketamin"):
        client.esearch("ketamine[xx]")
    server.faults = lambda request: Response.xml(b"<eSearchResult><ERROR>Invalid query</ERROR>"
                                                 b"</eSearchResult>")
    with pytest.raises(SourceError, match="Invalid query"):
        client.esearch("ketamine")
    server.faults = lambda request: Response.xml(b"<eSearchResult><Count>3")
    with pytest.raises(ParseError):
        client.esearch("ketamine")


def test_replay_server_routes_and_records(server):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url + "nowhere/x", timeout=5)
    assert info.value.code == 404
    info.value.close()
    data = b"db=pubmed&id=9997"
    request = urllib.request.Request(server.url + "eutils/efetch.fcgi", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        records, _ = parse_efetch(answer.read())
    assert [s.pmid for s, _ in records] == ["9997"]  # a form body counts as parameters
    assert [(r.method, r.full_path, r.prefix) for r in server.requests] == [
        ("GET", "/nowhere/x", ""), ("POST", "/eutils/efetch.fcgi", "eutils/")]


def test_replay_handler_bug_answers_500(tmp_path):
    class Broken:
        def handle(self, request):
            raise RuntimeError("bug in handler")

    with ReplayServer({"x/": Broken()}) as running:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(running.url + "x/y", timeout=5)
        assert info.value.code == 500
        info.value.close()
        assert [str(e) for e in running.errors] == ["bug in handler"]


def _record_sleeps(monkeypatch) -> list[float]:
    """Record (without sleeping) every time.sleep of this test: Bio.Entrez's pauses."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_replay_server_is_asked_without_ncbi_pause(tmp_path, server, monkeypatch):
    slept = _record_sleeps(monkeypatch)
    client = make_client(tmp_path, server, ncbi_api_key="")
    for _ in range(4):
        assert client.esearch("ketamine").count == 24
    assert slept == []


def test_ncbi_is_asked_at_most_three_times_a_second(tmp_path, server, monkeypatch):
    # the NCBI-bound requests reach the replay server through urllib, where Bio.Entrez sends them
    real_urlopen = urllib.request.urlopen

    def to_replay(request, timeout=None):
        request.full_url = request.full_url.replace("https://ncbi.example/eutils/",
                                                    server.url + "eutils/")
        return real_urlopen(request, timeout=timeout)

    monkeypatch.setattr(urllib.request, "urlopen", to_replay)
    slept = _record_sleeps(monkeypatch)
    client = make_client(tmp_path, server, pubmed_url="https://ncbi.example/eutils/",
                         ncbi_api_key="")
    assert client.throttled
    for _ in range(4):
        assert client.esearch("ketamine").count == 24
    # Bio.Entrez's own pause before each request after the first (0.37 s without an API key;
    # longer here, as the pauses recorded were not slept)
    assert len(slept) >= 3 and all(s > 0 for s in slept)
