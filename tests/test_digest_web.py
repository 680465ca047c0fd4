"""The subscription pages with a real store and a real SMTP server: double opt-in, one-click
unsubscribe by the header's POST and by the link, preferences, forged tokens, the archive."""

from __future__ import annotations

import re

import lxml.html
import pytest
from digest_support import (
    SmtpServer,
    add_confirmed,
    article,
    at,
    ingest,
    make_config,
    text_part,
)

from digest.build import build_week
from digest.send import send_week
from digest.tokens import make_token
from digest.weeks import parse_week
from ketawatch.store import open_store
from ketawatch.web import create_app

W48, W49 = parse_week("2026-W48"), parse_week("2026-W49")
FAST = (0.05,)


@pytest.fixture(autouse=True)
def in_week_48(monkeypatch):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")


@pytest.fixture
def server():
    with SmtpServer() as srv:
        yield srv


@pytest.fixture
def config(tmp_path, server):
    return make_config(tmp_path, smtp_url=server.url())


@pytest.fixture
def client(config):
    app = create_app(config)
    app.testing = True
    return app.test_client()


@pytest.fixture
def store(config):
    with open_store(config) as s:
        yield s


def csrf(client, path):
    page = client.get(path)
    assert page.status_code == 200
    return lxml.html.fromstring(page.data).xpath("//input[@name='csrf_token']/@value")[0]


def path_of(url):
    assert url.startswith("https://ketawatch.test/")
    return url[len("https://ketawatch.test"):]


def link_in(text, kind):
    return re.search(rf"https://ketawatch\.test/{kind}/[A-Za-z0-9_.-]+", text).group(0)


def test_double_opt_in_from_the_web_form(client, config, store, server):
    ingest(store, [article("1", "A ketamine RCT", conditions=["ptsd"])], at("2026-11-24"))
    token = csrf(client, "/subscribe")
    answer = client.post("/subscribe", data={
        "csrf_token": token, "email": "ann@example.org", "name": "Ann",
        "condition": ["ptsd", "ocd"], "drug": ["ketamine"], "design_min": "rct",
        "include_trial_updates": "on", "max_items": "15"})
    assert answer.status_code == 200 and b"Check your inbox" in answer.data
    [confirmation] = server.recorder.received
    assert confirmation.message["Subject"] == "Confirm your KetaWatch weekly digest"
    ann = store.find_subscriber("ann@example.org")
    assert ann.status == "pending"
    assert ann.prefs["conditions"] == ["ptsd", "ocd"] and ann.prefs["max_items"] == 15
    assert ann.prefs["include_preprints"] is False and ann.prefs["include_trial_updates"] is True
    # nothing goes to an unconfirmed address
    assert send_week(config, store, W48, retry_delays=FAST).outcomes == []
    assert len(server.recorder.received) == 1

    confirm_path = path_of(link_in(text_part(confirmation.message), "confirm"))
    page = client.get(confirm_path)
    assert page.status_code == 200 and b"Confirm my subscription" in page.data
    assert store.get_subscriber(ann.id).status == "pending"  # GET changes nothing
    assert client.post(confirm_path, data={}).status_code == 400  # no CSRF token
    done = client.post(confirm_path, data={"csrf_token": csrf(client, confirm_path)})
    assert done.status_code == 200 and b"You are subscribed" in done.data
    assert store.get_subscriber(ann.id).status == "confirmed"
    assert send_week(config, store, W48, retry_delays=FAST).count("sent") == 1
    assert server.recorder.received[-1].message["Subject"] == "KetaWatch 2026-W48: 1 new study"


def test_subscribing_a_confirmed_address_changes_nothing_and_is_throttled(client, store, server):
    ann = add_confirmed(store, "ann@example.org", conditions=["ocd"])
    data = {"csrf_token": csrf(client, "/subscribe"), "email": "ANN@example.org",
            "condition": ["ptsd"], "max_items": "30"}
    first = client.post("/subscribe", data=data)
    second = client.post("/subscribe", data=data)
    assert first.status_code == second.status_code == 200
    assert b"Check your inbox" in first.data and first.data == second.data
    assert store.get_subscriber(ann.id).prefs["conditions"] == ["ocd"]
    [note] = server.recorder.received  # one mail: the second request is throttled
    assert note.message["Subject"] == "Your KetaWatch subscription"
    assert "already subscribed" in text_part(note.message)


@pytest.mark.parametrize("email,name", [("ann@example.org\r\nBcc: v@example.org", "Ann"),
                                        ("ann@example.org", "Ann\r\nBcc: v@example.org"),
                                        ("not an address", "")])
def test_hostile_or_bad_form_input_is_refused(client, store, server, email, name):
    answer = client.post("/subscribe", data={"csrf_token": csrf(client, "/subscribe"),
                                             "email": email, "name": name, "max_items": "30"})
    assert answer.status_code == 400
    assert lxml.html.fromstring(answer.data).xpath("//p[@class='form-error']")
    assert store.list_subscribers() == [] and not server.recorder.received


def test_subscribe_form_needs_csrf(client, store):
    assert client.post("/subscribe", data={"email": "ann@example.org"}).status_code == 400
    assert store.list_subscribers() == []


def _digest_for(config, store, server, email):
    ingest(store, [article("1", "A ketamine RCT")], at("2026-11-24"))
    sub = add_confirmed(store, email)
    send_week(config, store, W48, retry_delays=FAST)
    return sub, server.recorder.to(email)[-1].message


