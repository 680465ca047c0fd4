"""Sending digests through a real SMTP server on 127.0.0.1 (aiosmtpd): one message per
subscriber and week, retries on 4xx, 5xx recorded, TLS and AUTH, dry runs, hostile text."""

from __future__ import annotations

import ssl
import time

import lxml.html
import pytest
from aiosmtpd.smtp import AuthResult
from digest_support import (
    MAIL_FROM,
    Recorder,
    SmtpServer,
    add_confirmed,
    article,
    at,
    html_part,
    ingest,
    make_config,
    password_checker,
    preprint,
    self_signed_cert,
    text_part,
    trial,
)

from digest.send import send_week
from digest.weeks import parse_week
from ketawatch.store import open_store

W48, W49 = parse_week("2026-W48"), parse_week("2026-W49")
FAST = (0.05, 0.05)


@pytest.fixture(autouse=True)
def in_week_48(monkeypatch):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")


@pytest.fixture
def server():
    with SmtpServer() as srv:
        yield srv


@pytest.fixture
def setup(tmp_path, server):
    config = make_config(tmp_path, smtp_url=server.url())
    with open_store(config) as store:
        yield config, store, server.recorder


def week48_studies(store):
    ingest(store, [article("1001", "Ketamine versus midazolam in depression", sample_size=80,
                           abstract="BACKGROUND: x. CONCLUSIONS: Ketamine worked fast."),
                   trial("NCT01234567", "Esketamine nasal spray trial")], at("2026-11-24"))


def test_week_one_then_week_two_sends_only_new_studies(setup, monkeypatch):
    config, store, rec = setup
    week48_studies(store)
    add_confirmed(store, "alice@example.org", name="Alice")
    add_confirmed(store, "bob@example.org", conditions=["trd"])
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.ok and report.count("sent") == 2, report.lines()
    assert rec.to("alice@example.org")[0].message["Subject"] == "KetaWatch 2026-W48: 2 new studies"
    assert rec.to("bob@example.org")[0].message["Subject"] == "KetaWatch 2026-W48: 1 new study"
    # running again in the same week sends nothing
    again = send_week(config, store, W48, retry_delays=FAST)
    assert again.count("already") == 2 and len(rec.received) == 2

    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-12-03T12:00:00Z")
    ingest(store, [article("1002", "Brand new RCT in TRD", conditions=["trd"])], at("2026-12-01"))
    report = send_week(config, store, W49, retry_delays=FAST)
    assert report.count("sent") == 2
    for address in ("alice@example.org", "bob@example.org"):
        second = rec.to(address)[1].message
        assert second["Subject"] == "KetaWatch 2026-W49: 1 new study"
        text = text_part(second)
        assert "Brand new RCT in TRD" in text
        assert "midazolam" not in text and "nasal spray trial" not in text
    assert len(rec.received) == 4


def test_message_headers_and_parts(setup):
    config, store, rec = setup
    week48_studies(store)
    alice = add_confirmed(store, "alice@example.org", name="Alice Smith")
    send_week(config, store, W48, retry_delays=FAST)
    [received] = rec.received
    msg = received.message
    assert received.mail_from == "digest@ketawatch.test"
    assert msg["From"] == MAIL_FROM and msg["To"] == "Alice Smith <alice@example.org>"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Message-ID"] == store.get_delivery(alice.id, "2026-W48").message_id
    assert msg["Date"] and msg["Auto-Submitted"] == "auto-generated"
    unsubscribe = msg["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://ketawatch.test/unsubscribe/") and unsubscribe.endswith(">")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # on the wire: one plain line, never RFC 2047 encoded words
    assert f"\r\nList-Unsubscribe: {unsubscribe}\r\n".encode() in received.data
    headers = received.data.split(b"\r\n\r\n", 1)[0]
    assert b"=?" not in headers and all(len(line) <= 998 for line in headers.split(b"\r\n"))
    url = unsubscribe[1:-1]
    assert url in text_part(msg) and url in html_part(msg)
    assert "https://ketawatch.test/preferences/" in text_part(msg)
    delivery = store.get_delivery(alice.id, "2026-W48")
    assert delivery.status == "sent" and delivery.message is None
    assert store.delivered_keys(alice.id) == {"study:1", "study:2"}


def test_421_then_250_is_delivered_once(setup):
    config, store, rec = setup
    week48_studies(store)
    alice = add_confirmed(store, "alice@example.org")
    rec.data_replies = ["421 4.3.2 Service busy, try later"]
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.ok and report.count("sent") == 1
    assert rec.refused_data == ["421 4.3.2 Service busy, try later"]
    assert len(rec.to("alice@example.org")) == 1
    assert store.get_delivery(alice.id, "2026-W48").status == "sent"


