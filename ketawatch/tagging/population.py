"""Who was studied: the ``human`` flag and ``sample_size``.

``human`` is True for studies of people (MeSH Humans, registrations, patients or participants in
this study's sentences), False for animal or in-vitro work (MeSH Animals without Humans, rats,
mice, cultured neurons), and None when nothing says (editorials, notices, most reviews, and
reviews that cover both animals and patients).

``sample_size`` is the number of people enrolled or analysed, read from phrases that tie a number
to people ("a total of 68 participants", "226 patients were randomly assigned", "enrolled 40
adults", "(N = 346) were randomized", "24 trials (n = 1,877)"). A number that is not tied to
people (years, doses, ages, P values, percentages, counts of studies or reports) is never taken,
and when no phrase is clear the answer is None. Phrases are ranked: totals first, then
enrolment phrases, then weaker ones ("of 112 patients"); the first of the best rank wins, so the
enrolled number beats later subgroup numbers. A lone "n = 20" counts only when nothing else in
its sentence looks like another arm. A registration's *actual* enrollment is its sample size;
an estimated enrollment, like a protocol's "we will recruit 120", is a plan and gives None.
Animal studies, reviews, guidelines, editorials and notices get None: their numbers are not
participants.
"""

from __future__ import annotations

import re
from typing import Any

from ketawatch.tagging.text import NUMBER_WORDS, Cue, Document, number_value

_I = re.IGNORECASE

_ANIMAL_RE = Cue(re.compile(
    r"\b(?:rats?|mice|mouse|murine|rodents?|zebrafish|non-?human primates?|monkeys?|macaques?|"
    r"piglets?|in vitro|cell cultures?|cultured|C57BL\S*|Sprague[- ]Dawley|Wistar|"
    r"knockout|organoids?|animals? (?:were|was|received))\b", _I),
    ("rat", "mice", "mouse", "murine", "rodent", "zebrafish", "primate", "monkey", "macaque",
     "piglet", "in vitro", "cultur", "c57bl", "dawley", "wistar", "knockout", "organoid",
     "animal"))
_HUMAN_RE = re.compile(
    r"\b(?:patients|participants|adults|volunteers|individuals|outpatients|inpatients|veterans|"
    r"women|men|woman|man|children|adolescents|youths|people|humans|respondents|parturients|"
    r"mothers|\d+-year-old)\b", _I)
# people counted or recruited in this study, which outweighs a passing mention of animals
_HUMAN_STRONG_RE = re.compile(
    r"\b(?:\d[\d,]*|" + NUMBER_WORDS + r")\s+(?:[\w-]+\s+){0,2}(?:patients|participants|adults|"
    r"volunteers|individuals|outpatients|inpatients|veterans|women|men|children|adolescents)\b|"
    r"\b(?:enrolled|recruited)\b", _I)
_PLANNED = {"ESTIMATED", "ANTICIPATED"}
_HUMAN_DESIGNS = {"rct", "clinical-trial", "observational", "case-report", "trial-registration"}
_NO_SAMPLE_DESIGNS = {"preclinical", "review", "guideline", "editorial", "erratum"}


def animal_evidence(doc: Document, mesh: list[str]) -> str | None:
    """What this study's own words and MeSH say about whom it studied.

    ``human`` (people), ``animal`` (animals or cells only), ``both`` (animals, with people
    named only in passing: a mouse study of "microbiota from patients", or a review spanning
    rodents and patients), or None when nothing says.
    """
    lowered = {m.lower() for m in mesh}
    if "humans" in lowered and "animals" not in lowered:
        return "human"
    if "animals" in lowered and "humans" not in lowered:
        return "animal"
    text = _text_evidence(doc)
    if "humans" in lowered and text is None:
        # MeSH Humans and Animals, and the text does not tell: people were studied too
        return "human"
    return text


