"""Condition tags: what the study is about, not every disorder its abstract names.

A condition is tagged from MeSH, author keywords, a registration's condition list, the title,
or the abstract. In the abstract a single mention is not enough, because abstracts name
conditions as side effects ("suicidal ideation was the most common adverse event"), exclusion
criteria, comorbidity rates or scale names. An abstract mention counts when it describes the
population or the target ("patients with PTSD", "ketamine for suicidal ideation", "depressed
patients", an OBJECTIVE sentence), or when the condition comes up twice in sentences about this
study.

Decisions: ``trd`` and ``bipolar-depression`` also tag ``depression`` (DESIGN.md: "depression,
including treatment-resistant and bipolar depression"); ``other`` is a psychiatric condition
outside the list (schizophrenia, autism, anorexia nervosa, catatonia, ...) and is used only when
no listed condition applies.
"""

from __future__ import annotations

import re

from ketawatch.tagging.text import Cue, Document, Texts
from ketawatch.vocabulary import CONDITIONS

_I = re.IGNORECASE
_REGEXES: dict[str, re.Pattern[str]] = {
    "trd": re.compile(
        r"\b(?:treatment|therapy|antidepressant)[- ](?:resistant|refractory)\s+(?:major\s+|"
        r"unipolar\s+|bipolar\s+)?(?:depress\w*|MDD)|\b(?:resistant|refractory)\s+(?:major\s+)?"
        r"depression\b|(?<![\w-])(?-i:TRD)(?![\w-])", _I),
    "depression": re.compile(
        r"\bdepress(?:ion|ions|ive|ed)\b|(?<![\w-])(?-i:MDD)(?![\w-])|\bdysthymi\w*|"
        r"\bmelanchol\w*", _I),
    "bipolar-depression": re.compile(r"\bbipolar\b", _I),
    "ptsd": re.compile(r"\bpost-?\s?traumatic stress|(?<![\w-])(?-i:PTSD)(?![\w-])", _I),
    "ocd": re.compile(r"\bobsessive[- ]compulsive\b|(?<![\w-])(?-i:OCD)(?![\w-])", _I),
    "suicidal-ideation": re.compile(r"\bsuicid(?:e|es|al|ality|ally)\b", _I),
    "anxiety": re.compile(
        r"\banxi(?:ety|eties|ous)\b|(?<![\w-])(?-i:GAD)(?![\w-])|\bpanic disorder|"
        r"\bsocial phobia|\bagoraphobia", _I),
    "substance-use": re.compile(
        r"\b(?:alcohol|cocaine|opioid|opiate|heroin|cannabis|methamphetamine|amphetamine|"
        r"stimulant|substance|drug|ketamine|nicotine|tobacco)[- ](?:use disorders?|dependen\w+|"
        r"addiction|abuse|misuse|withdrawal)\b|\baddiction\b|\balcoholism\b|\bheavy drinking\b|"
        r"\brecreational (?:ketamine |drug )?(?:use|users?)\b|\brecreationally\b|"
        r"\bketamine (?:users|misuse|abuse|dependence)\b|(?<![\w-])(?-i:AUD|OUD|SUD|CUD)(?![\w-])",
        _I),
    "chronic-pain": re.compile(
        r"\bchronic\s+(?:[\w-]+\s+){0,2}pain\b|\bfibromyalgia\b|\bneuropathic pain\b|"
        r"\bcomplex regional pain|(?<![\w-])(?-i:CRPS)(?![\w-])|\b(?:refractory|intractable)"
        r" pain\b|\bchronic (?:headache|migraine)", _I),
    "other": re.compile(
        r"\bschizophreni\w*|\bschizoaffective\b|\bpsychotic disorders?\b|\bautis(?:m|tic)\b|"
        r"\banorexia nervosa\b|\bbulimi\w*|\beating disorders?\b|\bbinge[- ]eating\b|"
        r"(?<![\w-])(?-i:ADHD)(?![\w-])|\battention[- ]deficit|\bcatatoni\w*|\bdelirium\b|"
        r"\bborderline personality\b|\btourette\w*|\brett syndrome\b|\bbody dysmorphic\b", _I),
}
# a mention preceded by these is not the condition ("respiratory depression", "non-depressed")
_NOT_BEFORE = {
    "depression": re.compile(
        r"(?:respiratory|cns|central nervous system|spreading|long[- ]term|synaptic|cardiac|"
        r"cardiovascular|myocardial|st[- ]segment|bone marrow|ventilatory|neuronal|circulatory|"
        r"h(?:a)?emodynamic|non|not|without|no)[\s-]*$", _I),
    "suicidal-ideation": re.compile(r"(?:non|no)[\s-]*$", _I),
    "anxiety": re.compile(r"(?:non|no|without)[\s-]*$", _I),
    "bipolar-depression": re.compile(r"(?:non)[\s-]*$", _I),
}
_NOT_AFTER = {
    "depression": re.compile(r"^[\s-]*(?:of consciousness|level|skull|fracture)", _I),
    "anxiety": re.compile(r"^-\d", _I),  # GAD-7, a scale
}
# rating scales name conditions without being about them
_SCALE_RE = Cue(re.compile(
    r"\b(?:[A-Z][\w'\u00c0-\u024f-]*\s+){1,4}(?:Rating Scale|Scale|Inventory|Questionnaire|Index|"
    r"Checklist)(?:\s+for\s+(?:[A-Z][\w-]*\s*){1,3})?"),
    ("scale", "inventory", "questionnaire", "index", "checklist"))
