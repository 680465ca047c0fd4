"""The local relevance filter: is a record about ketamine, esketamine or arketamine in psychiatry?

medRxiv has no keyword search, so its crawl reads every preprint of a date window and keeps the
ones this filter accepts. Precision comes first (DESIGN.md: a badge must be right more often
than not), so a record must pass all of these:

1. it names one of the drugs (ketamine, esketamine, arketamine, R-/S-ketamine, Spravato),
   not only as an anaesthetic mixture ("ketamine/xylazine");
2. it names a psychiatric condition (depression, bipolar, PTSD, OCD, suicidality, anxiety,
   mood disorders, psychiatry) once phrases that only look psychiatric are set aside
   ("respiratory depression", "ST-segment depression", "cortical spreading depression");
3. the drug is in the title, or named at least twice: one passing mention in an abstract
   ("patients taking ketamine were excluded") is not a ketamine study.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: the drugs; "ketamine" also matches "R-ketamine", "(S)-ketamine" (the hyphen is a boundary)
_DRUG_RE = re.compile(r"\b(?:es|ar)?ketamine\b|\bspravato\b", re.IGNORECASE)
#: a drug named only inside an anaesthetic cocktail or as the anaesthetic of an animal procedure
_ANAESTHETIC_RE = re.compile(
    r"\bketamine\s*(?:/|-|\+|and|with)\s*(?:xylazine|medetomidine|dexmedetomidine|acepromazine|"
    r"diazepam|midazolam)\b|\b(?:xylazine|medetomidine)\s*(?:/|-|\+|and)\s*ketamine\b|"
    r"\banaesthetized with ketamine\b|\banesthetized with ketamine\b",
    re.IGNORECASE)
_PSYCH_RE = re.compile(
    r"\bdepressi(?:on|ve)\b|\bantidepress\w*|\bTRD\b|\bMDD\b|\bbipolar\b|\bPTSD\b|"
    r"\bpost-?traumatic stress\b|\bobsessive[- ]compulsive\b|\bOCD\b|\bsuicid\w*|"
    r"\banxiety\b|\banhedonia\b|\bmood disorders?\b|\bpsychiatr\w*",
    re.IGNORECASE)
#: "depression" that is not a mood disorder, removed before the psychiatric terms are looked for
_NOT_PSYCH_RE = re.compile(
    r"\b(?:respiratory|ventilatory|cardiovascular|cardiac|myocardial|CNS|central nervous system|"
    r"cortical spreading|spreading|synaptic|ST(?:-segment)?|ST segment|bone marrow)"
    r"\s+depression\b|\bdepression of (?:respiration|breathing|consciousness|synaptic)",
    re.IGNORECASE)


@dataclass
class Relevance:
    """Why a record was (or was not) kept: the drug and psychiatric terms found."""

    relevant: bool
    drug_terms: list[str] = field(default_factory=list)
    psych_terms: list[str] = field(default_factory=list)


def _terms(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(0).lower() for m in pattern.finditer(text)]


def assess(title: str | None, abstract: str | None) -> Relevance:
    """Judge one record by its title and abstract; the result says which terms decided it."""
    title = title or ""
    text = f"{title}\n{abstract or ''}"
    # drug mentions inside anaesthetic mixtures do not count: blank them before counting
    drug_text = _ANAESTHETIC_RE.sub(" ", text)
    drugs = _terms(_DRUG_RE, drug_text)
    psych = _terms(_PSYCH_RE, _NOT_PSYCH_RE.sub(" ", text))
    in_title = bool(_DRUG_RE.search(_ANAESTHETIC_RE.sub(" ", title)))
    relevant = bool(drugs) and bool(psych) and (in_title or len(drugs) >= 2)
    return Relevance(relevant, list(dict.fromkeys(drugs)), list(dict.fromkeys(psych)))


def is_relevant(title: str | None, abstract: str | None) -> bool:
    """True when a record is about ketamine, esketamine or arketamine in psychiatry."""
    return assess(title, abstract).relevant
