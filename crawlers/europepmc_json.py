"""Parsing Europe PMC ``/search`` answers (``format=json``, ``resultType=core``) into Studies.

One result is one source record: ``source_id`` is ``"{source}:{id}"`` (``"PPR:PPR123456"``,
``"MED:31166571"``). A preprint (source ``PPR``) keeps its DOI in ``preprint_dois``, as the
medRxiv parser does, so that the journal article's DOI stays the study's DOI when they merge.

Only ``resultType=core`` pages are accepted: ``lite`` and ``idlist`` pages lack the abstracts,
publication types and comment/correction links that tagging and retraction tracking need, and
an XML body is not what the crawler asked for. ``parse_result`` itself tolerates a ``lite``
record (``journalTitle``, a ``pubType`` string) so a single record is never lost for that.

Everything here is pure: no network, no store.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from crawlers.wire import is_number, wrong_types_are_parse_errors
from ketawatch.errors import ParseError, SourceError
from ketawatch.model import Study, normalize_doi, normalize_pmcid, normalize_pmid

SOURCE = "europepmc"
PAGE_SIZE = 100
#: Europe PMC's words for comment/correction links -> the PubMed RefType names the store knows
LINK_TYPES = {
    "retraction in": "RetractionIn",
    "retraction of": "RetractionOf",
    "erratum in": "ErratumIn",
    "erratum for": "ErratumFor",
    "correction in": "ErratumIn",
    "correction for": "ErratumFor",
    "expression of concern in": "ExpressionOfConcernIn",
    "expression of concern for": "ExpressionOfConcernFor",
    "comment in": "CommentIn",
    "comment on": "CommentOn",
    "update in": "UpdateIn",
    "update of": "UpdateOf",
    "republished in": "RepublishedIn",
    "republished from": "RepublishedFrom",
}
RETRACTED_TYPE = "retracted publication"
#: publication types that say a preprint was withdrawn or removed by its server
_WITHDRAWN_TYPE_RE = re.compile(r"withdraw|removal|removed", re.IGNORECASE)
_WITHDRAWN_TITLE_RE = re.compile(r"^\s*withdrawn\s*[:.]", re.IGNORECASE)
#: an HTML tag: "<" then a letter, so "p < .05" and "<1 year" stay text
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_HEADING_RE = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_RE = re.compile(r"</?(?:p|div|br|li|ul|ol)\b[^>]*>", re.IGNORECASE)
_DOI_IN_TEXT_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
#: medRxiv DOIs end in an 8-digit number (bioRxiv's in 6), under 10.1101 and 10.64898
_MEDRXIV_DOI_RE = re.compile(r"^10\.(?:1101|64898)/\d{4}\.\d{2}\.\d{2}\.\d{8}$")


@dataclass
class SearchPage:
    """One page of ``/search``: the hit count, the cursors and the raw result dicts."""

    hit_count: int
    cursor: str
    next_cursor: str | None
    result_type: str
    results: list[dict[str, Any]] = field(default_factory=list)


def search_url(base_url: str, query: str, cursor: str = "*", page_size: int = PAGE_SIZE) -> str:
    """The URL of one ``/search`` page for ``query`` at ``cursor`` (``*`` for the first)."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    params = {"query": query, "resultType": "core", "format": "json",
              "pageSize": str(page_size), "cursorMark": cursor}
    return f"{base}search?{urlencode(params)}"


def parse_page(body: bytes | str, *, url: str = "") -> SearchPage:
    """Parse one ``/search`` response body.

    Raises ParseError for anything but a JSON ``core`` page (XML, ``lite``, ``idlist``,
    malformed JSON), and SourceError when Europe PMC answers with an error message.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseError(f"Europe PMC answered with malformed JSON: {exc}", source=SOURCE,
                         url=url) from exc
    if not isinstance(data, dict):
        raise ParseError("Europe PMC answer is not a JSON object", source=SOURCE, url=url)
    if data.get("errMsg") or data.get("errCode"):
        raise SourceError(f"Europe PMC reported: {data.get('errMsg') or data.get('errCode')}",
                          source=SOURCE, url=url)
    request = data.get("request") if isinstance(data.get("request"), dict) else {}
    result_type = _text(request.get("resultType")) or "core"
    result_list = data.get("resultList")
    results = result_list.get("result") if isinstance(result_list, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise ParseError("Europe PMC answer has no resultList of records", source=SOURCE, url=url)
    # an empty page loses nothing whatever its type; records of another type would lack
    # abstracts and publication types
    if result_type != "core" and results:
        raise ParseError(f"Europe PMC page has resultType={result_type}; the crawler needs core",
                         source=SOURCE, url=url)
    hits = data.get("hitCount")
    if isinstance(hits, bool) or not isinstance(hits, int | str) or not is_number(str(hits)):
        raise ParseError(f"Europe PMC answer has no usable hitCount: {hits!r}", source=SOURCE,
                         url=url)
    nxt = data.get("nextCursorMark")
    if nxt is not None and not isinstance(nxt, str):
        # a made-up cursor would page wrong or stop the crawl early without a word
        raise ParseError(f"Europe PMC answer has a bad nextCursorMark: {nxt!r}", source=SOURCE,
                         url=url)
    cursor = _text(request.get("cursorMark")) or "*"
    return SearchPage(hit_count=int(hits), cursor="*" if cursor == "%2A" else cursor,
                      next_cursor=nxt or None, result_type=result_type, results=results)


def html_to_text(value: Any) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, blocks on their own lines."""
    if not isinstance(value, str):
        return ""
    text = _BLOCK_RE.sub("\n", value)
    text = _TAG_RE.sub("", text)
    text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def abstract_sections(value: Any) -> list[list[str]]:
    """An abstract's sections as [label, text] pairs, split at its ``<h4>`` headings.

    Text before the first heading, or an abstract without headings, has the label "".
    """
    if not isinstance(value, str) or not value.strip():
        return []
    parts = _HEADING_RE.split(value)
    sections = []
    lead = html_to_text(parts[0])
    if lead:
        sections.append(["", lead])
    for i in range(1, len(parts) - 1, 2):
        label = html_to_text(parts[i]).rstrip(":").strip()
        text = html_to_text(parts[i + 1])
        if text or label:
            sections.append([label, text])
    return sections


