"""Parsing the medRxiv ``/details`` API: pages of preprint versions into one Study per preprint.

``GET {medrxiv_url}details/medrxiv/{from}/{to}/{cursor}`` answers with a ``messages`` envelope
(cursor, count and total, as numbers or as strings) and a ``collection`` of up to 100 records.
Each record is one *version* of a preprint, so a preprint revised inside the window appears
once per version.

One preprint is one source record: ``source_id`` is the preprint DOI and ``versions`` lists
every version seen. The raw record stored with it is the JSON list of those version records,
so a later run that sees only version 2 merges it with the stored version 1
(``merge_version_records``) and the Study is rebuilt from all of them (``parse_preprint``):
the Study is always a pure function of the stored raw record.

Everything here is pure: no network, no store.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crawlers.wire import is_number, wrong_types_are_parse_errors
from ketawatch.errors import ParseError, SourceError
from ketawatch.model import Study, normalize_doi

SOURCE = "medrxiv"
PAGE_SIZE = 100
#: statuses of the envelope that mean "an empty window", not an error
_EMPTY_STATUSES = ("no posts found",)
_WITHDRAWN_RE = re.compile(r"^\s*withdrawn\s*[:.]", re.IGNORECASE)
_DOI_DATE_RE = re.compile(r"^10\.\d+/(\d{4})\.(\d{2})\.(\d{2})\.")
_INITIAL_TOKEN_RE = re.compile(r"[.\s-]+")
#: [0-9], not \d: a date in other digits is no date (and 3.11's fromisoformat takes "20240101")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class DetailsPage:
    """One page of ``/details``: where it stands in the window and its raw version records."""

    status: str
    cursor: int
    count: int
    total: int
    interval: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def next_cursor(self) -> int | None:
        """The cursor of the next page, or None when this page is the last one."""
        if self.count <= 0:
            return None
        nxt = self.cursor + self.count
        return nxt if nxt < self.total else None


def _text(value: Any) -> str:
    """A string field, stripped; "" for a missing one or one of another type."""
    return value.strip() if isinstance(value, str) else ""


def _str(value: Any) -> str:
    """A string field as sent (extras are stored as they come); "" for another type."""
    return value if isinstance(value, str) else ""


def details_url(base_url: str, since: date, until: date, cursor: int = 0,
                server: str = "medrxiv") -> str:
    """The URL of one ``/details`` page of a date window (both ends inclusive)."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}details/{server}/{since.isoformat()}/{until.isoformat()}/{int(cursor)}"


def _as_int(value: Any, name: str, url: str) -> int:
    """The API sends cursor, count and total as numbers or as strings of digits."""
    if isinstance(value, bool):
        raise ParseError(f"medRxiv page has a boolean {name}", source=SOURCE, url=url)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and is_number(value.strip()):
        return int(value.strip())
    raise ParseError(f"medRxiv page has no usable {name}: {value!r}", source=SOURCE, url=url)


