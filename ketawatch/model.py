"""The Study record: one normalized shape that every source yields and the store merges.

A ``Study`` coming out of a crawler describes one *source record* (one PubMed article, one trial
registration, one preprint). The store merges every source record that shares an identifier into
one study, using ``merge_records``; the merged ``Study`` has the same shape.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SOURCES = ("pubmed", "europepmc", "medrxiv", "clinicaltrials")
#: which source's bibliographic fields win when several describe one study (first wins)
SOURCE_PRIORITY = {name: rank for rank, name in enumerate(SOURCES)}

_NCT_RE = re.compile(r"\bNCT\s?0?(\d{7,8})\b", re.IGNORECASE)
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_PMCID_RE = re.compile(r"^(?:PMC)?(\d+)$", re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """Lowercase a DOI and strip URL or ``doi:`` prefixes; None for an empty or bogus value."""
    if not value:
        return None
    doi = _DOI_PREFIX_RE.sub("", value.strip()).strip().lower()
    return doi if doi.startswith("10.") and "/" in doi else None


def normalize_pmcid(value: str | None) -> str | None:
    """``PMC1234567`` for any spelling of a PMC id."""
    if not value:
        return None
    m = _PMCID_RE.match(value.strip())
    return f"PMC{m.group(1)}" if m else None


def normalize_pmid(value: str | int | None) -> str | None:
    """A PMID as a string of digits, or None."""
    if value is None:
        return None
    text = str(value).strip()
    # ASCII digits only: str.isdigit() also takes "²"
    return text if text.isascii() and text.isdecimal() and text.strip("0") else None


def normalize_nct(value: str | None) -> str | None:
    """``NCT01234567`` for a trial registration number, or None."""
    if not value:
        return None
    m = _NCT_RE.search(value)
    return f"NCT{int(m.group(1)):08d}" if m else None


def find_nct_ids(text: str | None) -> list[str]:
    """Every ClinicalTrials.gov number mentioned in a text, in order, without repeats."""
    # every number is written "NCT...", in any case: most abstracts name none, and the
    # case-insensitive scan costs several times this test (each letter of "nct" folds only
    # from itself and its capital)
    if not text or "nct" not in text.casefold():
        return []
    seen: dict[str, None] = {}
    for m in _NCT_RE.finditer(text):
        seen[f"NCT{int(m.group(1)):08d}"] = None
    return list(seen)


def year_of(pub_date: str | None) -> int | None:
    """The year of an ISO or partial ISO date (``2024``, ``2024-03``, ``2024-03-05``)."""
    if pub_date and len(pub_date) >= 4 and pub_date[:4].isdigit():
        return int(pub_date[:4])
    return None


@dataclass
class Study:
    """One study (or one source record of it) in the normalized shape of DESIGN.md."""

    source: str = ""
    source_id: str = ""
    pmid: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    nct_ids: list[str] = field(default_factory=list)
    preprint_dois: list[str] = field(default_factory=list)
    #: for a preprint: the DOI of the journal article it became
    published_doi: str | None = None
    title: str = ""
    vernacular_title: str | None = None
    abstract: str = ""
    #: structured abstract sections as [label, text] pairs ("" label for unlabelled text)
    abstract_sections: list[list[str]] = field(default_factory=list)
    journal: str = ""
    pub_date: str | None = None
    authors: list[str] = field(default_factory=list)
    mesh: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    language: str | None = None
    #: links to other records: {"type": "RetractionIn"|"RetractionOf"|"ErratumFor"|..., "pmid", "doi"}
    comments_corrections: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None
    # tags (vocabulary in ketawatch.vocabulary)
    conditions: list[str] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    design: str = "other"
    human: bool | None = None
    sample_size: int | None = None
    preprint: bool = False
    retracted: bool = False
    corrected: bool = False
    #: trial registration facts: status, enrollment, start_date, completion_date, has_results, phases
    trial: dict[str, Any] | None = None
    #: versions of the study: preprint versions, the journal article ({"kind", "doi", "date", ...})
    versions: list[dict[str, Any]] = field(default_factory=list)
    #: source-specific odds and ends
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def year(self) -> int | None:
        """Publication year, from ``pub_date``."""
        return year_of(self.pub_date)

    def identifiers(self) -> list[tuple[str, str]]:
        """Every (kind, value) identifier this record carries, normalized."""
        ids: list[tuple[str, str]] = []
        if self.pmid:
            ids.append(("pmid", self.pmid))
        if self.doi:
            ids.append(("doi", self.doi))
        if self.pmcid:
            ids.append(("pmcid", self.pmcid))
        ids.extend(("nct", n) for n in self.nct_ids if self.source == "clinicaltrials")
        ids.extend(("doi", d) for d in self.preprint_dois)
        if self.published_doi:
            ids.append(("doi", self.published_doi))
        seen: dict[tuple[str, str], None] = dict.fromkeys(ids)
        return list(seen)

    def link_identifiers(self) -> list[tuple[str, str]]:
        """Identifiers that link this record to a study without making it that study.

        A publication citing a trial's NCT number is linked to the registration, and merged with
        it: DESIGN.md wants one record per study across registration and paper.
        """
        if self.source == "clinicaltrials":
            return []
        return [("nct", n) for n in self.nct_ids]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (an independent copy)."""
        return asdict(self)

    def fields_view(self) -> dict[str, Any]:
        """Every field by name, in ``to_dict`` order, holding this Study's own values.

        For serializing at once (``json.dumps``): ``to_dict`` deep-copies every list and dict,
        which cost most of storing a record; do not change what this returns.
        """
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Study:
        """Build a Study from ``to_dict`` output, ignoring unknown keys."""
        # a subclass may have fields of its own; Study's are known once (a store reads many)
        names = _FIELD_SET if cls is Study else {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_FIELD_NAMES = tuple(f.name for f in fields(Study))
_FIELD_SET = frozenset(_FIELD_NAMES)


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def merge_records(records: list[Study]) -> tuple[Study, dict[str, str]]:
    """Merge source records of one study into one Study, and say which source gave each field.

    The result depends only on the set of records, never on their order: records are sorted by
    source priority (PubMed, Europe PMC, medRxiv, ClinicalTrials.gov) then by source id. Scalar
    fields come from the first record that has them; list fields are unions.
    """
    ordered = sorted(records, key=lambda r: (SOURCE_PRIORITY.get(r.source, 99), r.source_id))
    merged = Study(source="merged", source_id="")
    provenance: dict[str, str] = {}
    scalar = ("pmid", "doi", "pmcid", "published_doi", "title", "vernacular_title", "abstract",
              "journal", "pub_date", "language", "url", "sample_size", "trial")
    # a journal article's DOI is the study's DOI; preprint DOIs stay in preprint_dois
    published = [r for r in ordered if not r.preprint]
    articles_first = published + [r for r in ordered if r.preprint]
    for name in scalar:
        for rec in articles_first if name != "trial" else ordered:
            value = getattr(rec, name)
            if value not in (None, "", [], {}):
                setattr(merged, name, value)
                provenance[name] = f"{rec.source}:{rec.source_id}"
                break
    if merged.abstract:
        src = provenance.get("abstract", "")
        for rec in ordered:
            if f"{rec.source}:{rec.source_id}" == src:
                merged.abstract_sections = rec.abstract_sections
                break
    for name in ("nct_ids", "preprint_dois", "mesh", "keywords", "publication_types",
                 "comments_corrections", "conditions", "drugs", "routes", "versions"):
        values: list[Any] = []
        for rec in ordered:
            values.extend(getattr(rec, name))
        setattr(merged, name, _unique(values))
    if merged.doi and merged.doi in merged.preprint_dois and published:
        merged.preprint_dois = [d for d in merged.preprint_dois if d != merged.doi]
    # authors: the best source's list, not a union of several spellings of the same people
    for rec in published + ordered:
        if rec.authors:
            merged.authors = list(rec.authors)
            provenance["authors"] = f"{rec.source}:{rec.source_id}"
            break
    # a preprint until a journal version is stored: registrations do not count either way
    merged.preprint = any(r.preprint for r in ordered) and all(
        r.preprint for r in ordered if r.source != "clinicaltrials")
    merged.retracted = any(r.retracted for r in ordered)
    merged.corrected = any(r.corrected for r in ordered)
    humans = [r.human for r in ordered if r.human is not None]
    merged.human = any(humans) if humans else None
    sizes = [r.sample_size for r in published if r.sample_size] or [
        r.sample_size for r in ordered if r.sample_size]
    merged.sample_size = sizes[0] if sizes else None
    from ketawatch.vocabulary import strongest_design

    merged.design = strongest_design([r.design for r in ordered])
    articles = [r for r in ordered if not r.preprint and r.source != "clinicaltrials"]
    preprints = [r for r in ordered if r.preprint]
    merged.extras = {
        "sources": [f"{r.source}:{r.source_id}" for r in ordered],
        "has_preprint": bool(preprints),
        # the journal version is known once an article is stored or a preprint names its DOI
        "published_known": bool(articles) or any(r.published_doi for r in preprints),
    }
    return merged, provenance
