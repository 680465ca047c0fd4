"""Full index build and incremental update, against a default-settings Whoosh index.

Ours: ``index.build.update_index(config, store, rebuild=True)`` (lean schema, whoosh's
multiprocessing writer from 5,000 studies on) and ``update_index(config, store)`` after 100 new
PubMed studies were stored. The baseline indexes the same studies, read from the same store, into
a plain whoosh ``Schema`` of ``TEXT(stored=True)`` fields (title, abstract, MeSH, authors,
journal and the tags) with whoosh's default single-process writer, and updates it with
``update_document`` for the same 100 studies.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench.memory import run_child
from bench.table import Row
from bench.world import CRAWLED_AT, BenchWorld, bench_config, clock_env, folder_mb

TARGET_SIZE = 100_000


def baseline_schema():
    """The default-settings schema of the baseline: stored TEXT fields and a unique id."""
    from whoosh.fields import ID, TEXT, Schema

    return Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True),
                  abstract=TEXT(stored=True), mesh=TEXT(stored=True),
                  authors=TEXT(stored=True), journal=TEXT(stored=True),
                  tags=TEXT(stored=True), year=TEXT(stored=True))


def baseline_document(stored) -> dict[str, str]:
    """A study as the baseline indexes it."""
    s = stored.study
    tags = [*s.conditions, *s.drugs, *s.routes, s.design or ""]
    return {"id": str(stored.id), "title": s.title or "", "abstract": s.abstract or "",
            "mesh": "; ".join([*s.mesh, *s.keywords, *s.publication_types]),
            "authors": "; ".join(s.authors), "journal": s.journal or "",
            "tags": " ".join(t for t in tags if t), "year": str(s.year or "")}


# -- the children ---------------------------------------------------------------------------------

def child_rebuild(home: str, rebuild: bool = True) -> dict[str, Any]:
    """Rebuild (or bring up to date) our index of the store in ``home``; seconds, documents."""
    from index.build import current_generation, update_index
    from ketawatch.store import open_store

    config = bench_config(home)
    store = open_store(config)
    try:
        stats = update_index(config, store, rebuild=rebuild)
    finally:
        store.close()
    gen = current_generation(Path(config.index_path))
    return {"seconds": stats.seconds, "docs": stats.total,
            "index_mb": folder_mb(gen) if gen else 0.0}


def child_baseline_build(home: str, index_dir: str) -> dict[str, Any]:
    """Build the default-settings whoosh index of the same studies; seconds and documents."""
    from whoosh import index as whoosh_index

    from ketawatch.store import open_store

    folder = Path(index_dir)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    store = open_store(bench_config(home))
    try:
        started = time.perf_counter()
        ix = whoosh_index.create_in(str(folder), baseline_schema())
        writer = ix.writer()
        docs = 0
        for stored in store.iter_studies():
            writer.add_document(**baseline_document(stored))
            docs += 1
        writer.commit()
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"seconds": seconds, "docs": docs, "index_mb": folder_mb(folder)}


def child_incremental(home: str, xml_file: str, baseline_dir: str) -> dict[str, Any]:
    """Store 100 new PubMed studies, then update our index and the baseline's with them."""
    from whoosh import index as whoosh_index

    from crawlers.prepare import prepare
    from crawlers.pubmed_xml import parse_efetch
    from index.build import update_index
    from ketawatch.store import open_store

    config = bench_config(home)
    store = open_store(config)
    try:
        started = time.perf_counter()
        records, _errors = parse_efetch(Path(xml_file).read_bytes())
        with store.transaction():
            result = store.ingest([(prepare(study), raw) for study, raw in records])
        ingest_s = time.perf_counter() - started

        stats = update_index(config, store)

        started = time.perf_counter()
        ix = whoosh_index.open_dir(baseline_dir)
        writer = ix.writer()
        for stored in store.get_studies(sorted(result.study_ids)):
            writer.update_document(**baseline_document(stored))
        writer.commit()
        baseline_s = time.perf_counter() - started
    finally:
        store.close()
    return {"seconds": stats.seconds, "baseline_seconds": baseline_s, "ingest_seconds": ingest_s,
            "new": result.new, "updated": result.updated,
            "indexed": stats.added + stats.updated}


# -- the parent side ------------------------------------------------------------------------------

def build_fixture_index(world: BenchWorld, home: Path) -> None:
    """Build our index in the fixture folder (when the index benchmark did not run); a reused
    fixture's index is only brought up to date (rebuilt if its schema changed)."""
    run_child("bench.index:child_rebuild", {"home": str(home), "rebuild": not world.reuse_fixture},
              env=clock_env(CRAWLED_AT))


def measure(world: BenchWorld) -> list[Row]:
    """Full builds (ours, baseline) and incremental updates, ``runs`` times each."""
    home = world.ensure_fixture()
    env = clock_env(CRAWLED_AT)
    baseline_dir = world.workdir / "baseline-index"
    ours, base = [], []
    for i in range(world.runs):
        ours.append(run_child("bench.index:child_rebuild", {"home": str(home)}, env=env,
                              profile_to=world.profile_path(f"index-rebuild-{i}")))
        base.append(run_child("bench.index:child_baseline_build",
                              {"home": str(home), "index_dir": str(baseline_dir)}, env=env,
                              profile_to=world.profile_path(f"index-baseline-{i}")))
    world.index_ready = True
    docs = ours[0].value["docs"]

    incremental = []
    for i in range(world.runs):
        batch = world.take_held_back()
        if len(batch) < 1:
            break
        path = world.workdir / f"incremental-{i}.xml"
        path.write_bytes(world.corpus.efetch_document(batch))
        incremental.append(run_child(
            "bench.index:child_incremental",
            {"home": str(home), "xml_file": str(path), "baseline_dir": str(baseline_dir)},
            env=env, profile_to=world.profile_path(f"index-incremental-{i}")))

    rows = [
        Row("index", f"full rebuild ({docs:,} studies)", "docs/s",
            [o.value["docs"] / o.value["seconds"] for o in ours],
            baseline_name="default whoosh",
            baseline=[b.value["docs"] / b.value["seconds"] for b in base],
            peak_mb=max(o.peak_mb for o in ours), baseline_peak_mb=max(b.peak_mb for b in base),
            note=f"index size {ours[-1].value['index_mb']:.0f} MB (ours) vs "
                 f"{base[-1].value['index_mb']:.0f} MB (default whoosh, text stored); peak MB "
                 "of ours is the largest of its processes (whoosh writer workers included)"),
        Row("index", f"full rebuild time ({docs:,} studies)", "s",
            [o.value["seconds"] for o in ours], baseline_name="default whoosh",
            baseline=[b.value["seconds"] for b in base], target=120.0,
            target_text="< 2 min at 100k", target_size=TARGET_SIZE),
    ]
    if incremental:
        first = incremental[0].value
        rows.append(Row(
            "index", f"incremental update, {first['new'] + first['updated']} new studies", "s",
            [r.value["seconds"] for r in incremental], baseline_name="default whoosh",
            baseline=[r.value["baseline_seconds"] for r in incremental], target=2.0,
            target_text="< 2 s at 100k", target_size=TARGET_SIZE,
            peak_mb=max(r.peak_mb for r in incremental),
            note=f"{first['new']} stored as new, {first['updated']} merged into studies of other "
                 f"sources; storing them (parse + prepare + ingest) took "
                 f"{_median([r.value['ingest_seconds'] for r in incremental]):.2f} s, not "
                 "counted; peak MB covers both updates"))
    return rows


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0