def _abstract_text(sections: list[list[str]]) -> str:
    # the same shape as the PubMed parser's: "Label: text" paragraphs
    return "\n\n".join(f"{label}: {text}" if label else text for label, text in sections)


def _text(value: Any) -> str:
    """A string field, stripped; "" for a missing one or one of another type."""
    return value.strip() if isinstance(value, str) else ""


def _ident(value: Any) -> str:
    """An identifier field: a string, or a number written as one ("" for anything else)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _pmid(value: Any) -> str | None:
    # normalize_pmid takes "²" (str.isdigit); only ASCII digits are a PMID
    text = _ident(value)
    return normalize_pmid(text) if is_number(text) else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _nested(d: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _authors(d: dict[str, Any], label: str) -> list[str]:
    """The author names; ParseError for a name part of the wrong type (dropping that author
    would silently change the authorship the stored version has)."""
    authors = []
    for a in _as_list(_nested(d, "authorList", "author")):
        if not isinstance(a, dict):
            continue
        for part in ("fullName", "collectiveName", "lastName", "initials"):
            if a.get(part) is not None and not isinstance(a[part], str):
                raise ParseError(f"Europe PMC result {label} has an author {part} of the wrong "
                                 f"type ({type(a[part]).__name__})", source=SOURCE)
        # initials without a last name are no name
        last = _text(a.get("lastName"))
        name = _text(a.get("fullName")) or _text(a.get("collectiveName")) or (
            f"{last} {_text(a.get('initials'))}".strip() if last else "")
        if name:
            authors.append(name)
    if authors:
        return authors
    text = d.get("authorString")
    if isinstance(text, str):
        return [p.strip().rstrip(".") for p in text.split(",") if p.strip().rstrip(".")]
    return []


def _publication_types(d: dict[str, Any]) -> list[str]:
    types = _nested(d, "pubTypeList", "pubType")
    if types is None and isinstance(d.get("pubType"), str):
        # lite records: "review; journal article"
        types = d["pubType"].split(";")
    return [_text(t) for t in _as_list(types) if _text(t)]


def _link(entry: dict[str, Any]) -> dict[str, Any]:
    """One commentCorrection entry as a link: type, pmid or doi of the other record, text."""
    kind = _text(entry.get("type"))
    name = LINK_TYPES.get(kind.lower()) or "".join(w.capitalize() for w in kind.split())
    src = _text(entry.get("source")).upper()
    ident = _ident(entry.get("id"))
    reference = _text(entry.get("reference"))
    pmid = _pmid(ident) if src == "MED" else None
    m = _DOI_IN_TEXT_RE.search(reference)
    doi = normalize_doi(m.group(1).rstrip(".,;)")) if m else None
    return {"type": name, "pmid": pmid, "doi": doi, "text": reference or None,
            "source": src or None, "id": ident or None}


def _mesh(d: dict[str, Any]) -> list[str]:
    """MeSH descriptors then chemical names, as the PubMed parser lists them."""
    terms = [_text(m.get("descriptorName")) for m in
             _as_list(_nested(d, "meshHeadingList", "meshHeading")) if isinstance(m, dict)]
    terms += [_text(c.get("name")) for c in _as_list(_nested(d, "chemicalList", "chemical"))
              if isinstance(c, dict)]
    return list(dict.fromkeys(t for t in terms if t))


def _versions(d: dict[str, Any], doi: str | None) -> list[dict[str, Any]]:
    """A preprint's versions from ``versionList`` (each version is its own PPR record)."""
    out = []
    for v in _as_list(_nested(d, "versionList", "version")):
        if not isinstance(v, dict):
            continue
        number = _ident(v.get("versionNumber"))
        ident = _ident(v.get("id"))
        out.append({"kind": "preprint", "version": int(number) if is_number(number) else None,
                    "date": _text(v.get("firstPublishDate")) or None, "doi": doi,
                    "id": f"{_text(v.get('source')) or 'PPR'}:{ident}" if ident else None,
                    "withdrawn": any(_WITHDRAWN_TYPE_RE.search(_text(t)) for t in
                                     _as_list(_nested(v, "pubTypeList", "pubType")))})
    return out


