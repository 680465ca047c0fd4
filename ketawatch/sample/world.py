"""The sample world: underlying studies, drawn once, that every source renderer describes.

A ``WorldStudy`` holds the facts of one study (drug, condition, route, design, dates, people,
identifiers) and its presence in each source (a PubMed article, a medRxiv preprint with versions,
a ClinicalTrials.gov registration, Europe PMC records, Crossref updates). Renderers read these
facts and never draw random numbers, so the same world always renders to the same bytes.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ketawatch.sample import vocab
from ketawatch.sample.vocab import Condition, Journal

# identifier ranges that do not exist in the real services (see the package docstring)
PMID_BASE = 90_000_000
NCT_BASE = 9_000_000
PMC_BASE = 90_000_000
PPR_BASE = 9_000_000
DOI_PREFIX = "10.5555"

HUMAN_DESIGNS = ("rct", "clinical-trial", "observational", "case-report")
PREPRINT_DESIGNS = ("rct", "clinical-trial", "observational", "meta-analysis", "systematic-review")
MEDRXIV_START = date(2019, 7, 1)


@dataclass(slots=True)
class Author:
    """One author: a person, or a group (``collective``)."""

    last: str = ""
    fore: str = ""
    initials: str = ""
    affiliation: str = ""
    collective: str | None = None
    orcid: str | None = None

    @property
    def full(self) -> str:
        """'Fore Last' (the group name for a collective)."""
        return self.collective or f"{self.fore} {self.last}"


@dataclass(slots=True)
class Trial:
    """A ClinicalTrials.gov registration."""

    nct: str = ""
    status: str = "COMPLETED"
    why_stopped: str | None = None
    has_results: bool = False
    enrollment: int = 0
    enrollment_actual: bool = True
    phases: list[str] = field(default_factory=list)
    randomized: bool = True
    masking: str = "QUADRUPLE"
    start: date = date(2020, 1, 1)
    start_actual: bool = True
    primary_completion: date = date(2021, 1, 1)
    completion: date = date(2021, 1, 1)
    completion_actual: bool = True
    first_submit: date = date(2019, 12, 1)
    first_post: date = date(2019, 12, 5)
    last_update: date = date(2021, 6, 1)
    results_first_post: date | None = None
    sponsor: tuple[str, str] = ("", "OTHER")
    org_study_id: str = ""
    intervention: str = "Ketamine"
    other_names: tuple[str, ...] = ()
    acronym: str | None = None
    brief_title: str = ""
    official_title: str = ""
    brief_summary: str = ""
    detailed_description: str = ""
    sites: list[tuple[str, str | None, str]] = field(default_factory=list)
    official: str = ""
    primary_outcome: tuple[str, str] = ("", "")


@dataclass(slots=True)
class Preprint:
    """A medRxiv preprint: one DOI, one record per version."""

    doi: str = ""
    dates: list[date] = field(default_factory=list)
    category: str = "psychiatry and clinical psychology"
    license: str = "cc_by"
    type: str = "PUBLISHAHEADOFPRINT"
    title: str = ""
    abstracts: list[str] = field(default_factory=list)
    funder: Any = "NA"
    published_doi: str | None = None
    mirrored_in_epmc: bool = False
    ppr_id: str | None = None


@dataclass(slots=True)
class PPR:
    """A Europe PMC preprint record from another server (Research Square, SSRN, PsyArXiv)."""

    id: str = ""
    server: str = ""
    doi: str = ""
    day: date = date(2024, 1, 1)
    version: int = 1


@dataclass(slots=True)
class Update:
    """A retraction, correction or expression of concern and who knows about it."""

    kind: str = "retraction"  # retraction | correction | expression_of_concern
    day: date = date(2024, 1, 1)
    notice_sid: str | None = None  # the PubMed notice study, when PubMed has one
    notice_doi: str = ""
    known_to: set[str] = field(default_factory=set)  # pubmed, europepmc, crossref
    record_id: int = 0


@dataclass(slots=True)
class WorldStudy:
    """One underlying study and its presence in every source."""

    sid: str
    kind: str  # article | registration | preprint | erratum | retraction-notice
    drugs: list[str] = field(default_factory=list)
    conds: list[Condition] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    design: str = "other"
    human: bool | None = True
    sample_size: int | None = None
    species: tuple[str, str] | None = None
    population: str = "adults"
    comparator: tuple[str, str] | None = None
    dose: str = ""
    country: str = ""
    # text
    title: str = ""
    sections: list[tuple[str | None, str | None, str]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    style: str = "nlm"
    language: str = "eng"
    vernacular: str | None = None
    nct_in_abstract: bool = False
    nct_in_databank: bool = False
    markup: bool = False
    # publication
    journal: Journal | None = None
    authors: list[Author] = field(default_factory=list)
    edat: date | None = None
    edat_time: tuple[int, int] = (6, 0)
    pub_date: date | None = None
    date_style: str = "ym"  # ymd | ym | y | medline
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pmid: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    status: str = "MEDLINE"
    has_mesh: bool = True
    pubtypes: list[str] = field(default_factory=list)
    grants: list[tuple[str, str, str]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # sids cited
    comment_on: str | None = None  # sid an editorial comments on
    comments_in: list[str] = field(default_factory=list)
    received: date | None = None
    accepted: date | None = None
    # other sources
    trial: Trial | None = None
    preprint: Preprint | None = None
    ppr: PPR | None = None
    epmc_med: bool = False
    updates: list[Update] = field(default_factory=list)
    notice_for: str | None = None

    @property
    def ref_year(self) -> int:
        """The year the study became public (PubMed, preprint or registration), for prose."""
        if self.edat:
            return self.edat.year
        if self.preprint and self.preprint.dates:
            return self.preprint.dates[0].year
        if self.ppr:
            return self.ppr.day.year
        return 2025

    @property
    def conditions(self) -> list[str]:
        """Condition keys of the vocabulary, without repeats."""
        return list(dict.fromkeys(c.key for c in self.conds))

    @property
    def cond(self) -> Condition:
        """The primary condition."""
        return self.conds[0]

    @property
    def drug(self) -> str:
        """The primary drug."""
        return self.drugs[0]

    @property
    def in_pubmed(self) -> bool:
        """True when PubMed holds an article for this study."""
        return self.pmid is not None

    def update(self, kind: str) -> Update | None:
        """The first update of this kind, if any."""
        return next((u for u in self.updates if u.kind == kind), None)


@dataclass(slots=True)
class NoiseRecord:
    """An unrelated record a source returns (medRxiv has no keyword search)."""

    sid: str
    source: str  # medrxiv | europepmc
    title: str
    abstract: str
    category: str
    day: date
    doi: str
    authors: list[Author]
    pmid: str | None = None
    journal: Journal | None = None
    versions: int = 1


@dataclass(slots=True)
class World:
    """Every study of one generated corpus, plus the counters that continue in a later crawl."""

    seed: int
    size: int
    end_date: date
    studies: list[WorldStudy] = field(default_factory=list)
    noise: list[NoiseRecord] = field(default_factory=list)
    next_pmid: int = PMID_BASE
    next_nct: int = NCT_BASE
    next_pmc: int = PMC_BASE
    next_ppr: int = PPR_BASE
    next_mrx: int = 900_000
    next_serial: int = 1
    doi_serial: int = 100_000

    def by_sid(self) -> dict[str, WorldStudy]:
        """Studies keyed by their id."""
        return {s.sid: s for s in self.studies}

    def new_sid(self) -> str:
        """The next study id ("KW000001", ...)."""
        sid = f"KW{self.next_serial:06d}"
        self.next_serial += 1
        return sid


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    """One key of ``weights`` drawn in proportion to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "ß": "ss", "đ": "d"})