def _text_evidence(doc: Document) -> str | None:
    units = [doc.title, *(s.text for s in doc.main)]
    animal = any(_ANIMAL_RE.search(t) for t in units)
    human = any(_HUMAN_RE.search(t) for t in units)
    if animal and human:
        strong = any(_HUMAN_STRONG_RE.search(t) for t in units)
        return "human" if strong else "both"
    if animal:
        return "animal"
    return "human" if human else None


def tag_human(evidence: str | None, design: str, notice: bool) -> bool | None:
    """The human flag from the evidence and the chosen design."""
    if design == "trial-registration":
        return True
    if notice:
        # an erratum or retraction notice studies nobody
        return None
    if evidence == "animal" or design == "preclinical":
        return False
    if evidence == "both":
        # a review or an unclear design spanning animals and people: no answer is safer
        return None
    if evidence == "human":
        return True
    if evidence is None and design in _HUMAN_DESIGNS:
        return True
    return None


# ------------------------------------------------------------------------------ sample size

#: the first character of every number: the look-ahead spares the regex engine trying each
#: number word at every position of a sentence (it only tests what the group tests first)
_NUM_START = r"(?=[\dtfseno])"
_NUM = _NUM_START + r"(\d{1,3}(?:,\d{3})+|\d+|" + NUMBER_WORDS + r")"
_NOUN = (r"(?:patients|participants|subjects|individuals|adults|adolescents|children|youths|"
         r"veterans|women|men|persons|people|volunteers|outpatients|inpatients|respondents|"
         r"mothers|parturients|users|cases|pregnant women|older adults|service members|"
         r"psychiatrists|physicians|clinicians|nurses|doctors|prescribers|pharmacists|students|"
         r"caregivers|residents)")
# up to three describing words between number and noun, but never units, times or connectives
_ADJ = (r"(?:(?!(?:years?|months?|weeks?|days?|hours?|mg|kg|per|of|in|to|and|or|with|were|"
        r"was|from|than|studies|trials)\b)[A-Za-z][\w-]*,?\s+){0,3}?")
_PEOPLE = _NUM + r"\s+" + _ADJ + _NOUN + r"\b"
_VERB = (r"(?:randomi[sz]ed|randomly|enrolled|included|recruited|analy[sz]ed|assigned|allocated|"
         r"studied|treated|evaluated)")
_VERB_NEEDS = ("randomi", "randomly", "enrolled", "included", "recruited", "analy",
               "assigned", "allocated", "studied", "treated", "evaluated")
# Guards added to the rules below use needed words without the letter "i": a case-insensitive
# pattern takes the Turkish dotted and dotless I for "i", which case folding does not give,
# so a guard word with an "i" could hide a match the unguarded pattern would find.
_RANKED: list[tuple[int, re.Pattern[str] | Cue, bool]] = [
    (1, Cue(re.compile(r"\b(?:a total of|in total,?|total sample of|overall,?)\s+" + _PEOPLE, _I),
            ("total", "overall")), True),
    (1, Cue(re.compile(r"\b(?:a total of|in total,?)\s+" + _NUM + r"\s+(?:were|was|will be)\s+"
                       + _VERB, _I), ("total",)), False),
    # "Eligible patients (N = 346)": a capital N after people is the total; "patients (n = 20)"
    # may be one arm, and is left to the n = rule below
    (1, Cue(re.compile(r"(?i:" + _NOUN + r")\s*\(\s*N\s*=\s*" + _NUM + r"\s*\)"), ("=",)), True),
    (2, Cue(re.compile(_PEOPLE + r"(?:\s+(?:with|aged|who|from|meeting|in|at|on|undergoing|"
                       r"receiving|seeking)\b[^.;]{0,90}?)?,?\s+(?:were|was|had been|will be)\s+"
                       + _VERB, _I), _VERB_NEEDS), True),
    (2, Cue(re.compile(r"\b(?:enrolled|enrolling|enrol|enroll|randomi[sz]ed|randomi[sz]e|recruited|"
                       r"recruit|recruiting|included|including|analy[sz]ed|studied|identified|"
                       r"involving|involved|comprising|comprised|surveyed|followed)\s+"
                       r"(?:data (?:from|on)\s+)?" + _PEOPLE, _I),
            ("enrol", "random", "recru", "nclud", "analy", "stud", "dent", "nvolv", "compr",
             "surveyed", "followed")), True),
    (2, Cue(re.compile(r"(?:^|[;,]\s*|\band\s+)" + _NUM + r"\s+(?:were|was)\s+"
                       r"(?:randomi[sz]ed|randomly|enrolled)", _I), ("random", "enrolled")), False),
    (3, re.compile(r"\b(?:of|from|among|with)\s+" + _PEOPLE, _I), True),
    (3, Cue(re.compile(_PEOPLE + r"(?:\s+with\b[^.;]{0,90}?)?,?\s+(?:who\s+)?(?:received|"
                       r"underwent|completed|participated|took part|took|initiated)", _I),
            ("received", "underwent", "completed", "participated", "took", "initiated")), True),
    (3, re.compile(r"\b(?:present|describe|report)\s+" + _PEOPLE, _I), True),
    (3, re.compile(r"\b(?:given|administered|offered)\s+to\s+" + _PEOPLE, _I), True),
]
#: every noun of ``_NOUN`` contains one of these (case-folded): a sentence without any cannot
#: match the rules that count people (the third value of each ``_RANKED`` rule)
_PEOPLE_WORDS = Cue(re.compile(r"\b" + _NOUN + r"\b", _I), (
    "patients", "participants", "subjects", "individuals", "adults", "adolescents", "children",
    "youths", "veterans", "men", "persons", "people", "volunteers", "respondents", "mothers",
    "parturients", "users", "cases", "service members", "psychiatrists", "physicians",
    "clinicians", "nurses", "doctors", "prescribers", "pharmacists", "students", "caregivers",
    "residents"))
