"""The web app's pages as a clinician meets them, read as parsed HTML (lxml), not substrings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from flask import Blueprint
from web_corpus import build_corpus, make_config, study_id_of

from index.build import update_index
from index.search import close_searchers
from ketawatch.errors import ConfigError
from ketawatch.links import KNOWN_HOSTS
from ketawatch.model import Study
from ketawatch.store import open_store
from ketawatch.web import create_app
from ketawatch.web.security import CONTENT_SECURITY_POLICY, csrf_exempt


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    config = build_corpus(tmp_path_factory.mktemp("web"))
    # two studies, then a record that shows they are one: the younger id is merged away
    article = Study(source="pubmed", source_id="32000001", pmid="32000001", doi="10.1000/pub.1",
                    title="Ketamine merged article", design="rct", pub_date="2024-07-01")
    preprint = Study(source="medrxiv", source_id="10.1101/2024.07.01.1",
                     preprint_dois=["10.1101/2024.07.01.1"], preprint=True,
                     title="Ketamine merged preprint", pub_date="2024-05-01")
    with open_store(config) as store:
        store.ingest([(article, None)], now="2024-07-02T00:00:00Z")
        store.ingest([(preprint, None)], now="2024-07-03T00:00:00Z")
        preprint.published_doi = "10.1000/pub.1"
        store.ingest([(preprint, None)], now="2024-07-04T00:00:00Z")
        update_index(config, store)
    yield config
    close_searchers()


@pytest.fixture(scope="module")
def app(config):
    return create_app(config)


@pytest.fixture()
def client(app):
    return app.test_client()


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


def _args(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def _cards(doc) -> list:
    return doc.cssselect("ol.results li.card[data-study-id]")


def _facet(doc, key: str) -> dict[str, tuple[int, str]]:
    """label -> (count, href) of one facet group of the sidebar."""
    out = {}
    for li in doc.cssselect(f'section.facet[data-facet="{key}"] li'):
        link = li.cssselect("a")
        text = (link[0] if link else li.cssselect("span")[0]).text_content().replace("✓", "").strip()
        out[text] = (int(li.cssselect(".facet-count")[0].text_content()),
                     link[0].get("href") if link else None)
    return out


# -- starting the app ---------------------------------------------------------------------------

def test_refuses_to_start_without_a_secret_key(tmp_path):
    config = make_config(tmp_path, secret_key="")
    with pytest.raises(ConfigError, match="KETAWATCH_SECRET_KEY"):
        create_app(config)
    with pytest.raises(ConfigError, match="KETAWATCH_SECRET_KEY"):
        create_app(make_config(tmp_path, secret_key="short"))


def test_demo_gets_a_random_key_per_process(tmp_path):
    config = make_config(tmp_path, secret_key="")
    first, second = create_app(config, demo=True), create_app(config, demo=True)
    assert first.secret_key and second.secret_key
    assert first.secret_key != second.secret_key


def test_subscription_blueprint_plugs_in_when_present(app):
    try:
        import ketawatch.web.subscribe  # noqa: F401
    except ModuleNotFoundError:
        pytest.skip("ketawatch.web.subscribe is not written yet")
    assert "subscribe" in app.blueprints


def test_missing_index_is_a_503_not_a_crash(tmp_path):
    client = create_app(make_config(tmp_path)).test_client()
    doc = _page(client, "/search?q=ketamine", status=503)
    assert "not ready" in doc.cssselect(".error-message")[0].text_content()


# -- security headers and CSRF -------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/search?q=ketamine", "/study/1", "/api/search?q=x",
                                 "/feed.atom", "/export.csv?q=ketamine", "/no/such/page",
                                 "/static/ketawatch.css", "/api/studies/999999"])
def test_every_response_has_the_security_headers(client, url):
    with client.get(url) as response:
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_posts_need_the_session_csrf_token_unless_exempt(config):
    app = create_app(config)
    bp = Blueprint("csrf_probe", __name__)

    @bp.route("/probe", methods=["GET", "POST"])
    def probe():
        from flask import render_template_string
        return render_template_string('<form method="post"><input name="{{ csrf_field }}" '
                                      'value="{{ csrf_token() }}"></form>')

    @bp.post("/probe-exempt")
    @csrf_exempt
    def probe_exempt():
        return "ok"

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.post("/probe").status_code == 400
    assert client.post("/probe", data={"csrf_token": "forged"}).status_code == 400
    token = lxml.html.fromstring(client.get("/probe").get_data(as_text=True)).cssselect(
        "input")[0].get("value")
    assert client.post("/probe", data={"csrf_token": token}).status_code == 200
    # another browser (another session) cannot reuse the token
    assert app.test_client().post("/probe", data={"csrf_token": token}).status_code == 400
    assert client.post("/probe-exempt").status_code == 200
    cookie = client.get_cookie("ketawatch_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_no_page_loads_anything_from_another_host(client, config):
    for url in ["/", "/search?q=ketamine", f"/study/{study_id_of(config, 'pmid', '30000006')}",
                "/about"]:
        doc = _page(client, url)
        for el in doc.xpath("//*[@src] | //link[@href]"):
            ref = el.get("src") or el.get("href")
            assert ref.startswith("/") or ref.startswith("data:"), (url, ref)
        assert doc.cssselect('meta[name="viewport"]')


# -- the search page ------------------------------------------------------------------------------

def test_search_page_shows_cards_with_badges_snippets_and_links(client):
    doc = _page(client, "/search?q=esketamine")
    cards = _cards(doc)
    assert int(doc.get_element_by_id("total").text_content()) == len(cards) >= 3
    titles = [c.cssselect("h2 a")[0].text_content() for c in cards]
    assert "Esketamine for treatment-resistant depression: a meta-analysis" in titles
    meta = cards[titles.index("Esketamine for treatment-resistant depression: a meta-analysis")]
    badges = [b.text_content() for b in meta.cssselect(".badge")]
    assert "Meta-analysis" in badges and "Esketamine" in badges and "Intranasal" in badges
    assert meta.cssselect("h2 a")[0].get("href").startswith("/study/")
    assert "Smith J" in meta.cssselect(".authors")[0].text_content()
    assert meta.cssselect(".journal")[0].text_content() == "Journal of Affective Disorders"
    assert meta.cssselect(".year")[0].text_content() == "2023"
    assert [m.text_content().lower() for m in doc.cssselect(".snippet mark")]
    rct = cards[titles.index("Esketamine nasal spray for suicidal ideation: a randomized "
                             "clinical trial")]
    assert "n=226" in [b.text_content() for b in rct.cssselect(".badge")]
    for a in doc.cssselect("a.external"):
        assert urlsplit(a.get("href")).hostname in KNOWN_HOSTS


def test_retracted_studies_are_flagged_and_can_be_hidden(client):
    doc = _page(client, "/search?q=ketamine")
    retracted = [c for c in _cards(doc) if "retracted" in c.get("class")]
    assert len(retracted) == 1
    assert retracted[0].cssselect(".badge.retracted")[0].text_content() == "Retracted"
    hide = doc.get_element_by_id("retracted-toggle").get("href")
    assert _args(hide)["hide_retracted"] == ["1"]
    hidden = _page(client, hide)
    assert not [c for c in _cards(hidden) if "retracted" in c.get("class")]
    assert len(_cards(hidden)) == len(_cards(doc)) - 1
    # the chip removes the filter again
    chip = hidden.cssselect(".active-filters a")[0]
    assert "Retracted hidden" in chip.text_content()
    assert "hide_retracted" not in _args(chip.get("href"))


def test_facet_link_adds_a_filter_and_the_counts_follow(client):
    doc = _page(client, "/search?q=ketamine")
    routes = _facet(doc, "routes")
    count, href = routes["IV"]
    assert count == 2
    assert _args(href) == {"q": ["ketamine"], "route": ["iv"]}
    filtered = _page(client, href)
    assert len(_cards(filtered)) == count
    assert all("IV" in [b.text_content() for b in c.cssselect(".badge")]
               for c in _cards(filtered))
    designs = _facet(filtered, "designs")
    assert sum(n for n, _ in designs.values()) == count
    # the active value is marked and its link removes it
    active = filtered.cssselect('section.facet[data-facet="routes"] li.active a')[0]
    assert _args(active.get("href")) == {"q": ["ketamine"]}
    chips = [c.text_content() for c in filtered.cssselect(".active-filters a")]
    assert len(chips) == 1 and chips[0].startswith("Route: IV")


@pytest.mark.parametrize("key, label, param", [
    ("conditions", "PTSD", "condition"), ("drugs", "Arketamine", "drug"),
    ("designs", "Meta-analysis", "design"), ("sources", "ClinicalTrials.gov", "source"),
    ("years", "2023", "year_from"), ("flags", "Animal studies", "human"),
    ("flags", "Preprints", "preprint"),
])
def test_every_facet_group_filters(client, key, label, param):
    doc = _page(client, "/search")
    count, href = _facet(doc, key)[label]
    assert param in _args(href)
    filtered = _page(client, href)
    assert int(filtered.get_element_by_id("total").text_content()) == count


def test_sort_and_evidence_links_keep_the_search(client):
    doc = _page(client, "/search?q=ketamine&route=iv")
    sorts = {a.text_content(): _args(a.get("href")) for a in doc.cssselect(".search-options a.pill")
             if "sort" in _args(a.get("href")) or a.text_content() == "Relevance"}
    assert sorts["Newest"] == {"q": ["ketamine"], "route": ["iv"], "sort": ["newest"]}
    assert sorts["Strongest evidence"]["sort"] == ["evidence"]
    newest = _page(client, "/search?q=ketamine&sort=newest")
    years = [int(c.cssselect(".year")[0].text_content()) for c in _cards(newest)]
    assert years == sorted(years, reverse=True)
    evidence = doc.get_element_by_id("evidence-toggle")
    assert _args(evidence.get("href"))["evidence_ranking"] == ["0"]


def test_paging(client):
    doc = _page(client, "/search?per_page=4")
    total = int(doc.get_element_by_id("total").text_content())
    assert len(_cards(doc)) == 4 and total > 8
    next_href = doc.cssselect('.pager a[rel="next"]')[0].get("href")
    assert _args(next_href)["page"] == ["2"]
    second = _page(client, next_href)
    first_ids = {c.get("data-study-id") for c in _cards(doc)}
    assert first_ids.isdisjoint(c.get("data-study-id") for c in _cards(second))
    assert second.cssselect(".pager .current")[0].text_content() == "2"


def test_export_and_feed_links_carry_the_search(client):
    doc = _page(client, "/search?q=ketamine&condition=depression&sort=newest&page=1")
    exports = {a.text_content(): a.get("href") for a in doc.cssselect("a.export")}
    assert set(exports) == {"RIS", "BibTeX", "CSV"}
    assert urlsplit(exports["RIS"]).path == "/export.ris"
    assert _args(exports["CSV"]) == {"q": ["ketamine"], "condition": ["depression"],
                                     "sort": ["newest"]}
    feed = doc.cssselect("a.feed")[0].get("href")
    assert urlsplit(feed).path == "/feed.atom"
    assert _args(feed) == {"q": ["ketamine"], "condition": ["depression"]}
    assert doc.cssselect('link[rel="alternate"][type="application/atom+xml"]')[0].get("href") == feed


def test_a_bad_search_is_a_400_page_with_the_box_and_a_message(client):
    doc = _page(client, "/search?q=ketamine&sort=sideways", status=400)
    assert doc.get_element_by_id("q").get("value") == "ketamine"
    assert "sort" in doc.cssselect(".message.error")[0].text_content()
    _page(client, "/search?condition=not-a-condition", status=400)


def test_the_empty_search_lists_every_study_newest_first(client, config):
    doc = _page(client, "/")
    with open_store(config) as store:
        assert int(doc.get_element_by_id("total").text_content()) == store.count_studies()


# -- the study page -------------------------------------------------------------------------------

def test_study_page_shows_identifiers_trial_events_and_sources(client, config):
    sid = study_id_of(config, "pmid", "30000006")
    doc = _page(client, f"/study/{sid}")
    assert doc.cssselect("h1")[0].text_content() == (
        "Esketamine nasal spray for suicidal ideation: a randomized clinical trial")
    links = {a.text_content(): a.get("href") for a in doc.cssselect(".identifiers a.external")}
    assert links["PMID 30000006"] == "https://pubmed.ncbi.nlm.nih.gov/30000006/"
    assert links["10.1001/jamapsychiatry.2024.1"] == "https://doi.org/10.1001/jamapsychiatry.2024.1"
    assert links["NCT04000001"] == "https://clinicaltrials.gov/study/NCT04000001"
    assert links["MED/30000006"] == "https://europepmc.org/article/MED/30000006"
    trial = {r.cssselect("th")[0].text_content(): r.cssselect("td")[0].text_content()
             for r in doc.cssselect(".trial tr")}
    assert trial["Status"] == "COMPLETED" and trial["Results posted"] == "yes"
    events = [li.text_content() for li in doc.cssselect(".events li")]
    assert any("RECRUITING to COMPLETED" in e for e in events)
    assert any("Results were posted" in e for e in events)
    sources = doc.cssselect(".sources")[0].text_content()
    assert "ClinicalTrials.gov" in sources and "PubMed" in sources
    assert not doc.cssselect(".banner")


def test_study_page_keeps_abstract_section_labels(client, config):
    doc = _page(client, f"/study/{study_id_of(config, 'pmid', '30000001')}")
    assert [h.text_content() for h in doc.cssselect(".abstract h3")] == [
        "BACKGROUND", "METHODS", "CONCLUSIONS"]


def test_retracted_study_has_a_banner_at_the_top(client, config):
    doc = _page(client, f"/study/{study_id_of(config, 'pmid', '30000008')}")
    first = doc.cssselect("main > *")[0]
    assert "banner" in first.get("class") and "retracted" in first.get("class")
    assert "crossref:10.1016/j.biopsych.2021.retraction" in first.text_content()
    corrected = _page(client, f"/study/{study_id_of(config, 'pmid', '30000010')}")
    assert corrected.cssselect(".banner.corrected")


def test_preprint_study_links_to_medrxiv(client, config):
    doc = _page(client, f"/study/{study_id_of(config, 'doi', '10.1101/2024.02.01.24302001')}")
    links = [a.get("href") for a in doc.cssselect(".identifiers a.external")]
    assert "https://www.medrxiv.org/content/10.1101/2024.02.01.24302001" in links
    assert "Preprint" in [b.text_content() for b in doc.cssselect(".badge")]
    assert doc.cssselect(".versions td a")[0].get("href") == links[0]


def test_merged_study_id_redirects_to_the_surviving_one(client, config):
    with open_store(config) as store:
        merged = store.merged_away_since(0)
        assert merged
        old = merged[-1]
        new = store.resolve_id(old)
    response = client.get(f"/study/{old}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/study/{new}"
    assert client.get(f"/api/studies/{old}").get_json()["id"] == new


@pytest.mark.parametrize("url", ["/study/999999", "/study/99999999999999999999999",
                                 "/study/abc", "/study/-1"])
def test_unknown_studies_are_404_pages(client, url):
    doc = _page(client, url, status=404)
    assert doc.cssselect(".error-page h1")[0].text_content().startswith("404")


@pytest.mark.parametrize("url", ["//evil.example/", "/study/1?next=https://evil.example/",
                                 "/search?q=x&next=//evil.example", "/\\evil.example"])
def test_no_redirect_leaves_the_site(client, url):
    response = client.get(url)
    location = response.headers.get("Location", "")
    assert not urlsplit(location).netloc, location


# -- the sample corpus: realistic records through the real crawlers -------------------------------

@pytest.fixture(scope="module")
def sample_client(tmp_path_factory):
    """The app over KetaWatch's own sample corpus, crawled from the replay server."""
    sample = pytest.importorskip("ketawatch.sample", reason="the sample corpus is not written yet")
    from ketawatch.jobs import JobReport, refresh_store, update_index_step
    from ketawatch.replay.world import serve_corpus, source_urls

    server = serve_corpus(sample.generate(40))
    try:
        config = make_config(tmp_path_factory.mktemp("sample"), request_delay=0.0,
                             **source_urls(server))
        report = JobReport()
        with open_store(config) as store:
            refresh_store(config, store, report)
            update_index_step(config, store, report)
        assert report.ok, report.failures
    finally:
        server.stop()
    yield create_app(config).test_client(), config
    close_searchers()


