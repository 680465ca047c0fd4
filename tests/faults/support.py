"""Helpers shared by the fault, crash, concurrency and property suites.

- ``FaultWorld``: one sample corpus served by the replay server, fresh handlers per test, a
  configuration that points every source at the server, and crawls that run the real jobs.
- ``snapshot`` / ``check_consistent``: what a store holds, record by record, compared with what
  a crawl that met no fault stored (no half record, nothing foreign).
- ``Recorder`` / ``PageFault``: what the replay server delivered intact and what it spoiled, so a
  test can say which records a crawl must have kept.
- ``bounded``: a wall-clock bound on a call in the main thread (a hang fails the test).
- ``FIGURES``: counts of faults injected, crashes survived and inputs tried, printed at the end
  of the run (see ``conftest.pytest_terminal_summary``) and quoted in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from crawlers.europepmc_json import is_medrxiv
from crawlers.medrxiv_json import load_raw
from crawlers.prepare import prepare
from crawlers.pubmed import PubMedClient
from crawlers.pubmed_job import crawl_pubmed
from crawlers.pubmed_xml import parse_efetch
from crawlers.results import SourceResult
from crawlers.scrapy_job import crawl_with_scrapy
from ketawatch.config import load_config
from ketawatch.replay.ctgov import ClinicalTrialsHandler
from ketawatch.replay.europepmc import EuropePMCHandler
from ketawatch.replay.medrxiv import MedrxivHandler
from ketawatch.replay.server import Fault, ReplayServer, Request, Response
from ketawatch.replay.world import PREFIXES, handlers_for, source_urls
from ketawatch.sample import SampleCorpus, generate
from ketawatch.store import open_store

#: set by conftest from ``--long``
LONG = False

#: the project root (the folder holding ``ketawatch/``) and this folder
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: a folder whose ``sitecustomize`` gives the Scrapy child a short download timeout
SCRAPY_SHIM = HERE / "scrapy_shim"

SOURCES = ("pubmed", "clinicaltrials", "medrxiv", "europepmc")
SCRAPY_SOURCES = ("clinicaltrials", "medrxiv", "europepmc")
#: small pages, so that every crawl reads several and a fault can hit one in the middle
PUBMED_BATCH = 10
CTGOV_PAGE = 3
MEDRXIV_PAGE = 10
EUROPEPMC_PAGE = 3
#: client timeouts in the fault tests (seconds); a slow answer sleeps well past them
CLIENT_TIMEOUT = 2.0
#: a Scrapy crawl child that runs longer than this is a hang
CRAWL_TIMEOUT = 120.0

_LOCK = threading.Lock()
FIGURES: Counter[str] = Counter()


def count(name: str, n: int = 1) -> None:
    """Add to one of the run's figures (thread-safe)."""
    with _LOCK:
        FIGURES[name] += n


def scaled(default: int, long: int) -> int:
    """``long`` under ``pytest --long``, else ``default``."""
    return long if LONG else default


# -- the corpus and the world -----------------------------------------------------------------


def extra_preprints(count_: int) -> list[dict[str, Any]]:
    """Europe PMC preprint records (not medRxiv, about ketamine in psychiatry) for paging.

    The sample world has only a few such preprints; these are copies of them under ids and DOIs
    of their own (``PPR95xxxxx``, ``10.21203/rs.3.rs-95xxxxx/v1``), so that a Europe PMC crawl
    reads several pages of records it keeps.
    """
    templates = [r for r in generate(200).europepmc
                 if r.get("source") == "PPR" and not is_medrxiv(r)]
    out = []
    for i in range(count_):
        record = copy.deepcopy(templates[i % len(templates)])
        record.pop("versionList", None)
        record["id"] = f"PPR95{i:05d}"
        record["doi"] = f"10.21203/rs.3.rs-95{i:05d}/v1"
        record["title"] = str(record.get("title", "")).rstrip(".") + f" (replicate {i + 1})."
        out.append(record)
    return out