# sentences whose mentions say nothing about the study's population
_SKIP_SENTENCE_RE = Cue(re.compile(
    r"\bexclu(?:ded|sion|ding)\b|\badverse (?:events?|effects?|reactions?|drug)\b|"
    r"\bside[- ]effects?\b|\bTEAEs?\b|\bsafety signals?\b", _I),
    ("exclu", "adverse", "side", "teae", "safety"))
_POPULATION_BEFORE = re.compile(
    r"(?:\b(?:patients?|adults?|individuals?|participants?|people|persons?|veterans?|women|men|"
    r"woman|man|children|adolescents?|youths?|outpatients?|inpatients?|subjects?|those|cases?|"
    r"mothers|girls?|boys?)\b[^.;]{0,30}\b(?:with|suffering from|experiencing|diagnosed with|"
    r"meeting criteria for|at (?:imminent |high )?risk (?:for|of))\b[^.;]{0,50}"
    r"|\b(?:treatment|treating|therapy|management|prevention|model|models|efficacy|effects?|"
    r"symptoms|severity|remission|relapse|reduc\w+|improv\w+)\s+(?:of|for|in|on)\s+[^.;]{0,25}"
    r"|\bfor\s+(?:[A-Za-z-]+,?\s+){0,3}"
    r"|\b(?:ketamine|esketamine|arketamine)\b[^.;]{0,40}\b(?:in|for)\s+(?:[A-Za-z-]+,?\s+){0,3}"
    r")$", _I)
_POPULATION_AFTER = re.compile(
    r"^[\s-]*(?:\w+\s+)?(?:patients|participants|adults|veterans|inpatients|outpatients|"
    r"individuals|sample|population|cohort|women|mothers|users|-like|like)\b", _I)
_SCREEN_BEFORE = re.compile(r"\b(?:screen(?:ed|ing)?|monitor(?:ed|ing)?|assessed)\s+for\s+"
                            r"(?:[A-Za-z-]+\s+){0,3}$", _I)
_AIM_LABELS = ("OBJECTIVE", "AIM", "PURPOSE", "GOAL", "PARTICIPANTS", "POPULATION",
               "DESIGN, SETTING, AND PARTICIPANTS", "PATIENTS")

_MESH: dict[str, tuple[str, ...]] = {
    "depression": ("depression", "depressive disorder", "depressive disorder, major",
                   "major depressive disorder", "depression, postpartum", "dysthymic disorder",
                   "depressive disorder, treatment-resistant"),
    "trd": ("depressive disorder, treatment-resistant",),
    "bipolar-depression": ("bipolar disorder", "bipolar depression"),
    "ptsd": ("stress disorders, post-traumatic", "combat disorders"),
    "ocd": ("obsessive-compulsive disorder",),
    "suicidal-ideation": ("suicidal ideation", "suicide", "suicide, attempted"),
    "anxiety": ("anxiety", "anxiety disorders", "panic disorder", "phobia, social",
                "generalized anxiety disorder"),
    "substance-use": ("substance-related disorders", "alcoholism", "cocaine-related disorders",
                      "opioid-related disorders", "amphetamine-related disorders",
                      "marijuana abuse", "behavior, addictive", "alcohol-related disorders",
                      "substance withdrawal syndrome", "tobacco use disorder"),
    "chronic-pain": ("chronic pain", "fibromyalgia", "neuralgia", "complex regional pain "
                     "syndromes", "pain, intractable"),
    "other": ("schizophrenia", "psychotic disorders", "autism spectrum disorder",
              "autistic disorder", "anorexia nervosa", "bulimia nervosa",
              "feeding and eating disorders", "attention deficit disorder with hyperactivity",
              "catatonia", "delirium", "borderline personality disorder", "tourette syndrome",
              "binge-eating disorder", "body dysmorphic disorders"),
}


