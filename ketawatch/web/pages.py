"""The HTML pages: the search page (``/``, ``/search``), study pages, and the about page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from ketawatch.links import doi_url, medrxiv_url, study_links, trial_url
from ketawatch.sanitize import clean_snippet
from ketawatch.store import Event
from ketawatch.vocabulary import TOP_DESIGNS, label
from ketawatch.web import searching
from ketawatch.web.context import get_store

bp = Blueprint("pages", __name__)

#: SQLite integers are 64-bit: a larger id in a URL is simply not a study
MAX_ID = 2**63 - 1
SOURCE_LABELS = {"pubmed": "PubMed", "europepmc": "Europe PMC", "medrxiv": "medRxiv",
                 "clinicaltrials": "ClinicalTrials.gov", "crossref": "Crossref"}
#: trial facts in display order, with their labels
TRIAL_FIELDS = (("status", "Status"), ("phases", "Phase"), ("enrollment", "Enrollment"),
                ("enrollment_type", "Enrollment type"), ("start_date", "Start"),
                ("primary_completion_date", "Primary completion"),
                ("completion_date", "Completion"), ("has_results", "Results posted"),
                ("sponsor", "Sponsor"), ("last_update", "Last update on ClinicalTrials.gov"))
#: optional pages of other blueprints linked from the header: (label, words its URL holds)
NAV_CANDIDATES = (("Digests", "digest"), ("Subscribe", "subscribe"))


def init_templates(app: Flask) -> None:
    """Install the Jinja globals and filters the pages share (labels, badges, navigation)."""
    app.jinja_env.globals.update(label=label, top_designs=TOP_DESIGNS, nav_links=nav_links,
                                 source_label=source_label, describe_event=describe_event)
    app.jinja_env.filters["tag_label"] = label
    app.jinja_env.filters["snippet"] = clean_snippet


def source_label(name: str) -> str:
    """The display name of a source."""
    return SOURCE_LABELS.get(name, name)


def nav_links() -> list[dict[str, str]]:
    """Header links to the pages other blueprints add (digest archive, subscription form).

    Only argument-free GET routes of blueprints other than ours are considered, so the header
    works whether or not those blueprints are installed.
    """
    ours = {"pages", "api", "feeds", "exports", "static"}
    links = []
    rules = sorted(current_app.url_map.iter_rules(), key=lambda r: len(r.rule))
    for text, word in NAV_CANDIDATES:
        for rule in rules:
            blueprint = rule.endpoint.split(".", 1)[0]
            if (blueprint in ours or "." not in rule.endpoint or rule.arguments
                    or "GET" not in (rule.methods or ()) or word not in rule.rule):
                continue
            links.append({"label": text, "url": url_for(rule.endpoint)})
            break
    return links


def describe_event(event: Event) -> str:
    """One plain-text sentence for an event on a study page."""
    d = event.data or {}
    if event.kind == "new_study":
        return "First seen by KetaWatch."
    if event.kind == "trial_status_changed":
        return f"Trial status changed from {d.get('from') or 'unknown'} to {d.get('to') or 'unknown'}."
    if event.kind == "results_posted":
        return "Results were posted on ClinicalTrials.gov."
    if event.kind == "enrollment_changed":
        return f"Enrollment changed from {d.get('from') or 'unknown'} to {d.get('to')}."
    if event.kind == "preprint_published":
        where = f" in {d['journal']}" if d.get("journal") else ""
        return f"The preprint was published{where} (DOI {d.get('doi') or 'unknown'})."
    if event.kind == "retracted":
        return f"Retracted (notice: {d.get('by') or 'unknown'})."
    if event.kind == "corrected":
        return f"A correction was published (notice: {d.get('by') or 'unknown'})."
    return event.kind.replace("_", " ").capitalize() + "."


def _abstract_parts(study) -> list[tuple[str, str]]:
    """The abstract as (label, text) paragraphs; sections keep their labels."""
    parts = [(str(lbl or ""), str(txt)) for lbl, txt in (study.abstract_sections or []) if txt]
    if parts:
        return parts
    return [("", p.strip()) for p in (study.abstract or "").split("\n\n") if p.strip()]


def _trial_rows(trial: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Trial facts as (label, text) rows: known fields in order, then any others."""
    if not trial:
        return []
    rows = []
    known = {key for key, _ in TRIAL_FIELDS}
    for key, name in TRIAL_FIELDS + tuple((k, k.replace("_", " ").capitalize())
                                          for k in sorted(trial) if k not in known):
        value = trial.get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        rows.append((name, str(value)))
    return rows


def _version_rows(study) -> list[dict[str, Any]]:
    """The study's versions (preprint versions, the journal article) with identifier links."""
    rows = []
    for v in study.versions or []:
        if not isinstance(v, dict):
            continue
        doi = v.get("doi")
        nct = v.get("nct")
        identifier = doi or nct or v.get("pmid") or v.get("version") or ""
        url = (medrxiv_url(doi) or doi_url(doi)) if doi else trial_url(nct) if nct else None
        detail = ", ".join(f"{k}: {val}" for k, val in v.items()
                           if k not in {"kind", "doi", "date", "nct"} and val not in (None, ""))
        rows.append({"kind": str(v.get("kind") or "version").replace("_", " ").capitalize(),
                     "identifier": str(identifier), "url": url, "date": v.get("date"),
                     "detail": detail})
    return rows


@bp.get("/")
@bp.get("/search")
def search():
    """The search page: box, facets with counts, result cards, paging, exports and feed."""
    context, status = searching.search_page_context(request.args)
    return render_template("web/search.html", **context), status


@bp.get("/study/<int:study_id>")
def study(study_id: int):
    """A study page; the id of a study merged into another redirects to the surviving one."""
    if study_id > MAX_ID:
        raise NotFound(f"no study {study_id}")
    store = get_store()
    surviving = store.resolve_id(study_id)
    if surviving != study_id:
        # an internal redirect only: the target is built from our own route and an integer
        return redirect(url_for("pages.study", study_id=surviving), code=301)
    stored = store.get_study(study_id)
    s = stored.study
    links = study_links(s, stored.sources)
    return render_template(
        "web/study.html", stored=stored, study=s, links=links,
        has_pmc_link=any(link.identifier.startswith("PMC") for link in links),
        abstract=_abstract_parts(s), trial_rows=_trial_rows(s.trial),
        events=store.events(study_id=study_id), versions=_version_rows(s),
        provenance=sorted(stored.provenance.items()),
        retraction_by=stored.provenance.get("retracted"),
        correction_by=stored.provenance.get("corrected"))


@bp.get("/about")
def about():
    """What KetaWatch is, where its data comes from, and how to use the API and feeds."""
    return render_template("web/about.html")


@bp.get("/robots.txt")
def robots():
    """Crawlers may read the pages but not pull exports and feeds in bulk."""
    body = "User-agent: *\nDisallow: /export.\nDisallow: /api/\n"
    return current_app.response_class(body, mimetype="text/plain")