#: a numeral or a number word anywhere in a sentence
_HAS_NUMBER = re.compile(r"\d|\b" + NUMBER_WORDS + r"\b", _I)
_DIGIT = re.compile(r"\d")
#: every number word contains one of these (case-folded): "one" ... "nine", "ten", "eleven",
#: "twelve", "thirteen" ... "nineteen" ("-teen"), "twenty" ... "ninety" ("-ty")
_NUMBER_WORD_NEEDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                      "ten", "eleven", "twelve", "teen", "ty")


def _has_number(sentence: str) -> bool:
    """True when the sentence holds a numeral or a number word (``_HAS_NUMBER``, cheaply)."""
    if _DIGIT.search(sentence):
        return True
    folded = sentence.casefold()
    return any(n in folded for n in _NUMBER_WORD_NEEDS) and bool(_HAS_NUMBER.search(sentence))
# "In 2020 patients were ...": a year, not a count
_YEAR_BEFORE = re.compile(r"\b(?:in|since|from|until|between|during|to|and|by|of)\s+$", _I)
_SENTENCE_START = re.compile(r"^\s*" + _PEOPLE, _I)
_ENROL_WORDS = re.compile(r"\b(?:randomi[sz]|enrol|recruit|received|assigned|allocated)", _I)
_N_EQUALS = re.compile(r"(?<![\w.])[Nn]\s*=\s*(\d{1,3}(?:,\d{3})+|\d+)(?!\.\d)(?!\s*%)"
                       r"(?:\s*\)?\s*([A-Za-z]+))?")
_NOT_PEOPLE_AFTER = re.compile(r"^(?:studies|trials|rcts|articles|reports|sites|centers|"
                               r"centres|sessions|infusions|doses|comparisons|arms|per|"
                               r"animals|rats|mice|samples|eyes|episodes|visits)$", _I)
_OTHER_COUNT = re.compile(r"\b\d[\d,]*\s+(?:received|were|was|in the|" + _NOUN + r")\b", _I)
_CASE_ONE = re.compile(r"\b(?:we|this)\s+(?:report|describe|present)\s+(?:a|an|one|the case of)"
                       r"\b|\b(?:a|an) \d+[- ]year[- ]old\b|\bcase report\b", _I)