def test_temporary_failure_is_retried_by_the_next_run_with_the_same_message(setup):
    config, store, rec = setup
    week48_studies(store)
    alice = add_confirmed(store, "alice@example.org")
    rec.data_replies = ["451 4.3.0 try later"] * 3
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.count("failed-temporary") == 1 and not report.ok
    assert "451" in report.lines()[0]
    row = store.get_delivery(alice.id, "2026-W48")
    assert row.status == "failed-temporary" and row.message
    assert not rec.received
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.count("resent") == 1 and report.ok
    [received] = rec.received
    assert received.message["Message-ID"] == row.message_id
    assert received.data.replace(b"\r\n", b"\n") == row.message.replace(b"\r\n", b"\n")
    assert store.get_delivery(alice.id, "2026-W48").attempts == 2


def test_550_for_one_address_does_not_stop_the_others(setup, monkeypatch):
    config, store, rec = setup
    week48_studies(store)
    for name in ("ann", "gone", "zoe"):
        add_confirmed(store, f"{name}@example.org")
    rec.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.count("sent") == 2 and report.count("failed-permanent") == 1
    assert not report.ok
    failure = report.failures[0]
    assert failure.email == "gone@example.org" and "550" in failure.detail
    assert any("gone@example.org" in line and "550" in line for line in report.lines())
    assert {r.rcpt for r in rec.received} == {"ann@example.org", "zoe@example.org"}
    gone = store.find_subscriber("gone@example.org")
    assert store.get_delivery(gone.id, "2026-W48").status == "failed-permanent"
    # no second try in the same week; the undelivered items come back in the next digest
    assert send_week(config, store, W48, retry_delays=FAST).count("already") == 3
    del rec.refuse["gone@example.org"]
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-12-03T12:00:00Z")
    send_week(config, store, W49, retry_delays=FAST)
    assert [r.message["Subject"] for r in rec.to("gone@example.org")] == [
        "KetaWatch 2026-W49: 2 new studies"]
    assert not rec.to("ann@example.org")[1:]  # ann had everything already


def test_rate_limit_spaces_the_messages(tmp_path, server):
    config = make_config(tmp_path, smtp_url=server.url(), mail_rate=20.0)
    with open_store(config) as store:
        week48_studies(store)
        for i in range(5):
            add_confirmed(store, f"reader{i}@example.org")
        started = time.monotonic()
        report = send_week(config, store, W48, retry_delays=FAST)
    assert report.count("sent") == 5
    assert time.monotonic() - started >= 4 / 20


def test_unconfirmed_and_unsubscribed_get_nothing(setup):
    config, store, rec = setup
    week48_studies(store)
    store.add_subscriber("pending@example.org")
    gone = add_confirmed(store, "gone@example.org")
    store.unsubscribe_subscriber(gone.id)
    add_confirmed(store, "alice@example.org")
    send_week(config, store, W48, retry_delays=FAST)
    assert [r.rcpt for r in rec.received] == ["alice@example.org"]


def test_an_empty_week_sends_nothing_unless_asked(setup):
    config, store, rec = setup
    add_confirmed(store, "quiet@example.org")
    add_confirmed(store, "always@example.org", no_news_mail=True)
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.count("empty") == 1 and report.count("sent") == 1
    [msg] = [r.message for r in rec.received]
    assert msg["To"] == "always@example.org"
    assert msg["Subject"] == "KetaWatch 2026-W48: no new studies"
    assert "Nothing new matched your preferences this week." in text_part(msg)


def test_dry_run_writes_eml_files_and_records_nothing(setup, tmp_path):
    config, store, rec = setup
    week48_studies(store)
    alice = add_confirmed(store, "alice@example.org")
    out = tmp_path / "out"
    report = send_week(config, store, W48, dry_run=True, out_dir=out)
    assert report.ok and report.count("written") == 1
    [path] = out.glob("*.eml")
    assert path.name == f"2026-W48-{alice.id:05d}-alice@example.org.eml"
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in path.read_bytes()
    assert not rec.received and store.deliveries() == [] and not store.delivered_keys(alice.id)
    default = send_week(config, store, W48, dry_run=True)
    assert default.outcomes[0].path.startswith(str(config.home_path / "outbox" / "2026-W48"))
    assert send_week(config, store, W48, retry_delays=FAST).count("sent") == 1


def test_unreachable_server_stops_the_run_and_the_next_run_catches_up(tmp_path, server):
    closed = make_config(tmp_path, smtp_url="smtp://127.0.0.1:9")
    with open_store(closed) as store:
        week48_studies(store)
        for name in ("ann", "bob", "cid"):
            add_confirmed(store, f"{name}@example.org")
        report = send_week(closed, store, W48, retry_delays=(0.01,))
        assert not report.ok and "cannot connect to the mail server" in report.aborted
        assert "KETAWATCH_SMTP_URL" in report.aborted
        assert report.count("failed-temporary") == 1 and report.count("not-attempted") == 2
        working = closed.with_overrides(smtp_url=server.url())
        report = send_week(working, store, W48, retry_delays=FAST)
        assert report.count("resent") == 1 and report.count("sent") == 2
    assert sorted(r.rcpt for r in server.recorder.received) == [
        "ann@example.org", "bob@example.org", "cid@example.org"]


