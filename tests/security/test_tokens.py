"""The signed links of our mails through the web app: every forged, tampered, misdirected,
expired or revoked token is a 400 page (never a 500) and changes nothing in the store.

tests/test_digest_units.py checks ``digest.tokens`` itself; this file checks every route that
takes a token, with every method, against a table of bad tokens.
"""

from __future__ import annotations

import base64
import json
import zlib

import lxml.html
import pytest

from digest.tokens import LIFETIMES, make_token
from ketawatch.store import open_store

from .support import count, csrf_of, store_snapshot

#: (path prefix, method, purpose it takes)
ROUTES = (("/confirm/", "GET", "confirm"), ("/confirm/", "POST", "confirm"),
          ("/preferences/", "GET", "prefs"), ("/preferences/", "POST", "prefs"),
          ("/unsubscribe/", "GET", "unsubscribe"), ("/unsubscribe/", "POST", "unsubscribe"))
PURPOSES = ("confirm", "prefs", "unsubscribe")
T0 = "2026-11-23T10:00:00Z"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _with_payload(token: str, payload: list) -> str:
    """The token with another payload and its original timestamp and signature."""
    _, stamp, signature = token.rsplit(".", 2)
    return f"{_b64(json.dumps(payload, separators=(',', ':')).encode())}.{stamp}.{signature}"


def _payload(token: str) -> list:
    head = token.rsplit(".", 2)[0]
    if head.startswith("."):  # itsdangerous compresses long payloads: ".<zlib data>"
        return json.loads(zlib.decompress(_unb64(head[1:])))
    return json.loads(_unb64(head))


@pytest.fixture
def people(mail_world, monkeypatch):
    """Ann (pending: her confirm link is live), Bob (confirmed), at T0."""
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", T0)
    with open_store(mail_world.config) as store:
        ann, _ = store.add_subscriber("ann@example.org", name="Ann")
        bob, _ = store.add_subscriber("bob@example.org", name="Bob", confirmed=True)
    return ann, bob


def _bad_tokens(config, ann, bob) -> dict[str, str]:
    """name -> a token for ``purpose`` that must be refused when it reaches Ann's routes."""
    other_key = config.with_overrides(secret_key="another-installation-secret-0123456789")
    ann_u = make_token(config, ann, "unsubscribe")
    ann_id, version, tag = _payload(ann_u)
    bob_u = make_token(config, bob, "unsubscribe")
    payload, stamp, signature = ann_u.rsplit(".", 2)
    cases = {
        "bad signature": f"{payload}.{stamp}.{'A' * len(signature)}",
        "signature cut short": ann_u[:-5],
        "signature of another token": f"{payload}.{stamp}.{bob_u.rsplit('.', 1)[1]}",
        "payload names bob": _with_payload(ann_u, [bob.id, version, tag]),
        "payload of bob, signature of ann": f"{bob_u.split('.')[0]}.{stamp}.{signature}",
        "payload with a newer version": _with_payload(ann_u, [ann_id, version + 1, tag]),
        "payload as a dict": _with_payload(ann_u, {"id": ann_id}),
        "timestamp moved": f"{payload}.{_b64(b'xxxx')}.{signature}",
        "another installation's key": make_token(other_key, ann, "unsubscribe"),
        "no dots": payload,
        "empty parts": "..",
        "not base64": "%%%.%%%.%%%",
        "very long": "A" * 4000 + "." + stamp + "." + signature,
        "unicode": "ännß.☃.😀",
        "null bytes": "a\x00b.c.d",
    }
    return cases


def _request(client, method: str, path: str, csrf: str):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf, "List-Unsubscribe": "One-Click",
                                   "condition": "ocd", "max_items": "5"})


def _assert_refused(answer, what) -> None:
    assert answer.status_code in (400, 404), (what, answer.status_code, answer.data[:200])
    if answer.status_code == 400:
        doc = lxml.html.fromstring(answer.data)
        message = doc.cssselect(".error-message")[0].text_content()
        assert "link" in message, (what, message)


