"""Parsing PubMed XML alone, against Bio.Entrez's own parser, and the PubMed pipeline by stage.

The same efetch documents (batches of ``BATCH_SIZE`` records, as the crawl asks for them, at
most ``SAMPLE`` records in all: parsing speed does not depend on the corpus size) are read by
``crawlers.pubmed_xml.parse_efetch`` (lxml, to Study records) and by ``Bio.Entrez.read`` (the
baseline: DTD-validating expat parse to nested dicts and lists). The documents carry the real
DOCTYPE (``pubmed_250101.dtd``), which Biopython 1.88 ships, so Entrez reads it offline.

The stage rows split the crawl's time over the first ``STAGE_SAMPLE`` records: parse,
``prepare`` (normalize + tag) and ``store.ingest`` (one transaction per batch, into an empty
store), each in records per second.
"""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path
from typing import Any

from bench.memory import run_child
from bench.table import Row
from bench.world import CRAWLED_AT, BenchWorld, bench_config, clock_env

BATCH_SIZE = 2000
#: the most records the parse benchmark reads
SAMPLE = 10_000
#: the records the stage breakdown runs through (tagging is slow; the rate is what matters)
STAGE_SAMPLE = 2000


def write_documents(world: BenchWorld) -> tuple[list[str], int]:
    """Write the sample's efetch documents to files; returns their paths and the record count."""
    folder = world.workdir / "pubmed-xml"
    folder.mkdir(parents=True, exist_ok=True)
    articles = world.corpus.pubmed[:SAMPLE]
    paths = []
    for n, start in enumerate(range(0, len(articles), BATCH_SIZE)):
        path = folder / f"efetch-{n:03d}.xml"
        path.write_bytes(world.corpus.efetch_document(articles[start:start + BATCH_SIZE]))
        paths.append(str(path))
    return paths, len(articles)


# -- the children ---------------------------------------------------------------------------------

def child_parse(files: list[str], runs: int, parser: str) -> dict[str, Any]:
    """Parse every file ``runs`` times with ``parser`` ("ours" or "entrez"); seconds per run."""
    documents = [Path(f).read_bytes() for f in files]
    if parser == "ours":
        from crawlers.pubmed_xml import parse_efetch

        def parse(doc: bytes) -> int:
            records, errors = parse_efetch(doc)
            return len(records) + len(errors)
    else:
        from Bio import Entrez

        def parse(doc: bytes) -> int:
            result = Entrez.read(io.BytesIO(doc))
            return len(result["PubmedArticle"]) + len(result["PubmedBookArticle"])

    seconds, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        count = sum(parse(doc) for doc in documents)
        seconds.append(time.perf_counter() - started)
    return {"seconds": seconds, "records": count}


def child_stages(files: list[str], home: str, runs: int) -> dict[str, Any]:
    """Parse, prepare and ingest every file, ``runs`` times, into fresh stores; seconds each."""
    from crawlers.prepare import prepare
    from crawlers.pubmed_xml import parse_efetch
    from ketawatch.store import open_store

    documents = [Path(f).read_bytes() for f in files]
    out: dict[str, list[float]] = {"parse": [], "prepare": [], "ingest": []}
    for run in range(runs):
        folder = Path(home) / f"run-{run}"
        store = open_store(bench_config(folder))
        parse_s = prepare_s = ingest_s = 0.0
        try:
            for doc in documents:
                started = time.perf_counter()
                records, _errors = parse_efetch(doc)
                parsed = time.perf_counter()
                prepared = [(prepare(study), raw) for study, raw in records]
                done_prepare = time.perf_counter()
                with store.transaction():
                    store.ingest(prepared)
                finished = time.perf_counter()
                parse_s += parsed - started
                prepare_s += done_prepare - parsed
                ingest_s += finished - done_prepare
        finally:
            store.close()
            shutil.rmtree(folder, ignore_errors=True)
        out["parse"].append(parse_s)
        out["prepare"].append(prepare_s)
        out["ingest"].append(ingest_s)
    return out


# -- the parent side ------------------------------------------------------------------------------

def measure(world: BenchWorld) -> list[Row]:
    """Parse rows (ours vs Bio.Entrez) and the PubMed stage rows."""
    files, count = write_documents(world)
    runs = world.runs
    ours = run_child("bench.parse:child_parse", {"files": files, "runs": runs, "parser": "ours"},
                     profile_to=world.profile_path("parse-ours"))
    entrez = run_child("bench.parse:child_parse",
                       {"files": files, "runs": runs, "parser": "entrez"},
                       profile_to=world.profile_path("parse-entrez"))
    stage_files = files[:max(1, STAGE_SAMPLE // BATCH_SIZE)]
    stage_count = min(count, STAGE_SAMPLE)
    stages = run_child("bench.parse:child_stages",
                       {"files": stage_files, "home": str(world.workdir / "stages"),
                        "runs": runs},
                       env=clock_env(CRAWLED_AT), profile_to=world.profile_path("stages"))
    rows = [Row("parse", f"PubMed efetch XML parse alone ({count:,} records, batches of "
                f"{BATCH_SIZE:,})", "rec/s", [count / s for s in ours.value["seconds"]],
                baseline_name="Bio.Entrez.read",
                baseline=[count / s for s in entrez.value["seconds"]],
                peak_mb=ours.peak_mb, baseline_peak_mb=entrez.peak_mb,
                note="baseline reads the same bytes with the DOCTYPE pubmed_250101.dtd, "
                     "which Biopython ships (no download)")]
    labels = {"parse": "parse_efetch", "prepare": "prepare (normalize + tag)",
              "ingest": "store.ingest (one transaction per batch)"}
    for stage, label in labels.items():
        rows.append(Row("parse", f"PubMed stage: {label} ({stage_count:,} records)", "rec/s",
                        [stage_count / s for s in stages.value[stage]],
                        peak_mb=stages.peak_mb if stage == "ingest" else None))
    return rows