@pytest.fixture
def tls_files(tmp_path, monkeypatch):
    cert, key = self_signed_cert(tmp_path)
    # the client trusts the test certificate through OpenSSL's usual variable
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_with_auth(tmp_path, tls_files):
    rec = Recorder()
    with SmtpServer(rec, tls_context=tls_files, require_starttls=True,
                    authenticator=password_checker("digest", "s3cret:pw"),
                    auth_require_tls=True) as srv:
        config = make_config(tmp_path, smtp_url=srv.url("smtp+starttls", "digest:s3cret%3Apw"))
        with open_store(config) as store:
            week48_studies(store)
            add_confirmed(store, "alice@example.org")
            add_confirmed(store, "bob@example.org")
            report = send_week(config, store, W48, retry_delays=FAST)
            assert report.ok and report.count("sent") == 2
            wrong = config.with_overrides(smtp_url=srv.url("smtp+starttls", "digest:wrong"))
            add_confirmed(store, "carl@example.org")
            add_confirmed(store, "dora@example.org")
            report = send_week(wrong, store, W48, retry_delays=(0.01,))
            assert "refused the login" in report.aborted and not report.ok
            assert report.count("not-attempted") == 1
    assert len(rec.received) == 2


def test_smtps_with_auth(tmp_path, tls_files):
    rec = Recorder()
    # aiosmtpd only counts STARTTLS as TLS for AUTH: on an implicit-TLS port it must be told
    with SmtpServer(rec, ssl_context=tls_files,
                    authenticator=password_checker("digest", "pw"),
                    auth_require_tls=False) as srv:
        config = make_config(tmp_path, smtp_url=srv.url("smtps", "digest:pw"))
        with open_store(config) as store:
            week48_studies(store)
            add_confirmed(store, "alice@example.org")
            assert send_week(config, store, W48, retry_delays=FAST).count("sent") == 1
    assert rec.received[0].rcpt == "alice@example.org"


def test_untrusted_certificate_is_refused(tmp_path, monkeypatch):
    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with SmtpServer(tls_context=context, require_starttls=True,
                    authenticator=lambda *a: AuthResult(success=True, handled=False)) as srv:
        config = make_config(tmp_path, smtp_url=srv.url("smtp+starttls", "u:p"))
        with open_store(config) as store:
            week48_studies(store)
            add_confirmed(store, "alice@example.org")
            report = send_week(config, store, W48, retry_delays=(0.01,))
    assert "TLS" in report.aborted and not srv.recorder.received


HOSTILE_TITLE = '<script>alert(1)</script><img src=x onerror=alert(2)> Ketamine "quoted" & more'
HOSTILE_ABSTRACT = ("CONCLUSIONS: </p></td></table><a href=\"javascript:alert(3)\">click</a> "
                    "<style>body{display:none}</style> worked.")


def test_hostile_crawled_text_is_inert(setup):
    config, store, rec = setup
    ingest(store, [article("666", HOSTILE_TITLE, abstract=HOSTILE_ABSTRACT,
                           journal="<b onmouseover=alert(4)>J</b>", authors=["<i>Eve</i>"],
                           url="javascript:alert(5)", doi="10.1000/x\"><script>y")],
           at("2026-11-24"))
    add_confirmed(store, "alice@example.org")
    send_week(config, store, W48, retry_delays=FAST)
    msg = rec.received[0].message
    html = html_part(msg)
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//script") == [] and tree.xpath("//img") == []
    assert tree.xpath("//body//style") == [] and tree.xpath("//b | //i") == []
    assert [a for a in tree.xpath("//@*") if a.attrname.startswith("on")] == []
    hrefs = tree.xpath("//a/@href")
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
    titles = [t.text_content() for t in tree.xpath("//p[contains(@class,'title')]")]
    assert titles == [HOSTILE_TITLE]
    assert "<script>alert(1)</script>" in text_part(msg)  # plain text: shown, not run


def test_a_name_with_line_breaks_cannot_add_headers_even_from_the_store(setup):
    config, store, rec = setup
    week48_studies(store)
    # bypass the validation of the CLI and the web form: the email package still refuses
    store.add_subscriber("eve@example.org", name="Eve\r\nBcc: victim@example.org",
                         confirmed=True, now=at("2026-11-23"))
    add_confirmed(store, "alice@example.org")
    report = send_week(config, store, W48, retry_delays=FAST)
    assert report.count("error") == 1 and report.count("sent") == 1
    assert [o.email for o in report.outcomes if o.status == "error"] == ["eve@example.org"]
    assert [r.rcpt for r in rec.received] == ["alice@example.org"]
    assert rec.received[0].message["Bcc"] is None
    assert b"victim" not in rec.received[0].data


def test_preprints_and_trials_get_their_badges(setup):
    config, store, rec = setup
    ingest(store, [preprint("10.1101/2026.11.05.1", "Oral ketamine for PTSD: a cohort")],
           at("2026-11-24"))
    add_confirmed(store, "alice@example.org")
    send_week(config, store, W48, retry_delays=FAST)
    tree = lxml.html.fromstring(html_part(rec.received[0].message))
    badges = [b.text_content() for b in tree.xpath("//span[contains(@class,'badge')]")]
    assert badges == ["Observational", "n=64", "Ketamine", "Oral", "Preprint"]
