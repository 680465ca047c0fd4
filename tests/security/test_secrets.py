"""The operator's secrets stay secret: the SMTP password never reaches a log line, a message,
the command line's output, a web page or the delivery log, whether the mail goes out, the login
is refused or the server cannot be reached; a secrets file others may read stops every command.

(``ketawatch config`` masking secrets is tested in tests/test_cli.py, the loader refusing a
group-readable secrets.toml in tests/test_config.py.)
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
import subprocess
import sys
from urllib.parse import quote

import pytest
from digest_support import (
    Recorder,
    SmtpServer,
    add_confirmed,
    article,
    at,
    env_for,
    free_port,
    ingest,
    make_config,
    password_checker,
    self_signed_cert,
)

from digest.send import send_week
from digest.smtp import parse_smtp_url
from digest.weeks import parse_week
from ketawatch.errors import ConfigError
from ketawatch.store import open_store
from ketawatch.web import create_app

from .support import ROOT, count, csrf_of

USER = "digest"
PASSWORD = "secretpw-7Hq"
#: the password as it could leak: plain, URL-quoted, and as SMTP AUTH PLAIN/LOGIN send it
NEEDLES = (PASSWORD, quote(PASSWORD, safe=""),
           base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode(),
           base64.b64encode(PASSWORD.encode()).decode())
W48 = parse_week("2026-W48")


def assert_no_secret(text: str | bytes, where: str) -> None:
    """Fail when any form of the password appears in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for needle in NEEDLES:
        assert needle not in text, f"the SMTP password leaked into {where}"


