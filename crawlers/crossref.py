"""The Crossref retraction watch: retractions, corrections and expressions of concern for our DOIs.

Crossref's ``works`` records carry ``updated-by`` (the notices that update a work, from the
publisher or from Retraction Watch, often weeks before PubMed marks the article) and, on a
notice, ``update-to`` (the works it updates). ``check_retractions`` asks for the DOIs the store
holds in batches (``GET works?filter=doi:A,doi:B&rows=N``; a DOI with a comma, which the filter
syntax cannot carry, is asked for alone with ``GET works/{doi}``) and turns every update it
finds into a store mark. The store records each mark once, so a second check adds nothing.

Politeness: the ``mailto`` parameter and a User-Agent naming KetaWatch (Crossref's "polite
pool"), one request at a time with ``request_delay`` between them (none for a local replay
server), and back-off on 429 and 5xx that honours ``Retry-After``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from crawlers.results import SourceResult
from crawlers.retry_after import retry_after_seconds
from crawlers.settings import is_local, user_agent
from ketawatch.errors import KetaWatchError, SourceError
from ketawatch.model import normalize_doi

log = logging.getLogger(__name__)

SOURCE = "crossref"
#: Crossref update types and the mark each one puts on the updated work
UPDATE_MARKS = {
    "retraction": "retracted",
    "removal": "retracted",
    "withdrawal": "retracted",
    "correction": "corrected",
    "erratum": "corrected",
    "corrigendum": "corrected",
    "partial_retraction": "corrected",
    "partial-retraction": "corrected",
    "expression_of_concern": "expression_of_concern",
    "expression-of-concern": "expression_of_concern",
}
RETRIES = 4
BACKOFF_BASE = 2.0
MAX_WAIT = 120.0
#: the check stops after this many batches in a row failed: the source is down
MAX_FAILED_BATCHES = 3


def _date(update: dict[str, Any]) -> str | None:
    parts = (update.get("updated") or {}).get("date-parts") or [[]]
    try:
        return "-".join(f"{int(p):02d}" if i else str(int(p)) for i, p in enumerate(parts[0]))\
            or None
    except (TypeError, ValueError):
        return None


def marks_of_work(work: dict[str, Any]) -> list[dict[str, Any]]:
    """The store marks a Crossref work record says: its ``updated-by`` and its ``update-to``."""
    marks: list[dict[str, Any]] = []
    doi = normalize_doi(work.get("DOI"))
    if not doi:
        return marks
    for update in work.get("updated-by") or []:
        mark = UPDATE_MARKS.get(str(update.get("type", "")).lower())
        notice = normalize_doi(update.get("DOI")) or ""
        if mark and notice != doi:
            marks.append(_mark(doi, mark, notice, update))
    # a notice we hold (say, a retraction notice PubMed gave us) marks the work it updates
    for update in work.get("update-to") or []:
        mark = UPDATE_MARKS.get(str(update.get("type", "")).lower())
        target = normalize_doi(update.get("DOI"))
        if mark and target and target != doi:
            marks.append(_mark(target, mark, doi, update))
    return marks


def _mark(doi: str, mark: str, notice: str, update: dict[str, Any]) -> dict[str, Any]:
    detail = {"notice": notice or None, "type": update.get("type"),
              "label": update.get("label"), "source": update.get("source"),
              "date": _date(update)}
    # without a notice DOI (Retraction Watch records often have none) the source names it
    by = f"crossref:{notice}" if notice else f"crossref:{update.get('source') or 'update'}:{doi}"
    return {"kind": "doi", "value": doi, "mark": mark, "by_source": by,
            "detail": {k: v for k, v in detail.items() if v is not None}}


class CrossrefClient:
    """A polite client of the Crossref REST API ``works`` routes."""

    def __init__(self, config, session: requests.Session | None = None):
        self.base_url = config.crossref_url if config.crossref_url.endswith("/") \
            else config.crossref_url + "/"
        local = is_local(self.base_url)
        self.delay = 0.0 if local else float(config.request_delay)
        self.backoff = 0.05 if local else BACKOFF_BASE
        self.timeout = float(getattr(config, "request_timeout", 60.0) or 60.0)
        self.mailto = getattr(config, "ncbi_email", "") or ""
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": user_agent(config),
                                     "Accept": "application/json"})
        self._last = 0.0

    def _params(self, extra: dict[str, Any]) -> dict[str, Any]:
        params = dict(extra)
        if self.mailto:
            params["mailto"] = self.mailto
        return params

    def _pause(self) -> None:
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def get(self, path: str, params: dict[str, Any]) -> requests.Response:
        """GET with politeness and retries; the final answer (any status) or a SourceError."""
        url = self.base_url + path
        for attempt in range(RETRIES + 1):
            self._pause()
            try:
                response = self.session.get(url, params=self._params(params),
                                            timeout=self.timeout)
            except requests.RequestException as exc:
                self._last = time.monotonic()
                if attempt == RETRIES:
                    raise SourceError(f"Crossref did not answer: {exc}", source=SOURCE,
                                      url=url) from exc
                time.sleep(min(self.backoff * 2 ** attempt, MAX_WAIT))
                continue
            self._last = time.monotonic()
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == RETRIES:
                    return response
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                time.sleep(min(wait if wait is not None else self.backoff * 2 ** attempt,
                               MAX_WAIT))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise SourceError(f"Crossref sent malformed JSON (HTTP {response.status_code})",
                              source=SOURCE, url=response.url) from exc
        if not isinstance(data, dict) or not isinstance(data.get("message"), (dict, list)):
            raise SourceError("Crossref sent an answer without a message", source=SOURCE,
                              url=response.url)
        return data

    def works(self, dois: list[str]) -> list[dict[str, Any]]:
        """The work records of several DOIs (one request); unknown DOIs are simply absent."""
        response = self.get("works", {"filter": ",".join(f"doi:{d}" for d in dois),
                                      "rows": len(dois)})
        if response.status_code != 200:
            raise SourceError(f"Crossref answered HTTP {response.status_code}: "
                              f"{response.text[:200]}", source=SOURCE, url=response.url)
        items = self._json(response)["message"].get("items")
        if not isinstance(items, list):
            raise SourceError("Crossref work list without items", source=SOURCE,
                              url=response.url)
        return [i for i in items if isinstance(i, dict)]

    def work(self, doi: str) -> dict[str, Any] | None:
        """The work record of one DOI, or None when Crossref does not know it."""
        response = self.get("works/" + quote(doi, safe="/"), {})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SourceError(f"Crossref answered HTTP {response.status_code}: "
                              f"{response.text[:200]}", source=SOURCE, url=response.url)
        message = self._json(response)["message"]
        return message if isinstance(message, dict) else None


def _batches(dois: list[str], size: int) -> Iterator[list[str]]:
    listable = [d for d in dois if "," not in d]
    for i in range(0, len(listable), size):
        yield listable[i:i + size]
    # the filter syntax splits on commas: such DOIs go one by one
    for doi in dois:
        if "," in doi:
            yield [doi]


def _fetch(client: CrossrefClient, batch: list[str]) -> list[dict[str, Any]]:
    if len(batch) == 1 and "," in batch[0]:
        work = client.work(batch[0])
        return [work] if work else []
    return client.works(batch)


def check_retractions(config, store, *, batch_size: int = 20,
                      client: CrossrefClient | None = None) -> SourceResult:
    """Ask Crossref about every DOI in the store and record the updates it knows; never raises.

    In the result, ``updated`` counts the studies that got a new mark (each also gets its
    ``retracted`` or ``corrected`` event), ``unchanged`` the DOIs checked with nothing new, and
    ``failed`` the DOIs that could not be checked.
    """
    started = time.monotonic()
    result = SourceResult(SOURCE)
    try:
        client = client or CrossrefClient(config)
        dois = sorted({doi for _, doi in store.dois()})
    except Exception as exc:  # noqa: BLE001 - a check never raises; the result says what broke
        result.errors.append(f"{type(exc).__name__}: {exc}")
        return result
    failed_in_a_row = 0
    checked = 0
    for batch in _batches(dois, batch_size):
        try:
            works = _fetch(client, batch)
            marks = [m for work in works for m in marks_of_work(work)]
            stored = store.add_marks(marks) if marks else None
        except KetaWatchError as exc:
            result.failed += len(batch)
            result.errors.append(str(exc))
            checked += len(batch)
            failed_in_a_row += 1
            if failed_in_a_row >= MAX_FAILED_BATCHES and checked < len(dois):
                result.failed += len(dois) - checked
                result.errors.append(
                    f"Crossref check stopped: {len(dois) - checked} DOIs not checked")
                break
            continue
        failed_in_a_row = 0
        checked += len(batch)
        touched = stored.study_ids if stored else set()
        result.updated += len(touched)
        result.unchanged += max(0, len(batch) - len(touched))
        result.study_ids |= touched
    result.seconds = time.monotonic() - started
    return result
