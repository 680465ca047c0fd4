"""Security headers on every kind of answer, no script that the pages could run, and CSRF on
every POST route of the app (found by walking ``app.url_map``, so a new route is covered
the day it is added)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Blueprint

from digest.tokens import make_token
from ketawatch.store import open_store
from ketawatch.web import create_app

from .support import ROOT, active_content, count, csrf_of, store_snapshot

OWN_HOSTS = ("ketawatch.test", "localhost")


def _directives(csp: str) -> dict[str, str]:
    out = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            out[name.lower()] = value.strip()
    return out


def assert_security_headers(response, what: str) -> None:
    """The headers every answer must carry, whatever its type or status."""
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy"
    directives = _directives(csp)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{what}: CSP does not restrict scripts: {csp}"
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert loose not in scripts.split(), f"{what}: script-src allows {loose}: {csp}"
    assert directives.get("frame-ancestors") == "'none'", f"{what}: {csp}"
    assert directives.get("base-uri") == "'none'", f"{what}: {csp}"
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy"), what


def _get_samples(world) -> dict[str, list[tuple[str, int]]]:
    """endpoint -> [(url, expected status)] for every GET route of the app."""
    config, sub = world.config, world.confirmed
    token = {p: make_token(config, sub, p) for p in ("confirm", "prefs", "unsubscribe")}
    return {
        "static": [("/static/ketawatch.css", 200), ("/static/subscribe.css", 200),
                   ("/static/../ketawatch.toml", 404), ("/static/nothing.js", 404)],
        "pages.search": [("/", 200), ("/search?q=ketamine", 200), ("/search?q=" + "a" * 1001, 400),
                         ("/search?page=0", 400)],
        "pages.study": [(f"/study/{world.study_id}", 200), (f"/study/{world.hostile_id}", 200),
                        (f"/study/{world.merged_id}", 301), ("/study/999999", 404)],
        "pages.about": [("/about", 200)],
        "pages.robots": [("/robots.txt", 200)],
        "api.search": [("/api/search?q=ketamine", 200), ("/api/search?per_page=0", 400),
                       ("/api/search?q=" + "a" * 1001, 400)],
        "api.study": [(f"/api/studies/{world.study_id}", 200), ("/api/studies/999999", 404)],
        "feeds.feed": [("/feed.atom?q=ketamine", 200), ("/feed.atom?design=flu", 400)],
        "exports.export": [("/export.csv?q=ketamine", 200), ("/export.ris?q=ketamine", 200),
                           ("/export.bibtex?q=ketamine", 200), ("/export.jsonl?q=ketamine", 200),
                           ("/export.docx?q=ketamine", 404)],
        "subscribe.subscribe_form": [("/subscribe", 200)],
        "subscribe.confirm_page": [(f"/confirm/{token['confirm']}", 200),
                                   ("/confirm/forged", 400)],
        "subscribe.preferences": [(f"/preferences/{token['prefs']}", 200),
                                  (f"/preferences/{token['confirm']}", 400)],
        "subscribe.unsubscribe_page": [(f"/unsubscribe/{token['unsubscribe']}", 200),
                                       (f"/unsubscribe/{token['prefs']}", 400)],
        "subscribe.digests": [("/digests", 200)],
        "subscribe.digest_page": [(f"/digests/{world.week}", 200), ("/digests/bogus", 400),
                                  ("/digests/2001-W01", 404)],
    }


def _every_answer(world):
    """(description, response) for every GET route and every error status the app gives."""
    app = world.app
    samples = _get_samples(world)
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    missing = get_endpoints - set(samples)
    assert not missing, f"new GET routes: add sample URLs for {sorted(missing)} to this test"
    client = app.test_client()
    for endpoint, urls in samples.items():
        for url, status in urls:
            with client.get(url) as response:
                assert response.status_code == status, (url, response.status_code)
                yield f"GET {url} ({endpoint})", response
    for method, url, status in (("HEAD", "/", 200), ("OPTIONS", "/search", 200),
                                ("POST", "/search", 405), ("PUT", "/api/search", 405),
                                ("DELETE", "/subscribe", 405), ("GET", "/no/such/page", 404),
                                ("GET", "/api/no/such", 404), ("POST", "/subscribe", 400)):
        with client.open(url, method=method) as response:
            assert response.status_code == status, (method, url, response.status_code)
            yield f"{method} {url}", response
    # a body over MAX_CONTENT_LENGTH
    token = csrf_of(client, "/subscribe")
    with client.post("/subscribe", data={"csrf_token": token, "email": "x" * 300_000}) as big:
        assert big.status_code == 413
        yield "POST /subscribe (413)", big


def test_every_kind_of_answer_has_the_security_headers(search_world):
    seen = 0
    for what, response in _every_answer(search_world):
        assert_security_headers(response, what)
        seen += 1
    count("security headers: answers checked", seen)
    assert seen > 40


def test_rate_limited_and_crashing_answers_have_the_security_headers(search_world):
    app = create_app(search_world.config)
    probe = Blueprint("crash_probe", __name__)

    @probe.get("/crash")
    def crash():
        raise RuntimeError("boom")

    @probe.get("/api/crash")
    def api_crash():
        raise RuntimeError("boom")

    app.register_blueprint(probe)
    client = app.test_client()
    for url in ("/crash", "/api/crash"):
        response = client.get(url)
        assert response.status_code == 500
        assert b"boom" not in response.data
        assert_security_headers(response, url)
    token = csrf_of(client, "/subscribe")
    statuses = [client.post("/subscribe", data={"csrf_token": token, "email": "bad"})
                for _ in range(7)]
    assert [r.status_code for r in statuses][-1] == 429
    assert_security_headers(statuses[-1], "429")


def test_no_page_can_run_a_script_or_load_a_foreign_resource(search_world):
    pages = 0
    for what, response in _every_answer(search_world):
        if response.mimetype == "text/html" and response.status_code != 301 and response.data:
            assert active_content(response.data, own_hosts=OWN_HOSTS) == [], what
            pages += 1
    count("html pages scanned for active content", pages)
    assert pages > 20


def test_templates_hold_no_inline_script_or_event_handler():
    files = sorted((ROOT / "templates").rglob("*.html"))
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text, re.I), path
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.I), path
        assert "javascript:" not in text.lower(), path


def test_the_archived_digest_keeps_scripts_out_with_its_own_policy(search_world):
    response = search_world.app.test_client().get(f"/digests/{search_world.week}")
    directives = _directives(response.headers["Content-Security-Policy"])
    # inline styles of our own mail rendering are allowed, scripts fall back to 'none'
    assert "script-src" not in directives and directives["default-src"] == "'none'"
    assert directives["form-action"] == "'none'"


# -- CSRF ------------------------------------------------------------------------------------------

#: POST endpoints taking a token, and the purpose of the token that authorizes them
TOKEN_PURPOSE = {"subscribe.confirm": "confirm", "subscribe.preferences": "prefs",
                 "subscribe.unsubscribe": "unsubscribe"}
#: form data that makes each POST succeed when it carries a valid CSRF token
GOOD_FORM = {"subscribe.subscribe": {"email": "new@example.org", "max_items": "10"},
             "subscribe.confirm": {},
             "subscribe.preferences": {"condition": "ptsd", "max_items": "7"},
             "subscribe.unsubscribe": {}}
#: the only views a POST may reach without our CSRF token
EXEMPT = {"subscribe.unsubscribe"}


def _post_routes(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods),
                  key=lambda r: r.endpoint)


def _url(rule, config, subscriber, purpose: str | None = None) -> str:
    if not rule.arguments:
        return rule.rule
    if rule.arguments != {"token"}:
        pytest.fail(f"new POST route {rule.rule}: teach this test to build its URL")
    token = make_token(config, subscriber, purpose or TOKEN_PURPOSE[rule.endpoint])
    return rule.rule.replace("<token>", token)


def test_every_post_route_refuses_a_post_without_the_session_token(mail_world):
    world = mail_world
    routes = _post_routes(world.app)
    assert {r.endpoint for r in routes} >= set(GOOD_FORM), "the POST routes were not found"
    exempt = {r.endpoint for r in routes
              if getattr(world.app.view_functions[r.endpoint], "_csrf_exempt", False)}
    assert exempt == EXEMPT
    with open_store(world.config) as store:
        pat, _ = store.add_subscriber("pat@example.org", name="Pat")
    tried = 0
    for rule in routes:
        if rule.endpoint in EXEMPT:
            continue
        if rule.endpoint not in GOOD_FORM:
            pytest.fail(f"new POST route {rule.rule}: add a successful form to GOOD_FORM")
        url = _url(rule, world.config, pat)
        client, other = world.client(), world.client()
        token, other_token = csrf_of(client, "/subscribe"), csrf_of(other, "/subscribe")
        before, mails = store_snapshot(world.config), len(world.received)
        for sent in (None, "", "forged-" + token[7:], other_token, token + "x"):
            data = dict(GOOD_FORM[rule.endpoint])
            if sent is not None:
                data["csrf_token"] = sent
            answer = client.post(url, data=data)
            assert answer.status_code == 400, (rule.endpoint, sent)
            assert b"CSRF check failed" in answer.data, rule.endpoint
            tried += 1
        # a browser without our cookie at all (a cross-site form)
        bare = world.new_app().test_client()
        assert bare.post(url, data={**GOOD_FORM[rule.endpoint],
                                    "csrf_token": token}).status_code == 400
        assert store_snapshot(world.config) == before, rule.endpoint
        assert len(world.received) == mails, rule.endpoint
        # the control: the same POST with the session's token goes through
        client = world.client()
        data = {**GOOD_FORM[rule.endpoint], "csrf_token": csrf_of(client, "/subscribe")}
        answer = client.post(url, data=data)
        assert answer.status_code == 200, (rule.endpoint, answer.data[:300])
        assert store_snapshot(world.config) != before, rule.endpoint
    count("csrf: forged posts refused", tried)


def test_one_click_unsubscribe_needs_its_signed_token_instead(mail_world):
    world = mail_world
    with open_store(world.config) as store:
        ann, _ = store.add_subscriber("ann@example.org", confirmed=True)
        bob, _ = store.add_subscriber("bob@example.org", confirmed=True)
    [rule] = [r for r in _post_routes(world.app) if r.endpoint in EXEMPT]
    good = _url(rule, world.config, ann)
    payload, stamp, signature = urlsplit(good).path.rsplit("/", 1)[1].split(".")
    bob_payload = make_token(world.config, bob, "unsubscribe").split(".")[0]
    bad_tokens = [f"{payload}.{stamp}.{signature[:-4]}AAAA", f"{bob_payload}.{stamp}.{signature}",
                  make_token(world.config, ann, "confirm"), make_token(world.config, ann, "prefs"),
                  "", "x" * 5000]
    before = store_snapshot(world.config)
    client = world.new_app().test_client()  # a mail provider: no cookie, no CSRF token
    for token in bad_tokens:
        answer = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code in (400, 404, 405), (token[:40], answer.status_code)
    assert store_snapshot(world.config) == before
    answer = client.post(good, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    with open_store(world.config) as store:
        assert store.get_subscriber(ann.id).status == "unsubscribed"
        assert store.get_subscriber(bob.id).status == "confirmed"