def _n_equals(sentence: str) -> tuple[int, int] | None:
    """(rank, value) from ``n = 123`` phrases: one total, or the arms of one randomization."""
    hits = []
    for m in _N_EQUALS.finditer(sentence):
        after = m.group(2) or ""
        if after and _NOT_PEOPLE_AFTER.match(after):
            continue
        hits.append(int(m.group(1).replace(",", "")))
    if len(hits) == 1:
        # "patients (n = 20) received ketamine and 21 received placebo": one arm, not the total
        rest = _N_EQUALS.sub(" ", sentence)
        if _OTHER_COUNT.search(rest):
            return None
        return 4, hits[0]
    if 2 <= len(hits) <= 4 and re.search(r"\brandom|\bassigned|\ballocated", sentence, _I):
        return 4, sum(hits)
    return None


def _is_year(sentence: str, value: int, start: int) -> bool:
    """True for "In 2020 patients were ...": a year, not a count."""
    return 1950 <= value <= 2035 and bool(_YEAR_BEFORE.search(sentence[max(0, start - 10):start]))


def sample_from_text(doc: Document) -> int | None:
    """The number of people this study enrolled or analysed, if a phrase states it clearly.

    The first phrase of the best rank wins (rank 1 totals, then 2, 3, and 4 for ``n =``), in
    sentence order and, within a sentence, in rule order; rules that can no longer win are not
    tried.
    """
    best_rank, best_value = 5, None
    for sentence, folded in doc.main_texts.items:
        if best_rank == 1:
            break  # nothing outranks a stated total
        if not _has_number(sentence):
            # every rule below needs a numeral or a number word: most sentences have neither
            continue
        people = _PEOPLE_WORDS.possible(sentence, folded)
        for rank, pattern, counts_people in _RANKED:
            if rank >= best_rank:
                break  # the rules are in rank order: none of the rest can win
            if counts_people and not people:
                continue
            matches = (pattern.finditer(sentence, folded) if isinstance(pattern, Cue)
                       else pattern.finditer(sentence))
            for m in matches:
                value = number_value(m.group(1))
                if value and value < 10_000_000 and not _is_year(sentence, value, m.start(1)):
                    best_rank, best_value = rank, value
                    break
        if best_rank > 3:
            m = _SENTENCE_START.match(sentence)
            if m and _ENROL_WORDS.search(sentence):
                value = number_value(m.group(1))
                if value and value < 10_000_000:
                    best_rank, best_value = 3, value
        if best_rank > 4:
            n_eq = _n_equals(sentence)
            if n_eq and 0 < n_eq[1] < 10_000_000:
                best_rank, best_value = n_eq
    return best_value


def enrollment(trial: dict[str, Any] | None) -> int | None:
    """A registration's actual enrollment, whatever shape the crawler stored it in.

    None for an ESTIMATED (anticipated) enrollment, as the ClinicalTrials.gov parser does.
    """
    if not trial:
        return None
    value = trial.get("enrollment")
    kind = trial.get("enrollment_type")
    if isinstance(value, dict):
        kind = value.get("type") or kind
        value = value.get("count")
    if str(kind or "").upper() in _PLANNED:
        # an estimated enrollment is a plan: nobody has been enrolled yet
        return None
    if isinstance(value, bool) or value is None:
        return None
    try:
        count = int(str(value).strip())
    except ValueError:
        return None
    return count if count > 0 else None


def tag_sample_size(doc: Document, design: str, human: bool | None, *, notice: bool,
                    protocol: bool, trial: dict[str, Any] | None,
                    text_sample: int | None) -> int | None:
    """The sample size badge, or None when the study's numbers are not participants.

    A protocol's "will recruit 120" is a plan, like an estimated enrollment: None.
    """
    if design == "trial-registration":
        return enrollment(trial)
    if notice or protocol or human is False or design in _NO_SAMPLE_DESIGNS:
        return None
    if text_sample:
        return text_sample
    if design == "case-report" and any(_CASE_ONE.search(t) for t in
                                       [doc.title, *(s.text for s in doc.main)]):
        return 1
    return None