def _pub_date(d: dict[str, Any]) -> str | None:
    for value in (d.get("firstPublicationDate"), d.get("electronicPublicationDate"),
                  _nested(d, "journalInfo", "printPublicationDate")):
        # [0-9], not \d: "²" and other Unicode digits are no date
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
            return value.strip()
    year = _ident(d.get("pubYear")) or _ident(_nested(d, "journalInfo", "yearOfPublication"))
    return year if re.fullmatch(r"[0-9]{4}", year) else None


def is_medrxiv(d: dict[str, Any]) -> bool:
    """True for a medRxiv preprint (its own spider crawls those).

    The preprint's publisher says so; failing that, the DOI's shape does (medRxiv DOIs end in
    eight digits, bioRxiv's in six, under the same prefixes).
    """
    publisher = _text(_nested(d, "bookOrReportDetails", "publisher"))
    if "medrxiv" in publisher.lower():
        return True
    doi = normalize_doi(d.get("doi")) if isinstance(d.get("doi"), str) else None
    return bool(doi and not publisher and _MEDRXIV_DOI_RE.match(doi))


@wrong_types_are_parse_errors("Europe PMC result", SOURCE)
def parse_result(d: dict[str, Any]) -> Study:
    """One Study from one ``core`` result (raises ParseError when it has no id or title).

    Any other field of the wrong type is skipped like a missing one.
    """
    if not isinstance(d, dict):
        raise ParseError("Europe PMC result is not an object", source=SOURCE)
    src = _text(d.get("source")).upper()
    ident = _ident(d.get("id"))
    if not src or not ident:
        raise ParseError(f"Europe PMC result without source and id: {str(d)[:120]}",
                         source=SOURCE)
    title = html_to_text(d.get("title"))
    if not title:
        raise ParseError(f"Europe PMC result {src}:{ident} has no title (not a core record?)",
                         source=SOURCE)
    types = _publication_types(d)
    lowered = [t.lower() for t in types]
    preprint = src == "PPR" or "preprint" in lowered
    links = [_link(e) for e in _as_list(_nested(d, "commentCorrectionList", "commentCorrection"))
             if isinstance(e, dict)]
    doi = normalize_doi(d.get("doi")) if isinstance(d.get("doi"), str) else None
    versions = _versions(d, doi) if preprint else []
    withdrawn = bool(_WITHDRAWN_TITLE_RE.match(title)) or any(
        _WITHDRAWN_TYPE_RE.search(t) for t in types) or any(v["withdrawn"] for v in versions)
    retracted = RETRACTED_TYPE in lowered or withdrawn or any(
        link["type"] == "RetractionIn" for link in links)
    sections = abstract_sections(d.get("abstractText"))
    version = d.get("versionNumber")
    first_index = d.get("firstIndexDate")
    raw_publisher = _nested(d, "bookOrReportDetails", "publisher")
    publisher = _text(raw_publisher)
    journal = (_text(_nested(d, "journalInfo", "journal", "title")) or _text(d.get("journalTitle"))
               or publisher)
    return Study(
        source=SOURCE,
        source_id=f"{src}:{ident}",
        pmid=_pmid(d.get("pmid")) or (_pmid(ident) if src == "MED" else None),
        pmcid=normalize_pmcid(d.get("pmcid")) if isinstance(d.get("pmcid"), str) else None,
        doi=None if preprint else doi,
        preprint_dois=[doi] if preprint and doi else [],
        title=title,
        abstract=_abstract_text(sections),
        abstract_sections=sections,
        journal=journal,
        pub_date=_pub_date(d),
        authors=_authors(d, f"{src}:{ident}"),
        mesh=_mesh(d),
        keywords=[_text(k) for k in _as_list(_nested(d, "keywordList", "keyword")) if _text(k)],
        publication_types=types,
        language=_text(d.get("language")) or None,
        comments_corrections=links,
        url=f"https://europepmc.org/article/{src}/{ident}",
        preprint=preprint,
        retracted=retracted,
        corrected=any(link["type"] == "ErratumIn" for link in links),
        versions=versions,
        # only facts that stay put: a citation count would make every re-crawl an update
        extras={
            "europepmc_source": src,
            "publisher": raw_publisher if isinstance(raw_publisher, str) else "",
            "pub_year": _ident(d.get("pubYear")),
            "open_access": d.get("isOpenAccess") == "Y",
            "first_index_date": first_index if isinstance(first_index, str) else None,
            "withdrawn": withdrawn,
            # kept as sent (the sample data and the API send a number)
            "version": version if isinstance(version, int | str) and not isinstance(
                version, bool) else None,
        },
    )
