"""The generated corpus: every source's records in its wire format, plus the ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ketawatch.sample.pubmed_xml import document


class SampleArticle:
    """One PubMed record: ``(pmid, edat, xml)``, where ``xml`` is one ``<PubmedArticle>``.

    The XML is rendered on first access and kept, so a 100,000-study corpus costs memory only
    for the records a caller reads. It unpacks like a tuple: ``pmid, edat, xml = article``.
    """

    __slots__ = ("pmid", "edat", "_xml", "_render")

    def __init__(self, pmid: str, edat: date, xml: bytes | None = None,
                 render: Callable[[], bytes] | None = None):
        self.pmid = pmid
        self.edat = edat
        self._xml = xml
        self._render = render

    @property
    def xml(self) -> bytes:
        """The ``<PubmedArticle>`` (or ``<PubmedBookArticle>``) element, as efetch writes it."""
        xml = self._xml
        if xml is None:
            # rendering is deterministic, so two threads racing here store the same bytes
            assert self._render is not None
            xml = self._xml = self._render()
        return xml

    def __iter__(self) -> Iterator[Any]:
        return iter((self.pmid, self.edat, self.xml))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SampleArticle):
            return NotImplemented
        return (self.pmid, self.edat, self.xml) == (other.pmid, other.edat, other.xml)

    def __hash__(self) -> int:
        return hash((self.pmid, self.edat))

    def __repr__(self) -> str:
        return f"SampleArticle(pmid={self.pmid!r}, edat={self.edat!r})"


@dataclass
class SampleCorpus:
    """What every source holds in one generated world, and the truth about it.

    ``pubmed`` is sorted by PMID, ``clinicaltrials`` by NCT number, ``medrxiv`` by date, DOI and
    version, ``europepmc`` by id. ``events`` is empty for ``generate`` and lists what changed for
    ``second_snapshot`` (the events a crawl of the later snapshot should record).
    """

    pubmed: list[SampleArticle]
    clinicaltrials: list[dict[str, Any]]
    medrxiv: list[dict[str, Any]]
    europepmc: list[dict[str, Any]]
    crossref: dict[str, dict[str, Any]]
    truth: list[dict[str, Any]]
    seed: int
    size: int
    end_date: date
    events: list[dict[str, Any]] = field(default_factory=list)
    world: Any = field(default=None, repr=False, compare=False)

    @staticmethod
    def efetch_document(articles: Iterable[SampleArticle | bytes]) -> bytes:
        """A complete efetch answer (XML declaration, the real DOCTYPE, ``<PubmedArticleSet>``)."""
        return document([a if isinstance(a, bytes) else a.xml for a in articles])

    def article(self, pmid: str) -> SampleArticle | None:
        """The PubMed record with this PMID, if any."""
        return next((a for a in self.pubmed if a.pmid == pmid), None)

    def write_to(self, folder: str | Path) -> list[Path]:
        """Write the corpus as files for inspection; returns the paths written.

        pubmed.xml (one efetch document), clinicaltrials.json ({"studies": [...]}), medrxiv.json
        ({"collection": [...]}), europepmc.json ({"resultList": {"result": [...]}}),
        crossref.json ({doi: message}), truth.json ([...]) and events.json.
        """
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        indent = 1 if len(self.truth) <= 2000 else None
        written = []
        path = out / "pubmed.xml"
        path.write_bytes(self.efetch_document(self.pubmed))
        written.append(path)
        payloads = {
            "clinicaltrials.json": {"studies": self.clinicaltrials},
            "medrxiv.json": {"collection": self.medrxiv},
            "europepmc.json": {"resultList": {"result": self.europepmc}},
            "crossref.json": self.crossref,
            "truth.json": self.truth,
            "events.json": self.events,
        }
        for name, payload in payloads.items():
            path = out / name
            path.write_text(json.dumps(payload, indent=indent, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            written.append(path)
        return written
