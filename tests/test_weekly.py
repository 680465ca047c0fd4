"""The operator's weekly job end to end: four sources on a replay server, a real SMTP server.

Runs ``python -m ketawatch weekly`` as cron would, twice in one week (nothing sent twice), then
a week later against a second snapshot of the sources (only what is new arrives), and with a
source down (the digest still goes out, the exit code says something failed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from digest_support import SECRET, SmtpServer

from ketawatch.replay.server import Response
from ketawatch.replay.world import handlers_for, serve_corpus, source_urls
from ketawatch.sample import generate, second_snapshot

ENV_NAMES = {"pubmed_url": "KETAWATCH_PUBMED_URL", "clinicaltrials_url":
             "KETAWATCH_CLINICALTRIALS_URL", "medrxiv_url": "KETAWATCH_MEDRXIV_URL",
             "europepmc_url": "KETAWATCH_EUROPEPMC_URL", "crossref_url": "KETAWATCH_CROSSREF_URL"}


def _ketawatch(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ketawatch", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def corpus():
    return generate(60)


@pytest.fixture
def world(tmp_path, corpus):
    server = serve_corpus(corpus)
    smtp = SmtpServer()
    smtp.__enter__()
    env = {**os.environ, "KETAWATCH_HOME": str(tmp_path / "home"),
           "KETAWATCH_SECRET_KEY": SECRET, "KETAWATCH_BASE_URL": "https://ketawatch.test",
           "KETAWATCH_MAIL_FROM": "KetaWatch <digest@ketawatch.test>",
           "KETAWATCH_SMTP_URL": smtp.url(), "KETAWATCH_MAIL_RATE": "1000",
           "KETAWATCH_REQUEST_DELAY": "0", "KETAWATCH_FAKE_NOW": "2026-11-23T06:00:00Z"}
    env.update({ENV_NAMES[k]: v for k, v in source_urls(server).items()})
    yield env, server, smtp
    smtp.__exit__(None, None, None)
    server.stop()


def _subscribe(env, address):
    result = _ketawatch(env, "subscribers", "add", address, "--confirmed")
    assert result.returncode == 0, result.stderr


#: digest sections that may name a study again: retraction warnings and trial updates
REVISITING_SECTIONS = ("Retracted or corrected since we sent them", "Trial updates")


def _items(message) -> list[tuple[str, str]]:
    """(section, first title line) of every item in a digest's plain-text part."""
    items, section = [], ""
    for line in message.get_body(("plain",)).get_content().splitlines():
        if line.startswith("== ") and line.endswith(" =="):
            section = line.strip("= ")
        elif line.startswith("* "):
            items.append((section, line))
    return items


def _subject_count(message) -> int:
    return int(re.search(r"(\d+)", message["Subject"].split(":", 1)[1]).group(1))


def test_weekly_twice_in_a_week_sends_once_and_next_week_only_new(world, corpus):
    env, server, smtp = world
    _subscribe(env, "ada@example.org")
    _subscribe(env, "grace@example.org")
    first = _ketawatch(env, "weekly")
    assert first.returncode == 0, first.stdout + first.stderr
    for source in ("pubmed", "clinicaltrials", "medrxiv", "europepmc", "crossref"):
        assert f"{source}: ok" in first.stdout
    assert "weekly 2026-W48: ok" in first.stdout
    assert len(smtp.recorder.to("ada@example.org")) == 1
    assert len(smtp.recorder.to("grace@example.org")) == 1
    week1 = smtp.recorder.to("ada@example.org")[0].message
    assert "2026-W48" in week1["Subject"]

    again = _ketawatch(env, "weekly")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(smtp.recorder.received) == 2  # nothing twice
    assert "2 already sent" in again.stdout

    # a week later the sources have moved on: new records, changed trials
    server.routes.update(handlers_for(second_snapshot(corpus, seed=7)))
    env["KETAWATCH_FAKE_NOW"] = "2026-11-30T06:00:00Z"
    later = _ketawatch(env, "weekly")
    assert later.returncode == 0, later.stdout + later.stderr
    week2 = smtp.recorder.to("ada@example.org")[-1].message
    assert "2026-W49" in week2["Subject"]
    assert len(smtp.recorder.to("ada@example.org")) == 2
    week1_items = _items(week1)
    week2_items = _items(week2)
    new_in_week2 = {t for section, t in week2_items if section not in REVISITING_SECTIONS}
    assert new_in_week2, week2_items
    assert not new_in_week2 & {t for _, t in week1_items}, "a study was sent twice"
    # what comes back is only a warning or a trial update about something sent before
    revisited = {t for section, t in week2_items if section in REVISITING_SECTIONS}
    assert revisited <= {t for _, t in week1_items} | new_in_week2 | revisited
    assert _subject_count(week2) < _subject_count(week1)


def test_a_failing_source_still_sends_and_exits_1(world):
    env, server, smtp = world
    _subscribe(env, "ada@example.org")
    server.faults = lambda request: (Response(503, {"Retry-After": "0"}, b"down")
                                     if request.prefix == "ctgov/" else None)
    result = _ketawatch(env, "weekly")
    assert result.returncode == 1
    assert "clinicaltrials: FAILED" in result.stdout
    assert "pubmed: ok" in result.stdout
    assert len(smtp.recorder.to("ada@example.org")) == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: weekly job had failures")


def test_second_weekly_while_one_runs_exits_with_a_clear_message(world, tmp_path):
    import fcntl

    env, _, _ = world
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".jobs.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = _ketawatch(env, "weekly")
    assert result.returncode == 1
    assert "another KetaWatch job is running" in result.stderr