def test_one_click_unsubscribe_by_the_header_post(client, config, store, server, monkeypatch):
    ann, digest = _digest_for(config, store, server, "ann@example.org")
    url = digest["List-Unsubscribe"].strip("<>")
    # what a mail provider sends (RFC 8058): no cookie, no CSRF token
    fresh = create_app(config).test_client()
    answer = fresh.post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and b"unsubscribed" in answer.data
    assert store.get_subscriber(ann.id).status == "unsubscribed"
    assert fresh.post(path_of(url), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-12-03T12:00:00Z")
    ingest(store, [article("2", "Another RCT")], at("2026-12-01"))
    assert send_week(config, store, W49, retry_delays=FAST).outcomes == []
    assert len(server.recorder.to("ann@example.org")) == 1


def test_unsubscribe_by_the_link_in_the_body(client, config, store, server, monkeypatch):
    ann, digest = _digest_for(config, store, server, "ann@example.org")
    path = path_of(link_in(text_part(digest), "unsubscribe"))
    page = client.get(path)
    assert page.status_code == 200 and b"Stop sending" in page.data
    assert store.get_subscriber(ann.id).status == "confirmed"  # a link scanner changes nothing
    form = lxml.html.fromstring(page.data).xpath("//form")[0]
    done = client.post(form.get("action"), data={})
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    assert store.get_subscriber(ann.id).status == "unsubscribed"
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-12-03T12:00:00Z")
    ingest(store, [article("2", "Another RCT")], at("2026-12-01"))
    send_week(config, store, W49, retry_delays=FAST)
    assert len(server.recorder.to("ann@example.org")) == 1


def test_preferences_page_from_the_digest_link(client, config, store, server):
    ann, digest = _digest_for(config, store, server, "ann@example.org")
    path = path_of(link_in(text_part(digest), "preferences"))
    page = lxml.html.fromstring(client.get(path).data)
    assert page.xpath("//input[@name='include_preprints']/@checked")
    assert not page.xpath("//input[@name='condition'][@checked]")
    token = page.xpath("//input[@name='csrf_token']/@value")[0]
    saved = client.post(path, data={"csrf_token": token, "condition": ["trd"],
                                    "design_min": "meta-analysis", "max_items": "5"})
    assert saved.status_code == 200 and b"Saved" in saved.data
    prefs = store.get_subscriber(ann.id).prefs
    assert prefs["conditions"] == ["trd"] and prefs["design_min"] == "meta-analysis"
    assert prefs["include_preprints"] is False and prefs["max_items"] == 5
    bad = client.post(path, data={"csrf_token": token, "condition": ["flu"], "max_items": "5"})
    assert bad.status_code == 400 and b"unknown condition" in bad.data
    assert store.get_subscriber(ann.id).prefs == prefs


def test_forged_and_misused_tokens_are_refused(client, config, store):
    ann = add_confirmed(store, "ann@example.org")
    bob = add_confirmed(store, "bob@example.org")
    ann_unsub = make_token(config, ann, "unsubscribe")
    bob_unsub = make_token(config, bob, "unsubscribe")
    forged = bob_unsub.split(".")[0] + "." + ".".join(ann_unsub.split(".")[1:])
    cases = [
        ("/unsubscribe/" + forged, "post"),                              # Bob's id, Ann's signature
        ("/unsubscribe/" + ann_unsub[:-3] + "abc", "post"),              # altered signature
        ("/unsubscribe/" + make_token(config, ann, "prefs"), "post"),    # another purpose
        ("/preferences/" + ann_unsub, "get"),
        ("/confirm/" + ann_unsub, "get"),
        ("/unsubscribe/not-a-token", "get"),
    ]
    for path, method in cases:
        answer = getattr(client, method)(path, data={"List-Unsubscribe": "One-Click"}) \
            if method == "post" else client.get(path)
        assert answer.status_code == 400, path
        assert b"not valid" in answer.data
    assert store.get_subscriber(ann.id).status == "confirmed"
    assert store.get_subscriber(bob.id).status == "confirmed"
    # a genuine token only ever acts on its own subscriber
    assert client.post("/unsubscribe/" + bob_unsub,
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert store.get_subscriber(bob.id).status == "unsubscribed"
    assert store.get_subscriber(ann.id).status == "confirmed"
    # revoking a subscriber's tokens makes old links fail
    store.revoke_tokens(ann.id)
    assert client.get("/unsubscribe/" + ann_unsub).status_code == 400


def test_archive_of_past_digests(client, config, store):
    ingest(store, [article("1", "<b>Bold</b> RCT of W48")], at("2026-11-24"))
    build_week(config, store, W48)
    index = client.get("/digests")
    assert index.status_code == 200
    links = lxml.html.fromstring(index.data).xpath("//ul[@class='digest-list']//a/@href")
    assert links == ["/digests/2026-W48"]
    page = client.get("/digests/2026-W48")
    assert page.status_code == 200
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    tree = lxml.html.fromstring(page.data)
    assert tree.xpath("//b") == []
    assert "<b>Bold</b> RCT of W48" in tree.text_content()
    assert client.get("/digests/2026-W47").status_code == 404
    assert client.get("/digests/bogus").status_code == 400
