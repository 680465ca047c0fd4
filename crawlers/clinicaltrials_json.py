"""Parsing ClinicalTrials.gov API v2 study records into Study items (no network, no Scrapy).

``parse_study(record)`` takes one element of a ``/studies`` page's ``studies`` list (or the
answer of ``/studies/{nctId}``) and returns the registration as a ``Study``. The facts a
subscriber follows over time (status, enrollment, dates, results) go into ``study.trial``,
which the store snapshots and diffs into events. The design tag is left to the tagger.

Field choices: the title is the official title (the brief one when there is none); the abstract
is the brief summary (the detailed description, often pages of protocol text, stays in
``extras`` so that it does not drown the tagger); ``pub_date`` is the first posting date;
MeSH terms come from the derived condition and intervention browse modules.
"""

from __future__ import annotations

import json
from typing import Any

from crawlers.wire import is_number, wrong_types_are_parse_errors
from ketawatch.errors import ParseError
from ketawatch.model import Study, normalize_nct, normalize_pmid

SOURCE = "clinicaltrials"
STUDY_URL = "https://clinicaltrials.gov/study/{nct}"
#: the modules read here; one present but not an object means a damaged record (read as
#: missing, a statusModule would become a false "status changed to None" event)
MODULES = ("identificationModule", "statusModule", "designModule", "descriptionModule",
           "conditionsModule", "armsInterventionsModule", "referencesModule",
           "sponsorCollaboratorsModule")


def _get(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]...`` or None when any step is missing or not a dict."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (a module of the wrong type is
    skipped like a missing one, so that the rest of the record is kept)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _date(status: dict, name: str) -> str | None:
    value = _get(status, name, "date")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and is_number(value.strip()):
        return int(value.strip())
    return None


def _mesh_terms(derived: Any) -> list[str]:
    terms = []
    for module in ("conditionBrowseModule", "interventionBrowseModule"):
        for mesh in _list(_get(derived, module, "meshes")):
            term = _text(_get(mesh, "term"))
            if term:
                terms.append(term)
    return terms


def _interventions(arms: Any) -> tuple[list[str], list[str]]:
    """Intervention names, and the names and other names together (for the search text)."""
    names: list[str] = []
    other: list[str] = []
    for intervention in _list(_get(arms, "interventions")):
        name = _text(_get(intervention, "name"))
        if name:
            names.append(name)
        other.extend(_strings(_get(intervention, "otherNames")))
    return names, other


def _reference_pmids(references: Any) -> list[str]:
    pmids = []
    for ref in _list(_get(references, "references")):
        value = _get(ref, "pmid")
        # normalize_pmid takes "²" (str.isdigit); only ASCII digits are a PMID
        pmid = normalize_pmid(value.strip()) if is_number(_text(value)) else None
        if pmid and pmid not in pmids:
            pmids.append(pmid)
    return pmids


def trial_facts(record: dict[str, Any]) -> dict[str, Any]:
    """The facts of a registration that change over time and become events when they do.

    A part of the wrong type is read as missing (its facts are None or empty).
    """
    record = _dict(record)
    protocol = _dict(record.get("protocolSection"))
    status = _dict(protocol.get("statusModule"))
    design = _dict(protocol.get("designModule"))
    enrollment = _dict(design.get("enrollmentInfo"))
    names, _ = _interventions(protocol.get("armsInterventionsModule"))
    return {
        "status": _text(status.get("overallStatus")) or None,
        "enrollment": _int(enrollment.get("count")),
        "enrollment_type": _text(enrollment.get("type")) or None,
        "start_date": _date(status, "startDateStruct"),
        "primary_completion_date": _date(status, "primaryCompletionDateStruct"),
        "completion_date": _date(status, "completionDateStruct"),
        # the string "false" is not a yes
        "has_results": record.get("hasResults") is True,
        "phases": _strings(design.get("phases")),
        "allocation": _text(_get(design, "designInfo", "allocation")) or None,
        "study_type": _text(design.get("studyType")) or None,
        "conditions": _strings(_get(protocol, "conditionsModule", "conditions")),
        "interventions": names,
        "why_stopped": _text(status.get("whyStopped")) or None,
        "last_update": _date(status, "lastUpdatePostDateStruct"),
    }


