"""Rate limits on the subscription form: per client address and per e-mail address, a 429
page that says what to do, and answers that never tell whether an address is subscribed."""

from __future__ import annotations

import re

import lxml.html

from ketawatch.store import open_store
from ketawatch.web.subscribe import SUBSCRIBE_PER_ADDRESS, SUBSCRIBE_PER_CLIENT

from .support import csrf_of, store_snapshot


def _post(client, email: str, **extra):
    return client.post("/subscribe", data={"csrf_token": csrf_of(client, "/subscribe"),
                                           "email": email, "max_items": "10", **extra})


def _assert_429_page(answer) -> None:
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    doc = lxml.html.fromstring(answer.data)
    assert doc.cssselect("h1")[0].text_content() == "Too many requests"
    assert "Please wait" in doc.text_content()


def test_one_client_is_limited_and_others_are_not(mail_world):
    world = mail_world
    client = world.client("198.51.100.7")
    for n in range(SUBSCRIBE_PER_CLIENT):
        assert _post(client, f"user{n}@example.org").status_code == 200
    before, mails = store_snapshot(world.config), len(world.received)
    refused = _post(client, "late@example.org")
    _assert_429_page(refused)
    assert store_snapshot(world.config) == before and len(world.received) == mails
    # another address gets through at once
    assert _post(world.client("198.51.100.8"), "other@example.org").status_code == 200


def test_invalid_posts_count_too(mail_world):
    client = mail_world.client("198.51.100.9")
    for _ in range(SUBSCRIBE_PER_CLIENT):
        assert _post(client, "not an address").status_code == 400
    _assert_429_page(_post(client, "fine@example.org"))
    assert mail_world.received == []


def test_the_limit_lifts_after_the_window(mail_world, monkeypatch):
    client = mail_world.client("198.51.100.10")
    for n in range(SUBSCRIBE_PER_CLIENT):
        _post(client, f"u{n}@example.org")
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:09:00Z")
    answer = _post(client, "again@example.org")
    _assert_429_page(answer)
    assert int(answer.headers["Retry-After"]) <= 60
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:10:01Z")
    assert _post(client, "again@example.org").status_code == 200


def test_behind_the_proxy_each_visitor_has_their_own_count(mail_world):
    """Bound to 127.0.0.1 behind a reverse proxy, the proxy's X-Forwarded-For tells visitors
    apart; a client on another machine cannot choose its bucket by sending the header."""
    world = mail_world
    for n in range(SUBSCRIBE_PER_CLIENT):
        # a visitor who sends their own X-Forwarded-For: the proxy appends the real address
        visitor = world.client("127.0.0.1", X_Forwarded_For=f"10.9.9.{n}, 203.0.113.5")
        assert _post(visitor, f"v{n}@example.org").status_code == 200
    _assert_429_page(_post(world.client("127.0.0.1", X_Forwarded_For="203.0.113.5"),
                           "v9@example.org"))
    assert _post(world.client("127.0.0.1", X_Forwarded_For="203.0.113.6"),
                 "w@example.org").status_code == 200
    # a direct client (not loopback) is counted by its own address, whatever it sends
    for n in range(SUBSCRIBE_PER_CLIENT):
        direct = world.client("192.0.2.50", X_Forwarded_For=f"10.0.0.{n}")
        assert _post(direct, f"d{n}@example.org").status_code == 200
    _assert_429_page(_post(world.client("192.0.2.50", X_Forwarded_For="10.1.1.1"),
                           "d9@example.org"))


def test_one_address_is_limited_whoever_posts_it(mail_world):
    world = mail_world
    for n in range(SUBSCRIBE_PER_ADDRESS):
        assert _post(world.client(f"192.0.2.{n + 1}"), "Target@Example.org").status_code == 200
    _assert_429_page(_post(world.client("192.0.2.99"), "target@EXAMPLE.org"))
    # one confirmation mail in all: the mail throttle holds the others back
    assert [r.rcpt for r in world.received] == ["Target@example.org"]


def _answers(world, address: str, start: int) -> list[tuple[int, str]]:
    """Status and text of the answers to posting ``address`` until the limit and once more,
    each from a new client; the address itself is blanked out of the text."""
    out = []
    for n in range(SUBSCRIBE_PER_ADDRESS + 1):
        answer = _post(world.client(f"203.0.113.{start + n}"), address)
        text = lxml.html.fromstring(answer.data).cssselect("main, body")[0].text_content()
        out.append((answer.status_code, re.sub(re.escape(address), "ADDRESS", text, flags=re.I)))
    return out


def test_answers_are_the_same_whatever_the_address_state(mail_world):
    """A stranger learns nothing by posting someone's address: confirmed, pending,
    unsubscribed and unknown addresses get the same answers, limit included."""
    world = mail_world
    with open_store(world.config) as store:
        store.add_subscriber("confirmed@example.org", confirmed=True)
        store.add_subscriber("pending@example.org")
        gone, _ = store.add_subscriber("gone@example.org", confirmed=True)
        store.unsubscribe_subscriber(gone.id)
    seen = {}
    for n, address in enumerate(("confirmed@example.org", "pending@example.org",
                                 "gone@example.org", "unknown@example.org")):
        seen[address] = _answers(world, address, start=10 * n + 1)
    reference = seen["unknown@example.org"]
    assert [status for status, _ in reference] == [200] * SUBSCRIBE_PER_ADDRESS + [429]
    for address, answers in seen.items():
        assert answers == reference, address
    # the confirmed address kept its subscription untouched
    with open_store(world.config) as store:
        assert store.find_subscriber("confirmed@example.org").status == "confirmed"
