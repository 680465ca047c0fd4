"""Atom feeds of searches: valid Atom 1.0 (feedparser), newest first, stable ids, our own links."""

from __future__ import annotations

import feedparser
import pytest
from lxml import etree
from web_corpus import BASE_URL, build_corpus, study_id_of

from index.search import close_searchers
from ketawatch.store import open_store
from ketawatch.web import create_app
from ketawatch.web.feeds import ATOM_NS, entry_id

A = f"{{{ATOM_NS}}}"


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    yield build_corpus(tmp_path_factory.mktemp("feeds"))
    close_searchers()


@pytest.fixture(scope="module")
def client(config):
    return create_app(config).test_client()


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, etree.fromstring(response.data)


def test_feed_is_valid_atom_with_the_required_elements(client):
    parsed, root = _feed(client, "/feed.atom?q=ketamine")
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{A}{name}") is not None
    assert parsed.feed.title == "KetaWatch: “ketamine”"
    self_link = [link for link in parsed.feed.links if link.rel == "self"][0]
    assert self_link.href == f"{BASE_URL}/feed.atom?q=ketamine"
    assert parsed.feed.id == self_link.href
    assert parsed.entries
    for entry, el in zip(parsed.entries, root.findall(f"{A}entry"), strict=True):
        for name in ("id", "title", "updated", "summary"):
            assert el.find(f"{A}{name}") is not None
        assert el.find(f"{A}summary").get("type") == "text"
        assert entry.link.startswith(f"{BASE_URL}/study/")


def test_entries_are_newest_first_by_first_seen_with_stable_ids(client, config):
    parsed, _ = _feed(client, "/feed.atom")
    with open_store(config) as store:
        expected = sorted(store.iter_studies(), key=lambda s: (s.first_seen, s.id), reverse=True)
    assert [e.id for e in parsed.entries] == [entry_id(BASE_URL, s.id) for s in expected]
    assert [e.published for e in parsed.entries] == [s.first_seen for s in expected]
    again, _ = _feed(client, "/feed.atom")
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)
    assert all(e.id.startswith("tag:ketawatch.test,") for e in parsed.entries)
    # the feed's updated time is its latest entry's
    assert parsed.feed.updated == max(s.updated_at for s in expected)


def test_filters_narrow_the_feed_and_name_it(client, config):
    parsed, _ = _feed(client, "/feed.atom?condition=ptsd&year_from=2019")
    assert parsed.feed.title == "KetaWatch: condition: PTSD; from 2019"
    assert [e.link for e in parsed.entries] == [
        f"{BASE_URL}/study/{study_id_of(config, 'pmid', '30000008')}"]
    entry = parsed.entries[0]
    assert entry.title.startswith("[RETRACTED] ")
    assert entry.summary.startswith("RETRACTED.")
    terms = {(t.scheme.rsplit("#", 1)[1], t.term) for t in entry.tags}
    assert {("design", "rct"), ("drug", "ketamine"), ("condition", "ptsd"), ("route", "iv")} <= terms


def test_feed_of_no_results_is_still_valid(client):
    parsed, _ = _feed(client, "/feed.atom?q=%22no+such+phrase+anywhere%22")
    assert parsed.entries == []
    assert parsed.feed.updated


def test_feed_of_a_bad_search_is_a_400(client):
    assert client.get("/feed.atom?sort=sideways").status_code == 400
    assert client.get("/feed.atom?design=nonsense").status_code == 400
