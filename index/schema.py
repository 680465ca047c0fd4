"""The Whoosh schema of the search index, and how a stored study becomes one index document.

The index is lean: text fields are indexed but not stored; tags are unstored keyword fields;
a few numeric columns serve sorting. Only two stored fields exist: ``card`` (the JSON of what a
search hit shows) and ``snip`` (the abstract text snippets are cut from, conclusions first),
so a results page never has to touch SQLite.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from typing import Any

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint

from index.analysis import BigramAnalyzer, name_analyzer, plain_analyzer, text_analyzer
from ketawatch.links import primary_url
from ketawatch.vocabulary import DESIGN_STRENGTH

#: bump when the schema or the document shape changes: an index of another version is rebuilt
SCHEMA_VERSION = 5

#: tag fields of the index, and the Study attribute each one comes from
TAG_FIELDS = {"condition": "conditions", "drug": "drugs", "route": "routes"}
#: the flag words of the ``flag`` field
FLAG_WORDS = ("human", "animal", "preprint", "retracted", "corrected")
#: section labels that go first in snippets (the conclusion is what a clinician scans for)
_CONCLUSION_LABEL = re.compile(r"conclu|interpretation|implication|summary|discussion|significance",
                               re.IGNORECASE)
#: how many authors a hit carries
HIT_AUTHORS = 3


class CountedFrequency(Frequency):
    """Frequency postings built from an analyzer's plain list of words.

    whoosh's own Frequency format walks a stream of Token objects through several generators;
    counting a list is several times faster and gives the same postings (frequency, weight).
    """

    def word_values(self, value, analyzer, **kwargs):
        words = getattr(analyzer, "words", None)
        if words is None:
            return super().word_values(value, analyzer, **kwargs)
        boost = self.field_boost
        return ((w, n, n * boost, pack_uint(n)) for w, n in Counter(words(value)).items())


def _text(analyzer) -> TEXT:
    """A TEXT field without positions, indexed through CountedFrequency."""
    field = TEXT(analyzer=analyzer, phrase=False)
    field.format = CountedFrequency(field_boost=1.0)
    return field


def build_schema() -> Schema:
    """The schema of a KetaWatch index."""
    return Schema(
        # every indexed field is scorable: whoosh looks up a per-document length for each
        # posting it writes, and checks the disk (a stat call) each time a field has none
        id=KEYWORD(stored=True, unique=True, scorable=True),
        # no word positions anywhere in the text fields: positions would make indexing and
        # reading postings a third slower. Phrases are searched as pairs of neighbouring words
        # in titles and MeSH (*_bi fields) and as "all these words" in abstracts.
        title=_text(text_analyzer()),
        abstract=_text(text_analyzer()),
        # MeSH headings, author keywords and publication types, one a line
        mesh=_text(text_analyzer()),
        title_bi=_text(BigramAnalyzer()),
        mesh_bi=_text(BigramAnalyzer()),
        author=TEXT(analyzer=name_analyzer(), phrase=True),
        journal=TEXT(analyzer=plain_analyzer(), phrase=True),
        # pmid, doi, pmcid, nct numbers, preprint DOIs: lowercased, exact
        ids=KEYWORD(lowercase=True, scorable=True),
        condition=KEYWORD(scorable=True),
        drug=KEYWORD(scorable=True),
        route=KEYWORD(scorable=True),
        design=KEYWORD(scorable=True),
        source=KEYWORD(scorable=True),
        flag=KEYWORD(scorable=True),
        # columns only (sorting, year filters, ranking): indexing numbers would add a dozen
        # postings a study for range queries that the year sets answer instead
        year=COLUMN(NumericColumn("i")),
        # design strength (vocabulary.DESIGN_STRENGTH), sample size (0 = unknown), newest key
        strength=COLUMN(NumericColumn("i")),
        n=COLUMN(NumericColumn("i")),
        newest=COLUMN(NumericColumn("q")),
        card=STORED,
        snip=STORED,
    )


def newest_key(pub_date: str | None, first_seen: str | None) -> int:
    """One sortable number for "newest first": publication date, then when KetaWatch saw it."""
    digits = re.sub(r"\D", "", pub_date or "")[:8]
    digits = (digits + "0000")[:8] if len(digits) >= 4 else "00000000"
    seen = 0
    if first_seen:
        try:
            seen = int(datetime.fromisoformat(first_seen.replace("Z", "+00:00")).timestamp())
        except ValueError:
            seen = 0
    return int(digits) * 10_000_000_000 + max(0, min(seen, 9_999_999_999))


def study_url(study) -> str | None:
    """The study's own link, built from its identifiers (never a crawled URL, which could be a
    ``javascript:`` link): PubMed, else the DOI, the preprint, or the trial registration."""
    return primary_url(study)


def snippet_sections(study) -> list[list[str]]:
    """The abstract as [label, text] parts, conclusion-like sections first."""
    sections = [[str(lbl or ""), str(txt or "")] for lbl, txt in (study.abstract_sections or [])
                if txt]
    if not sections:
        return [["", study.abstract]] if study.abstract else []
    first = [s for s in sections if s[0] and _CONCLUSION_LABEL.search(s[0])]
    rest = [s for s in sections if s not in first]
    return first + rest


def card(stored) -> dict[str, Any]:
    """What a search hit shows of a study (the ``card`` stored field)."""
    s = stored.study
    return {
        "id": stored.id, "pmid": s.pmid, "doi": s.doi, "nct_ids": list(s.nct_ids),
        "title": s.title, "year": s.year, "journal": s.journal, "design": s.design,
        "conditions": list(s.conditions), "drugs": list(s.drugs), "routes": list(s.routes),
        "sample_size": s.sample_size, "retracted": bool(s.retracted),
        "corrected": bool(s.corrected), "url": study_url(s), "preprint": bool(s.preprint),
        "human": s.human, "authors": list(s.authors[:HIT_AUTHORS]),
        "author_count": len(s.authors), "pub_date": s.pub_date, "first_seen": stored.first_seen,
    }


def sources_of(study) -> list[str]:
    """The sources a merged study came from (pubmed, europepmc, medrxiv, clinicaltrials)."""
    names = [str(x).split(":", 1)[0] for x in (study.extras or {}).get("sources", [])]
    if not names and study.source and study.source != "merged":
        names = [study.source]
    return sorted(set(names))


def flags_of(study) -> list[str]:
    """The flag words of a study (human or animal, preprint, retracted, corrected)."""
    flags = []
    if study.human is True:
        flags.append("human")
    elif study.human is False:
        flags.append("animal")
    for name in ("preprint", "retracted", "corrected"):
        if getattr(study, name):
            flags.append(name)
    return flags


def document(stored) -> dict[str, Any]:
    """The index document of a stored study."""
    s = stored.study
    ids = [x for x in (s.pmid, s.doi, s.pmcid, *s.nct_ids, *s.preprint_dois, s.published_doi) if x]
    title = "\n".join(x for x in (s.title, s.vernacular_title) if x)
    mesh = "\n".join([*s.mesh, *s.keywords, *s.publication_types])
    return {
        "id": str(stored.id),
        "title": title,
        "title_bi": title,
        "abstract": s.abstract or "",
        "mesh": mesh,
        "mesh_bi": mesh,
        "author": "\n".join(s.authors),
        "journal": s.journal or "",
        "ids": " ".join(ids),
        "condition": " ".join(s.conditions),
        "drug": " ".join(s.drugs),
        "route": " ".join(s.routes),
        "design": s.design or "other",
        "source": " ".join(sources_of(s)),
        "flag": " ".join(flags_of(s)),
        "year": s.year or 0,
        "strength": DESIGN_STRENGTH.get(s.design, 0),
        "n": min(int(s.sample_size), 2_000_000_000) if s.sample_size and s.sample_size > 0 else 0,
        "newest": newest_key(s.pub_date, stored.first_seen),
        "card": json.dumps(card(stored), separators=(",", ":"), ensure_ascii=False),
        "snip": json.dumps(snippet_sections(s), separators=(",", ":"), ensure_ascii=False),
    }
