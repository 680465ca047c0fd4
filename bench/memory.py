"""Running one measurement in a child process, and reading its peak memory.

Every measured step (a crawl, an index build, a set of searches, ...) runs in a fresh Python
process started by ``run_child``, so its peak resident memory is its own: what the parent holds
(the sample corpus, the replay server, the SMTP sink) does not count. The child reports its peak
itself, when its work is done: the larger of its own ``VmHWM`` (``/proc/self/status``: the high
water mark of the address space it got at exec) and ``getrusage(RUSAGE_CHILDREN).ru_maxrss``
(the largest of its own children: the Scrapy crawl process, whoosh's writer processes; the
largest one, not their sum). The ``ru_maxrss`` that ``os.wait4`` gives the parent cannot be
used: Linux starts a child's figure at the RSS of the process it was spawned from, so every
child would weigh at least as much as the parent holding the corpus.

The child runs ``python -m bench.memory`` with a JSON request on standard input
(``{"func": "bench.index:child_rebuild", "kwargs": {...}}``), calls the function and prints one
line ``BENCH_RESULT {json}`` with what it returned. With ``profile`` set, the call runs under
cProfile and the 25 functions with the highest cumulative time are written to a text file.
"""

from __future__ import annotations

import contextlib
import cProfile
import importlib
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH_RESULT "
#: the folder that holds the ``bench``, ``ketawatch``, ``index``, ... packages
PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: a child that runs longer than this is killed and the benchmark fails
CHILD_TIMEOUT = 4 * 3600


class BenchError(Exception):
    """A measurement could not be taken (the child failed or printed no result)."""


@dataclass
class ChildResult:
    """What one child returned, and what it cost."""

    value: dict[str, Any]
    #: peak resident memory of the child (or of the largest of its children), in MB
    peak_mb: float
    #: CPU seconds (user + system) of the child and its waited-for children
    cpu_s: float
    #: wall seconds from start to exit, interpreter start-up and imports included
    wall_s: float
    profile: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _child_env(env: dict[str, str] | None) -> dict[str, str]:
    merged = dict(os.environ)
    merged.update(env or {})
    merged["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), merged.get("PYTHONPATH", "")) if p)
    # a benchmark must not be slowed down or altered by a developer's debugging settings
    merged.pop("PYTHONTRACEMALLOC", None)
    merged.pop("PYTHONDEVMODE", None)
    return merged


def run_child(func: str, kwargs: dict[str, Any] | None = None, *,
              env: dict[str, str] | None = None, profile_to: Path | None = None,
              timeout: float = CHILD_TIMEOUT) -> ChildResult:
    """Run ``module:function(**kwargs)`` in a fresh process; its return value must be JSON-able.

    Raises BenchError with the end of the child's stderr when it fails.
    """
    request = {"func": func, "kwargs": kwargs or {},
               "profile_to": str(profile_to) if profile_to else None}
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        stdin.write(json.dumps(request).encode("utf-8"))
        stdin.seek(0)
        started = time.perf_counter()
        # Popen without communicate(): os.wait4 must be the one to reap the child, since it
        # alone hands back that child's own CPU time
        proc = subprocess.Popen([sys.executable, "-m", "bench.memory"], stdin=stdin, stdout=out,
                                stderr=err, env=_child_env(env), cwd=str(PROJECT_ROOT))
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                raise BenchError(f"{func} ran longer than {timeout:.0f} s and was stopped")
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    value = peak_kb = None
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            message = json.loads(line[len(RESULT_PREFIX):])
            value, peak_kb = message["value"], message["peak_kb"]
            break
    if proc.returncode != 0 or value is None:
        tail = " | ".join(stderr.strip().splitlines()[-12:]) or "no output"
        raise BenchError(f"{func} failed (exit code {proc.returncode}): {tail}")
    profile = ""
    if profile_to and Path(profile_to).exists():
        profile = Path(profile_to).read_text(encoding="utf-8")
    return ChildResult(value=value, peak_mb=peak_kb / 1024.0,
                       cpu_s=usage.ru_utime + usage.ru_stime, wall_s=wall, profile=profile)


def _call(func: str, kwargs: dict[str, Any], profile_to: str | None) -> Any:
    module_name, _, name = func.partition(":")
    function = getattr(importlib.import_module(module_name), name)
    if not profile_to:
        return function(**kwargs)
    profiler = cProfile.Profile()
    value = profiler.runcall(function, **kwargs)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    Path(profile_to).parent.mkdir(parents=True, exist_ok=True)
    Path(profile_to).write_text(text.getvalue(), encoding="utf-8")
    return value


def peak_kb() -> int:
    """This process's peak resident memory, or its largest child's, in kB."""
    own = 0
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                own = int(line.split()[1])
                break
    if not own:  # not Linux: ru_maxrss (kB on Linux, bytes on macOS; this is a fallback)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> int:
    """Child entry point: read the request, run it, print the result line."""
    request = json.loads(sys.stdin.read())
    value = _call(request["func"], request.get("kwargs") or {}, request.get("profile_to"))
    message = {"value": value, "peak_kb": peak_kb()}
    sys.stdout.write(RESULT_PREFIX + json.dumps(message) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