#: the words every match of a condition's pattern contains one of (case-folded): most abstract
#: sentences name no condition, and a substring test spares them ten long scans
_NEEDS: dict[str, tuple[str, ...]] = {
    "trd": ("resistant", "refractory"),
    "depression": ("depress", "dysthymi", "melanchol"),
    "bipolar-depression": ("bipolar",),
    "ptsd": ("traumatic stress",),
    "ocd": ("obsessive",),
    "suicidal-ideation": ("suicid",),
    "anxiety": ("anxi", "panic disorder", "social phobia", "agoraphobia"),
    "substance-use": ("use disorder", "dependen", "addiction", "abuse", "misuse", "withdrawal",
                      "alcoholism", "heavy drinking", "recreational", "ketamine users"),
    "chronic-pain": ("pain", "fibromyalgia", "headache", "migraine"),
    "other": ("schizo", "psychotic disorder", "autis", "anorexia nervosa", "bulimi",
              "eating disorder", "binge", "attention", "catatoni", "delirium",
              "borderline personality", "tourette", "rett syndrome", "body dysmorphic"),
}
#: the case-sensitive abbreviations of each pattern, needed as written
_EXACT: dict[str, tuple[str, ...]] = {
    "trd": ("TRD",), "depression": ("MDD",), "ptsd": ("PTSD",), "ocd": ("OCD",),
    "anxiety": ("GAD",), "substance-use": ("AUD", "OUD", "SUD", "CUD"), "chronic-pain": ("CRPS",),
    "other": ("ADHD",),
}
_PATTERNS: dict[str, Cue] = {name: Cue(regex, _NEEDS[name], _EXACT.get(name, ()))
                             for name, regex in _REGEXES.items()}



def _mentions(name: str, text: str, folded: str | None = None) -> list[re.Match[str]]:
    out = []
    for m in _PATTERNS[name].finditer(text, folded):
        before = text[max(0, m.start() - 40):m.start()]
        guard = _NOT_BEFORE.get(name)
        if guard and guard.search(before):
            continue
        guard = _NOT_AFTER.get(name)
        if guard and guard.search(text[m.end():m.end() + 30]):
            continue
        out.append(m)
    return out


def _strong(text: str, m: re.Match[str], label: str) -> bool:
    if any(label.startswith(x) for x in _AIM_LABELS):
        return True
    before = text[max(0, m.start() - 100):m.start()]
    if _SCREEN_BEFORE.search(before):
        return False
    return bool(_POPULATION_BEFORE.search(before) or _POPULATION_AFTER.search(text[m.end():]))


def conditions_in_text(text: str) -> set[str]:
    """Every condition a short, on-topic text names (a title, a keyword, a registration field)."""
    return _conditions_in(_without_scales(Texts([text])))


def _without_scales(texts: Texts) -> Texts:
    """The texts with rating scale names blanked out (themselves when they name none)."""
    if not texts.could_match(_SCALE_RE):
        return texts
    return Texts([_SCALE_RE.sub(" ", text, folded) for text, folded in texts.items])


def _possible_names(texts: Texts) -> list[str]:
    """The conditions whose words the texts hold: no other can match any of them."""
    return [name for name, cue in _PATTERNS.items() if texts.could_match(cue)]


def _conditions_in(texts: Texts) -> set[str]:
    """Every condition one of the texts (each without its scale names) names."""
    names = _possible_names(texts)
    return {name for text, folded in texts.items for name in names
            if _mentions(name, text, folded)}


def _abstract_conditions(doc: Document) -> set[str]:
    main = doc.main_texts
    skipped = set(main.matching(_SKIP_SENTENCE_RE))
    if skipped:
        kept = [s for s in doc.main if s.text not in skipped]
        texts = _without_scales(Texts([s.text for s in kept]))
    else:
        kept, texts = doc.main, _without_scales(main)
    counts: dict[str, int] = {}
    strong: set[str] = set()
    names = _possible_names(texts)
    for sentence, (text, folded) in zip(kept, texts.items, strict=True):
        for name in names:
            found = _mentions(name, text, folded)
            counts[name] = counts.get(name, 0) + len(found)
            if any(_strong(text, m, sentence.label) for m in found):
                strong.add(name)
    return strong | {name for name, n in counts.items() if n >= 2}


def tag_conditions(doc: Document, mesh: list[str], keywords: list[str]) -> list[str]:
    """Condition tags of a study, in vocabulary order."""
    found: set[str] = set()
    lowered = {m.lower() for m in mesh}
    for name, headings in _MESH.items():
        if not lowered.isdisjoint(headings):
            found.add(name)
    found |= _conditions_in(_without_scales(Texts([doc.title, *keywords, *doc.trial_conditions])))
    found |= _abstract_conditions(doc)
    if "trd" in found:
        found.add("depression")
    if "bipolar-depression" in found:
        # "bipolar" alone may mean mania; it is bipolar depression when depression is in view
        if "depression" in found or _mentions("depression", doc.all_text()):
            found.add("depression")
        else:
            found.discard("bipolar-depression")
    if found - {"other"}:
        found.discard("other")
    return [c for c in CONDITIONS if c in found]