class PageCap:
    """Wraps a handler so that it serves pages of at most ``size`` records (``pageSize``)."""

    def __init__(self, handler, size: int, param: str = "pageSize"):
        self.handler = handler
        self.size = size
        self.param = param

    def handle(self, request: Request) -> Response:
        """Answer as the wrapped handler would for a smaller page size."""
        query = dict(request.query)
        query[self.param] = [str(self.size)]
        return self.handler.handle(dataclasses.replace(request, query=query))


class Recorder:
    """Wraps a handler and keeps every (request, response) it answered."""

    def __init__(self, handler):
        self.handler = handler
        self.answers: list[tuple[Request, Response]] = []
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        """Answer through the wrapped handler and remember the answer."""
        response = self.handler.handle(request)
        with self._lock:
            self.answers.append((request, response))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handler, name)


class FaultWorld:
    """The corpus of the fault tests and everything needed to crawl it."""

    def __init__(self, size: int = 60):
        self.corpus = generate(size)
        self.until = self.corpus.end_date
        self.europepmc = list(self.corpus.europepmc) + extra_preprints(10)
        self._baselines: dict[str, dict] = {}

    def handlers(self) -> dict[str, Recorder]:
        """Fresh handlers (their own WebEnv history and page tokens), each recorded."""
        handlers = handlers_for(self.corpus)
        handlers[PREFIXES["clinicaltrials_url"]] = ClinicalTrialsHandler(
            self.corpus.clinicaltrials, page_size_max=CTGOV_PAGE)
        handlers[PREFIXES["medrxiv_url"]] = MedrxivHandler(self.corpus.medrxiv,
                                                           page_size=MEDRXIV_PAGE)
        handlers[PREFIXES["europepmc_url"]] = PageCap(EuropePMCHandler(self.europepmc),
                                                      EUROPEPMC_PAGE)
        return {prefix: Recorder(h) for prefix, h in handlers.items()}

    def config(self, home: Path, server: ReplayServer):
        """A configuration whose sources are all on the replay server."""
        # a (fake) NCBI key lets Bio.Entrez pace requests at 10/s instead of 3/s
        return load_config(home=home, env={}).with_overrides(
            **source_urls(server), request_delay=0.0, ncbi_api_key="fault-tests")

    def crawl(self, source: str, config, store) -> SourceResult:
        """Crawl one source with the job the CLI runs (small pages, short timeouts)."""
        if source == "pubmed":
            client = PubMedClient(config, timeout=CLIENT_TIMEOUT, max_tries=3,
                                  sleep_between_tries=0.05)
            return crawl_pubmed(config, store, until=self.until, batch_size=PUBMED_BATCH,
                                client=client)
        return crawl_with_scrapy(config, store, source, until=self.until, timeout=CRAWL_TIMEOUT)

    def baseline(self, source: str, home: Path) -> dict:
        """What a crawl of ``source`` that met no fault stores (computed once)."""
        with _LOCK:
            if source in self._baselines:
                return self._baselines[source]
        with ReplayServer(self.handlers()) as server:
            config = self.config(home, server)
            with open_store(config) as store:
                result = self.crawl(source, config, store)
                assert result.ok, f"the fault-free crawl of {source} failed: {result.line()}"
                snap = snapshot(store)
        assert snap, f"the fault-free crawl of {source} stored nothing"
        with _LOCK:
            self._baselines[source] = snap
        return snap


# -- what a store holds ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Held:
    """One stored source record: its raw text and the export of the study it belongs to."""

    raw: str | None
    export: str


def snapshot(store) -> dict[tuple[str, str], Held]:
    """Every source record in the store: (source, source_id) -> raw text and study export.

    The export leaves out what depends on when or in which order records arrived (ids and
    timestamps), so that two stores holding the same records compare equal.
    """
    out: dict[tuple[str, str], Held] = {}
    for stored in store.iter_studies(with_sources=True):
        export = stored.to_export()
        export.pop("id", None)
        export.pop("first_seen", None)
        export["sources"] = sorted([s["source"], s["source_id"]] for s in export["sources"])
        text = json.dumps(export, sort_keys=True, default=str)
        for src in stored.sources:
            key = (src["source"], src["source_id"])
            out[key] = Held(store.raw_record(*key), text)
    return out


