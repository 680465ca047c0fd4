"""Drug and route tags: which ketamine molecule a study is about, and how it was given.

Rules (see ``ketawatch.tagging`` for the reasons):

* ``esketamine``: esketamine, Spravato, S-ketamine, (S)-ketamine, S(+)-ketamine, JNJ-54135419.
* ``arketamine``: arketamine, R-ketamine, (R)-ketamine, R(-)-ketamine, PCN-101.
* ``ketamine``: the word ketamine on its own (racemic ketamine, Ketalar), but not inside the
  enantiomer names, and not where it only names the parent of an enantiomer ("esketamine, the
  S-enantiomer of ketamine").
* A route is tagged only when it describes one of those drugs: the route word has a drug name
  near it in the same sentence and does not modify another drug first ("esketamine nasal spray
  plus an oral antidepressant" is intranasal, not oral). Spravato is only sold as a nasal spray,
  so the brand name alone means intranasal.
"""

from __future__ import annotations

import re

from ketawatch.tagging.text import Cue, Document, Texts

# enantiomer spellings are rewritten to one word before matching; racemic spellings first,
# so that "(R,S)-ketamine" is not read as "S-ketamine"
_RACEMIC_RE = re.compile(r"\(?\bR\s*,\s*S\)?\s*-\s*ketamine\b|\bRS-ketamine\b", re.IGNORECASE)
# "(S)-ketamine", "S-ketamine", "S(+)-ketamine", "S-(+)-ketamine", "(R)-(-)-ketamine"; a bare
# letter needs a hyphen or a sign after it, or "as ketamine" would not be safe
_ENANTIOMER_RE = re.compile(
    r"(?<![A-Za-z0-9,])(?:\(\s*([SR])\s*\)|([SR])(?=\s*[-(\u2010]))"
    r"\s*(?:-?\s*\(\s*[+\-\u2212\u2013]\s*\))?\s*[-\u2010]?\s*ketamine\b", re.IGNORECASE)
_ALIASES = (
    (Cue(re.compile(r"\bspravato\b", re.IGNORECASE), ("spravato",)), "esketamine spravato"),
    (Cue(re.compile(r"\bJNJ-?54135419\b", re.IGNORECASE), ("jnj",)), "esketamine"),
    (Cue(re.compile(r"\bketanest(?:\s+S)?\b", re.IGNORECASE), ("ketanest",)), "esketamine"),
    (Cue(re.compile(r"\bPCN-?101\b", re.IGNORECASE), ("pcn",)), "arketamine"),
    (Cue(re.compile(r"\bketalar\b", re.IGNORECASE), ("ketalar",)), "ketamine"),
)
# guarded by words without an "i" (see ``population._RANKED``): a case-insensitive pattern
# takes the Turkish dotted and dotless I for "i", which case folding does not give
_ESKETAMINE_RE = Cue(re.compile(r"\besketamine\b", re.IGNORECASE), ("esketam",))
_ARKETAMINE_RE = Cue(re.compile(r"\barketamine\b", re.IGNORECASE), ("arketam",))
_KETAMINE_RE = re.compile(r"\bketamine\b", re.IGNORECASE)
# "the S-enantiomer of ketamine": ketamine named only as the parent molecule
_PARENT_RE = re.compile(
    r"\b(?:enantiomers?|isomers?|stereoisomers?|enantiomeric form|mirror image|derivatives?)"
    r"\s+of\s+(?:the\s+)?(?:racemic\s+|\(R,S\)-)?$", re.IGNORECASE)
_ANY_DRUG_RE = re.compile(r"\b(?:ketamine|esketamine|arketamine)\b", re.IGNORECASE)


#: every spelling above contains one of these (case-folded); most sentences contain none
_NAME_NEEDS = ("ketamine", "spravato", "jnj", "ketanest", "pcn", "ketalar")
#: what may stand between a stereodescriptor and "ketamine": "(S)-", "R(-)-", "(R,S)-", "S -"
_DESCRIPTOR_GLUE = frozenset("()+-,\u2212\u2013\u2010")
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _may_name_enantiomer(folded: str) -> bool:
    """False when no "ketamine" in the case-folded text can follow an S or R descriptor.

    The racemic and enantiomer patterns need an S (or R) before "ketamine" with only brackets,
    signs, dashes, commas and spaces between, and no letter or digit before that letter (but
    "RS-"). The two long patterns cost most of tagging a ketamine sentence, and nearly every
    sentence of this corpus names ketamine; this walk back from each "ketamine" costs little.
    """
    start = folded.find("ketamine")
    while start != -1:
        i = start
        while i > 0 and (folded[i - 1] in _DESCRIPTOR_GLUE or folded[i - 1].isspace()):
            i -= 1
        if i > 0 and folded[i - 1] in "sr":
            before = folded[i - 2] if i > 1 else " "
            if before not in _ASCII_WORD or folded[i - 2:i] == "rs":
                return True
        start = folded.find("ketamine", start + 8)
    return False


