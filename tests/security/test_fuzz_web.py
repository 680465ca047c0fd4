"""Fuzzing the search endpoints and the subscription form with hypothesis.

Deterministic (``derandomize``: the same inputs every run) and bounded: a few hundred inputs by
default, many thousands with ``pytest --long``; the counts are printed at the end of the run
("KetaWatch security figures").

- Search (``/search``, ``/api/search``, ``/feed.atom``, ``/export.csv``): random queries
  (Unicode, control characters, Whoosh operators, wildcards, brackets, fields, queries far past
  the 1,000-character bound), random and repeated filter parameters, raw query strings that
  are not even UTF-8. Never a 500, an answer within ``TIME_BOUND`` seconds, the one JSON error
  shape under ``/api/``, and no markup of the input on the page.
- Subscribe: random addresses (valid ones, CR/LF and header injections, Unicode, very long
  ones), names, preference fields and client addresses. Never a 500; nothing stored and no
  mail for refused input; every mail that goes out has exactly our headers and one recipient.
"""

from __future__ import annotations

import email
import email.policy
import json
import time
from urllib.parse import quote_from_bytes

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from werkzeug.datastructures import MultiDict

from ketawatch.store import open_store
from ketawatch.vocabulary import CONDITIONS, DRUGS

from . import support
from .support import active_content, count, csrf_of, open_mail_world

#: seconds one request may take (generous: a loaded CI machine; typical answers take ~20 ms)
TIME_BOUND = 5.0
ENDPOINTS = ("/search", "/api/search", "/feed.atom", "/export.csv")


def examples(default: int, long: int) -> int:
    """How many inputs to try in this run."""
    return long if support.LONG else default