def check_consistent(held: dict, baseline: dict, *, where: str = "",
                     compare_studies: bool = True) -> None:
    """Assert that every stored record is a whole record a fault-free crawl also stored.

    A medRxiv preprint may hold fewer versions than the baseline (the page with a later
    version was lost) but never a version the source did not serve. ``compare_studies``
    also compares the merged study (leave it off while other sources are still missing).
    """
    for key, value in held.items():
        assert key in baseline, f"{where}: stored {key} that a fault-free crawl does not store"
        expected = baseline[key]
        if value.raw == expected.raw:
            assert not compare_studies or value.export == expected.export, \
                f"{where}: {key} differs from the baseline"
            continue
        assert key[0] == "medrxiv", f"{where}: {key} was stored with a different raw record"
        got = {json.dumps(r, sort_keys=True) for r in load_raw(value.raw)}
        want = {json.dumps(r, sort_keys=True) for r in load_raw(expected.raw)}
        assert got and got <= want, f"{where}: {key} holds versions the source never served"


# -- the faults --------------------------------------------------------------------------------


def page_key(source: str, request: Request) -> str | None:
    """Which page of the source's main listing a request asks for (None: not a page request).

    The first page has the key "" (or "0"/"*"); the others are told apart by the cursor the
    source uses: efetch ``retstart``, CT.gov ``pageToken``, the medRxiv path cursor, Europe PMC
    ``cursorMark`` (preprint search only).
    """
    path = request.path
    if source == "pubmed":
        return request.param("retstart", "0") if path.endswith("efetch.fcgi") else None
    if source == "clinicaltrials":
        return request.param("pageToken", "") if path.strip("/") == "studies" else None
    if source == "medrxiv":
        parts = path.strip("/").split("/")
        if parts[0] != "details":
            return None
        return parts[4] if len(parts) >= 5 else "0"
    if source == "europepmc":
        if path.strip("/") != "search" or "SRC:PPR" not in (request.param("query") or ""):
            return None
        return request.param("cursorMark", "*")
    raise ValueError(source)


FIRST_PAGE_KEYS = {"0", "", "*"}


@dataclasses.dataclass
class Injected:
    """One request the fault hook answered with a fault."""

    request: Request
    key: str
    at: float
    #: True when the records of the answer still reached the client unharmed
    intact: bool = False
    #: the answer the hook sent instead of the handler's (None: the handler's, or a Fault)
    response: Response | None = None


