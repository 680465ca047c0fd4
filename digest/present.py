"""How one digest item reads: title link, journal and date, badges, summary, links, updates.

Everything here turns crawled data into plain strings; escaping is the templates' job (Jinja
autoescape for HTML). Links are built from identifiers only (``ketawatch.links``), so no
``javascript:`` or look-alike link can come from a source.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ketawatch.links import study_links
from ketawatch.vocabulary import label

SUMMARY_CHARS = 320
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_SPACE_RE = re.compile(r"\s+")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_CONCLUSION_LABEL_RE = re.compile(r"conclusion|interpretation|implication", re.IGNORECASE)
_INLINE_CONCLUSION_RE = re.compile(
    r"\b(?:CONCLUSIONS?|INTERPRETATION|Conclusions?)\s*(?:AND RELEVANCE|and relevance)?\s*[:.]\s*",
)
_LINK_TEXT = {"PubMed": "PubMed", "DOI": "DOI", "medRxiv": "medRxiv",
              "Preprint DOI": "Preprint", "Europe PMC": "Europe PMC"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clean(text: Any) -> str:
    """Crawled text as one line of plain text: control characters dropped, spaces collapsed."""
    if text is None:
        return ""
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub(" ", str(text))).strip()


def display_date(pub_date: str | None) -> str:
    """``2026-11-20`` as ``20 Nov 2026`` (partial dates kept partial)."""
    if not pub_date:
        return ""
    parts = pub_date.split("-")
    try:
        if len(parts) >= 3:
            d = date(int(parts[0]), int(parts[1]), int(parts[2][:2]))
            return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
        if len(parts) == 2:
            return f"{_MONTHS[int(parts[1]) - 1]} {int(parts[0])}"
    except (ValueError, IndexError):
        return clean(pub_date)
    return clean(pub_date)


def _sentences(text: str, count: int, *, last: bool = False) -> str:
    sentences = [s for s in _SENTENCE_RE.split(clean(text)) if s]
    chosen = sentences[-count:] if last else sentences[:count]
    return " ".join(chosen)


def _shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def summary(study: Any) -> str:
    """One or two sentences: the conclusions of a structured abstract where there is one.

    A registration's summary starts with what it is about; an unstructured abstract usually
    ends with its conclusion, so its last two sentences are used.
    """
    for section in study.abstract_sections or []:
        if len(section) >= 2 and _CONCLUSION_LABEL_RE.search(section[0] or ""):
            return _shorten(_sentences(section[1], 2))
    abstract = clean(study.abstract)
    if not abstract:
        return ""
    inline = list(_INLINE_CONCLUSION_RE.finditer(abstract))
    if inline:
        return _shorten(_sentences(abstract[inline[-1].end():], 2))
    if study.design == "trial-registration":
        return _shorten(_sentences(abstract, 2))
    sentences = [s for s in _SENTENCE_RE.split(abstract) if s]
    return _shorten(" ".join(sentences[-2:] if len(sentences) > 3 else sentences[:2]))


def badges(study: Any) -> list[dict[str, str]]:
    """The badges of a study, in reading order: warnings, design, n=, drugs, routes, flags."""
    out: list[dict[str, str]] = []
    if study.retracted:
        out.append({"text": "Retracted", "kind": "alert"})
    if study.corrected:
        out.append({"text": "Corrected", "kind": "warn"})
    if study.design and study.design != "other":
        out.append({"text": label(study.design), "kind": "design"})
    if study.sample_size:
        out.append({"text": f"n={study.sample_size}", "kind": "n"})
    out += [{"text": label(d), "kind": "drug"} for d in study.drugs]
    out += [{"text": label(r), "kind": "route"} for r in study.routes]
    if study.preprint:
        out.append({"text": "Preprint", "kind": "preprint"})
    if study.human is False or study.design == "preclinical":
        out.append({"text": "Animal/lab", "kind": "flag"})
    trial = study.trial or {}
    if trial.get("status"):
        out.append({"text": humanize(trial["status"]), "kind": "status"})
    return out


def humanize(value: Any) -> str:
    """``ACTIVE_NOT_RECRUITING`` as ``Active, not recruiting``."""
    text = clean(value).replace("_", " ").lower()
    text = text.replace("active not recruiting", "active, not recruiting")
    return text[:1].upper() + text[1:]


def links(stored: Any) -> list[dict[str, str]]:
    """Links to PubMed, the DOI, the trial registrations and the preprints (Europe PMC only
    when nothing else exists), built from identifiers by ``ketawatch.links``."""
    found = study_links(stored.study, stored.sources)
    chosen = [link for link in found if link.label != "Europe PMC"] or found
    return [{"text": _LINK_TEXT.get(link.label, link.label) if link.label != "ClinicalTrials.gov"
             else link.identifier, "url": link.url} for link in chosen]


def event_text(event: Any) -> str:
    """One line telling what an event changed."""
    data = event.data or {}
    if event.kind == "trial_status_changed":
        return f"Status changed: {humanize(data.get('from') or 'unknown')} → " \
               f"{humanize(data.get('to') or 'unknown')}"
    if event.kind == "results_posted":
        return "Results posted on ClinicalTrials.gov"
    if event.kind == "enrollment_changed":
        return f"Enrollment changed: {data.get('from') or 'unknown'} → {data.get('to')}"
    if event.kind == "preprint_published":
        journal = clean(data.get("journal"))
        return f"Preprint now published in {journal}" if journal else "Preprint now published"
    if event.kind == "retracted":
        return "Retracted since we sent it to you: do not rely on its results"
    if event.kind == "corrected":
        return "A correction has been published since we sent it to you"
    return humanize(event.kind)


def item_view(item: Any, *, base_url: str, archive: bool = False) -> dict[str, Any]:
    """Everything a template needs to show one digest item, as plain strings.

    The title links to the study's KetaWatch page (every version, event and source of it);
    the links under it go to PubMed, doi.org and ClinicalTrials.gov. A URL a source gave is
    never used: it could be anything, ``javascript:`` included.
    """
    study = item.study.study
    notes = [event_text(e) for e in item.events]
    if archive:
        notes = [n.replace(" since we sent it to you", "") for n in notes]
    return {
        "kind": item.kind,
        "title": clean(study.title) or "(untitled)",
        "url": f"{base_url.rstrip('/')}/study/{item.study.id}",
        "journal": clean(study.journal) or (
            "ClinicalTrials.gov" if study.design == "trial-registration" else ""),
        "date": display_date(study.pub_date),
        "authors": _authors(study.authors),
        "badges": badges(study),
        "summary": summary(study),
        "links": links(item.study),
        "notes": notes,
    }


def _authors(authors: list[str]) -> str:
    names = [clean(a) for a in authors or [] if clean(a)]
    if len(names) > 3:
        return f"{', '.join(names[:3])} et al."
    return ", ".join(names)
