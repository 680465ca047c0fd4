"""The digest from the command line: ``subscribers add|list|remove``, ``digest build|send``,
and a ``digest send`` killed midway then run again (every subscriber gets exactly one mail)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from digest_support import (
    Recorder,
    SmtpServer,
    add_confirmed,
    article,
    at,
    env_for,
    ingest,
    make_config,
    text_part,
)

from ketawatch.cli import main
from ketawatch.store import open_store

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-11-27T12:00:00Z"


@pytest.fixture
def server():
    with SmtpServer() as srv:
        yield srv


@pytest.fixture
def config(tmp_path, server, monkeypatch):
    config = make_config(tmp_path / "home", smtp_url=server.url())
    for name, value in env_for(config).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", NOW)
    return config


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_subscribers_add_mails_a_confirmation_unless_confirmed(config, server, capsys):
    code, out, _ = run(capsys, "subscribers", "add", "Ann@Example.org", "--name", "Ann",
                       "--condition", "ptsd", "--condition", "ocd", "--design-min", "rct",
                       "--no-preprints", "--max-items", "10")
    assert code == 0 and "pending" in out and "confirmation mail sent" in out
    [mail] = server.recorder.received
    assert mail.rcpt == "Ann@example.org"
    assert mail.message["Subject"] == "Confirm your KetaWatch weekly digest"
    assert "https://ketawatch.test/confirm/" in text_part(mail.message)
    code, out, _ = run(capsys, "subscribers", "add", "bob@example.org", "--confirmed")
    assert code == 0 and "confirmed" in out and len(server.recorder.received) == 1
    code, out, _ = run(capsys, "subscribers", "list", "--json")
    listed = {s["email"]: s for s in json.loads(out)}
    assert listed["Ann@example.org"]["status"] == "pending"
    assert listed["Ann@example.org"]["prefs"]["conditions"] == ["ptsd", "ocd"]
    assert listed["Ann@example.org"]["prefs"]["design_min"] == "rct"
    assert listed["Ann@example.org"]["prefs"]["include_preprints"] is False
    assert listed["bob@example.org"]["status"] == "confirmed"
    code, out, _ = run(capsys, "subscribers", "list")
    assert "pending" in out and "ptsd, ocd; all drugs; rct or stronger" in out
    code, out, _ = run(capsys, "subscribers", "remove", "ann@example.org")
    assert code == 0 and "removed" in out
    code, _, err = run(capsys, "subscribers", "remove", "ann@example.org")
    assert code == 1 and err.startswith("Error: no subscriber")


@pytest.mark.parametrize("argv", [
    ["subscribers", "add", "not-an-address"],
    ["subscribers", "add", "a@example.org\r\nBcc: v@example.org"],
    ["subscribers", "add", "a@example.org", "--name", "A\r\nBcc: v@example.org"],
    ["subscribers", "add", "a@example.org", "--max-items", "0"],
    ["digest", "send", "--week", "2026-W60"],
    ["digest", "send", "--out", "x"],
])
def test_bad_input_is_a_usage_error(config, server, capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1
    assert not server.recorder.received
    with open_store(config) as store:
        assert store.list_subscribers() == []


def test_confirmation_mail_failure_is_an_error(config, capsys, monkeypatch):
    monkeypatch.setenv("KETAWATCH_SMTP_URL", "smtp://127.0.0.1:9")
    code, _, err = run(capsys, "subscribers", "add", "ann@example.org")
    assert code == 1 and "could not send the confirmation mail" in err
    assert "KETAWATCH_SMTP_URL" in err


def test_digest_build_writes_files_and_the_archive(config, capsys):
    with open_store(config) as store:
        ingest(store, [article("1", "An RCT of the week")], at("2026-11-24"))
    code, out, _ = run(capsys, "digest", "build", "--week", "2026-W48")
    assert code == 0 and "1 new studies" in out
    html = (config.home_path / "digests" / "2026-W48.html").read_text()
    text = (config.home_path / "digests" / "2026-W48.txt").read_text()
    assert "An RCT of the week" in html and "An RCT of the week" in text
    with open_store(config) as store:
        record = store.get_digest("2026-W48")
    assert record.item_count == 1 and record.html == html
    # the current week is the default
    code, out, _ = run(capsys, "digest", "build")
    assert code == 0 and "2026-W48" in out


def test_digest_send_reports_failures_with_exit_code_1(config, server, capsys):
    with open_store(config) as store:
        ingest(store, [article("1", "An RCT of the week")], at("2026-11-24"))
        add_confirmed(store, "ann@example.org")
        add_confirmed(store, "gone@example.org")
    server.recorder.refuse["gone@example.org"] = "550 5.1.1 no such user"
    code, out, err = run(capsys, "digest", "send", "--week", "2026-W48")
    assert code == 1
    assert "failed-permanent for gone@example.org: recipient gone@example.org refused: 550" in out
    assert "1 sent" in out and "1 failed permanently" in out
    assert err.startswith("Error: 1 digest(s) not delivered")
    code, out, _ = run(capsys, "digest", "send", "--dry-run", "--out", str(config.home_path / "x"))
    assert code == 0 and "(dry run)" in out


def _send_cmd(config) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, **env_for(config), "KETAWATCH_FAKE_NOW": NOW}
    return [sys.executable, "-m", "ketawatch", "digest", "send", "--week", "2026-W48"], env


def _killed_run(config, rec: Recorder) -> None:
    """Start ``digest send`` in a child, SIGKILL it while the server holds message 2."""
    cmd, env = _send_cmd(config)
    with subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        try:
            held = rec.holding.wait(30)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate(timeout=10)
        assert held, (out, err)
    assert proc.returncode == -signal.SIGKILL
    rec.release.set()
    time.sleep(0.2)  # let the server notice the dead client


def _setup_three(config):
    with open_store(config) as store:
        ingest(store, [article("1", "An RCT of the week")], at("2026-11-24"))
        return [add_confirmed(store, f"{n}@example.org") for n in ("ann", "bob", "cid")]


def test_killed_run_then_rerun_sends_each_subscriber_exactly_one(tmp_path):
    # the server holds the second message without answering: the child dies waiting for 250
    rec = Recorder(hold_data_number=2)
    with SmtpServer(rec) as srv:
        config = make_config(tmp_path, smtp_url=srv.url())
        ann, bob, cid = _setup_three(config)
        _killed_run(config, rec)
        assert [r.rcpt for r in rec.received] == ["ann@example.org"]
        with open_store(config) as store:
            assert store.get_delivery(ann.id, "2026-W48").status == "sent"
            crashed = store.get_delivery(bob.id, "2026-W48")
            assert crashed.status == "sending" and crashed.message
            assert store.get_delivery(cid.id, "2026-W48") is None
        cmd, env = _send_cmd(config)
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert "1 sent, 1 resent" in done.stdout and "1 already sent" in done.stdout
        again = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                               timeout=120)
        assert again.returncode == 0 and "3 already sent" in again.stdout
    assert sorted(r.rcpt for r in rec.received) == [
        "ann@example.org", "bob@example.org", "cid@example.org"]
    bob_mail = rec.to("bob@example.org")[0].message
    assert bob_mail["Message-ID"] == crashed.message_id


def test_crash_after_the_server_took_the_message_resends_the_same_message_id(tmp_path):
    """The one ambiguous window: the server kept message 2 but the client died before hearing
    250. The re-run resends it with the same Message-ID (documented choice: a duplicate that
    mail systems collapse, rather than a digest lost for good)."""
    rec = Recorder(hold_data_number=2, record_before_hold=True)
    with SmtpServer(rec) as srv:
        config = make_config(tmp_path, smtp_url=srv.url())
        _setup_three(config)
        _killed_run(config, rec)
        cmd, env = _send_cmd(config)
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    bob = rec.to("bob@example.org")
    assert len(bob) == 2 and bob[0].message["Message-ID"] == bob[1].message["Message-ID"]
    assert len(rec.to("ann@example.org")) == 1 and len(rec.to("cid@example.org")) == 1