def test_forged_and_tampered_tokens_are_refused_everywhere(mail_world, people):
    world, (ann, bob) = mail_world, people
    client = world.client()
    csrf = csrf_of(client, "/subscribe")
    before = store_snapshot(world.config)
    tried = 0
    for name, token in _bad_tokens(world.config, ann, bob).items():
        for prefix, method, _purpose in ROUTES:
            answer = _request(client, method, prefix + token, csrf)
            _assert_refused(answer, (name, prefix, method))
            tried += 1
    assert store_snapshot(world.config) == before
    assert world.received == []
    count("tokens: forged or tampered tokens refused", tried)


def test_a_token_for_one_purpose_opens_no_other_route(mail_world, people):
    world, (ann, bob) = mail_world, people
    client = world.client()
    csrf = csrf_of(client, "/subscribe")
    before = store_snapshot(world.config)
    tried = 0
    for subscriber in (ann, bob):
        for purpose in PURPOSES:
            token = make_token(world.config, subscriber, purpose)
            for prefix, method, wanted in ROUTES:
                if wanted == purpose:
                    continue
                _assert_refused(_request(client, method, prefix + token, csrf),
                                (subscriber.email, purpose, prefix, method))
                tried += 1
    assert store_snapshot(world.config) == before
    count("tokens: tokens used for another purpose refused", tried)


def test_expired_tokens_are_refused_and_change_nothing(mail_world, people, monkeypatch):
    world, (ann, bob) = mail_world, people
    confirm = make_token(world.config, ann, "confirm")
    prefs = make_token(world.config, bob, "prefs")
    unsubscribe = make_token(world.config, bob, "unsubscribe")
    client = world.client()
    # one second before the end of its life, the confirm link still opens its page
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-30T09:59:59Z")
    assert client.get("/confirm/" + confirm).status_code == 200
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-30T10:00:01Z")
    assert LIFETIMES["confirm"] == 7 * 24 * 3600
    csrf = csrf_of(client, "/subscribe")
    before = store_snapshot(world.config)
    for method in ("GET", "POST"):
        answer = _request(client, method, "/confirm/" + confirm, csrf)
        assert answer.status_code == 400 and b"expired" in answer.data
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2027-11-25T10:00:00Z")  # past 366 days
    csrf = csrf_of(client, "/subscribe")
    for method in ("GET", "POST"):
        answer = _request(client, method, "/preferences/" + prefs, csrf)
        assert answer.status_code == 400 and b"expired" in answer.data
    assert store_snapshot(world.config) == before
    # an unsubscribe link never expires (RFC 8058: old mails must still work)
    assert client.post("/unsubscribe/" + unsubscribe,
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with open_store(world.config) as store:
        assert store.get_subscriber(ann.id).status == "pending"
        assert store.get_subscriber(bob.id).status == "unsubscribed"


def test_tokens_from_before_a_version_bump_are_revoked(mail_world, people):
    world, (ann, bob) = mail_world, people
    old = [make_token(world.config, s, p) for s in (ann, bob) for p in PURPOSES]
    with open_store(world.config) as store:
        store.revoke_tokens(ann.id)
        store.revoke_tokens(bob.id)
        fresh_bob = store.get_subscriber(bob.id)
    client = world.client()
    csrf = csrf_of(client, "/subscribe")
    before = store_snapshot(world.config)
    for token in old:
        for prefix, method, _purpose in ROUTES:
            _assert_refused(_request(client, method, prefix + token, csrf), (prefix, method))
    assert store_snapshot(world.config) == before
    # the new version's links work
    assert client.get("/preferences/" + make_token(world.config, fresh_bob, "prefs")
                      ).status_code == 200


def test_a_removed_subscribers_token_cannot_act_on_whoever_gets_the_id(mail_world, people):
    world = mail_world  # (people: two subscribers already there, the clock pinned)
    with open_store(world.config) as store:
        carol, _ = store.add_subscriber("carol@example.org", confirmed=True)
        old = make_token(world.config, carol, "unsubscribe")
        store.remove_subscriber(carol.id)
        dave, _ = store.add_subscriber("dave@example.org", confirmed=True)
    assert dave.id == carol.id
    answer = world.client().post("/unsubscribe/" + old, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 400
    with open_store(world.config) as store:
        assert store.get_subscriber(dave.id).status == "confirmed"