def parse_page(body: bytes | str, *, url: str = "") -> DetailsPage:
    """Parse one ``/details`` response body.

    Raises ParseError for a body that is not the API's JSON envelope, and SourceError when the
    envelope reports an error status. "no posts found" is an empty page, not an error.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseError(f"medRxiv answered with malformed JSON: {exc}", source=SOURCE,
                         url=url) from exc
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list) \
            or not data["messages"] or not isinstance(data["messages"][0], dict):
        raise ParseError("medRxiv answer has no messages envelope", source=SOURCE, url=url)
    message = data["messages"][0]
    status = _text(message.get("status"))
    if status.lower() in _EMPTY_STATUSES:
        return DetailsPage(status=status, cursor=0, count=0, total=0,
                           interval=_text(message.get("interval")))
    if status.lower() != "ok":
        raise SourceError(f"medRxiv reported: {status or 'no status'}", source=SOURCE, url=url)
    collection = data.get("collection")
    if not isinstance(collection, list):
        raise ParseError("medRxiv answer has no collection list", source=SOURCE, url=url)
    records = [r for r in collection if isinstance(r, dict)]
    if len(records) != len(collection):
        raise ParseError("medRxiv collection holds something other than records",
                         source=SOURCE, url=url)
    count = _as_int(message.get("count", len(records)), "count", url)
    return DetailsPage(status=status, cursor=_as_int(message.get("cursor", 0), "cursor", url),
                       count=count, total=_as_int(message.get("total", count), "total", url),
                       interval=_text(message.get("interval")), records=records)


def record_doi(record: dict[str, Any]) -> str | None:
    """The normalized preprint DOI of one version record (None when it has none)."""
    value = record.get("doi")
    return normalize_doi(value) if isinstance(value, str) else None


def _version(record: dict[str, Any]) -> int:
    value = record.get("version")
    # the API sends "2"; a number is taken too, a bool or "²" is not
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else _text(value)
    if not is_number(value):
        raise ParseError(f"medRxiv record {record.get('doi')!r} has no version number",
                         source=SOURCE)
    return int(value)


def _check(record: dict[str, Any]) -> None:
    """Raise ParseError when a version record lacks what a Study needs."""
    if not record_doi(record):
        raise ParseError(f"medRxiv record without a usable DOI: {str(record)[:120]}",
                         source=SOURCE)
    _version(record)
    day = record.get("date")
    try:
        if not isinstance(day, str) or not _DATE_RE.fullmatch(day):
            raise ValueError("not YYYY-MM-DD")
        date.fromisoformat(day)
    except ValueError as exc:
        raise ParseError(f"medRxiv record {record['doi']} has a bad date {day!r}",
                         source=SOURCE) from exc
    if not isinstance(record.get("title"), str) or not record["title"].strip():
        raise ParseError(f"medRxiv record {record['doi']} has no title", source=SOURCE)


def group_by_doi(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Version records grouped by preprint DOI, in the order the DOIs first appear.

    Records without a usable DOI are left out; the caller reports them (see ``record_doi``).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        doi = record_doi(record)
        if doi:
            groups.setdefault(doi, []).append(record)
    return groups


def merge_version_records(stored: list[dict[str, Any]],
                          new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every version record of one preprint, stored ones first, a newer copy of a version winning.

    Sorted by version number, so equal inputs give equal raw text (and an unchanged record).
    """
    by_version: dict[str, dict[str, Any]] = {}
    for record in list(stored) + list(new):
        by_version[str(_safe_version(record) or _text(record.get("version")))] = record
    return sorted(by_version.values(), key=lambda r: (_safe_version(r), str(r.get("date"))))


def _safe_version(record: dict[str, Any]) -> int:
    try:
        return _version(record)
    except ParseError:
        return 0


def load_raw(raw: str | None) -> list[dict[str, Any]]:
    """The version records of a stored raw record (an empty list when there is none)."""
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    if isinstance(data, dict):
        data = [data]
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def raw_text(versions: list[dict[str, Any]]) -> str:
    """The raw record stored for one preprint: its version records as JSON."""
    return json.dumps(versions, ensure_ascii=False, sort_keys=True)


def _is_initials(text: str) -> bool:
    """True for "A. J.", "J.-P.", "É." (one or two letters per token, the first upper case)."""
    tokens = [t for t in _INITIAL_TOKEN_RE.split(text) if t]
    return bool(tokens) and all(len(t) <= 2 and t.isalpha() and t[0].isupper() for t in tokens)


def split_authors(value: Any) -> list[str]:
    """Authors of a ``"Last, F. M.; Other, A."`` string, as ``"Last FM"`` like PubMed writes them.

    Names without a comma (consortia) are kept as they are.
    """
    if not isinstance(value, str):
        return []
    out = []
    for part in value.split(";"):
        name = part.strip().rstrip(",").strip()
        if not name:
            continue
        last, comma, first = name.partition(",")
        first = first.strip()
        if comma and last.strip() and first and _is_initials(first):
            initials = "".join(ch for ch in first if ch.isalpha())
            name = f"{last.strip()} {initials}"
        elif comma and last.strip() and first:
            name = f"{last.strip()} {first}"
        out.append(name)
    return out


