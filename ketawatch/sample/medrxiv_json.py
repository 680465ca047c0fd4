"""Render medRxiv preprints as records of the ``/details/medrxiv/{from}/{to}/{cursor}`` collection.

The key set and order are those of the real bioRxiv details fixture (the two servers share the
API): every value is a string, ``version`` included; ``published`` is ``"NA"`` or the journal DOI;
``funder`` is ``"NA"`` or a list of objects. The sample-data mark sits in
``author_corresponding_institution``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ketawatch.sample import vocab
from ketawatch.sample.common import institution
from ketawatch.sample.world import Author, NoiseRecord, WorldStudy


def _initials(fore: str) -> str:
    return " ".join(f"{p[0]}." for p in fore.replace("-", " ").split() if p)


def _authors(authors: list[Author]) -> str:
    return "; ".join(a.collective or f"{a.last}, {_initials(a.fore)}" for a in authors)


def _corresponding(authors: list[Author]) -> Author:
    people = [a for a in authors if not a.collective]
    return people[-1] if people else Author(fore="", last="", affiliation="")


def _record(title: str, authors: list[Author], doi: str, day: date, version: int, kind: str,
            license_: str, category: str, abstract: str, funder: Any, published: str) -> dict[str, Any]:
    corr = _corresponding(authors)
    suffix = doi.split("/", 1)[1]
    inst = institution(corr.affiliation) if corr.affiliation else ""
    return {
        "title": title,
        "authors": _authors(authors),
        "author_corresponding": f"{corr.fore} {corr.last}".strip(),
        "author_corresponding_institution": f"{inst} {vocab.SAMPLE_MARK}".strip(),
        "doi": doi,
        "date": day.isoformat(),
        "version": str(version),
        "type": kind,
        "license": license_,
        "category": category,
        "jatsxml": f"https://www.medrxiv.org/content/early/{day:%Y/%m/%d}/{suffix}.source.xml",
        "abstract": abstract,
        "funder": funder,
        "published": published,
        "server": "medRxiv",
    }


def render(s: WorldStudy) -> list[dict[str, Any]]:
    """One record per posted version of the study's preprint."""
    p = s.preprint
    assert p is not None
    published = p.published_doi or "NA"
    return [_record(p.title, s.authors, p.doi, day, i + 1, p.type, p.license, p.category,
                    p.abstracts[i], p.funder, published) for i, day in enumerate(p.dates)]


def render_noise(n: NoiseRecord) -> list[dict[str, Any]]:
    """Records of an unrelated preprint (the spider must filter it out)."""
    out = []
    for v in range(n.versions):
        day = n.day if v == 0 else date.fromordinal(n.day.toordinal() + 30 * v)
        out.append(_record(n.title, n.authors, n.doi, day, v + 1, "PUBLISHAHEADOFPRINT", "cc_by_nc_nd",
                           n.category, n.abstract, "NA", "NA"))
    return out
