"""Helpers of the security suite: the figures it reports, the worlds its tests run in, form
tokens, store snapshots, and the HTML scan that says a page can run nothing.

Two worlds:

- ``SearchWorld`` (one per session, see ``conftest.py``): the web tests' corpus plus a study full
  of hostile markup, a real Whoosh index, a confirmed subscriber and a built weekly digest, so
  that every route of the app has something real to answer.
- ``MailWorld`` (one per test): an empty store, an aiosmtpd server on 127.0.0.1 that records
  every mail, and an app whose subscription form mails through it.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from digest_support import SmtpServer
from digest_support import make_config as mail_config

from ketawatch.links import KNOWN_HOSTS
from ketawatch.model import Study
from ketawatch.store import open_store
from ketawatch.web import create_app

#: counts printed at the end of the run (``conftest.pytest_terminal_summary``)
FIGURES: Counter[str] = Counter()
#: set by conftest from ``--long``
LONG = False

ROOT = Path(__file__).resolve().parents[2]

# -- hostile crawled text that tests/test_hostile_text.py does not already carry -------------------
SVG = "<svg onload=alert(11)><circle r=1 /></svg>"
JS_LINK = '<a href="javascript:alert(12)">open</a>'
JS_LINK_MIXED = '<a href=" JaVaScRiPt:alert(13)">mixed case</a>'
CSS_URL = '<p style="background:url(javascript:alert(14))">styled</p>'
CSS_EXPR = '<div style="width:expression(alert(15))">old IE</div>'
IFRAME = '<iframe src="https://evil.example/"></iframe>'
META_REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
BASE_TAG = '<base href="https://evil.example/">'
FORM = '<form action="https://evil.example/"><input name=q></form>'
MATH = '<math><mi xlink:href="javascript:alert(16)">m</mi></math>'
VECTORS = (SVG, JS_LINK, JS_LINK_MIXED, CSS_URL, CSS_EXPR, IFRAME, META_REFRESH, BASE_TAG, FORM,
           MATH)
HOSTILE_PMID = "33100001"
HOSTILE_TITLE = f"Ketamine vectors {SVG} {JS_LINK} {CSS_URL}"


def hostile_study() -> Study:
    """A study whose every text field carries one or more markup attacks; its CSV cells start
    with each of the characters a spreadsheet reads as a formula."""
    joined = " ".join(VECTORS)
    return Study(
        source="pubmed", source_id=HOSTILE_PMID, pmid=HOSTILE_PMID, doi="10.9999/vectors.1",
        title=HOSTILE_TITLE, abstract=f"-2+3 Ketamine vectors abstract {joined}",
        abstract_sections=[[SVG, f"Ketamine {CSS_URL}"], ["CONCLUSIONS", f"{JS_LINK} {MATH}"]],
        journal=f"+cmd|' /C calc'!A0 {IFRAME}", authors=[f"@SUM(1+1) {SVG}", "\tTab Author"],
        pub_date="2024-03-01", url="javascript:alert(17)", design="rct", sample_size=12,
        drugs=["ketamine"], conditions=["depression"], routes=["iv"], human=True,
        mesh=[CSS_EXPR], keywords=[META_REFRESH], publication_types=[BASE_TAG],
        trial={"status": FORM, "sponsor": JS_LINK_MIXED})


# -- small helpers --------------------------------------------------------------------------------


def count(name: str, n: int = 1) -> None:
    """Add to one of the figures of this run."""
    FIGURES[name] += n


def csrf_of(client: Any, path: str) -> str:
    """The CSRF token of the form on a page (and the session cookie that goes with it)."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return lxml.html.fromstring(page.data).xpath("//input[@name='csrf_token']/@value")[0]


def store_snapshot(config: Any) -> dict[str, list[tuple]]:
    """Everything the store says about subscribers and deliveries, for before/after checks."""
    with open_store(config) as store:
        conn = store.conn
        return {table: [tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
                for table in ("subscribers", "deliveries")}


_JS_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)", re.I)
_URL_ATTRS = {"href", "xlink:href", "src", "action", "formaction", "data", "poster", "background",
              "cite", "srcset"}
_BAD_TAGS = {"iframe", "object", "embed", "svg", "math", "base", "frame", "frameset", "applet"}


def active_content(html: str | bytes, *, own_hosts: tuple[str, ...] = ()) -> list[str]:
    """Everything in a page that could run or load something foreign; [] when it is inert.

    Flags: a script without ``src`` (or with a foreign one), any ``on*`` attribute, a
    ``javascript:``/``vbscript:`` URL in any attribute, embedding tags (iframe, svg, ...), a
    ``<base>``, a ``<meta http-equiv=refresh>``, a style attribute with ``url(`` or
    ``expression(``, and links to hosts other than ours and the known sources.
    """
    doc = lxml.html.fromstring(html)
    problems = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower().rpartition("}")[2]
        if tag == "script" and (not el.get("src") or not el.get("src").startswith("/")):
            problems.append(f"script: {lxml.html.tostring(el)[:80]!r}")
        if tag in _BAD_TAGS:
            problems.append(f"<{tag}>")
        if tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            problems.append("meta refresh")
        for name, value in el.attrib.items():
            lname = name.lower().rpartition("}")[2]
            if lname.startswith("on"):
                problems.append(f"<{tag} {name}=...>")
            if lname in _URL_ATTRS and _JS_URL.match(re.sub(r"[\x00-\x20]", "", value)):
                problems.append(f"<{tag} {name}={value[:40]!r}>")
            if lname == "style" and re.search(r"url\s*\(|expression\s*\(|javascript", value,
                                              re.I):
                problems.append(f"<{tag} style={value[:60]!r}>")
            if lname in ("href", "src", "action") and value.startswith(("http:", "https:", "//")):
                host = urlsplit(value).hostname or ""
                if host not in KNOWN_HOSTS and host not in own_hosts:
                    problems.append(f"<{tag} {name}={value[:60]!r}> leaves the site")
    return problems


# -- the worlds ---------------------------------------------------------------------------------


@dataclass
class MailWorld:
    """An empty store, a recording SMTP server and an app (see the module docstring)."""

    config: Any
    server: SmtpServer
    app: Any

    @property
    def received(self) -> list:
        """Mails the SMTP server accepted so far."""
        return self.server.recorder.received

    def client(self, address: str = "192.0.2.10", **headers: str) -> Any:
        """A test client whose requests come from ``address`` (with extra headers)."""
        client = self.app.test_client()
        client.environ_base.update({"REMOTE_ADDR": address})
        for name, value in headers.items():
            client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
        return client

    def new_app(self) -> Any:
        """A fresh app on the same store (fresh rate-limit counts, fresh sessions)."""
        self.app = create_app(self.config)
        return self.app


@contextlib.contextmanager
def open_mail_world(home: Path, **server_kwargs: Any) -> Iterator[MailWorld]:
    """Start a MailWorld in ``home``; stops its SMTP server on exit."""
    with SmtpServer(**server_kwargs) as server:
        config = mail_config(home, smtp_url=server.url())
        with open_store(config):
            pass  # create the store's tables, so snapshots work before the first request
        yield MailWorld(config, server, create_app(config))
