"""Running one Scrapy spider as a crawl job: one child process per crawl, one result line back.

Twisted's reactor can start only once per process, and a crawl job must never take the calling
process down with it, so every spider runs in its own process::

    python -m crawlers.scrapy_job clinicaltrials --home DIR --since 2026-01-01 --until 2026-01-08 \
        --config-stdin < config-values.json

The child runs ``CrawlerProcess`` with ``crawlers.settings.scrapy_settings(config)``; items go
through the pipelines (validate, normalize, tag, store) into the store, and the child prints
one line ``KETAWATCH_RESULT {json}`` with new, updated, unchanged, failed, errors and the
touched study ids. The parent (``crawl_with_scrapy``) reads it; a child that crashes, prints
nothing or runs past its timeout becomes a failed ``SourceResult``: the job never raises.

The configuration travels on standard input, not the command line, so that overrides (the demo
and tests point the base URLs at a replay server) reach the child and secrets never show in
``ps``. The window's end is saved as the source's ``last_until`` only when the crawl had no
failure, so the next run covers a failed window again.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from crawlers.results import SourceResult
from ketawatch.clock import now

log = logging.getLogger(__name__)

RESULT_PREFIX = "KETAWATCH_RESULT "
#: a crawl that runs longer than this is stopped and reported as failed
DEFAULT_TIMEOUT = 3600.0
#: the folder that holds the ``crawlers`` and ``ketawatch`` packages
PROJECT_ROOT = Path(__file__).resolve().parents[1]


# -- the parent side ---------------------------------------------------------------------------

def crawl_window(store, source: str, since: date | None,
                 until: date | None) -> tuple[date | None, date]:
    """The window to crawl: from ``since`` (or the end of the last good run) to ``until``/today.

    ``since`` stays None for a source never crawled: its spider then fetches everything.
    """
    if since is None:
        state = store.crawl_state(source)
        if state.last_until:
            since = date.fromisoformat(state.last_until)
    return since, until or now().date()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # the child must import this very code, installed or not
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def parse_result_line(source: str, stdout: str) -> SourceResult | None:
    """The SourceResult of the child's result line, or None when it printed none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            try:
                data = json.loads(line[len(RESULT_PREFIX):])
            except json.JSONDecodeError:
                return None
            return SourceResult(
                source, new=int(data.get("new", 0)), updated=int(data.get("updated", 0)),
                unchanged=int(data.get("unchanged", 0)), failed=int(data.get("failed", 0)),
                errors=[str(e) for e in data.get("errors", [])],
                study_ids={int(i) for i in data.get("study_ids", [])})
    return None


def crawl_with_scrapy(config, store, spider_name: str, *, since: date | None = None,
                      until: date | None = None, timeout: float = DEFAULT_TIMEOUT,
                      source: str | None = None) -> SourceResult:
    """Run one spider in a child process and return what it did; never raises.

    ``source`` names the crawl state and the result (the spider's name by default). The
    window's end becomes the source's ``last_until`` only when nothing failed.
    """
    source = source or spider_name
    started = time.monotonic()
    try:
        since, until = crawl_window(store, source, since, until)
    except Exception as exc:  # noqa: BLE001 - a job never raises; the result says what broke
        return SourceResult(source, errors=[f"cannot read the crawl state: {exc}"])
    cmd = [sys.executable, "-m", "crawlers.scrapy_job", spider_name,
           "--home", str(config.home), "--until", until.isoformat(), "--config-stdin"]
    if since is not None:
        cmd += ["--since", since.isoformat()]
    try:
        proc = subprocess.run(cmd, input=json.dumps(config.values, default=str),
                              capture_output=True, text=True, timeout=timeout,
                              env=_child_env(), cwd=str(PROJECT_ROOT), check=False)
    except subprocess.TimeoutExpired:
        return SourceResult(source, failed=1, seconds=time.monotonic() - started,
                            errors=[f"crawl of {spider_name} timed out after {timeout:.0f}s"])
    except OSError as exc:
        return SourceResult(source, errors=[f"cannot start the crawl of {spider_name}: {exc}"],
                            seconds=time.monotonic() - started)
    result = parse_result_line(source, proc.stdout)
    if proc.stderr.strip():
        log.debug("crawl of %s said: %s", spider_name, proc.stderr.strip())
    if result is None:
        detail = _tail(proc.stderr) or "no output"
        result = SourceResult(source, failed=1, errors=[
            f"crawl of {spider_name} ended with exit code {proc.returncode} "
            f"and no result: {detail}"])
    elif proc.returncode != 0 and result.ok:
        result.errors.append(f"crawl of {spider_name} ended with exit code {proc.returncode}")
    result.seconds = time.monotonic() - started
    if result.ok:
        try:
            state = store.crawl_state(source)
            state.last_until = until.isoformat()
            state.cursor = None
            state.data = {"window": [since.isoformat() if since else None, until.isoformat()]}
            store.save_crawl_state(state)
        except Exception as exc:  # noqa: BLE001 - the records are stored; say the state is not
            result.errors.append(f"cannot save the crawl state: {exc}")
    return result


