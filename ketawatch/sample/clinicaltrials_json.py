"""Render a registration as a ClinicalTrials.gov API v2 study object (``/api/v2/studies``).

Module and key names follow the real v2 fixtures (``protocolSection`` with identification,
status, sponsor, oversight, description, conditions, design, arms/interventions, outcomes,
eligibility, contacts/locations, references and IPD modules; ``derivedSection``; ``hasResults``).
Dates are ISO strings ("2024-03-18" or "2024-03"), enrollment counts are integers, statuses and
phases are upper-case enums. The sample-data mark ends ``detailedDescription``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ketawatch.sample import vocab
from ketawatch.sample.common import citation, stable
from ketawatch.sample.prose import strip_tags
from ketawatch.sample.world import WorldStudy


def _date(d: date, month_only: bool = False) -> str:
    return d.strftime("%Y-%m") if month_only else d.isoformat()


def _struct(d: date, actual: bool, month_only: bool = False) -> dict[str, str]:
    return {"date": _date(d, month_only), "type": "ACTUAL" if actual else "ESTIMATED"}


def render(s: WorldStudy, by_sid: dict[str, WorldStudy], pmid_sids: list[str],
           version: date) -> dict[str, Any]:
    """The v2 study object of ``s.trial``; ``pmid_sids`` are the published reports it lists,
    ``version`` the day of the data version (``derivedSection.miscInfoModule.versionHolder``)."""
    t = s.trial
    assert t is not None
    key = s.sid
    ident: dict[str, Any] = {"nctId": t.nct, "orgStudyIdInfo": {"id": t.org_study_id},
                             "organization": {"fullName": t.sponsor[0], "class": t.sponsor[1]},
                             "briefTitle": t.brief_title, "officialTitle": t.official_title}
    if t.acronym:
        ident["acronym"] = t.acronym
    old = t.first_post.year < 2017
    status: dict[str, Any] = {"statusVerifiedDate": _date(t.last_update, True),
                              "overallStatus": t.status}
    if t.why_stopped:
        status["whyStopped"] = t.why_stopped
    status["expandedAccessInfo"] = {"hasExpandedAccess": False}
    status["startDateStruct"] = _struct(t.start, t.start_actual, old)
    status["primaryCompletionDateStruct"] = _struct(t.primary_completion, t.completion_actual, old)
    status["completionDateStruct"] = _struct(t.completion, t.completion_actual, old)
    status["studyFirstSubmitDate"] = t.first_submit.isoformat()
    status["studyFirstSubmitQcDate"] = t.first_submit.isoformat()
    status["studyFirstPostDateStruct"] = {"date": t.first_post.isoformat(),
                                          "type": "ESTIMATED" if old else "ACTUAL"}
    if t.has_results and t.results_first_post:
        status["resultsFirstSubmitDate"] = (t.results_first_post - timedelta(days=30)).isoformat()
        status["resultsFirstSubmitQcDate"] = (t.results_first_post - timedelta(days=3)).isoformat()
        status["resultsFirstPostDateStruct"] = {"date": t.results_first_post.isoformat(),
                                                "type": "ACTUAL"}
    status["lastUpdateSubmitDate"] = (t.last_update - timedelta(days=1)).isoformat()
    status["lastUpdatePostDateStruct"] = {"date": t.last_update.isoformat(), "type": "ACTUAL"}

    drug_name = t.intervention
    comp_long, comp_short = s.comparator or ("", "")
    comp_name = {"placebo": "Placebo", "saline": "Normal saline", "midazolam": "Midazolam",
                 "ECT": "Electroconvulsive therapy", "quetiapine": "Quetiapine XR"}.get(comp_short, "Placebo")
    arm_exp = f"{strip_tags(s.drug.capitalize())} group"
    arms = [{"label": arm_exp, "type": "EXPERIMENTAL",
             "description": f"Participants receive {vocab.ROUTE_ADJ[s.routes[0]] if s.routes else ''} "
                            f"{s.drug} {s.dose}".replace("  ", " ").strip() + ".",
             "interventionNames": [f"Drug: {drug_name}"]}]
    interventions: list[dict[str, Any]] = [{
        "type": "DRUG", "name": drug_name,
        "description": f"{strip_tags(s.drug.capitalize())} {s.dose}".strip(),
        "armGroupLabels": [arm_exp]}]
    if t.other_names:
        interventions[0]["otherNames"] = list(t.other_names)
    if t.randomized:
        arm_comp = f"{comp_name} group"
        comp_type = "PROCEDURE" if comp_short == "ECT" else "DRUG"
        arms.append({"label": arm_comp,
                     "type": "PLACEBO_COMPARATOR" if comp_short in ("placebo", "saline") else "ACTIVE_COMPARATOR",
                     "description": f"Participants receive {comp_long}.",
                     "interventionNames": [f"{'Procedure' if comp_type == 'PROCEDURE' else 'Drug'}: {comp_name}"]})
        interventions.append({"type": comp_type, "name": comp_name,
                              "description": comp_long[:1].upper() + comp_long[1:],
                              "armGroupLabels": [arm_comp]})
    measure, tp = t.primary_outcome
    design: dict[str, Any] = {"studyType": "INTERVENTIONAL", "phases": list(t.phases),
                              "designInfo": {"allocation": "RANDOMIZED" if t.randomized else "NA",
                                             "interventionModel": "PARALLEL" if t.randomized else "SINGLE_GROUP",
                                             "primaryPurpose": "PREVENTION" if s.cond.setting == "perioperative" else "TREATMENT",
                                             "maskingInfo": {"masking": t.masking}},
                              "enrollmentInfo": {"count": t.enrollment,
                                                 "type": "ACTUAL" if t.enrollment_actual else "ESTIMATED"}}
    conditions = [c.ct_name for c in s.conds]
    protocol: dict[str, Any] = {
        "identificationModule": ident,
        "statusModule": status,
        "sponsorCollaboratorsModule": {"responsibleParty": {"type": "SPONSOR"},
                                       "leadSponsor": {"name": t.sponsor[0], "class": t.sponsor[1]}},
        "oversightModule": {"oversightHasDmc": t.randomized, "isFdaRegulatedDrug": t.sponsor[1] == "INDUSTRY",
                            "isFdaRegulatedDevice": False},
        "descriptionModule": {"briefSummary": t.brief_summary,
                              "detailedDescription": t.detailed_description},
        "conditionsModule": {"conditions": conditions,
                             "keywords": [s.drug, "rapid-acting antidepressant", "NMDA antagonist"]
                             if s.cond.setting == "psychiatric" else [s.drug, s.cond.phrase]},
        "designModule": design,
        "armsInterventionsModule": {"armGroups": arms, "interventions": interventions},
        "outcomesModule": {
            "primaryOutcomes": [{"measure": measure,
                                 "description": f"{s.cond.scale[0]} total score; lower scores mean "
                                                "fewer symptoms.",
                                 "timeFrame": f"Baseline and {tp}"}],
            "secondaryOutcomes": [{"measure": "Number of Participants With Adverse Events",
                                   "description": "Adverse events collected at each visit.",
                                   "timeFrame": f"Up to {tp}"}]},
        "eligibilityModule": _eligibility(s),
        "contactsLocationsModule": _contacts(s),
    }
    refs = []
    for sid in pmid_sids:
        r = by_sid.get(sid)
        if r and r.pmid:
            names = ", ".join(f"{a.last} {a.initials}" for a in r.authors if not a.collective)
            refs.append({"pmid": r.pmid, "type": "RESULT" if stable(key, sid, 2) else "DERIVED",
                         "citation": f"{names}. {strip_tags(r.title)} {citation(r)}".strip()})
    if refs:
        protocol["referencesModule"] = {"references": refs}
    protocol["ipdSharingStatementModule"] = {"ipdSharing": ("NO", "UNDECIDED", "YES")[stable(key, "ipd", 3)]}
    return {"protocolSection": protocol, "derivedSection": _derived(s, version),
            "hasResults": t.has_results}


def _eligibility(s: WorldStudy) -> dict[str, Any]:
    older = "older" in s.population
    women = "women" in s.population
    if s.cond.setting == "perioperative":
        who = "Scheduled for elective cesarean delivery" if women else \
            "Scheduled for elective major surgery under general anesthesia"
        exclusion = "* Known allergy to the study drug\n* Uncontrolled hypertension"
    else:
        who = f"Diagnosis of {s.cond.phrase}"
        exclusion = ("* Current psychotic disorder\n* Uncontrolled hypertension\n"
                     "* Pregnancy or breastfeeding")
    age = "Age 60 years or older" if older else "Age 18 to 70 years"
    return {"eligibilityCriteria": f"Inclusion Criteria:\n\n* {age}\n* {who}\n\n"
                                   f"Exclusion Criteria:\n\n{exclusion}",
            "healthyVolunteers": False, "sex": "FEMALE" if women else "ALL",
            "minimumAge": "60 Years" if older else "18 Years",
            "stdAges": ["OLDER_ADULT"] if older else ["ADULT", "OLDER_ADULT"]}


def _contacts(s: WorldStudy) -> dict[str, Any]:
    t = s.trial
    assert t is not None
    aff = t.sponsor[0] if t.sponsor[1] == "OTHER" else f"{t.sites[0][0]} University Hospital"
    locations = []
    for i, (city, region, country) in enumerate(t.sites):
        lat, lon = vocab.CITY_GEO.get(city, (0.0, 0.0))
        loc: dict[str, Any] = {"facility": f"{city} {('University Hospital', 'Medical Center', 'Psychiatric Center')[i % 3]}"}
        if t.status == "RECRUITING":
            loc["status"] = "RECRUITING"
        loc["city"] = city
        if region:
            loc["state"] = region
        loc["zip"] = f"{stable(city, 'zip', 90000) + 10000}"
        loc["country"] = {"USA": "United States", "UK": "United Kingdom"}.get(country, country)
        loc["geoPoint"] = {"lat": lat, "lon": lon}
        locations.append(loc)
    return {"overallOfficials": [{"name": t.official, "affiliation": aff,
                                  "role": "PRINCIPAL_INVESTIGATOR"}], "locations": locations}


def _derived(s: WorldStudy, version: date) -> dict[str, Any]:
    meshes = [{"id": ui, "term": name} for c in s.conds for ui, name in c.mesh]
    leaves = [{"id": f"M{stable(ui, 'leaf', 30000)}", "name": name, "asFound": s.cond.ct_name,
               "relevance": "HIGH"} for ui, name in ([(m["id"], m["term"]) for m in meshes])]
    drug_meshes = [{"id": "D007649", "term": "Ketamine"}]
    if s.drug == "esketamine":
        drug_meshes.append({"id": "C000629870", "term": "Esketamine"})
    ancestors, (abbrev, branch) = vocab.CT_CONDITION_TREE[s.cond.key]
    return {
        "miscInfoModule": {"versionHolder": version.isoformat()},
        "conditionBrowseModule": {
            "meshes": meshes,
            "ancestors": [{"id": ui, "term": name} for ui, name in ancestors],
            "browseLeaves": leaves,
            "browseBranches": [{"abbrev": abbrev, "name": branch},
                               {"abbrev": "All", "name": "All Conditions"}]},
        "interventionBrowseModule": {
            "meshes": drug_meshes,
            "ancestors": [{"id": ui, "term": name} for ui, name in vocab.CT_DRUG_ANCESTORS],
            "browseLeaves": [{"id": "M10678", "name": "Ketamine", "asFound": "Ketamine",
                              "relevance": "HIGH"}],
            "browseBranches": [{"abbrev": "CNSDep", "name": "Central Nervous System Depressants"},
                               {"abbrev": "All", "name": "All Drugs and Chemicals"}]},
    }