def _settings(default: int, long: int):
    return settings(max_examples=examples(default, long), derandomize=True, database=None,
                    deadline=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- search --------------------------------------------------------------------------------------

TOKENS = ("ketamine", "esketamine", "depression", "AND", "OR", "NOT", "and", "(", ")", "[", "]",
          "{", "}", "*", "?", "**", "ket*", "*amine", "k?tamine", '"', '"ketamine', "title:",
          "abstract:", "design:rct", "drug:", "year:2020", "[2019 TO 2024]", "{a TO}", "TO",
          "^2", "ketamine^", "~", "ketamine~2", '"a b"~3', "-", "--", "+", "-ketamine",
          "+ketamine", "\\", ":", "::", "'", ";", "%", "&", "|", "||", "&&", "!", "/", "//",
          "<script>", "&amp;", "\x00", "\r\n", "\t", "\u2028", "\ufeff", "🙂", "ß", "İ", "ǅ",
          "ﬁ", "\u0301", "٣", "NEAR", "*:*", "a" * 300)
FIELDS = ("condition", "drug", "route", "design", "source", "year_from", "year_to", "human",
          "preprint", "hide_retracted", "sort", "evidence_ranking", "page", "per_page", "facets",
          "highlight", "conditions", "designs", "limit", "from", "to", "q", "query", "ids", "x")
VALUES = (*CONDITIONS, *DRUGS, "rct", "meta-analysis", "pubmed", "medrxiv", "1", "0", "true",
          "no", "newest", "evidence", "relevance", "2020", "1999", "0", "-1", "99999999999999999999",
          "1e9", "nan", "inf", "", " ", "1,2,3", "depression,ptsd", "DEPRESSION", " rct ")

unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
queries = st.one_of(
    unicode_text,
    st.lists(st.sampled_from(TOKENS) | unicode_text, max_size=40).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=80).map("".join),
    st.integers(900, 20_000).map(lambda n: ("ketamine OR " * n)[:n]),
    st.integers(1, 20_000).map(lambda n: "(" * n + "ketamine" + ")" * (n // 2)),
)
params = st.lists(st.tuples(st.sampled_from(FIELDS) | unicode_text,
                            st.sampled_from(VALUES) | unicode_text
                            | st.integers(-10**30, 10**30).map(str)),
                  max_size=12)


def _check_answer(path: str, response, elapsed: float) -> None:
    assert response.status_code in (200, 400), (path, response.status_code, response.data[:300])
    assert elapsed < TIME_BOUND, (path, elapsed)
    if path.startswith("/api/"):
        assert response.mimetype == "application/json"
        body = json.loads(response.data)
        if response.status_code == 200:
            assert {"query", "total", "results"} <= set(body)
        else:
            assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}
            assert body["error"]["status"] == response.status_code
            assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    elif path == "/feed.atom" and response.status_code == 200:
        etree.fromstring(response.data)
    elif response.mimetype == "text/html":
        assert active_content(response.data, own_hosts=("localhost", "ketawatch.test")) == []


def test_fuzz_search_parameters(search_world):
    client = search_world.app.test_client()

    @_settings(default=500, long=6000)
    @given(path=st.sampled_from(ENDPOINTS), q=queries, extra=params, repeat_q=st.booleans())
    def check(path, q, extra, repeat_q):
        pairs = [("q", q), *extra] + ([("q", q[::-1])] if repeat_q else [])
        started = time.monotonic()
        response = client.get(path, query_string=MultiDict(pairs))
        _check_answer(path, response, time.monotonic() - started)
        count("fuzz: search requests (structured)")

    check()


def test_fuzz_raw_query_strings(search_world):
    """Query strings as bytes: invalid UTF-8, stray ``%``, ``+``, ``&`` and ``=`` runs."""
    client = search_world.app.test_client()
    pieces = st.one_of(st.binary(max_size=40).map(lambda b: quote_from_bytes(b, safe="")),
                       st.sampled_from(["%", "%G1", "%%", "%ff%fe", "%c0%af", "%00", "+", "&",
                                        "=", "&&&", "==", "q=", "q[]=", "q=%E2%80%AE", ";",
                                        "page=", "per_page=1000", "#", "?"]))

    @_settings(default=300, long=4000)
    @given(path=st.sampled_from(ENDPOINTS), raw=st.lists(pieces, max_size=25).map("".join))
    def check(path, raw):
        started = time.monotonic()
        response = client.get(path, query_string=raw)
        _check_answer(path, response, time.monotonic() - started)
        count("fuzz: search requests (raw query strings)")

    check()


def test_the_query_length_is_bounded(search_world):
    client = search_world.app.test_client()
    for path in ENDPOINTS:
        answer = client.get(path, query_string={"q": "ketamine " * 200})
        assert answer.status_code == 400, path
        if path.startswith("/api/"):
            assert "1000 characters" in answer.get_json()["error"]["message"]


# -- the subscription form ----------------------------------------------------------------------

INJECTIONS = ("\r\nBcc: victim@evil.example", "\nCc: victim@evil.example", "\r", "\n", "\x00",
              "%0d%0aBcc: victim@evil.example", "\u2028Bcc: victim@evil.example", "\u0085",
              ",victim@evil.example", ";victim@evil.example", " <victim@evil.example>",
              '"\r\nX-Injected: 1"', "\r\n\r\n<html>body</html>", "\t", " ", "\r\n X-Fold: 1")
ODD_ADDRESSES = ("用户@例子.广告", "ñandú@example.org", "user@xn--bcher-kva.example",
                 '"quoted"@example.org', "a@b", "@example.org", "a@@example.org",
                 "a@example.org.", "a..b@example.org", "a@[127.0.0.1]", "a@localhost",
                 "<a@example.org>", "Ann <a@example.org>", "a@example.org (comment)",
                 "=?utf-8?q?x?=@example.org", "a@ex_ample.org", "ǅ@example.org")
PREF_FIELDS = ("condition", "drug", "design_min", "include_preprints", "include_trial_updates",
               "include_animal", "no_news_mail", "max_items", "email", "name", "x")
PREF_VALUES = (*CONDITIONS, *DRUGS, "rct", "case-report", "flu", "on", "", "0", "30", "200",
               "201", "-1", "1e3", "٣", "9" * 5000, "RCT", " rct ")
ALLOWED_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version",
                   "auto-submitted", "content-type", "content-transfer-encoding"}



emails = st.one_of(
    # valid addresses weigh three times as much: the mail checks need mails to check
    st.emails(), st.emails(), st.emails(),
    st.tuples(st.emails(), st.sampled_from(INJECTIONS), st.booleans()).map(
        lambda t: t[0] + t[1] if t[2] else t[1] + t[0]),
    st.sampled_from(ODD_ADDRESSES),
    unicode_text,
    st.integers(60, 3000).map(lambda n: "a" * n + "@example.org"),
    st.integers(60, 3000).map(lambda n: "user@" + "b" * n + ".org"),
)
names = st.one_of(st.just(""), unicode_text, st.sampled_from(INJECTIONS).map(lambda i: f"Ann{i}"),
                  st.integers(90, 2000).map(lambda n: "N" * n))
