"""The benchmark suite keeps working: it runs at a tiny size and prints its table.

These are not timed tests: they check that ``python -m bench`` runs end to end (sample corpus,
replay server, real crawlers, index, FTS5 baseline, digest with an SMTP sink, web server) and
that the table's arithmetic (medians, ratios, percentiles, targets) says what it means.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.fts5 import match_expression
from bench.queries import KINDS, percentile, query_set
from bench.table import Row, render

ROOT = Path(__file__).resolve().parents[1]


def run_bench(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("KETAWATCH_FAKE_NOW", None)
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_the_whole_suite_runs_at_a_tiny_size(tmp_path):
    out = tmp_path / "bench.json"
    proc = run_bench("--size", "200", "--runs", "1", "--subscribers", "20", "--json", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = proc.stdout
    for header in ("area", "measurement", "ours (median)", "baseline (median)", "ratio",
                   "target", "peak MB ours / baseline"):
        assert header in table
    for area in ("crawl", "parse", "index", "search", "digest", "web"):
        assert f"\n{area} " in table, f"no {area} row"
    for baseline in ("Bio.Entrez.read", "default whoosh", "FTS5"):
        assert baseline in table
    data = json.loads(out.read_text(encoding="utf-8"))
    assert not data["failures"]
    rows = {(r["area"], r["what"]): r for r in data["rows"]}
    assert all(r["median"] > 0 for r in rows.values())
    crawl = next(r for (area, what), r in rows.items() if what.startswith("PubMed crawl"))
    assert crawl["peak_mb"] > 10  # a real child process was measured


def test_a_bad_benchmark_name_is_a_usage_error():
    proc = run_bench("--only", "crawl,nonsense", timeout=60)
    assert proc.returncode == 2
    assert "unknown benchmark 'nonsense'" in proc.stderr


def test_ratio_says_how_many_times_better_ours_is_whatever_the_unit():
    faster = Row("index", "rebuild", "s", [10.0, 12.0, 11.0], baseline=[33.0, 30.0, 36.0],
                 baseline_name="default whoosh", target=120.0)
    assert faster.median == 11.0
    assert faster.ratio == pytest.approx(3.0)
    assert faster.target_met is True
    slower = Row("crawl", "pubmed", "rec/s", [200.0], baseline=[400.0], target=2000.0)
    assert slower.ratio == pytest.approx(0.5)
    assert slower.target_met is False


def test_a_target_set_for_100k_is_not_judged_at_10k():
    row = Row("search", "p95", "ms", [70.0], target=50.0, target_size=100_000, size=10_000)
    assert row.target_met is None
    text = render([row], title="t")
    assert "not judged at this size" in text
    row.size = 100_000
    assert row.target_met is False
    assert "MISSED" in render([row], title="t")


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0


def test_every_measured_query_is_distinct_and_never_a_warmup_query():
    queries = query_set()
    seen = set()
    for kind in (*KINDS, "warmup"):
        for q in queries[kind]:
            key = (q["q"], json.dumps(q["filters"], sort_keys=True), q["facets"])
            assert key not in seen
            seen.add(key)
    assert all(len(q["filters"]) == 2 for q in queries["filters"] + queries["full"])
    assert all(q["facets"] and q["highlight"] for q in queries["full"])


def test_fts5_expression_keeps_phrases_and_neutralizes_operators():
    assert match_expression('esketamine "suicidal ideation"') == (
        '{title mesh abstract} : ("esketamine" "suicidal ideation")')
    assert match_expression("ketamine NOT depression", mode="or") == (
        '{title mesh abstract} : ("ketamine" OR "NOT" OR "depression")')