def ascii_fold(text: str) -> str:
    """Text without accents (for e-mail addresses)."""
    return unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")


def initials_of(fore: str) -> str:
    """PubMed initials of a fore name: 'Ella J' -> 'EJ', 'Hye-Jin' -> 'HJ'."""
    parts = fore.replace("-", " ").split()
    return "".join(p[0].upper() for p in parts if p)


_AFFILIATIONS: dict[tuple[str, str, tuple[str, str | None, str]], str] = {}


def _affiliation(dept: str, inst: str, place: tuple[str, str | None, str]) -> str:
    """'Department, Institution, City, Country.' built once per combination (a 100,000-study
    corpus has a million authors but only a few thousand distinct affiliations)."""
    key = (dept, inst, place)
    aff = _AFFILIATIONS.get(key)
    if aff is None:
        city, region, country = place
        where = f"{city}, {region}, {country}" if region else f"{city}, {country}"
        aff = _AFFILIATIONS[key] = f"{dept}, {inst.format(city=city)}, {where}."
    return aff


def _orcid_check(digits: str) -> str:
    """ISO 7064 11-2 check character of an ORCID whose first 15 digits are '0' + ``digits``."""
    total = 0
    for ch in "0" + digits:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def make_author(rng: random.Random, place: tuple[str, str | None, str], email: bool = False) -> Author:
    """A person with an affiliation at ``place``."""
    fore, _sex = rng.choice(vocab.FORE_NAMES)
    last = rng.choice(vocab.LAST_NAMES)
    aff = _affiliation(rng.choice(vocab.DEPARTMENTS), rng.choice(vocab.INSTITUTIONS), place)
    if email:
        first = ascii_fold(fore.split()[0]).lower()
        surname = ascii_fold(last).lower().replace(" ", "").replace("'", "")
        aff += f" Electronic address: {first}.{surname}@example.org."
    orcid = None
    if rng.random() < 0.25:
        digits = "000" + rng.choice("1239") + "".join(str(rng.randrange(10)) for _ in range(11))
        full = "0" + digits + _orcid_check(digits)
        orcid = f"{full[0:4]}-{full[4:8]}-{full[8:12]}-{full[12:16]}"
    return Author(last=last, fore=fore, initials=initials_of(fore), affiliation=aff, orcid=orcid)


def make_authors(rng: random.Random, count: int, collective: str | None = None) -> list[Author]:
    """A byline: most authors from one place, some from others; an optional group at the end."""
    home = rng.choice(vocab.PLACES)
    out: list[Author] = []
    for i in range(count):
        place = home if rng.random() < 0.7 else rng.choice(vocab.PLACES)
        out.append(make_author(rng, place, email=(i == count - 1 and rng.random() < 0.3)))
    if collective:
        out.append(Author(collective=collective))
    return out


def clamp(day: date, low: date, high: date) -> date:
    """``day`` moved into [low, high]."""
    return max(low, min(high, day))
