"""``ketawatch demo --no-serve``: the whole job offline on built-in sample data."""

from __future__ import annotations

import os
import subprocess
import sys


def _demo(cwd, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETAWATCH_")}
    return subprocess.run([sys.executable, "-m", "ketawatch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_demo_crawls_all_four_sources_indexes_and_builds_the_digest(tmp_path):
    result = _demo(tmp_path, "demo", "--no-serve", "--size", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for source in ("pubmed", "clinicaltrials", "medrxiv", "europepmc", "crossref"):
        assert f"{source}: ok" in out
    assert "index: " in out and "digest 20" in out
    assert 'search "esketamine suicidal ideation"' in out
    home = tmp_path / "ketawatch-demo"
    assert (home / "ketawatch.sqlite3").exists()
    assert list((home / "digests").glob("*.html"))
    # a second demo starts afresh in its own folder
    again = _demo(tmp_path, "demo", "--no-serve", "--size", "60")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count(" new,") >= 4


def test_demo_refuses_a_folder_holding_other_data(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = _demo(tmp_path, "--home", str(tmp_path), "demo", "--no-serve")
    assert result.returncode == 2
    assert "not a KetaWatch demo" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"
