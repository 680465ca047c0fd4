"""Crawled text is data, never markup: a hostile study is inert on every page, feed and export."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import lxml.html
import pytest
import rispy
from lxml import etree
from web_corpus import (
    HOSTILE_FORMULA,
    HOSTILE_IMG,
    HOSTILE_LINK,
    HOSTILE_SCRIPT,
    build_corpus,
    study_id_of,
)

from index.search import close_searchers
from ketawatch.model import Study
from ketawatch.sanitize import clean_snippet
from ketawatch.web import create_app

HOSTILE_TITLE = f"{HOSTILE_FORMULA} Ketamine hostile {HOSTILE_SCRIPT} trial {HOSTILE_IMG}"
HOSTILE_ABSTRACT = (f"Ketamine hostile abstract {HOSTILE_SCRIPT} with {HOSTILE_IMG} and "
                    f"{HOSTILE_LINK} and javascript:alert(1) inside.")


def _hostile_study() -> Study:
    return Study(
        source="pubmed", source_id="33000001", pmid="33000001", doi="10.9999/hostile.1",
        title=HOSTILE_TITLE, abstract=HOSTILE_ABSTRACT,
        abstract_sections=[[HOSTILE_IMG, HOSTILE_ABSTRACT], ["CONCLUSIONS", HOSTILE_LINK]],
        journal=f"{HOSTILE_LINK} Journal", authors=[HOSTILE_IMG, f"{HOSTILE_FORMULA} A",
                                                    "javascript:alert(1)"],
        pub_date="2024-01-01", url="javascript:alert(1)", design="rct", sample_size=10,
        drugs=["ketamine"], conditions=["depression"], human=True,
        mesh=[HOSTILE_SCRIPT], keywords=[HOSTILE_IMG], publication_types=[HOSTILE_LINK],
        trial={"status": HOSTILE_SCRIPT, "sponsor": HOSTILE_LINK},
        versions=[{"kind": HOSTILE_IMG, "doi": "javascript:alert(1)", "date": HOSTILE_SCRIPT}],
        nct_ids=["javascript:alert(1)"], vernacular_title=HOSTILE_SCRIPT)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    yield build_corpus(tmp_path_factory.mktemp("hostile"), extra=[_hostile_study()])
    close_searchers()


@pytest.fixture(scope="module")
def client(config):
    return create_app(config).test_client()


@pytest.fixture(scope="module")
def sid(config):
    return study_id_of(config, "pmid", "33000001")


def _assert_inert_html(html: str) -> lxml.html.HtmlElement:
    """No script element, no event-handler attribute, no javascript: URL anywhere."""
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//script"), "a script element got through"
    assert not doc.xpath("//img[@src='x']"), "a crawled img element got through"
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            assert not value.strip().lower().startswith("javascript:"), (el.tag, name, value)
    return doc


def test_search_page_shows_hostile_text_as_text(client):
    html = client.get("/search?q=hostile").get_data(as_text=True)
    doc = _assert_inert_html(html)
    card = doc.cssselect("li.card[data-study-id]")[0]
    title = card.cssselect("h2 a")[0].text_content()
    assert title == HOSTILE_TITLE
    assert HOSTILE_LINK in card.cssselect(".journal")[0].text_content()
    # the snippet keeps its <mark> highlights and nothing else
    snippet = card.cssselect(".snippet")[0]
    assert {el.tag for el in snippet.iterdescendants()} <= {"mark"}
    assert snippet.cssselect("mark")


def test_study_page_shows_hostile_text_as_text(client, sid):
    doc = _assert_inert_html(client.get(f"/study/{sid}").get_data(as_text=True))
    assert doc.cssselect("h1")[0].text_content() == HOSTILE_TITLE
    assert HOSTILE_IMG in doc.cssselect(".authors")[0].text_content()
    assert HOSTILE_IMG in [h.text_content() for h in doc.cssselect(".abstract h3")]
    # the crawled javascript: URL and NCT "number" never become links
    hrefs = [a.get("href") for a in doc.cssselect("a[href]")]
    assert all(h.startswith(("/", "https://")) for h in hrefs), hrefs


def test_api_carries_hostile_text_as_json_strings_only(client, sid):
    search = client.get("/api/search?q=hostile")
    assert search.mimetype == "application/json"
    assert search.headers["X-Content-Type-Options"] == "nosniff"
    hit = search.get_json()["results"][0]
    assert hit["title"] == HOSTILE_TITLE
    assert hit["url"] == "https://pubmed.ncbi.nlm.nih.gov/33000001/"
    assert str(clean_snippet(hit["snippet"])) == hit["snippet"]
    study = client.get(f"/api/studies/{sid}").get_json()
    assert study["title"] == HOSTILE_TITLE
    assert all(link["url"].startswith("https://") for link in study["links"])


def test_feed_escapes_hostile_text(client):
    response = client.get("/feed.atom?q=hostile")
    root = etree.fromstring(response.data)
    # nothing but Atom elements: the crawled tags are text, not XML
    assert {el.tag.split("}")[0].strip("{") for el in root.iter()} == {
        "http://www.w3.org/2005/Atom"}
    assert b"<script>" not in response.data and b"&lt;script&gt;" in response.data
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = root.find("a:entry", ns)
    assert entry.find("a:title", ns).text == HOSTILE_TITLE
    assert all(link.get("href").startswith("http://ketawatch.test/study/")
               for link in entry.findall("a:link", ns))
    summary = entry.find("a:summary", ns)
    assert summary.get("type") == "text" and HOSTILE_SCRIPT in summary.text


def test_csv_export_defuses_formulas(client):
    text = client.get("/export.csv?q=hostile").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["title"] == "'" + HOSTILE_TITLE
    assert row["authors"].startswith(HOSTILE_IMG)
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert row["url"] == "https://pubmed.ncbi.nlm.nih.gov/33000001/"


def test_ris_export_keeps_one_record_and_our_urls(client):
    text = client.get("/export.ris?q=hostile").get_data(as_text=True)
    records = rispy.loads(text)
    assert len(records) == 1
    assert records[0]["title"] == HOSTILE_TITLE
    assert records[0]["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/33000001/"]
    assert "javascript:" not in "".join(records[0]["urls"])


def test_bibtex_export_parses_and_keeps_one_entry(client):
    text = client.get("/export.bibtex?q=hostile").get_data(as_text=True)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert len(library.entries) == 1
    assert library.entries[0].fields_dict["url"].value == "https://pubmed.ncbi.nlm.nih.gov/33000001/"


def test_jsonl_export_is_plain_data(client):
    lines = client.get("/export.jsonl?q=hostile").get_data(as_text=True).splitlines()
    assert [json.loads(line)["title"] for line in lines] == [HOSTILE_TITLE]


@pytest.mark.parametrize("url", [
    f"/search?q={HOSTILE_SCRIPT}", f"/search?q=%22{HOSTILE_IMG}", f"/search?q={HOSTILE_LINK}",
    f"/search?q=ketamine&design={HOSTILE_SCRIPT}", f"/study/1?x={HOSTILE_SCRIPT}",
    f"/no/such/{HOSTILE_SCRIPT}",
])
def test_hostile_queries_are_not_reflected_as_markup(client, url):
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    _assert_inert_html(response.get_data(as_text=True))


def test_hostile_query_in_a_feed_title_is_text(client):
    response = client.get(f"/feed.atom?q={HOSTILE_SCRIPT}")
    root = etree.fromstring(response.data)
    title = root.find("{http://www.w3.org/2005/Atom}title")
    assert HOSTILE_SCRIPT in title.text
    assert len(root.findall(".//{http://www.w3.org/1999/xhtml}script")) == 0