def crawl_clinicaltrials(config, store, *, since: date | None = None,
                         until: date | None = None) -> SourceResult:
    """The ClinicalTrials.gov crawl job (``SOURCE_JOBS["clinicaltrials"]``)."""
    return crawl_with_scrapy(config, store, "clinicaltrials", since=since, until=until)


def crawl_medrxiv(config, store, *, since: date | None = None,
                  until: date | None = None) -> SourceResult:
    """The medRxiv crawl job (``SOURCE_JOBS["medrxiv"]``)."""
    return crawl_with_scrapy(config, store, "medrxiv", since=since, until=until)


def crawl_europepmc(config, store, *, since: date | None = None,
                    until: date | None = None) -> SourceResult:
    """The Europe PMC crawl job (``SOURCE_JOBS["europepmc"]``)."""
    return crawl_with_scrapy(config, store, "europepmc", since=since, until=until)


# -- the child side ----------------------------------------------------------------------------

def result_from_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The result line's fields from a finished crawl's stats."""
    from crawlers.failures import ERRORS, FAILURE_STATS
    from crawlers.pipelines.store import EVENTS, NEW, STUDY_IDS, UNCHANGED, UPDATED

    errors = list(stats.get(ERRORS) or [])
    failed = sum(int(stats.get(key) or 0) for key in FAILURE_STATS)
    reason = stats.get("finish_reason")
    if reason is None:
        errors.append("the crawl did not run (see the log for why)")
    elif reason != "finished":
        errors.append(f"the crawl ended early: {reason}")
    return {
        "new": int(stats.get(NEW) or 0), "updated": int(stats.get(UPDATED) or 0),
        "unchanged": int(stats.get(UNCHANGED) or 0), "failed": failed, "errors": errors,
        "events": int(stats.get(EVENTS) or 0), "study_ids": list(stats.get(STUDY_IDS) or []),
        "requests": int(stats.get("downloader/request_count") or 0),
        "retries": int(stats.get("retry/count") or 0),
    }


def run_spider(config, spider_name: str, *, since: str | None, until: str | None) -> dict:
    """Run one spider in this process (the reactor starts here) and return its result fields."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import scrapy_settings

    process = CrawlerProcess(scrapy_settings(config))
    crawler = process.create_crawler(spider_name)
    crashed: list[str] = []
    done = process.crawl(crawler, config=config, since=since, until=until)
    # a spider that cannot start (a bad argument, a broken __init__) fails this deferred
    done.addErrback(lambda failure: crashed.append(
        f"{failure.type.__name__}: {failure.value}"))
    process.start()
    # the private attribute: the public one raises when the crawl never started
    stats = dict(crawler._stats.get_stats()) if crawler._stats is not None else {}
    result = result_from_stats(stats)
    if crashed:
        result["errors"] = crashed + [e for e in result["errors"] if "did not run" not in e]
        result["failed"] = max(1, result["failed"])
    return result


def _read_config(args):
    from ketawatch.config import Config, load_config

    if args.config_stdin:
        values = json.loads(sys.stdin.read() or "{}")
        if args.home:
            values["home"] = args.home
        return Config(values=values)
    return load_config(args.home)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child process: crawl, print the result line, exit 0 (1 on a crash)."""
    parser = argparse.ArgumentParser(prog="python -m crawlers.scrapy_job",
                                     description="Run one KetaWatch spider (one per process).")
    parser.add_argument("spider")
    parser.add_argument("--home")
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--config-stdin", action="store_true",
                        help="read the configuration values as JSON from standard input")
    args = parser.parse_args(argv)
    try:
        config = _read_config(args)
        result = run_spider(config, args.spider, since=args.since, until=args.until)
        code = 0
    except Exception as exc:  # noqa: BLE001 - the parent needs a result line whatever happened
        result = {"new": 0, "updated": 0, "unchanged": 0, "failed": 1,
                  "errors": [f"{type(exc).__name__}: {exc}"], "study_ids": []}
        code = 1
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
