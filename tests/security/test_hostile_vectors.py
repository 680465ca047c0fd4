"""Hostile crawled text and hostile subscriber input stay inert: the vectors that
tests/test_hostile_text.py and tests/test_digest_send.py do not carry (``<svg onload>``, mixed-case
``javascript:`` links, CSS ``url(javascript:)`` and ``expression()`` in style attributes,
iframes, ``<base>``, ``<meta refresh>``, forms, MathML) through the Atom feed, the archived
digest, the digest and confirmation mails, the subscription pages, and CSV cells starting with
each formula character."""

from __future__ import annotations

import csv
import io

import lxml.html
import pytest
from digest_support import add_confirmed, html_part, ingest, text_part
from lxml import etree

from digest.send import send_week
from digest.tokens import make_token
from digest.weeks import parse_week
from ketawatch.store import open_store

from .support import (
    HOSTILE_PMID,
    HOSTILE_TITLE,
    SVG,
    VECTORS,
    active_content,
    csrf_of,
    hostile_study,
)

ATOM = "{http://www.w3.org/2005/Atom}"
OWN = ("ketawatch.test", "localhost")


@pytest.mark.parametrize("vector", VECTORS)
def test_the_scan_sees_each_vector_when_it_is_live(vector):
    """The check the other tests rely on can fail: each vector, pasted as markup, is caught."""
    assert active_content(f"<html><body><p>x</p>{vector}</body></html>")


def test_search_and_study_pages_show_the_vectors_as_text(search_world):
    client = search_world.app.test_client()
    for url, title in (("/search?q=vectors", "li.card h2 a"),
                       (f"/study/{search_world.hostile_id}", "h1")):
        response = client.get(url)
        assert response.status_code == 200
        assert active_content(response.data, own_hosts=OWN) == [], url
        doc = lxml.html.fromstring(response.data)
        assert doc.cssselect(title)[0].text_content() == HOSTILE_TITLE, url


def test_the_atom_feed_carries_the_vectors_as_text(search_world):
    response = search_world.app.test_client().get("/feed.atom?q=vectors")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert {el.tag.rpartition("}")[0] + "}" for el in root.iter()} == {ATOM}
    for el in root.iter():
        for name, value in el.attrib.items():
            assert "javascript" not in value.lower(), (el.tag, name, value)
            if name == "href":
                assert value.startswith("http://ketawatch.test/"), value
    [entry] = [e for e in root.iter(f"{ATOM}entry")
               if e.findtext(f"{ATOM}title") == HOSTILE_TITLE]
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "text" and "<svg onload" in summary.text
    assert all(e.get("type") in (None, "text") for e in root.iter(f"{ATOM}title"))


def test_the_archived_digest_page_is_inert(search_world):
    response = search_world.app.test_client().get(f"/digests/{search_world.week}")
    assert response.status_code == 200
    assert active_content(response.data, own_hosts=OWN) == []
    assert HOSTILE_TITLE in etree.HTML(response.data).xpath("string(//body)")


def test_csv_cells_starting_with_formula_characters_are_neutralised(search_world):
    text = search_world.app.test_client().get("/export.csv?q=vectors").get_data(as_text=True)
    [row] = [r for r in csv.DictReader(io.StringIO(text)) if r["pmid"] == HOSTILE_PMID]
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    # the cells that began with one are kept whole, behind a quote
    assert row["abstract"].startswith("'-2+3 Ketamine")
    assert row["journal"].startswith("'+cmd|")
    assert row["authors"].startswith("'@SUM(1+1)")


def test_digest_mail_html_is_inert(mail_world, monkeypatch):
    config = mail_world.config
    with open_store(config) as store:
        ingest(store, [hostile_study()], "2026-11-24T10:00:00Z")
        add_confirmed(store, "alice@example.org", name=SVG)
        report = send_week(config, store, parse_week("2026-W48"), retry_delays=(0.01,))
    assert report.count("sent") == 1, report.lines()
    message = mail_world.received[0].message
    html = html_part(message)
    assert active_content(html, own_hosts=OWN) == []
    assert HOSTILE_TITLE in etree.HTML(html.encode()).xpath("string(//body)")
    # plain text: shown as typed (the text part wraps long lines), never run
    assert HOSTILE_TITLE in " ".join(text_part(message).split())


def test_a_hostile_name_is_text_in_the_confirmation_mail_and_the_pages(mail_world):
    client = mail_world.client()
    answer = client.post("/subscribe", data={"csrf_token": csrf_of(client, "/subscribe"),
                                             "email": "eve@example.org", "name": SVG,
                                             "max_items": "10"})
    assert answer.status_code == 200
    [mail] = mail_world.received
    html = html_part(mail.message)
    assert active_content(html, own_hosts=OWN) == []
    assert f"Hello {SVG}," in etree.HTML(html.encode()).xpath("string(//body)")
    # the confirm and preferences pages show the name and address as text
    with open_store(mail_world.config) as store:
        eve = store.find_subscriber("eve@example.org")
    for url in (f"/confirm/{make_token(mail_world.config, eve, 'confirm')}",
                f"/preferences/{make_token(mail_world.config, eve, 'prefs')}"):
        page = client.get(url)
        assert page.status_code == 200 and active_content(page.data, own_hosts=OWN) == []
    # a refused form comes back with what was typed, as text
    for field in ("email", "name"):
        data = {"csrf_token": csrf_of(client, "/subscribe"), "email": f"{SVG}@x",
                "name": "\r\n" + SVG, "max_items": "10"}
        data[field] = data[field] + '"><script>alert(1)</script>'
        refused = client.post("/subscribe", data=data)
        assert refused.status_code == 400
        assert active_content(refused.data, own_hosts=OWN) == []
