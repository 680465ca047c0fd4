"""Running the benchmarks in order and assembling the table."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.memory import BenchError
from bench.table import Row, render
from bench.world import BenchWorld

#: benchmark name -> module; run in this order (crawl fills the fixture the others read)
BENCHMARKS = {"crawl": "bench.crawl", "parse": "bench.parse", "index": "bench.index",
              "search": "bench.search", "digest": "bench.digest", "web": "bench.web"}


@dataclass
class Options:
    """What ``python -m bench`` was asked to do."""

    size: int = 10_000
    runs: int = 3
    only: list[str] = field(default_factory=lambda: list(BENCHMARKS))
    seed: int = 20261126
    subscribers: int = 10_000
    workdir: Path | None = None
    keep: bool = False
    reuse_fixture: bool = False
    json_path: Path | None = None
    out_path: Path | None = None
    profile_dir: Path | None = None


@dataclass
class SuiteResult:
    """The rows, the printed table and what failed."""

    rows: list[Row]
    text: str
    failures: dict[str, str]
    header: dict[str, Any]


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"{one:.2f} (1 min) / {five:.2f} (5 min)"
    except OSError:
        return "unknown"


def run_suite(options: Options, *, out=sys.stdout) -> SuiteResult:
    """Run the chosen benchmarks; print progress to ``out``; return the table."""
    import importlib

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="ketawatch-bench-"))
    started = time.perf_counter()
    load_before = _load()
    world = BenchWorld(size=options.size, seed=options.seed, runs=options.runs, workdir=workdir,
                       subscribers=options.subscribers, profile=options.profile_dir is not None,
                       reuse_fixture=options.reuse_fixture)
    rows: list[Row] = []
    failures: dict[str, str] = {}
    seconds: dict[str, float] = {}
    try:
        print(f"bench: generating {options.size:,} studies (seed {options.seed}) in {workdir}",
              file=out, flush=True)
        world.start()
        for name, module_name in BENCHMARKS.items():
            if name not in options.only:
                continue
            print(f"bench: {name} ...", file=out, flush=True)
            t0 = time.perf_counter()
            try:
                new_rows = importlib.import_module(module_name).measure(world)
            except Exception as exc:  # one broken benchmark must not lose the others' figures
                failures[name] = f"{type(exc).__name__}: {exc}"
                print(f"bench: {name} FAILED: {exc}", file=out, flush=True)
                if not isinstance(exc, BenchError):
                    traceback.print_exc(file=out)
                continue
            finally:
                seconds[name] = time.perf_counter() - t0
            for row in new_rows:
                row.size = options.size
            rows += new_rows
            print(f"bench: {name} done in {seconds[name]:.0f} s", file=out, flush=True)
            if options.out_path:  # a long run that dies later keeps what it measured
                _write_out(options, rows, world, failures, load_before, started, seconds)
    finally:
        world.stop()
        if options.profile_dir and (workdir / "profiles").exists():
            shutil.copytree(workdir / "profiles", options.profile_dir, dirs_exist_ok=True)
        if not options.keep and options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return _write_out(options, rows, world, failures, load_before, started, seconds)


def _write_out(options: Options, rows: list[Row], world: BenchWorld, failures: dict[str, str],
               load_before: str, started: float, seconds: dict[str, float]) -> SuiteResult:
    """Render the table (and write the --out and --json files) from what was measured so far."""
    header = _header(options, world, load_before, time.perf_counter() - started, seconds)
    lines = [f"{key}: {value}" for key, value in header.items()]
    notes = list(world.notes)
    notes += [f"{name} FAILED: {why}" for name, why in failures.items()]
    title = (f"KetaWatch benchmarks: {options.size:,} studies, median of {options.runs} "
             f"run{'s' if options.runs != 1 else ''}")
    text = render(rows, title=title, header_lines=lines, notes=notes)
    if options.out_path:
        options.out_path.parent.mkdir(parents=True, exist_ok=True)
        options.out_path.write_text(text, encoding="utf-8")
    if options.json_path:
        options.json_path.write_text(json.dumps(
            {"header": header, "rows": [r.to_dict() for r in rows], "failures": failures,
             "notes": notes}, indent=1) + "\n", encoding="utf-8")
    return SuiteResult(rows, text, failures, header)


def _header(options: Options, world: BenchWorld, load_before: str, total: float,
            seconds: dict[str, float]) -> dict[str, Any]:
    corpus = world.corpus
    header: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Python "
                   f"{platform.python_version()}, SQLite {_sqlite_version()}",
        "load average": f"{load_before} before, {_load()} after (other processes share "
                        "this machine: wall times include their contention)",
        "runs": options.runs, "seed": options.seed,
    }
    if options.profile_dir:
        header["profiled"] = (f"every step ran under cProfile (top functions in "
                              f"{options.profile_dir}): its times are inflated, compare them "
                              "only with each other")
    if corpus is not None:
        served = world.served_counts()
        header["corpus"] = (f"{len(corpus.truth):,} underlying studies; served: "
                            + ", ".join(f"{v:,} {k}" for k, v in served.items())
                            + f"; {len(world.held_back)} PubMed records held back for the "
                              "incremental update")
    if world.fixture_counts:
        header["fixture store"] = ", ".join(f"{v:,} from {k}"
                                            for k, v in world.fixture_counts.items())
    header["suite time"] = (f"{total:.0f} s ("
                            + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
                            + ", setup " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                                     world.setup_seconds.items()) + ")")
    return header


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version