def _assert_safe_page(doc, url: str) -> None:
    assert not doc.xpath("//script"), url
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name in el.attrib:
            assert not name.lower().startswith("on"), (url, el.tag, name)
        href = el.get("href") or el.get("src") or ""
        if href.startswith(("http:", "https:")):
            assert urlsplit(href).hostname in KNOWN_HOSTS, (url, href)
        else:
            assert not href.strip().lower().startswith("javascript:"), (url, href)


def test_every_sample_study_page_and_facet_renders(sample_client):
    client, config = sample_client
    with open_store(config) as store:
        ids = [s.id for s in store.iter_studies()]
    assert len(ids) >= 30
    for sid in ids:
        doc = _page(client, f"/study/{sid}")
        _assert_safe_page(doc, f"/study/{sid}")
        assert doc.cssselect("h1")[0].text_content().strip()
    home = _page(client, "/")
    _assert_safe_page(home, "/")
    facet_links = [a.get("href") for a in home.cssselect("section.facet li a")]
    assert len(facet_links) > 10
    for href in facet_links:
        doc = _page(client, href)
        _assert_safe_page(doc, href)
        assert int(doc.get_element_by_id("total").text_content()) == len(_cards(doc)) or \
            doc.cssselect(".pager")


# -- ketawatch serve ---------------------------------------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(home, port: int, secret: str):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KETAWATCH_SECRET_KEY": secret}
    return subprocess.Popen([sys.executable, "-m", "ketawatch", "--home", str(home), "serve",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    proc = _serve(tmp_path, _free_port(), secret="")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "KETAWATCH_SECRET_KEY" in err


def test_serve_answers_on_loopback(config):
    import time
    import urllib.request

    port = _free_port()
    proc = _serve(config.home_path, port, secret="a-long-enough-secret-for-this-test")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=ketamine",
                                            timeout=5) as response:
                    body = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "ketawatch serve did not start"
                time.sleep(0.1)
        doc = lxml.html.fromstring(body)
        assert int(doc.get_element_by_id("total").text_content()) > 3
        assert headers["X-Frame-Options"] == "DENY"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