def normalize_drug_names(text: str) -> str:
    """Rewrite enantiomer spellings and brand or code names to esketamine/arketamine/ketamine."""
    folded = text.casefold()
    if not any(n in folded for n in _NAME_NEEDS):
        return text
    if _may_name_enantiomer(folded):
        text = _RACEMIC_RE.sub("ketamine", text)
        text = _ENANTIOMER_RE.sub(
            lambda m: "esketamine" if (m.group(1) or m.group(2)).upper() == "S" else "arketamine",
            text)
    for cue, replacement in _ALIASES:
        # the folded text of the input still tells: no rewrite above adds an alias name
        if cue.possible(text, folded):
            text = cue.pattern.sub(replacement, text)
    return text


def drugs_in(text: str) -> set[str]:
    """The drug tags a piece of text names (already normalized or not)."""
    text = normalize_drug_names(text)
    folded = text.casefold()
    found: set[str] = set()
    if _ESKETAMINE_RE.search(text, folded):
        found.add("esketamine")
    if _ARKETAMINE_RE.search(text, folded):
        found.add("arketamine")
    for m in _KETAMINE_RE.finditer(text):
        if not _PARENT_RE.search(text[max(0, m.start() - 60):m.start()]):
            found.add("ketamine")
            break
    return found


def tag_drugs(doc: Document, keywords: list[str], mesh: list[str]) -> list[str]:
    """Drug tags from title, abstract and registration; keywords and MeSH only as a fallback.

    MeSH files esketamine under the heading "Ketamine", and author keywords list "ketamine"
    for esketamine papers, so neither may add racemic ketamine when the text names a drug.
    """
    found = drugs_in(doc.all_text())
    if not found:
        found = drugs_in(" ; ".join(keywords)) | drugs_in(" ; ".join(mesh))
    else:
        # a supplementary concept or keyword naming an enantiomer is exact: keep it
        found |= drugs_in(" ; ".join(keywords + mesh)) - {"ketamine"}
    return sorted(found)


# ----------------------------------------------------------------------------------- routes

_ROUTE_REGEXES: dict[str, re.Pattern[str]] = {
    "iv": re.compile(
        r"\bintra-?venous(?:ly)?\b|\bi\.v\.(?!\w)|(?<![\w-])(?-i:IV)(?![\w-])|\binfusions?\b|"
        r"\binfused\b",
        re.IGNORECASE),
    "intranasal": re.compile(
        r"\bintra-?nasal(?:ly)?\b|\bnasal(?:\s+\w+)?\s+sprays?\b|\bnasal\s+(?:administration|"
        r"route|device|formulation)\b|\bspravato\b|\binsufflat\w*|\bsnort\w*", re.IGNORECASE),
    # "oral" must modify a drug or a dose ("oral ketamine", "single oral doses"), never
    # "oral health" or "oral presentation"
    "oral": re.compile(
        r"\boral(?=[\s-]+(?:[\w-]+\s+){0,2}?(?:ketamine|esketamine|arketamine|doses?|dosing|"
        r"administration|routes?|formulations?|solution|tablets?|capsules?|bioavailability|"
        r"preparations?|use|treatment|therapy|regimen)\b)|\boral(?=\s+(?:and|or|versus|vs\.?)"
        r"\s+(?:intra|sub|i\.|IV|IM|nasal|parenteral))|\borally\b|"
        r"\bper os\b|\btablets?\b|\bcapsules?\b", re.IGNORECASE),
    "im": re.compile(r"\bintra-?muscular(?:ly)?\b|\bi\.m\.(?!\w)|(?<![\w-])(?-i:IM)(?![\w-])",
                     re.IGNORECASE),
    "sublingual": re.compile(r"\bsub-?lingual(?:ly)?\b|\blozenges?\b|\btroches?\b",
                             re.IGNORECASE),
    "subcutaneous": re.compile(r"\bsub-?cutaneous(?:ly)?\b|\bs\.c\.(?!\w)", re.IGNORECASE),
}
#: the words every match of a route's pattern contains one of (case-folded)
_ROUTE_NEEDS: dict[str, tuple[str, ...]] = {
    "iv": ("intra", "i.v.", "infus"),
    "intranasal": ("nasal", "spravato", "insufflat", "snort"),
    "oral": ("oral", "per os", "tablet", "capsule"),
    "im": ("intra", "i.m."),
    "sublingual": ("lingual", "lozenge", "troche"),
    "subcutaneous": ("cutaneous", "s.c."),
}
#: the case-sensitive abbreviations of a route's pattern, needed as written
_ROUTE_EXACT: dict[str, tuple[str, ...]] = {"iv": ("IV",), "im": ("IM",)}
_ROUTE_PATTERNS = {route: Cue(regex, _ROUTE_NEEDS[route], _ROUTE_EXACT.get(route, ()))
                   for route, regex in _ROUTE_REGEXES.items()}