class PageFault:
    """A faults hook that spoils the second page of a source's listing.

    ``outcome(request)`` returns what to answer instead (a Response, a Fault, or None for the
    handler's answer after a side effect); it is applied to the first ``times`` requests of that
    page (None: every request of it, until ``stop()``).
    """

    def __init__(self, source: str, outcome: Callable[[Request], Response | Fault | None],
                 times: int | None = 1, intact: bool = False,
                 selector: Callable[[Request], bool] | None = None):
        self.source = source
        self.outcome = outcome
        self.times = times
        self.intact = intact
        #: picks the spoiled requests instead of "the second page" (e.g. the esearch call)
        self.selector = selector
        self.target: str | None = None
        self.injected: list[Injected] = []
        self.seen: list[tuple[str, float]] = []
        self.active = True
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Serve every later request normally (the source is healthy again)."""
        self.active = False

    def __call__(self, request: Request) -> Response | Fault | None:
        if self.selector is not None:
            key = request.full_path if self.selector(request) else None
            if key is not None and self.target is None:
                self.target = key
        else:
            key = page_key(self.source, request)
        if key is None:
            return None
        with self._lock:
            self.seen.append((key, time.monotonic()))
            if self.target is None and key not in FIRST_PAGE_KEYS:
                self.target = key
            hit = (self.active and key == self.target
                   and (self.times is None or len(self.injected) < self.times))
            if hit:
                self.injected.append(Injected(request, key, time.monotonic(), self.intact))
        if not hit:
            return None
        count("faults injected")
        result = self.outcome(request)
        if isinstance(result, Response):
            self.injected[-1].response = result
        return result

    def requests_of_target(self) -> list[float]:
        """When the spoiled page was asked for (monotonic times)."""
        return [at for key, at in self.seen if key == self.target]


def delivered_keys(source: str, handlers: dict[str, Recorder], spoiled: list[Injected]
                   ) -> set[tuple[str, str]]:
    """The records the replay server delivered intact in 200 answers (source record keys).

    An answer the hook replaced counts with what it carried instead; one it cut, delayed past
    the timeout or never sent counts with nothing.
    """
    prefix = {"pubmed": "eutils/", "clinicaltrials": "ctgov/", "medrxiv": "biorxiv/",
              "europepmc": "europepmc/"}[source]
    by_request = {id(i.request): i for i in spoiled}
    answers = []
    for request, response in handlers[prefix].answers:
        injected = by_request.get(id(request))
        if injected is None or (injected.intact and injected.response is None):
            answers.append((request, response))
    answers += [(i.request, i.response) for i in spoiled if i.intact and i.response is not None]
    keys: set[tuple[str, str]] = set()
    for request, response in answers:
        if response.status == 200:
            keys |= records_in(source, request, response.body)
    return keys


def records_in(source: str, request: Request, body: bytes) -> set[tuple[str, str]]:
    """The source record keys an answer carries."""
    if source == "pubmed":
        if not request.path.endswith("efetch.fcgi"):
            return set()
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True,
                                                      load_dtd=False))
        return {("pubmed", p.strip()) for p in root.xpath("PubmedArticle/MedlineCitation/PMID"
                                                          "/text()")}
    data = json.loads(body)
    if source == "clinicaltrials":
        ids = [((s.get("protocolSection") or {}).get("identificationModule") or {}).get("nctId")
               for s in data.get("studies", [])]
        return {("clinicaltrials", i) for i in ids if i}
    if source == "medrxiv":
        return {("medrxiv", str(r["doi"]).lower()) for r in data.get("collection", [])
                if r.get("doi")}
    return {("europepmc", f"{r['source']}:{r['id']}")
            for r in (data.get("resultList") or {}).get("result", []) if r.get("id")}


# -- bounds and subprocesses -----------------------------------------------------------------


class Hang(Exception):
    """A call ran past its bound."""


@contextlib.contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Fail with Hang when the block runs longer than ``seconds`` (main thread only)."""

    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cli_env(server: ReplayServer | None = None, **extra: str) -> dict[str, str]:
    """The environment of a ``python -m ketawatch`` child: sources on the replay server."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KETAWATCH_") and k not in ("NCBI_API_KEY", "NCBI_EMAIL")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["KETAWATCH_REQUEST_DELAY"] = "0"
    env["NCBI_API_KEY"] = "fault-tests"
    if server is not None:
        for key, url in source_urls(server).items():
            env["KETAWATCH_" + key.upper()] = url
    env.update(extra)
    return env


def ketawatch(home: Path, *args: str) -> list[str]:
    """The command line of ``python -m ketawatch --home HOME ARGS``."""
    return [sys.executable, "-m", "ketawatch", "--home", str(home), *args]


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start a child in its own process group (so a kill takes its own children too)."""
    return subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a child started by ``start`` and every process of its group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def run(cmd: list[str], env: dict[str, str], timeout: float = 120.0
        ) -> subprocess.CompletedProcess:
    """Run a child to its end; a child that outlives ``timeout`` is killed and fails the test."""
    proc = start(cmd, env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise AssertionError(f"{' '.join(cmd[2:])} still running after {timeout} s") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# -- a store and an index ----------------------------------------------------------------------


def prepared_records(size: int) -> list[tuple[Any, str]]:
    """The PubMed records of a sample corpus, parsed and tagged, ready for ``Store.ingest``."""
    corpus = generate(size)
    records, errors = parse_efetch(SampleCorpus.efetch_document(corpus.pubmed))
    assert not errors, errors
    return [(prepare(study), raw) for study, raw in records]


def store_ids(config) -> set[int]:
    """The ids of every study in a data folder's store."""
    with open_store(config) as store:
        return {s.id for s in store.iter_studies()}


def index_ids(config) -> set[int]:
    """The study ids the data folder's search index holds (read with a fresh searcher)."""
    from index.search import Searcher, SearchRequest

    searcher = Searcher(Path(config.index_path))
    try:
        return set(searcher.search_ids(SearchRequest(facets=False, highlight=False)))
    finally:
        searcher.close()
