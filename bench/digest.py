"""Digest selection and rendering for 10,000 subscribers, and delivery to a local SMTP sink.

The scenario is an ordinary week. The fixture store (crawled at ``CRAWLED_AT``) is copied; the
corpus one week later (``ketawatch.sample.second_snapshot``: new PubMed records, trial status
changes, results, published preprints, a retraction) is served by a second replay server and
crawled incrementally (PubMed from the corpus' last day, the spiders likewise) at ``NEWS_AT``;
10,000 confirmed subscribers with varied preferences are added, confirmed at ``CONFIRMED_AT``
(more than four weeks after the fixture crawl, so that their digest holds the week's news and
not the whole store).

- *selection + rendering*: for every subscriber ``digest.select.select_for_subscriber`` (with
  one ``Candidates`` shared by all, as ``send_week`` does) then
  ``digest.render.digest_message(...).as_bytes()`` (with one ``DigestRenderer`` shared
  likewise; nothing sent, nothing recorded);
- *delivery*: ``digest.send_week`` on a copy of that folder holding the first
  ``SEND_SUBSCRIBERS`` of the same subscribers, to an aiosmtpd sink on a free 127.0.0.1 port
  (mail rate limit off), in messages per second: selection, rendering, the delivery log in the
  store and SMTP all included.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.memory import run_child
from bench.table import Row
from bench.world import (
    CONFIRMED_AT,
    NEWS_AT,
    BenchWorld,
    bench_config,
    clock_env,
    copy_home,
)

#: when the digest is selected, rendered and sent: two days after the news was crawled
SEND_AT = "2027-01-07T07:00:00+00:00"
#: subscribers of the delivery runs: messages per second do not depend on how many there are,
#: and three runs of 10,000 deliveries would take most of the suite's ten minutes
SEND_SUBSCRIBERS = 2000


# -- subscribers ----------------------------------------------------------------------------------

def subscriber_prefs(rng: random.Random) -> dict[str, Any]:
    """Varied, valid preferences: followed conditions and drugs, minimum design, caps, flags."""
    from digest.prefs import DESIGN_MIN_CHOICES, Preferences
    from ketawatch.vocabulary import CONDITIONS, DRUGS

    conditions = rng.sample(CONDITIONS, rng.choice((0, 0, 1, 1, 2, 3)))
    drugs = rng.sample(DRUGS, rng.choice((0, 0, 0, 1, 2)))
    prefs = Preferences(
        conditions=conditions, drugs=drugs,
        design_min=rng.choice((None, None, None, *DESIGN_MIN_CHOICES)),
        include_preprints=rng.random() < 0.7, include_trial_updates=rng.random() < 0.8,
        include_animal=rng.random() < 0.15, max_items=rng.choice((10, 20, 30, 30, 50, 100)),
        no_news_mail=rng.random() < 0.1)
    return prefs.validated().to_dict()


def child_add_subscribers(home: str, count: int, seed: int) -> dict[str, Any]:
    """Add ``count`` confirmed subscribers with varied preferences; seconds."""
    from ketawatch.store import open_store

    rng = random.Random(seed)
    store = open_store(bench_config(home))
    stamp = CONFIRMED_AT.replace("+00:00", "Z")
    started = time.perf_counter()
    try:
        with store.transaction():
            for i in range(count):
                store.add_subscriber(f"reader{i:05d}@example.org", name=f"Reader {i}",
                                     prefs=subscriber_prefs(rng), confirmed=True, now=stamp)
    finally:
        store.close()
    return {"seconds": time.perf_counter() - started}


# -- the children ---------------------------------------------------------------------------------

def child_render(home: str) -> dict[str, Any]:
    """Select and render every confirmed subscriber's digest of the week; seconds and counts."""
    from digest.prefs import Preferences
    from digest.render import DigestRenderer, digest_message, new_message_id
    from digest.select import Candidates, select_for_subscriber
    from digest.weeks import current_week
    from ketawatch.store import open_store

    config = bench_config(home)
    store = open_store(config)
    week = current_week()
    # what send_week does: the week's candidates are read once and shared by every subscriber
    candidates = Candidates(store, week)
    # and one renderer, which renders each of the week's items once
    renderer = DigestRenderer(config)
    select_s = render_s = 0.0
    rendered = empty = items = shown = size = 0
    started = time.perf_counter()
    try:
        subscribers = store.list_subscribers(status="confirmed")
        for subscriber in subscribers:
            t0 = time.perf_counter()
            prefs = Preferences.from_dict(subscriber.prefs)
            selection = select_for_subscriber(store, subscriber, prefs, week,
                                              base_url=config.base_url, candidates=candidates)
            t1 = time.perf_counter()
            select_s += t1 - t0
            if selection.empty and not prefs.no_news_mail:
                empty += 1
                continue
            data = digest_message(config, subscriber, prefs, selection,
                                  message_id=new_message_id(config, week.label, subscriber.id),
                                  renderer=renderer).as_bytes()
            render_s += time.perf_counter() - t1
            rendered += 1
            items += selection.item_count
            shown += len(selection.warnings) + len(selection.shown)
            size += len(data)
    finally:
        store.close()
    return {"seconds": time.perf_counter() - started, "select_seconds": select_s,
            "render_seconds": render_s, "subscribers": len(subscribers), "rendered": rendered,
            "empty": empty, "mean_items": items / max(1, rendered),
            "mean_shown": shown / max(1, rendered),
            "mean_kb": size / max(1, rendered) / 1024, "week": week.label}


