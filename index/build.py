"""Building and updating the Whoosh index from the store (SQLite is the source of truth).

Layout of the index folder (``config.index_path``)::

    index/
      CURRENT          name of the live generation folder (replaced atomically)
      WRITE_LOCK       whoosh file lock held by whoever writes (one writer at a time)
      g-<stamp>/       one generation: whoosh files + ketawatch.json {schema, indexed_rev}

An incremental update writes into the live generation. A rebuild writes a fresh generation and
then points CURRENT at it, so searches keep working on the old one meanwhile; from
``MULTIPROC_MIN_DOCS`` studies on, two worker processes each index half of the studies into
segments of ``CHUNK_DOCS`` studies, which are then joined into one index. A missing, corrupt or
outdated generation (another schema version, another store) is rebuilt from the store.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import os
import shutil
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.util.filelock import try_for

from index.schema import SCHEMA_VERSION, build_schema, document
from ketawatch.clock import now
from ketawatch.errors import KetaWatchError, LockedError

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
MARKER_FILE = "ketawatch.json"
LOCK_NAME = "WRITE_LOCK"
#: how long a second writer waits for the first one before giving up
LOCK_TIMEOUT = 3.0
#: below this many studies one process is faster than starting workers
MULTIPROC_MIN_DOCS = 5000
#: most worker processes of a rebuild
MAX_PROCS = 2
#: writer memory per process for a full rebuild (MB), and studies per segment written
LIMIT_MB = 256
CHUNK_DOCS = 10_000


@dataclass
class IndexStats:
    """What one ``update_index`` did."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    #: documents in the index afterwards
    total: int = 0
    #: store revision the index now reflects
    indexed_rev: int = 0
    #: why a rebuild happened ("asked", "missing", "corrupt", "schema changed", ...)
    reason: str = ""

    def line(self) -> str:
        """One line saying what happened, for the CLI and logs."""
        what = f"rebuilt ({self.reason})" if self.rebuilt else "updated"
        return (f"index {what}: {self.added} added, {self.updated} updated, "
                f"{self.deleted} deleted; {self.total} studies indexed in {self.seconds:.2f} s")


# -- folder layout ------------------------------------------------------------------------------

def current_generation(root: Path) -> Path | None:
    """The live generation folder, or None when there is no index yet."""
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    path = root / name
    return path if path.is_dir() else None