VALID_PREFS = ([("condition", c) for c in CONDITIONS] + [("drug", d) for d in DRUGS]
               + [("design_min", "rct"), ("include_preprints", "on"), ("max_items", "12"),
                  ("no_news_mail", "on")])
prefs = st.one_of(st.just([]), st.lists(st.sampled_from(VALID_PREFS), max_size=6),
                  st.lists(st.tuples(st.sampled_from(PREF_FIELDS),
                                     st.sampled_from(PREF_VALUES) | unicode_text), max_size=10))


def _check_mail(raw: bytes, rcpt: str) -> None:
    """One accepted mail: our headers only, one recipient, nothing injected."""
    # an internationalized address travels as raw UTF-8 (SMTPUTF8): parse text, not bytes
    message = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    names = {name.lower() for name in message}
    assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
    assert len(message.get_all("To")) == 1
    [address] = message["To"].addresses
    assert address.addr_spec == rcpt
    # a name like "Ann <victim@evil.example>" may show in the display name, quoted: harmless
    assert "evil.example" not in address.addr_spec and "evil.example" not in rcpt
    assert b"X-Injected" not in raw and b"X-Fold" not in raw
    for part in message.walk():
        assert not [d for d in part.defects
                    if "Header" in type(d).__name__ or "Newline" in type(d).__name__], part.defects


def test_fuzz_the_subscription_form(tmp_path, monkeypatch):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")
    with open_mail_world(tmp_path / "home", enable_SMTPUTF8=True) as world:
        client = world.client()
        token = csrf_of(client, "/subscribe")
        store = open_store(world.config)
        outcomes = {"stored": 0, "refused": 0, "limited": 0, "n": 0}

        @_settings(default=200, long=3000)
        @given(address=emails, name=names, fields=prefs)
        def check(address, name, fields):
            # a new client address each time, so the per-client limit does not hide the form
            outcomes["n"] += 1
            ip = f"10.{outcomes['n'] >> 16 & 255}.{outcomes['n'] >> 8 & 255}.{outcomes['n'] & 255}"
            before = [(s.id, s.email, s.name, s.status, s.prefs)
                      for s in store.list_subscribers()]
            mails = len(world.received)
            form = MultiDict([("csrf_token", token), ("email", address), ("name", name),
                              *fields])
            started = time.monotonic()
            answer = client.post("/subscribe", data=form, environ_overrides={"REMOTE_ADDR": ip})
            assert time.monotonic() - started < TIME_BOUND
            assert answer.status_code in (200, 400, 429), (answer.status_code, answer.data[:300])
            after = [(s.id, s.email, s.name, s.status, s.prefs) for s in store.list_subscribers()]
            if answer.status_code != 200:
                assert after == before and len(world.received) == mails
                outcomes["refused" if answer.status_code == 400 else "limited"] += 1
                if answer.status_code == 400:
                    assert lxml.html.fromstring(answer.data).xpath("//p[@class='form-error']")
            else:
                changed = [row for row in after if row not in before]
                assert len(changed) <= 1
                for _sid, stored, stored_name, status, _prefs in changed:
                    assert status == "pending" and "\n" not in stored + stored_name
                    assert "\r" not in stored + stored_name and "evil.example" not in stored
                for received in world.received[mails:]:
                    assert received.rcpt in {row[1] for row in after}
                    _check_mail(received.data, received.rcpt)
                outcomes["stored"] += 1
            count("fuzz: subscription form posts")

        try:
            check()
        finally:
            store.close()
        # the generator reached every branch: some inputs stored, some refused
        assert outcomes["stored"] > 5 and outcomes["refused"] > 5, outcomes
        count("fuzz: confirmation mails checked", len(world.received))


@pytest.mark.parametrize("address", ["ñandú@example.org", "用户@例子.广告",
                                     "=?utf-8?q?x?=@example.org"])
def test_addresses_the_validator_accepts_never_crash_the_form(tmp_path, monkeypatch, address):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")
    with open_mail_world(tmp_path / "home", enable_SMTPUTF8=True) as world:
        client = world.client()
        answer = client.post("/subscribe", data={"csrf_token": csrf_of(client, "/subscribe"),
                                                 "email": address, "max_items": "10"})
        # refused as an address we cannot mail, or subscribed with a well-formed mail
        assert answer.status_code in (200, 400)
        with open_store(world.config) as store:
            stored = store.list_subscribers()
        if answer.status_code == 400:
            assert stored == [] and world.received == []
        else:
            [mail] = world.received
            _check_mail(mail.data, mail.rcpt)
