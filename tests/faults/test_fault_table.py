"""The fault table: every fault a source can throw at a crawl, for every source.

Each row crawls one source of the sample corpus through the replay server while the server
spoils one page of the listing (the second: records before and after it are at stake) and
checks the promises of issue 7:

- the crawl **retries** (a passing fault: the run ends ok and stores exactly what a crawl that
  met no fault stores) or **reports** (the run ends FAILED with a message that says what broke);
- every record the server delivered intact is stored, and every stored record is whole (the
  same raw record and the same study as in a fault-free crawl: never half a record);
- where to resume is recorded: a failed run never marks its window done (``last_until``) and
  the PubMed job keeps its batch cursor;
- the next run, with the source healthy again, finishes the job: the store then holds exactly
  what a fault-free crawl stores.

Rows run concurrently (each has its own replay server, data folder and store; the Scrapy
sources crawl in child processes), so the table fits in CI. A row that meets a bug in a crawler
is kept as a strict xfail whose reason names the bug.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from crawlers.relevance import is_relevant
from ketawatch.replay.server import Fault, ReplayServer, Request, Response
from ketawatch.store import open_store

from . import support
from .support import (
    PageFault,
    check_consistent,
    delivered_keys,
    snapshot,
)

Outcome = Callable[[Request], Response | Fault | None]


@dataclass(frozen=True)
class Spec:
    """One fault: what the server does, how often, and what the crawl must make of it."""

    name: str
    #: builds the hook's outcome for a source, given the row's (recorded) handlers and a set
    #: to which it adds the keys of the records it damages on purpose
    outcome: Callable[[str, dict, set], Outcome]
    #: how many requests of the page get the fault (None: all of them during the first run)
    times: int | None
    #: "retried" (the first run ends ok) or "reported" (it ends FAILED; the next run finishes)
    expect: str
    #: what the report must mention (a regular expression)
    message: str = ""
    #: the records of a spoiled answer still reach the crawler (only part of it is spoiled)
    intact: bool = False
    #: the sources this fault applies to
    sources: tuple[str, ...] = support.SOURCES
    #: spoil these requests instead of the second page
    selector: Callable[[Request], bool] | None = None
    #: source -> reason: the row meets a known bug (strict xfail)
    bugs: dict[str, str] = field(default_factory=dict)


# -- outcomes ----------------------------------------------------------------------------------


def _status(status: int, headers: dict[str, str] | None = None):
    def build(source: str, handlers: dict, damaged: set) -> Outcome:
        return lambda request: Response.text(f"HTTP {status} (fault injected)", status, headers)
    return build


def _fault(fault: Fault):
    def build(source: str, handlers: dict, damaged: set) -> Outcome:
        return lambda request: fault
    return build


def _garbage(source: str, handlers: dict, damaged: set) -> Outcome:
    if source == "pubmed":
        body = (b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n<PubmedArticle><MedlineCitation '
                b'Status="MEDLINE"><PMID Version="1">9')
        return lambda request: Response.xml(body)
    return lambda request: Response.json(b'{"studies": [{"protocolSection": {"identif')


def _handler_of(source: str, handlers: dict):
    return handlers[{"pubmed": "eutils/", "clinicaltrials": "ctgov/", "medrxiv": "biorxiv/",
                     "europepmc": "europepmc/"}[source]]


def _rewrite(edit: Callable[[str, dict, Request], tuple[str, str] | None]):
    """An outcome that answers as the handler would, with its JSON edited by ``edit``.

    ``edit`` returns the key of the record it damaged (None when it damaged none).
    """
    def build(source: str, handlers: dict, damaged: set) -> Outcome:
        handler = _handler_of(source, handlers)

        def outcome(request: Request) -> Response:
            response = handler.handle(request)
            data = json.loads(response.body)
            key = edit(source, data, request)
            if key is not None:
                damaged.add(key)
            return Response.json(json.dumps(data), status=response.status)
        return outcome
    return build


def _key(source: str, record: dict) -> tuple[str, str]:
    if source == "clinicaltrials":
        return source, record["protocolSection"]["identificationModule"]["nctId"]
    if source == "medrxiv":
        return source, str(record["doi"]).lower()
    return source, f"{record['source']}:{record['id']}"


def _records(source: str, data: dict) -> list[dict]:
    if source == "clinicaltrials":
        return data["studies"]
    if source == "medrxiv":
        return data["collection"]
    return data["resultList"]["result"]


def _without_id(source: str, handlers: dict, damaged: set) -> Outcome:
    if source == "pubmed":
        handler = _handler_of(source, handlers)

        def outcome(request: Request) -> Response:
            response = handler.handle(request)
            # the first <PMID> of an efetch answer is the first article's own
            pmid = re.search(rb"<PMID Version=\"\d\">(\d+)</PMID>", response.body)
            damaged.add(("pubmed", pmid.group(1).decode()))
            return Response.xml(response.body.replace(pmid.group(0), b"", 1))
        return outcome

    def edit(source: str, data: dict, request: Request) -> tuple[str, str]:
        record = _records(source, data)[0]
        key = _key(source, record)
        if source == "clinicaltrials":
            del record["protocolSection"]["identificationModule"]["nctId"]
        elif source == "medrxiv":
            record["doi"] = ""
        else:
            del record["id"]
        return key
    return _rewrite(edit)(source, handlers, damaged)


def _wrong_type(source: str, data: dict, request: Request) -> tuple[str, str]:
    """One record of the page gets a field of the wrong type (a list, a number)."""
    records = _records(source, data)
    record = records[0]
    if source == "clinicaltrials":
        record["protocolSection"]["statusModule"] = ["RECRUITING"]
    elif source == "medrxiv":
        # a record the crawl keeps (one the relevance filter drops would prove nothing)
        record = next((r for r in records if is_relevant(r.get("title"), r.get("abstract"))),
                      record)
        record["date"] = [record["date"]]
    else:
        record["authorList"] = {"author": [{"lastName": 42, "initials": "K"}]}
    return _key(source, record)


def _repeat_cursor(source: str, data: dict, request: Request) -> None:
    """The page hands back the cursor it was asked with: following it would loop forever."""
    if source == "clinicaltrials":
        data["nextPageToken"] = request.param("pageToken")
    else:
        data["nextCursorMark"] = request.param("cursorMark")
    return None


def _eutils_error(source: str, handlers: dict, damaged: set) -> Outcome:
    body = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC '
            '"-//NLM//DTD efetch 20131226//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
            "<eFetchResult>\n\t<ERROR>Unable to obtain query #1</ERROR>\n</eFetchResult>\n")
    return lambda request: Response.xml(body)


def _esearch_error(source: str, handlers: dict, damaged: set) -> Outcome:
    body = ('<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><ERROR>Search Backend '
            "failed: Database is not supported: pubmed</ERROR></eSearchResult>")
    return lambda request: Response.xml(body)


def _expire_webenv(source: str, handlers: dict, damaged: set) -> Outcome:
    handler = _handler_of(source, handlers)

    def outcome(request: Request) -> None:
        handler.forget_history()  # NCBI dropped the search: the handler answers <ERROR>
        return None
    return outcome


# -- the table ---------------------------------------------------------------------------------


SPECS = [
    Spec("429 + Retry-After", _status(429, {"Retry-After": "1"}), 1, "retried"),
    Spec("HTTP 500", _status(500), 1, "retried"),
    Spec("HTTP 502 (outage)", _status(502), None, "reported", message=r"502"),
    Spec("HTTP 503", _status(503), 1, "retried"),
    Spec("timeout", _fault(Fault.sleep(support.CLIENT_TIMEOUT * 3)), 1, "retried"),
    Spec("connection reset", _fault(Fault.reset()), 1, "retried"),
    Spec("connection reset (outage)", _fault(Fault.reset()), None, "reported",
         message=r"(?i)reset|refused|ConnectionLost|ConnectionDone|aborted|Connection"),
    Spec("truncated body", _fault(Fault.truncate(200)), None, "reported",
         message=r"(?i)parse|malformed|DataLoss|ResponseFailed|incomplete"),
    Spec("invalid XML/JSON", _garbage, None, "reported", message=r"(?i)malformed|parse"),
    Spec("record without its id", _without_id, None, "reported", intact=True,
         message=r"(?i)PMID|nctId|DOI|source and id"),
    Spec("record with a wrong-typed field", _rewrite(_wrong_type), None, "reported",
         intact=True, sources=support.SCRAPY_SOURCES),
    Spec("E-utilities <ERROR> (HTTP 200) from efetch", _eutils_error, None, "reported",
         message=r"(?i)ERROR|refused|Unable", sources=("pubmed",)),
    Spec("E-utilities <ERROR> (HTTP 200) from esearch", _esearch_error, None, "reported",
         message=r"(?i)esearch", sources=("pubmed",),
         selector=lambda r: r.path.endswith("esearch.fcgi")),
    Spec("expired WebEnv", _expire_webenv, 1, "reported", intact=True,
         message=r"(?i)history", sources=("pubmed",)),
    Spec("repeated cursor", _rewrite(_repeat_cursor), 1, "reported", intact=True,
         message=r"(?i)repeat", sources=("clinicaltrials", "europepmc")),
]


@dataclass(frozen=True)
class Row:
    """One cell of the table: a fault met by one source."""

    spec: Spec
    source: str

    @property
    def id(self) -> str:
        return f"{self.spec.name} x {self.source}"


ROWS = [Row(spec, source) for spec in SPECS for source in spec.sources]


def _param(row: Row):
    reason = row.spec.bugs.get(row.source)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(row, id=row.id, marks=marks)


# -- running one row ---------------------------------------------------------------------------


def run_row(world: support.FaultWorld, row: Row, home, baseline: dict) -> str:
    """Crawl with the fault, then without; assert the promises; return how the row ended."""
    spec, source = row.spec, row.source
    handlers = world.handlers()
    damaged: set[tuple[str, str]] = set()
    hook = PageFault(source, spec.outcome(source, handlers, damaged), spec.times, spec.intact,
                     spec.selector)
    with ReplayServer(handlers, faults=hook) as server:
        config = world.config(home, server)
        with open_store(config) as store:
            first = world.crawl(source, config, store)
            support.count("crawls run")
            where = f"[{row.id}] first run: {first.line()}"
            assert hook.injected, f"{where}: the fault was never injected"
            held = snapshot(store)
            state = store.crawl_state(source)
            check_consistent(held, baseline, where=where)
            must = (delivered_keys(source, handlers, hook.injected) - damaged) & baseline.keys()
            missing = sorted(must - held.keys())
            assert not missing, f"{where}: delivered intact but not stored: {missing}"
            assert store.integrity_check() == [], where
            assert not server.errors, f"{where}: replay handler errors {server.errors}"

            if spec.expect == "retried":
                assert first.ok, f"{where}: a passing fault failed the crawl"
                assert len(hook.requests_of_target()) > len(hook.injected), \
                    f"{where}: the spoiled page was never asked for again"
                assert held == baseline, f"{where}: the store differs from a fault-free crawl"
                assert state.last_until == world.until.isoformat(), where
                if spec.name.startswith("429"):
                    asked = hook.requests_of_target()
                    waited = asked[1] - asked[0]
                    assert waited >= 0.9, f"{where}: asked again after {waited:.2f} s, " \
                                          "before Retry-After: 1 had passed"
                return "retried, ok"

            assert not first.ok, f"{where}: the fault went unreported"
            report = " | ".join(first.errors)
            assert re.search(spec.message or ".", report), \
                f"{where}: the report does not say what broke ({spec.message!r})"
            assert state.last_until is None, f"{where}: a failed window was marked done"
            if source == "pubmed" and held:
                assert state.cursor is not None, f"{where}: no batch cursor recorded"

            hook.stop()  # the source is healthy again
            second = world.crawl(source, config, store)
            support.count("crawls run")
            where = f"[{row.id}] next run: {second.line()}"
            assert second.ok, where
            assert snapshot(store) == baseline, f"{where}: the store differs from a " \
                                                "fault-free crawl"
            assert store.crawl_state(source).last_until == world.until.isoformat(), where
            assert store.integrity_check() == [], where
    return "reported, next run finished"


@pytest.fixture(scope="session")
def fault_table(request, fault_world, scrapy_timeout, tmp_path_factory) -> dict:
    """Run the selected rows concurrently; row id -> how it ended, or the exception it raised."""
    rows = [item.callspec.params["row"] for item in request.session.items
            if getattr(item, "originalname", "") == "test_fault_table"
            and "row" in getattr(getattr(item, "callspec", None), "params", {})]
    sources = sorted({row.source for row in rows})
    homes = tmp_path_factory.mktemp("fault-table")
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {s: pool.submit(fault_world.baseline, s, homes / f"baseline-{s}")
                   for s in sources}
        baselines = {s: f.result() for s, f in futures.items()}

        def one(index_row):
            index, row = index_row
            started = time.monotonic()
            try:
                outcome = run_row(fault_world, row, homes / f"row-{index}", baselines[row.source])
            except BaseException as exc:  # noqa: BLE001 - handed to the row's own test
                outcome = exc
                label = "BUG (xfail)" if row.spec.bugs.get(row.source) else "FAILED"
                support.count(f"table:{row.id}: {label}: {str(exc).splitlines()[0][:160]}")
            else:
                support.count(f"table:{row.id}: {outcome} ({time.monotonic() - started:.1f} s)")
            return row.id, outcome

        return dict(pool.map(one, enumerate(rows)))


@pytest.mark.parametrize("row", [_param(row) for row in ROWS])
def test_fault_table(row: Row, fault_table: dict) -> None:
    """One row of the table (all rows ran together in the ``fault_table`` fixture)."""
    outcome = fault_table[row.id]
    if isinstance(outcome, BaseException):
        raise AssertionError("".join(traceback.format_exception_only(outcome)).strip()
                             ) from outcome
    assert outcome in ("retried, ok", "reported, next run finished")