def read_marker(gen: Path) -> dict:
    """The generation's own record of schema version and indexed store revision ({} if none)."""
    try:
        return json.loads((gen / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_marker(gen: Path, rev: int) -> None:
    _write_atomic(gen / MARKER_FILE, json.dumps({"schema": SCHEMA_VERSION, "indexed_rev": rev}))


def index_exists(config) -> bool:
    """True when the data folder holds a live index generation."""
    return current_generation(Path(config.index_path)) is not None


# -- the public entry point ---------------------------------------------------------------------

def update_index(config, store, *, rebuild: bool = False) -> IndexStats:
    """Bring the index up to date with the store; returns what was done.

    Incremental by default (studies changed since the indexed revision are re-indexed, studies
    merged into others are deleted); ``rebuild=True`` writes a fresh index and swaps it in.
    Raises LockedError when another writer holds the index for longer than a few seconds.
    """
    started = time.perf_counter()
    root = Path(config.index_path)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileStorage(str(root)).lock(LOCK_NAME)
    if not try_for(lock.acquire, timeout=LOCK_TIMEOUT, delay=0.05):
        raise LockedError(f"another ketawatch process is writing the search index at {root}; "
                          "try again when it has finished")
    try:
        reason = "asked" if rebuild else _rebuild_reason(root, store)
        if reason:
            stats = _rebuild(root, store)
            stats.reason = reason
        else:
            stats = _incremental(current_generation(root), store)
    finally:
        lock.release()
    store.set_meta("indexed_rev", str(stats.indexed_rev))
    stats.seconds = time.perf_counter() - started
    log.info(stats.line())
    return stats


def _rebuild_reason(root: Path, store) -> str:
    """Why the live generation cannot be updated in place ("" when it can)."""
    gen = current_generation(root)
    if gen is None:
        return "missing"
    marker = read_marker(gen)
    if marker.get("schema") != SCHEMA_VERSION:
        return "schema changed"
    if int(marker.get("indexed_rev", -1)) > store.rev:
        # an index of another (or restored) store: it cannot be patched from revisions
        return "index newer than store"
    problem = unreadable(gen)
    if problem:
        log.warning("search index at %s is unreadable (%s); rebuilding it", gen, problem)
        return "corrupt"
    return ""


def unreadable(gen: Path) -> str | None:
    """Why a generation cannot be read, or None when it can."""
    # whoosh leaves the file open when it fails to parse a damaged table of contents: the
    # exception is dropped here so the file closes at once, and its ResourceWarning (which
    # says nothing useful to an operator) is silenced
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        problem = None
        try:
            ix = whoosh_index.open_dir(str(gen))
            with ix.searcher() as searcher:
                searcher.doc_count()
        except Exception as exc:  # noqa: BLE001 - a damaged index raises many kinds of errors
            problem = f"{type(exc).__name__}: {exc}"
        gc.collect()
    return problem


# -- incremental update ---------------------------------------------------------------------------

def _incremental(gen: Path, store) -> IndexStats:
    """Re-index studies changed after the generation's revision; delete merged-away ones."""
    stats = IndexStats()
    since = int(read_marker(gen).get("indexed_rev", 0))
    target_rev = store.rev
    ix = whoosh_index.open_dir(str(gen))
    merged_away = store.merged_away_since(since)
    changed = list(store.iter_studies(since_rev=since))
    if merged_away or changed:
        with ix.searcher() as searcher:
            present = {sid for sid in {str(s.id) for s in changed} | {str(i) for i in merged_away}
                       if searcher.document_number(id=sid) is not None}
        try:
            writer = ix.writer(timeout=LOCK_TIMEOUT)
        except whoosh_index.LockError as exc:
            raise LockedError(f"the search index at {gen} is locked by another writer") from exc
        try:
            for sid in merged_away:
                if str(sid) in present:
                    writer.delete_by_term("id", str(sid))
                    stats.deleted += 1
            for stored in changed:
                writer.update_document(**document(stored))
                if str(stored.id) in present:
                    stats.updated += 1
                else:
                    stats.added += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    _write_marker(gen, target_rev)
    stats.indexed_rev = target_rev
    with ix.searcher() as searcher:
        stats.total = searcher.doc_count()
    return stats


# -- full rebuild ---------------------------------------------------------------------------------

def _rebuild(root: Path, store) -> IndexStats:
    """Index every study into a fresh generation, then make it the live one."""
    stats = IndexStats(rebuilt=True)
    target_rev = store.rev
    count = store.count_studies()
    gen = root / f"g-{now().strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    try:
        procs = min(MAX_PROCS, os.cpu_count() or 1) if count >= MULTIPROC_MIN_DOCS else 1
        if procs > 1:
            stats.added = _build_parallel(gen, store.path, procs)
        else:
            stats.added = _build_part(gen, store.path, 0, 1)
        _write_marker(gen, target_rev)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    previous = current_generation(root)
    _write_atomic(root / CURRENT_FILE, gen.name)
    _remove_old_generations(root, keep={gen.name, previous.name if previous else ""})
    stats.indexed_rev = target_rev
    stats.total = stats.added
    return stats


def _build_part(folder: Path, db_path: Path, part: int, parts: int) -> int:
    """Index the studies whose id falls in ``part`` of ``parts`` into a new index in ``folder``.

    Runs in a worker process for parallel rebuilds, so it opens its own store connection.
    """
    from ketawatch.store import Store

    ix = whoosh_index.create_in(str(folder), build_schema())
    added = 0
    writer = None
    with Store(db_path) as store:
        try:
            for stored in store.iter_studies():
                if stored.id % parts != part:
                    continue
                if writer is None:
                    writer = ix.writer(limitmb=LIMIT_MB)
                writer.add_document(**document(stored))
                added += 1
                if added % CHUNK_DOCS == 0:
                    # one segment per chunk: whoosh sorts a chunk's postings in memory, where a
                    # bigger batch would spill them to disk one pickle at a time (3x slower)
                    writer.commit(merge=False)
                    writer = None
        except BaseException:
            if writer is not None:
                writer.cancel()
            raise
        if writer is not None:
            writer.commit(merge=False)
    return added


def _build_parallel(gen: Path, db_path: Path, procs: int) -> int:
    """Index into ``procs`` worker processes' own indexes, then join their segments in ``gen``.

    whoosh's own multiprocessing writer spends more time passing documents between processes
    than it saves; here each worker reads the store itself and writes whole segments, and the
    segments are moved into one index with a table of contents listing them all.
    """
    parts = [gen / f"part-{i}" for i in range(procs)]
    for folder in parts:
        folder.mkdir()
    # fork where there is one: "spawn" would re-run an unguarded calling script; the worker
    # touches nothing inherited (it opens its own store connection)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=procs, mp_context=context) as pool:
        futures = [pool.submit(_build_part, folder, db_path, i, procs)
                   for i, folder in enumerate(parts)]
        try:
            added = sum(f.result() for f in futures)
        except BrokenProcessPool as exc:
            raise KetaWatchError(f"an indexing worker process died ({exc}); the live index "
                                 "is unchanged") from exc
    storage = FileStorage(str(gen))
    schema = build_schema()
    whoosh_index.create_in(str(gen), schema)
    segments = []
    for folder in parts:
        part_storage = FileStorage(str(folder))
        for segment in whoosh_index.open_dir(str(folder))._segments():
            for name in segment.list_files(part_storage):
                os.replace(folder / name, gen / name)
            segments.append(segment)
        shutil.rmtree(folder)
    TOC(schema, segments, 1).write(storage, whoosh_index._DEF_INDEX_NAME)
    whoosh_index.clean_files(storage, whoosh_index._DEF_INDEX_NAME, 1, segments)
    return added


def _remove_old_generations(root: Path, keep: set[str]) -> None:
    """Delete generations other than the live one and the one it replaced.

    The replaced one stays until the next rebuild, so a process that read CURRENT just before
    the swap can still open it.
    """
    for child in root.iterdir():
        if child.is_dir() and child.name.startswith("g-") and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def require_index(config) -> Path:
    """The live generation folder; raises KetaWatchError telling how to build one."""
    gen = current_generation(Path(config.index_path))
    if gen is None:
        raise KetaWatchError(f"there is no search index in {config.index_path}: "
                             "run `ketawatch index` to build it")
    return gen
