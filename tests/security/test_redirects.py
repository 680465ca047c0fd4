"""No open redirects: every redirect the app can issue stays on the site, whatever the request
carries (``next=``, ``return=``, ``url=``, odd paths, a forged Host header)."""

from __future__ import annotations

import ast
from itertools import product
from urllib.parse import quote, urlsplit

import lxml.html

from digest.tokens import make_token
from ketawatch.store import open_store

from .support import ROOT, count, csrf_of

EVIL = ("http://evil.example/", "https://evil.example/x", "//evil.example", "/\\evil.example",
        "\\\\evil.example", "javascript:alert(1)", "http:evil.example", "/%2F%2Fevil.example",
        "%2F%2Fevil.example", "\t//evil.example", "https:/\\evil.example", "///evil.example")
PARAMS = ("next", "return", "return_to", "url", "redirect", "redirect_uri", "continue", "to",
          "goto", "dest", "target", "r")
WEB_CODE = ("ketawatch/web", "digest")


def _stays_on_site(response) -> bool:
    location = response.headers.get("Location")
    if location is None:
        return True
    parts = urlsplit(location)
    return (not parts.netloc and not parts.scheme and location.startswith("/")
            and not location.startswith(("//", "/\\")))


def test_every_redirect_in_the_code_targets_one_of_our_routes():
    """A static check: each ``redirect(...)`` call's target is ``url_for(...)`` of a route, so
    no request value can choose where it goes."""
    calls = []
    for folder in WEB_CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
                        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
                        == "redirect"):
                    calls.append((path, node))
    assert calls, "the app's one redirect (merged study ids) was not found"
    for path, node in calls:
        target = node.args[0] if node.args else None
        assert (isinstance(target, ast.Call) and getattr(target.func, "id", "") == "url_for"
                and isinstance(target.args[0], ast.Constant)), (
            f"{path.relative_to(ROOT)}:{node.lineno}: redirect target is not url_for('...')")


def test_no_request_parameter_or_path_leads_off_the_site(search_world):
    world = search_world
    client = world.app.test_client()
    token = make_token(world.config, world.confirmed, "prefs")
    bases = ["/", "/search", f"/study/{world.merged_id}", f"/study/{world.study_id}", "/about",
             "/subscribe", f"/preferences/{token}", "/digests", "/feed.atom", "/export.csv",
             "/api/search"]
    tried = 0
    for base, param, evil in product(bases, PARAMS, EVIL):
        response = client.get(f"{base}?{param}={quote(evil, safe='')}")
        assert response.status_code < 500, (base, param, evil)
        assert _stays_on_site(response), (base, param, evil, response.headers["Location"])
        tried += 1
    # odd paths, sent as the raw path of the request (the test client would read
    # "//evil.example" as a host), with and without a forged Host header
    paths = [p for evil in EVIL for p in (evil, "/" + evil, f"/study/{evil}", f"/study/{evil}/1",
                                          f"/static/{evil}", f"/digests/{evil}")]
    paths += ["/study//1", f"//study/{world.merged_id}", "/static//ketawatch.css", "/about/",
              "/search/", "/api//search", "/.//about"]
    for path, host in product(paths, ("localhost", "evil.example")):
        response = client.get("/", environ_overrides={"PATH_INFO": path},
                              headers={"Host": host})
        assert response.status_code < 500, path
        assert _stays_on_site(response), (path, host, response.headers.get("Location"))
        tried += 1
    count("redirects: requests with hostile targets", tried)


def test_the_merged_study_redirect_is_relative_even_with_a_forged_host(search_world):
    world = search_world
    client = world.app.test_client()
    for host in ("evil.example", "evil.example:443", "ketawatch.test@evil.example"):
        response = client.get(f"/study/{world.merged_id}?next=//evil.example",
                              headers={"Host": host, "X-Forwarded-Host": "evil.example"})
        assert response.status_code == 301
        assert response.headers["Location"].startswith("/study/"), response.headers["Location"]
        assert _stays_on_site(response)


def test_subscription_pages_link_only_to_our_own_pages(mail_world):
    """The pages after subscribing, confirming and unsubscribing offer links, never redirects:
    every link on them is ours (a relative path or the configured base URL)."""
    with open_store(mail_world.config) as store:
        sub, _ = store.add_subscriber("lee@example.org")
    client = mail_world.client()
    pages = []
    for purpose, path in (("confirm", "/confirm/"), ("unsubscribe", "/unsubscribe/")):
        url = path + make_token(mail_world.config, sub, purpose)
        pages.append(client.get(f"{url}?next=https://evil.example/"))
        pages.append(client.post(f"{url}?next=https://evil.example/",
                                 data={"csrf_token": csrf_of(client, "/subscribe"),
                                       "next": "https://evil.example/"}))
    for page in pages:
        assert page.status_code == 200 and "Location" not in page.headers
        for href in lxml.html.fromstring(page.data).xpath("//a/@href | //form/@action"):
            assert href.startswith(("/", "https://ketawatch.test/")), href
