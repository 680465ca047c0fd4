"""Atom 1.0 feeds of any search: ``/feed.atom?q=...&condition=...``.

A feed reader polls the feed and shows what is new, so entries are the matching studies newest
first by when KetaWatch first saw them. The XML is built with lxml (never by string pasting),
every crawled text goes in as text, and links point at our own study pages.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, request
from lxml import etree

from ketawatch import clock
from ketawatch.sanitize import one_line, strip_control
from ketawatch.store import StoredStudy
from ketawatch.vocabulary import label
from ketawatch.web import searching
from ketawatch.web.context import get_config, get_store

bp = Blueprint("feeds", __name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
#: how many entries a feed carries
FEED_ENTRIES = 50
#: the year in our tag: URIs (RFC 4151: the date the authority name was held)
TAG_DATE = "2025"
SUMMARY_CHARS = 600


def _tag_authority(base_url: str) -> str:
    host = urlsplit(base_url).hostname or ""
    return host or "ketawatch.localhost"


def entry_id(base_url: str, study_id: int) -> str:
    """The stable Atom id of a study's entry: a tag: URI naming this installation's host."""
    return f"tag:{_tag_authority(base_url)},{TAG_DATE}:study:{study_id}"


def _atom_time(stamp: str | None) -> str:
    """An RFC 3339 timestamp from the store's ISO times (which are UTC)."""
    if not stamp:
        return clock.now_iso()
    stamp = stamp.strip()
    if len(stamp) == 10:
        return stamp + "T00:00:00Z"
    return stamp if stamp.endswith("Z") or "+" in stamp[10:] else stamp + "Z"


def _summary(stored: StoredStudy) -> str:
    s = stored.study
    facts = [label(s.design)] if s.design and s.design != "other" else []
    if s.sample_size:
        facts.append(f"n={s.sample_size}")
    facts += [label(v) for v in s.drugs + s.routes]
    if s.preprint:
        facts.append("preprint (not peer reviewed)")
    head = []
    if s.retracted:
        head.append("RETRACTED.")
    if s.corrected:
        head.append("Corrected.")
    where = ", ".join(x for x in (s.journal, str(s.year or "")) if x)
    text = " ".join(head + ([f"[{'; '.join(facts)}]"] if facts else []) + ([where + "."] if where else []))
    abstract = one_line(s.abstract)
    if len(abstract) > SUMMARY_CHARS:
        abstract = abstract[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return (text + " " + abstract).strip()


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: strip_control(v) for k, v in attrib.items()})
    if text is not None:
        el.text = strip_control(text)
    return el


def feed_title(args) -> str:
    """The feed's title: names the query and the filters."""
    words = searching.describe_search(args)
    return f"KetaWatch: {words}" if words else "KetaWatch: all studies"


def build_feed(studies: list[StoredStudy], *, title: str, self_url: str, html_url: str,
               base_url: str) -> bytes:
    """An Atom 1.0 document of studies (given newest first) as UTF-8 bytes."""
    base = base_url.rstrip("/")
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _sub(feed, "id", self_url)
    _sub(feed, "title", title, type="text")
    updated = max((_atom_time(s.updated_at) for s in studies), default=_atom_time(clock.now_iso()))
    _sub(feed, "updated", updated)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=html_url)
    author = _sub(feed, "author")
    _sub(author, "name", "KetaWatch")
    _sub(feed, "generator", "KetaWatch")
    for stored in studies:
        s = stored.study
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(base_url, stored.id))
        title = one_line(s.title) or "Untitled study"
        if s.retracted:
            title = "[RETRACTED] " + title
        _sub(entry, "title", title, type="text")
        _sub(entry, "published", _atom_time(stored.first_seen))
        _sub(entry, "updated", _atom_time(stored.updated_at))
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{base}/study/{stored.id}")
        for name in s.authors[:10]:
            a = _sub(entry, "author")
            _sub(a, "name", one_line(name) or "Unknown")
        _sub(entry, "summary", _summary(stored), type="text")
        for scheme, values in (("design", [s.design] if s.design else []), ("drug", s.drugs),
                               ("condition", s.conditions), ("route", s.routes)):
            for value in values:
                _sub(entry, "category", term=value, scheme=f"{base}/about#{scheme}",
                     label=label(value))
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


@bp.get("/feed.atom")
def feed():
    """The Atom feed of the search the query string describes (newest first by first seen)."""
    config = get_config()
    base = str(config.base_url).rstrip("/")
    query = urlencode(searching.canonical_args(request.args), doseq=True)
    self_url = f"{base}/feed.atom" + (f"?{query}" if query else "")
    html_url = f"{base}/search" + (f"?{query}" if query else "")
    ids = searching.newest_first_ids(request.args, limit=FEED_ENTRIES)
    studies = get_store().get_studies(ids)
    body = build_feed(studies, title=feed_title(request.args), self_url=self_url,
                      html_url=html_url, base_url=base)
    return Response(body, mimetype="application/atom+xml", content_type="application/atom+xml; charset=utf-8")