# words before a route match that make it something else: "phase IV", "subcutaneous infusion"
_NOT_ROUTE_BEFORE = {
    "iv": re.compile(r"\b(?:phase|stage|grade|type|class|level|DSM|group|cohort|subcutaneous|"
                     r"epidural|intrathecal)\s*$", re.IGNORECASE),
    "im": re.compile(r"\b(?:phase|stage|type|class)\s*$", re.IGNORECASE),
}
# the noun a route word modifies when it is not ours ("oral antidepressant", "IV midazolam")
_OTHER_DRUG_RE = re.compile(
    r"\b(?:antidepressants?|ADs?|OADs?|SSRIs?|SNRIs?|medications?|medicines?|drugs?|"
    r"midazolam|propofol|methohexital|etomidate|lidocaine|dexmedetomidine|remifentanil|"
    r"sufentanil|fentanyl|opioids?|morphine|lithium|quetiapine|escitalopram|sertraline|"
    r"duloxetine|venlafaxine|citalopram|fluoxetine|bupropion|mood stabili[sz]ers?|"
    r"antipsychotics?|benzodiazepines?|lorazepam|diazepam|naltrexone|contraceptives?|"
    r"corticosteroids?|hydration|fluids?|iron|psilocybin|esmolol|ondansetron|nutrition)\b",
    re.IGNORECASE)
_WINDOW = 80


def _route_is_for_our_drug(sentence: str, start: int, end: int) -> bool:
    after = sentence[end:end + 40]
    drug_after = _ANY_DRUG_RE.search(after)
    other_after = _OTHER_DRUG_RE.search(" ".join(after.split()[:3]))
    if other_after and not (drug_after and drug_after.start() < after.find(other_after.group(0))):
        return False
    window = sentence[max(0, start - _WINDOW):end + _WINDOW]
    return bool(_ANY_DRUG_RE.search(window))


def routes_in(sentence: str) -> set[str]:
    """Routes of ketamine-class drugs named in one sentence (or title, or intervention)."""
    sentence = normalize_drug_names(sentence)
    return _routes_in(sentence, sentence.casefold(), _ROUTE_PATTERNS)


def _routes_in(sentence: str, folded: str, routes: dict[str, Cue]) -> set[str]:
    """``routes_in`` of a sentence whose drug names are normalized, for the given routes only."""
    # every drug name contains "ketamine" once normalized: most sentences need no scan
    if "ketamine" not in folded or not _ANY_DRUG_RE.search(sentence):
        return set()
    found: set[str] = set()
    for route, pattern in routes.items():
        for m in pattern.finditer(sentence, folded):
            guard = _NOT_ROUTE_BEFORE.get(route)
            if guard and guard.search(sentence[max(0, m.start() - 25):m.start()]):
                continue
            if m.group(0).lower() == "spravato" or _route_is_for_our_drug(
                    sentence, m.start(), m.end()):
                found.add(route)
                break
    return found


_MESH_ROUTES = {
    "administration, intranasal": "intranasal", "nasal sprays": "intranasal",
    "infusions, intravenous": "iv", "injections, intravenous": "iv",
    "administration, intravenous": "iv", "administration, oral": "oral",
    "injections, intramuscular": "im", "administration, sublingual": "sublingual",
    "injections, subcutaneous": "subcutaneous",
}


def tag_routes(doc: Document, drugs: list[str], mesh: list[str]) -> list[str]:
    """Route tags for the ketamine-class drugs of a study (none when it names no such drug).

    MeSH route headings do not say which drug they describe (an esketamine trial carries
    "Administration, Oral" for its antidepressant), so MeSH is used only when the text gives no
    route and MeSH names exactly one.
    """
    if not drugs:
        return []
    found: set[str] = set()
    # background sentences describe other studies' routes ("IV ketamine works; we gave it
    # orally"), so only the title, this study's sentences and the interventions count
    units = Texts([normalize_drug_names(unit) for unit in
                   [doc.title, *(s.text for s in doc.main), *doc.trial_interventions]])
    # a route whose words are in none of the units is in none of them
    routes = {route: cue for route, cue in _ROUTE_PATTERNS.items() if units.could_match(cue)}
    if routes:
        for unit, folded in units.items:
            found |= _routes_in(unit, folded, routes)
    if not found and doc.trial_interventions and doc.title:
        # a registration's title and summary describe the listed interventions
        found |= routes_in(" ".join([*doc.trial_interventions, doc.title]))
    if not found:
        mesh_routes = {_MESH_ROUTES[m.lower()] for m in mesh if m.lower() in _MESH_ROUTES}
        if len(mesh_routes) == 1:
            found = mesh_routes
    return sorted(found)