def _describe(record: Any) -> str:
    """Enough of a record to find it again in the raw page (its title, else its start)."""
    ident = _get(record, "protocolSection", "identificationModule")
    title = _text(_get(ident, "briefTitle")) or _text(_get(ident, "officialTitle"))
    return repr(title[:100]) if title else repr(record)[:120]


@wrong_types_are_parse_errors("ClinicalTrials.gov study record", SOURCE)
def parse_study(record: dict[str, Any]) -> Study:
    """One API v2 study record as a Study.

    Raises ParseError when it has no usable NCT number or a module that is not an object; a
    value of the wrong type inside a module is read as missing (the decorator is the backstop
    for a type slip left here).
    """
    if not isinstance(record, dict) or not isinstance(record.get("protocolSection"), dict):
        raise ParseError(f"study record without a protocolSection: {_describe(record)}",
                         source=SOURCE)
    protocol = record["protocolSection"]
    ident = _dict(protocol.get("identificationModule"))
    nct = normalize_nct(_text(ident.get("nctId")))
    if not nct:
        raise ParseError(f"study record with a bad nctId {ident.get('nctId')!r}: "
                         f"{_describe(record)}", source=SOURCE)
    for name, part in [(m, protocol.get(m)) for m in MODULES] + [
            ("derivedSection", record.get("derivedSection"))]:
        if part is not None and not isinstance(part, dict):
            raise ParseError(f"study record {nct} has a {name} of the wrong type "
                             f"({type(part).__name__})", source=SOURCE)
    status = _dict(protocol.get("statusModule"))
    description = _dict(protocol.get("descriptionModule"))
    conditions = _dict(protocol.get("conditionsModule"))
    trial = trial_facts(record)
    _, other_names = _interventions(protocol.get("armsInterventionsModule"))
    aliases = [normalize_nct(a) for a in _strings(ident.get("nctIdAliases"))]
    study = Study(
        source=SOURCE,
        source_id=nct,
        nct_ids=[nct] + [a for a in aliases if a and a != nct],
        title=_text(ident.get("officialTitle")) or _text(ident.get("briefTitle")),
        abstract=_text(description.get("briefSummary")),
        pub_date=_date(status, "studyFirstPostDateStruct"),
        keywords=_strings(conditions.get("keywords")),
        mesh=_mesh_terms(record.get("derivedSection")),
        url=STUDY_URL.format(nct=nct),
        preprint=False,
        # registrations describe studies in people
        human=True,
        trial=trial,
    )
    if (trial["enrollment"] or 0) > 0 and trial["enrollment_type"] == "ACTUAL":
        study.sample_size = trial["enrollment"]
    extras: dict[str, Any] = {
        "brief_title": _text(ident.get("briefTitle")),
        "acronym": _text(ident.get("acronym")) or None,
        "sponsor": _text(_get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name"))
        or None,
        "reference_pmids": _reference_pmids(protocol.get("referencesModule")),
        "intervention_other_names": other_names,
    }
    detailed = _text(description.get("detailedDescription"))
    if detailed:
        extras["detailed_description"] = detailed
    study.extras = {k: v for k, v in extras.items() if v not in (None, "", [])}
    return study


def parse_page(body: str | bytes, *, url: str = "") -> dict[str, Any]:
    """A ``/studies`` page as a dict with a ``studies`` list. Raises ParseError when malformed."""
    try:
        page = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseError(f"malformed JSON page from ClinicalTrials.gov: {exc}", source=SOURCE,
                         url=url) from exc
    if not isinstance(page, dict) or not isinstance(page.get("studies", []), list):
        raise ParseError("ClinicalTrials.gov page without a studies list", source=SOURCE, url=url)
    token = page.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise ParseError("ClinicalTrials.gov page with a bad nextPageToken", source=SOURCE,
                         url=url)
    return page
