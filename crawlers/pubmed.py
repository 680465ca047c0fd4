"""Fetch PubMed records through Biopython's ``Bio.Entrez``: esearch on the history server, then
efetch in batches, parsed by ``crawlers.pubmed_xml``.

Bio.Entrez hard-codes https://eutils.ncbi.nlm.nih.gov/entrez/eutils/. To reach the configured
``pubmed_url`` (a replay server in tests and the demo) a wrapper around ``Bio.Entrez.urlopen``,
installed once, rewrites the request URL to the base of the client whose call is running (a
context variable): two clients with different bases never see each other's. Bio.Entrez keeps its
own rate limiting and retries; its answers are parsed here with lxml, never with
``Entrez.read``, which wants to download DTDs it does not ship.
"""

from __future__ import annotations

import contextvars
import http.client
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from Bio import Entrez

from crawlers.pubmed_xml import eutils_errors, parse_efetch, parse_xml, split_efetch
from crawlers.retry_after import MAX_WAIT, retry_after_seconds
from ketawatch import clock
from ketawatch.config import Config
from ketawatch.errors import ParseError, SourceError
from ketawatch.model import Study

SOURCE = "pubmed"
NCBI_BASE = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_EMAIL = "ketawatch@localhost"
TOOL = "ketawatch"
#: PubMed serves only the first 9,999 records of one search; larger windows are split
MAX_RECORDS_PER_SEARCH = 9999
#: the earliest Entrez date a split of an open-ended window starts from
EARLIEST = date(1780, 1, 1)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_API_KEY_RE = re.compile(r"(api_key=)[^&]*")


@dataclass
class SearchResult:
    """What esearch left on the history server."""

    count: int
    webenv: str | None
    query_key: str | None
    query_translation: str = ""
    url: str = ""


@dataclass
class Batch:
    """One efetch page: the parsed records, what could not be parsed, and where it started."""

    records: list[tuple[Study, str]] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    retstart: int = 0
    url: str = ""
    #: with ``crawl(parse=False)``: the answer as served, and its articles' raw XML
    document: bytes = b""
    articles: list[str] = field(default_factory=list)


# --- routing Bio.Entrez to the configured base ---------------------------------------------


@dataclass
class _CallState:
    base: str
    timeout: float
    last_url: str = ""
    error_body: bytes = b""


_ACTIVE: contextvars.ContextVar[_CallState | None] = contextvars.ContextVar(
    "ketawatch_entrez_call", default=None)
# Bio.Entrez keeps max_tries and sleep_between_tries as module globals read inside each call,
# so calls made through our clients take turns (its rate limiter serializes them anyway).
_ENTREZ_LOCK = threading.RLock()
_INSTALL_LOCK = threading.Lock()


def _routed_urlopen(request: urllib.request.Request) -> Any:
    """Bio.Entrez's urlopen: send NCBI-bound requests to the active client's base URL."""
    state = _ACTIVE.get()
    if state is None:  # someone using Bio.Entrez directly: leave them alone
        return urllib.request.urlopen(request)
    # Retries hand us the same Request again: rewrite only what still points at NCBI.
    if state.base != NCBI_BASE and request.full_url.startswith(NCBI_BASE):
        request.full_url = state.base + request.full_url[len(NCBI_BASE):]
    state.last_url = request.full_url
    try:
        return urllib.request.urlopen(request, timeout=state.timeout)
    except HTTPError as exc:
        # Keep the start of the error page for the message, and free the connection now:
        # Bio.Entrez drops the errors of the tries it repeats without closing them.
        try:
            state.error_body = exc.read(2000)
        except (OSError, http.client.HTTPException):
            state.error_body = b""
        wait = retry_after_seconds(exc.headers.get("Retry-After")) if exc.headers else None
        exc.close()
        if exc.code in (429, 503) and wait:
            # Bio.Entrez retries a 429 or 5xx at once: wait first, as NCBI asked
            time.sleep(min(wait, MAX_WAIT))
        raise
    except URLError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        # A reset, a dropped connection or a read timeout before the answer: Bio.Entrez retries
        # only URLError, so present these as one.
        raise URLError(exc) from exc


def _skip_entrez_pause() -> None:
    """Let Bio.Entrez's next request go without its rate-limit pause.

    Bio.Entrez waits until a third of a second (a tenth with an API key) has passed since its
    previous request, timed from ``_open.previous``; an old "previous" means no wait. Its
    retries of a failed try still pause ``sleep_between_tries``.
    """
    opener = getattr(Entrez, "_open", None)
    if opener is not None and hasattr(opener, "previous"):
        opener.previous = 0.0


def _install() -> None:
    with _INSTALL_LOCK:
        if Entrez.urlopen is not _routed_urlopen:
            Entrez.urlopen = _routed_urlopen


def _redact(url: str) -> str:
    """A URL safe for messages and logs: the NCBI API key masked."""
    return _API_KEY_RE.sub(r"\1***", url)