def _funders(value: Any) -> list[str]:
    """Funder names: the API sends "NA" or a list of {name, id, id-type, award}."""
    if not isinstance(value, list):
        return []
    return [str(f["name"]).strip() for f in value
            if isinstance(f, dict) and isinstance(f.get("name"), str) and f["name"].strip()]


def _published_doi(value: Any) -> str | None:
    if not isinstance(value, str) or value.strip().upper() in ("", "NA"):
        return None
    return normalize_doi(value)


def is_withdrawn(record: dict[str, Any]) -> bool:
    """True when a version is a withdrawal notice (medRxiv prefixes the title "Withdrawn:")."""
    kind = _text(record.get("type")).lower()
    return kind == "withdrawn" or bool(_WITHDRAWN_RE.match(_text(record.get("title"))))


def _first_posted(doi: str, ordered: list[dict[str, Any]]) -> str:
    """The date version 1 was posted: its own date, else the date inside the DOI.

    A run whose window starts after version 1 sees only later versions; DOIs since December
    2019 carry the date of the first submission ("10.1101/2024.03.05.24303812"), which is
    closer to the truth than the date of a later version.
    """
    earliest = min(str(r["date"]) for r in ordered)
    if _version(ordered[0]) == 1:
        return str(ordered[0]["date"])
    m = _DOI_DATE_RE.match(doi)
    if m:
        try:
            submitted = date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return earliest
        return min(submitted, earliest)
    return earliest


@wrong_types_are_parse_errors("medRxiv record", SOURCE)
def parse_preprint(versions: list[dict[str, Any]]) -> Study:
    """One Study from every version record of one preprint (raises ParseError when invalid).

    Title, abstract and authors come from the latest version; ``pub_date`` is the date of the
    earliest version known (version 1 once it has been seen); ``published_doi`` is the journal
    DOI the latest version that names one gives. A withdrawn preprint counts as retracted.
    """
    if not isinstance(versions, list) or not versions:
        raise ParseError("no medRxiv version records to parse", source=SOURCE)
    if not all(isinstance(r, dict) for r in versions):
        raise ParseError("medRxiv version records that are not objects", source=SOURCE)
    for record in versions:
        _check(record)
    dois = {record_doi(r) for r in versions}
    if len(dois) != 1:
        raise ParseError(f"medRxiv versions of different DOIs: {sorted(dois)}", source=SOURCE)
    doi = dois.pop()
    ordered = sorted(versions, key=lambda r: (_version(r), str(r["date"])))
    latest = ordered[-1]
    server = _text(latest.get("server")) or "medRxiv"
    host = "www.biorxiv.org" if server.lower() == "biorxiv" else "www.medrxiv.org"
    published = None
    for record in reversed(ordered):
        published = _published_doi(record.get("published"))
        if published:
            break
    withdrawn = any(is_withdrawn(r) for r in ordered)
    study = Study(
        source=SOURCE,
        source_id=doi,
        preprint=True,
        preprint_dois=[doi],
        published_doi=published,
        title=latest["title"],
        abstract=_text(latest.get("abstract")),
        authors=split_authors(latest.get("authors")),
        pub_date=_first_posted(doi, ordered),
        journal=server,
        publication_types=["Preprint"],
        url=f"https://{host}/content/{doi}v{_version(latest)}",
        retracted=withdrawn,
        versions=[{"kind": "preprint", "version": _version(r), "date": str(r["date"]),
                   "doi": doi, "url": f"https://{host}/content/{doi}v{_version(r)}"}
                  for r in ordered],
        extras={
            "category": _str(latest.get("category")),
            "type": _str(latest.get("type")),
            "license": _str(latest.get("license")),
            "server": server,
            "funders": _funders(latest.get("funder")),
            "author_corresponding": _str(latest.get("author_corresponding")),
            "author_corresponding_institution":
                _str(latest.get("author_corresponding_institution")),
            "latest_version": _version(latest),
            "withdrawn": withdrawn,
        },
    )
    return study
