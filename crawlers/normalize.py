"""Normalizing a Study item: clean strings, canonical identifiers, no duplicate list entries.

Every source's items pass through ``normalize_study`` before tagging and storing, so the store
never sees two spellings of one DOI or a title with stray whitespace.
"""

from __future__ import annotations

import re
import unicodedata

from ketawatch.model import (
    Study,
    find_nct_ids,
    normalize_doi,
    normalize_nct,
    normalize_pmcid,
    normalize_pmid,
)

_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
#: longest text we keep for one field: bounded so a hostile record cannot fill the store
MAX_TEXT = 20_000


def clean_text(value: str | None, *, keep_newlines: bool = False) -> str:
    """NFC-normalized text with control characters removed and whitespace collapsed."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    if keep_newlines:
        text = _CONTROL_RE.sub("", text)
        lines = [_clean_line(line) for line in text.splitlines()]
        text = _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()
    else:
        text = _clean_line(text.replace("\n", " ") if "\n" in text else text)
    return text[:MAX_TEXT]


def _clean_line(text: str) -> str:
    """One line without control characters, runs of spaces made one, stripped."""
    # Nearly every name, heading and abstract line is already clean: printable (no control
    # character, no space but " ") without a double space, which the regexes would give back
    # unchanged. The two tests run at C speed; the substitutions cost most of normalizing.
    if text.isprintable() and "  " not in text:
        return text.strip()
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _clean_sections(sections: list[list[str]]) -> list[list[str]]:
    """Abstract sections with their label and text cleaned; sections left without text dropped."""
    out = []
    for label, text in sections:
        cleaned = clean_text(text)  # once: it is most of an abstract's cleaning
        if cleaned:
            out.append([clean_text(label), cleaned])
    return out


def normalize_study(study: Study) -> Study:
    """Clean a Study item in place and return it."""
    study.pmid = normalize_pmid(study.pmid)
    study.doi = normalize_doi(study.doi)
    study.pmcid = normalize_pmcid(study.pmcid)
    study.published_doi = normalize_doi(study.published_doi)
    study.preprint_dois = _unique([normalize_doi(d) for d in study.preprint_dois])
    ncts = [normalize_nct(n) for n in study.nct_ids] + find_nct_ids(study.abstract)
    study.nct_ids = _unique(ncts)
    study.title = clean_text(study.title)
    study.vernacular_title = clean_text(study.vernacular_title) or None
    study.abstract = clean_text(study.abstract, keep_newlines=True)
    study.abstract_sections = _clean_sections(study.abstract_sections)
    study.journal = clean_text(study.journal)
    study.authors = _unique([clean_text(a) for a in study.authors])[:500]
    study.mesh = _unique([clean_text(m) for m in study.mesh])
    study.keywords = _unique([clean_text(k) for k in study.keywords])
    study.publication_types = _unique([clean_text(p) for p in study.publication_types])
    for link in study.comments_corrections:
        link["pmid"] = normalize_pmid(link.get("pmid"))
        link["doi"] = normalize_doi(link.get("doi"))
    if study.pub_date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", study.pub_date):
        study.pub_date = None
    return study