# --- the client ------------------------------------------------------------------------------


class PubMedClient:
    """PubMed over E-utilities: esearch with history, then efetch batches of Study records.

    ``max_tries`` and ``sleep_between_tries`` are Bio.Entrez's retry settings for this client's
    calls; against a loopback base (replay server) they default small so failures show fast.
    """

    def __init__(self, config: Config, *, max_tries: int | None = None,
                 sleep_between_tries: float | None = None, timeout: float | None = None,
                 max_records_per_search: int = MAX_RECORDS_PER_SEARCH):
        self.config = config
        base = str(config.pubmed_url or NCBI_BASE)
        self.base = base if base.endswith("/") else base + "/"
        self.email = str(config.ncbi_email or "") or DEFAULT_EMAIL
        self.tool = TOOL
        self.api_key = str(config.ncbi_api_key or "") or None
        local = urlsplit(self.base).hostname in _LOOPBACK
        #: NCBI's three (ten with a key) requests a second bind NCBI only: a replay server on
        #: this machine is asked without Bio.Entrez's pause between requests
        self.throttled = not local
        self.max_tries = max_tries if max_tries is not None else (2 if local else 3)
        self.sleep_between_tries = (sleep_between_tries if sleep_between_tries is not None
                                    else (0.05 if local else 15.0))
        self.timeout = float(timeout or getattr(config, "request_timeout", 60.0) or 60.0)
        self.max_records_per_search = max_records_per_search
        _install()

    # --- E-utilities calls -----------------------------------------------------------------

    def _call(self, function: Callable[..., Any], what: str, **params: Any) -> tuple[bytes, str]:
        """Run one Bio.Entrez call routed to our base; return the body and the URL asked."""
        # Identity goes with each request rather than into Bio.Entrez's globals, so that two
        # clients with different settings cannot leak into each other.
        params.update(email=self.email, tool=self.tool)
        if self.api_key:
            params["api_key"] = self.api_key
        state = _CallState(base=self.base, timeout=self.timeout)
        with _ENTREZ_LOCK:
            saved = (Entrez.max_tries, Entrez.sleep_between_tries)
            Entrez.max_tries, Entrez.sleep_between_tries = self.max_tries, self.sleep_between_tries
            token = _ACTIVE.set(state)
            if not self.throttled:
                _skip_entrez_pause()
            try:
                handle = function(**params)
                try:
                    body = handle.read()
                except http.client.IncompleteRead as exc:
                    body = exc.partial  # a cut answer: the parser will call it malformed
                finally:
                    handle.close()
            except HTTPError as exc:
                detail = _error_detail(state.error_body)
                raise SourceError(f"PubMed {what} answered HTTP {exc.code} {exc.reason}{detail}",
                                  source=SOURCE, url=_redact(state.last_url)) from exc
            except URLError as exc:
                raise SourceError(f"PubMed {what} could not be reached: {exc.reason}",
                                  source=SOURCE, url=_redact(state.last_url)) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise SourceError(f"PubMed {what} failed: {exc!r}", source=SOURCE,
                                  url=_redact(state.last_url)) from exc
            finally:
                _ACTIVE.reset(token)
                Entrez.max_tries, Entrez.sleep_between_tries = saved
        if isinstance(body, str):  # Bio.Entrez decodes text/plain answers
            body = body.encode("utf-8")
        return body, _redact(state.last_url)

    def esearch(self, query: str, mindate: date | None = None,
                maxdate: date | None = None) -> SearchResult:
        """Search PubMed by Entrez date (edat) and leave the result on the history server.

        E-utilities need both ends of a date window; a missing ``maxdate`` means today.
        """
        params: dict[str, Any] = {"db": "pubmed", "term": query, "usehistory": "y", "retmax": 0}
        if mindate or maxdate:
            params.update(datetype="edat", mindate=(mindate or EARLIEST).strftime("%Y/%m/%d"),
                          maxdate=(maxdate or clock.now().date()).strftime("%Y/%m/%d"))
        body, url = self._call(Entrez.esearch, "esearch", **params)
        return _parse_esearch(body, url)

    def fetch_batches(self, result: SearchResult, batch_size: int = 500,
                      parse: bool = True) -> Iterator[Batch]:
        """Fetch the records of a search from the history server, ``batch_size`` at a time.

        A batch whose answer is malformed is asked for once more, then reported as a Batch
        holding one ParseError; the next batch follows. An E-utilities error answer (the
        history is gone) raises SourceError: no later batch could succeed. With ``parse``
        false a batch holds the answer and its articles' raw XML (``Batch.document``,
        ``Batch.articles``, from ``pubmed_xml.split_efetch``), not read article by article: a
        cut or error answer is caught here, a malformed article where it is parsed.
        """
        if result.count <= 0 or not result.webenv:
            return
        reachable = min(result.count, self.max_records_per_search)
        for retstart in range(0, reachable, batch_size):
            yield self._fetch_batch(result, retstart, min(batch_size, reachable - retstart),
                                    parse)
        if result.count > reachable:
            yield Batch(retstart=reachable, url=result.url, errors=[ParseError(
                f"PubMed serves only the first {reachable} of {result.count} records of one "
                "search; the rest were not fetched (narrow the date window)",
                source=SOURCE, url=result.url)])

    def _fetch_batch(self, result: SearchResult, retstart: int, retmax: int,
                     parse: bool = True) -> Batch:
        failure: ParseError | None = None
        url = ""
        for _attempt in range(2):
            body, url = self._call(Entrez.efetch, "efetch", db="pubmed", retmode="xml",
                                   webenv=result.webenv, query_key=result.query_key,
                                   retstart=retstart, retmax=retmax)
            try:
                if not parse:
                    return Batch(document=body, articles=split_efetch(body),
                                 retstart=retstart, url=url)
                records, errors = parse_efetch(body)
            except ParseError as exc:
                failure = exc
                continue
            for error in errors:
                error.url = url
            return Batch(records=records, errors=errors, retstart=retstart, url=url)
        refusal = _eutils_refusal(body)
        if refusal:
            raise SourceError(f"PubMed efetch refused records {retstart}-{retstart + retmax - 1}"
                              f": {refusal}", source=SOURCE, url=url)
        return Batch(retstart=retstart, url=url, errors=[ParseError(
            f"PubMed efetch answer for records {retstart}-{retstart + retmax - 1} could not be "
            f"parsed after one retry: {failure}", source=SOURCE, url=url)])

    def crawl(self, query: str | None = None, since: date | None = None,
              until: date | None = None, batch_size: int = 500,
              parse: bool = True) -> Iterator[Batch]:
        """Search (by Entrez date, both ends inclusive) and fetch every record, in batches.

        ``query`` defaults to the configured ``pubmed_query``. A window holding more records
        than PubMed serves from one search is split in halves, oldest first.
        """
        query = query or str(self.config.pubmed_query)
        yield from self._crawl_window(query, since, until, batch_size, parse)

    def _crawl_window(self, query: str, since: date | None, until: date | None,
                      batch_size: int, parse: bool = True) -> Iterator[Batch]:
        result = self.esearch(query, since, until)
        if result.count > self.max_records_per_search:
            low, high = since or EARLIEST, until or clock.now().date()
            if low < high:
                middle = low + (high - low) // 2
                yield from self._crawl_window(query, low, middle, batch_size, parse)
                yield from self._crawl_window(query, middle + timedelta(days=1), high,
                                              batch_size, parse)
                return
        yield from self.fetch_batches(result, batch_size, parse)