def child_send(home: str, smtp_url: str) -> dict[str, Any]:
    """Send the week's digests with ``digest.send_week`` to the SMTP sink; seconds and counts."""
    from digest import send_week
    from digest.weeks import current_week
    from ketawatch.store import open_store

    config = bench_config(home, smtp_url=smtp_url)
    store = open_store(config)
    try:
        started = time.perf_counter()
        report = send_week(config, store, current_week(), retry_delays=(0.05,))
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"seconds": seconds, "sent": report.count("sent"), "empty": report.count("empty"),
            "failed": len(report.failures), "line": report.line()}


# -- the SMTP sink --------------------------------------------------------------------------------

class SmtpSink:
    """An aiosmtpd server on a free 127.0.0.1 port that accepts and counts every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        """Count the message and accept it (nothing is kept)."""
        with self._lock:
            self.messages += 1
            self.bytes += len(envelope.content or b"")
        return "250 2.0.0 accepted"

    @property
    def url(self) -> str:
        """The KETAWATCH_SMTP_URL of the sink."""
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the parent side ------------------------------------------------------------------------------

def prepare_week(world: BenchWorld) -> tuple[Path, Path, dict[str, Any]]:
    """Two data folders holding the fixture and one week of news: one with every subscriber,
    one with the first ``SEND_SUBSCRIBERS`` of them (for the delivery runs)."""
    from bench.crawl import SPIDERS, _check
    from ketawatch.replay.world import serve_corpus, source_urls
    from ketawatch.sample import second_snapshot

    home = copy_home(world.ensure_fixture(), world.workdir / "digest-week")
    started = time.perf_counter()
    later = second_snapshot(world.corpus, world.seed + 1)
    server = serve_corpus(later)
    info: dict[str, Any] = {}
    try:
        urls = source_urls(server)
        since = world.crawl_until.isoformat()
        until = (world.crawl_until + timedelta(days=7)).isoformat()
        env = clock_env(NEWS_AT)
        pubmed = run_child("bench.crawl:child_pubmed", {"home": str(home), "urls": urls,
                                                        "since": since, "until": until}, env=env)
        _check(pubmed, "PubMed (week's news)")
        info["news_pubmed"] = pubmed.value["new"]
        for spider in SPIDERS:
            result = run_child("bench.crawl:child_spider", {
                "home": str(home), "urls": urls, "spider": spider, "until": until,
                "since": since}, env=env)
            _check(result, f"{spider} (week's news)")
            info[f"news_{spider}"] = result.value["new"]
    finally:
        server.stop()
    info["news_seconds"] = time.perf_counter() - started
    info["snapshot_events"] = len(later.events)
    send_home = copy_home(home, world.workdir / "digest-week-send")
    added = run_child("bench.digest:child_add_subscribers",
                      {"home": str(home), "count": world.subscribers, "seed": world.seed},
                      env=clock_env(CONFIRMED_AT))
    info["subscribers_seconds"] = added.value["seconds"]
    # the same seed: the first subscribers are the same people with the same preferences
    run_child("bench.digest:child_add_subscribers",
              {"home": str(send_home), "count": min(SEND_SUBSCRIBERS, world.subscribers),
               "seed": world.seed}, env=clock_env(CONFIRMED_AT))
    return home, send_home, info


def measure(world: BenchWorld) -> list[Row]:
    """Rendering rows (every run on the same folder) and delivery rows (a fresh copy each)."""
    home, send_home, info = prepare_week(world)
    env = clock_env(SEND_AT)
    renders = [run_child("bench.digest:child_render", {"home": str(home)}, env=env,
                         profile_to=world.profile_path(f"digest-render-{i}"))
               for i in range(world.runs)]
    sends = []
    with SmtpSink() as sink:
        for i in range(world.runs):
            copy = copy_home(send_home, world.workdir / f"digest-send-{i}")
            sends.append(run_child("bench.digest:child_send",
                                   {"home": str(copy), "smtp_url": sink.url}, env=env,
                                   profile_to=world.profile_path(f"digest-send-{i}")))
            shutil.rmtree(copy, ignore_errors=True)
    first = renders[0].value
    news = ", ".join(f"{info.get('news_' + s, 0)} {s}" for s in
                     ("pubmed", "clinicaltrials", "medrxiv", "europepmc"))
    world.notes.append(
        f"digest: week {first['week']}; the week's news crawled in {info['news_seconds']:.0f} s "
        f"(new studies: {news}; the snapshot lists {info['snapshot_events']} changes); "
        f"{world.subscribers:,} subscribers added in {info['subscribers_seconds']:.1f} s")
    sub = f"{first['subscribers']:,} subscribers"
    rows = [
        Row("digest", f"selection + rendering, {sub}", "s",
            [r.value["seconds"] for r in renders], target=60.0,
            target_text="< 60 s for 10,000" if world.subscribers == 10_000 else "< 60 s",
            target_size=None, peak_mb=max(r.peak_mb for r in renders),
            note=f"{first['rendered']:,} digests rendered ({first['empty']:,} empty weeks not "
                 f"mailed), each showing {first['mean_shown']:.1f} items on average "
                 f"({first['mean_items']:.0f} delivered with those over the cap) in "
                 f"{first['mean_kb']:.0f} KB; "
                 f"selection {_mid([r.value['select_seconds'] for r in renders]):.1f} s, "
                 f"rendering {_mid([r.value['render_seconds'] for r in renders]):.1f} s"),
        Row("digest", "  of which selection (select_for_subscriber)", "s",
            [r.value["select_seconds"] for r in renders]),
        Row("digest", "  of which rendering (digest_message().as_bytes())", "s",
            [r.value["render_seconds"] for r in renders]),
        Row("digest", f"delivery to SMTP sink (send_week, {sends[0].value['sent']:,} messages "
            f"to the first {min(SEND_SUBSCRIBERS, world.subscribers):,} subscribers)",
            "msg/s", [r.value["sent"] / r.value["seconds"] for r in sends],
            peak_mb=max(r.peak_mb for r in sends),
            note=f"aiosmtpd on 127.0.0.1, mail rate limit off; {sends[0].value['line']}"),
    ]
    if world.subscribers != 10_000:
        rows[0].target = None
    return rows


def _mid(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0