def _log_text(caplog) -> str:
    """Every captured record (ours, smtplib's, the test server's), tracebacks included."""
    return caplog.text


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A server-side TLS context for 127.0.0.1 that the client trusts (SSL_CERT_FILE)."""
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture(autouse=True)
def in_week_48(monkeypatch):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")


def _server(tls, accepted_password: str) -> SmtpServer:
    return SmtpServer(Recorder(), tls_context=tls, require_starttls=True,
                      authenticator=password_checker(USER, accepted_password),
                      auth_require_tls=True)


def _url(port: int) -> str:
    return f"smtp+starttls://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"


def _fill(config) -> None:
    with open_store(config) as store:
        ingest(store, [article("1001", "Ketamine versus midazolam")], at("2026-11-24"))
        add_confirmed(store, "alice@example.org")
        add_confirmed(store, "bob@example.org")


def test_the_password_is_in_no_log_report_or_store(tmp_path, tls, caplog):
    caplog.set_level(logging.DEBUG)
    cases = 0
    with _server(tls, PASSWORD) as good, _server(tls, "another-password") as refusing:
        for name, port, expect in (("accepted", good.port, "sent"),
                                   ("login refused", refusing.port, "refused the login"),
                                   ("unreachable", free_port(), "cannot connect")):
            config = make_config(tmp_path / name, smtp_url=_url(port))
            _fill(config)
            with open_store(config) as store:
                report = send_week(config, store, W48, retry_delays=(0.01,))
            summary = "\n".join([*report.lines(), report.aborted,
                                 *(o.detail for o in report.outcomes)])
            assert expect in summary, (name, summary)
            assert_no_secret(summary, f"the report ({name})")
            # the delivery log and everything else in the store
            assert_no_secret(config.db_path.read_bytes(), f"the store ({name})")
            cases += 1
    assert len(good.recorder.received) == 2
    assert any(r.levelno >= logging.ERROR for r in caplog.records)  # failures were logged
    assert_no_secret(_log_text(caplog), "the log")
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG was captured
    count("secrets: SMTP runs checked for the password", cases)


def test_a_failed_confirmation_mail_keeps_the_password_out_of_page_and_log(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    config = make_config(tmp_path, smtp_url=_url(free_port()))
    client = create_app(config).test_client()
    answer = client.post("/subscribe", data={"csrf_token": csrf_of(client, "/subscribe"),
                                             "email": "ann@example.org", "max_items": "10"})
    assert answer.status_code == 503
    assert_no_secret(answer.data, "the web page")
    assert "cannot connect" in _log_text(caplog)
    assert_no_secret(_log_text(caplog), "the web app's log")


@pytest.mark.parametrize("url", [
    f"smtp://{USER}:{PASSWORD}@mail.example:notaport",
    f"smtp+starttls://{USER}:{PASSWORD}@[::1",
    f"smtp+starttls://{USER}:{PASSWORD}@mail.example:99999",
    f"smtpx://{USER}:{PASSWORD}@mail.example:25",
    f"smtp://{USER}:{PASSWORD}@:25",
])
def test_malformed_smtp_urls_are_reported_without_the_password(url):
    with pytest.raises(ConfigError) as error:
        parse_smtp_url(url)
    assert "KETAWATCH_SMTP_URL" in str(error.value)
    assert_no_secret(str(error.value), "the error message")


def _cli(config, *argv: str, smtp_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_for(config), "KETAWATCH_SMTP_URL": smtp_url,
           "KETAWATCH_FAKE_NOW": "2026-11-27T12:00:00Z"}
    return subprocess.run([sys.executable, "-m", "ketawatch", "-v", *argv], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_command_line_never_prints_the_password(tmp_path, tls):
    with _server(tls, PASSWORD) as good, _server(tls, "another-password") as refusing:
        runs = (("accepted", good.port, 0), ("login refused", refusing.port, 1),
                ("unreachable", free_port(), 1))
        for name, port, code in runs:
            config = make_config(tmp_path / name, smtp_url=_url(port))
            _fill(config)
            if code == 0:
                # (a failing ``digest send`` waits out its retry delays, 42 s; the same report
                # lines are checked in-process above, and the failures below go through the
                # same Mailer from ``subscribers add``)
                done = _cli(config, "digest", "send", "--week", "2026-W48", smtp_url=_url(port))
                assert done.returncode == 0, (name, done.stdout, done.stderr)
                assert "2 sent" in done.stdout
                assert_no_secret(done.stdout + done.stderr, f"digest send output ({name})")
            added = _cli(config, "subscribers", "add", f"new-{port}@example.org",
                         smtp_url=_url(port))
            assert added.returncode == code, (name, added.stdout, added.stderr)
            assert_no_secret(added.stdout + added.stderr, f"subscribers add output ({name})")
    assert [r.rcpt for r in good.recorder.received] == [
        "alice@example.org", "bob@example.org", f"new-{good.port}@example.org"]


# -- the secrets file --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o602], ids=oct)
def test_every_command_refuses_a_secrets_file_others_can_touch(tmp_path, mode):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'secret_key = "{PASSWORD}-signing-key"\n'
                       f'smtp_url = "{_url(25)}"\n')
    os.chmod(secrets, mode)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETAWATCH_")}
    for argv in (["config"], ["serve", "--port", "1"], ["digest", "send"]):
        done = subprocess.run([sys.executable, "-m", "ketawatch", "--home", str(tmp_path), *argv],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, (argv, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
        assert "owner only" in lines[0] and f"chmod 600 {secrets}" in lines[0]
        assert_no_secret(done.stdout + done.stderr, f"ketawatch {argv[0]}")


def test_an_owner_only_secrets_file_is_used_and_a_broken_one_is_not_echoed(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'secret_key = "{PASSWORD}-signing-key"\n')
    os.chmod(secrets, 0o400)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETAWATCH_")}
    done = subprocess.run([sys.executable, "-m", "ketawatch", "--home", str(tmp_path), "config"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_no_secret(done.stdout + done.stderr, "ketawatch config")
    os.chmod(secrets, 0o600)
    secrets.write_text(f'secret_key = "{PASSWORD}\nsmtp_url = \n')
    done = subprocess.run([sys.executable, "-m", "ketawatch", "--home", str(tmp_path), "config"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not valid TOML" in done.stderr
    assert_no_secret(done.stdout + done.stderr, "the TOML error")