def _error_detail(body: bytes) -> str:
    """": message" from an E-utilities error page (``<ERROR>`` elements), else ""."""
    message = _eutils_refusal(body) if body.lstrip().startswith(b"<") else ""
    return f": {message}" if message else ""


def _eutils_refusal(body: bytes) -> str:
    try:
        return "; ".join(eutils_errors(parse_xml(body)))
    except ParseError:
        return ""


def _parse_esearch(body: bytes, url: str) -> SearchResult:
    """Read an esearch answer; an error in it is a SourceError, "no such phrase" is Count 0."""
    try:
        root = parse_xml(body, "PubMed esearch answer")
    except ParseError as exc:
        exc.url = url
        raise
    errors = eutils_errors(root)
    if errors:
        raise SourceError("PubMed esearch error: " + "; ".join(errors), source=SOURCE, url=url)
    if root.tag != "eSearchResult":
        raise ParseError(f"not an esearch answer: root element <{root.tag}>", source=SOURCE,
                         url=url)
    count_text = (root.findtext("Count") or "").strip()
    if not count_text.isdigit():
        raise ParseError("esearch answer without a Count", source=SOURCE, url=url)
    count = int(count_text)
    problems = [(node.tag, (node.text or "").strip()) for node in root.iterfind("ErrorList/*")]
    if problems:
        # A phrase PubMed does not know, with nothing found, is an empty result. Anything else
        # (an unknown field tag, or a phrase dropped while the rest still matched) means the
        # query was not run as written: say so rather than store the wrong set.
        if count == 0 and all(tag == "PhraseNotFound" for tag, _ in problems):
            return SearchResult(0, None, None, root.findtext("QueryTranslation") or "", url)
        listed = "; ".join(f"{tag}: {text}" for tag, text in problems)
        raise SourceError(f"PubMed could not run the query as written ({listed})",
                          source=SOURCE, url=url)
    webenv = (root.findtext("WebEnv") or "").strip() or None
    query_key = (root.findtext("QueryKey") or "").strip() or None
    if count and not (webenv and query_key):
        raise ParseError("esearch answer without WebEnv/QueryKey (usehistory=y ignored?)",
                         source=SOURCE, url=url)
    return SearchResult(count, webenv, query_key, root.findtext("QueryTranslation") or "", url)
