"""The fixed tag vocabulary of DESIGN.md, and the order of evidence strength."""

from __future__ import annotations

CONDITIONS = ("depression", "trd", "bipolar-depression", "ptsd", "ocd", "suicidal-ideation",
              "anxiety", "substance-use", "chronic-pain", "other")
DRUGS = ("ketamine", "esketamine", "arketamine")
ROUTES = ("iv", "intranasal", "oral", "im", "sublingual", "subcutaneous")
#: designs from strongest to weakest evidence; a study's design is the strongest that applies
DESIGNS = ("meta-analysis", "systematic-review", "rct", "clinical-trial", "observational",
           "case-report", "review", "guideline", "preclinical", "trial-registration",
           "editorial", "erratum", "other")
FLAGS = ("human", "preprint", "retracted", "corrected")

#: evidence level of each design for ranking and the "minimum evidence" preference: higher is stronger
DESIGN_STRENGTH = {d: len(DESIGNS) - i for i, d in enumerate(DESIGNS)}

#: human-readable labels for badges and facets
LABELS = {
    "depression": "Depression", "trd": "Treatment-resistant depression",
    "bipolar-depression": "Bipolar depression", "ptsd": "PTSD", "ocd": "OCD",
    "suicidal-ideation": "Suicidal ideation", "anxiety": "Anxiety",
    "substance-use": "Substance use", "chronic-pain": "Chronic pain", "other": "Other",
    "ketamine": "Ketamine", "esketamine": "Esketamine", "arketamine": "Arketamine",
    "iv": "IV", "intranasal": "Intranasal", "oral": "Oral", "im": "IM",
    "sublingual": "Sublingual", "subcutaneous": "Subcutaneous",
    "meta-analysis": "Meta-analysis", "systematic-review": "Systematic review", "rct": "RCT",
    "clinical-trial": "Clinical trial", "observational": "Observational",
    "case-report": "Case report", "review": "Review", "guideline": "Guideline",
    "preclinical": "Preclinical", "trial-registration": "Trial registration",
    "editorial": "Editorial", "erratum": "Erratum",
}

#: designs a subscriber means by "syntheses and RCTs"
TOP_DESIGNS = ("meta-analysis", "systematic-review", "rct")


def label(value: str) -> str:
    """The display label of a tag value."""
    return LABELS.get(value, value.replace("-", " ").capitalize())


def strongest_design(designs: list[str]) -> str:
    """The strongest design among several (``other`` when none is given)."""
    known = [d for d in designs if d in DESIGN_STRENGTH]
    if not known:
        return "other"
    return max(known, key=lambda d: DESIGN_STRENGTH[d])


def at_least(design: str, minimum: str | None) -> bool:
    """True when ``design`` is as strong as ``minimum`` or stronger (or no minimum is set)."""
    if not minimum:
        return True
    return DESIGN_STRENGTH.get(design, 0) >= DESIGN_STRENGTH.get(minimum, 0)
