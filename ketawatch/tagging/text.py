"""The text a tagger reads: title, abstract sentences with their section roles, trial fields.

Every tag rule asks one of two questions of a sentence: is it about *this* study, or is it
background (what others found, what the field knows)? A review that says "randomized trials have
shown" is not an RCT, and a mouse study that opens with "ketamine helps patients" is not a human
study. So sentences carry a role: ``background``, ``main`` or ``ignored`` (trial registration
numbers, funding).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ketawatch.model import Study

#: section labels whose sentences describe prior knowledge, not this study
_BACKGROUND_LABELS = ("BACKGROUND", "INTRODUCTION", "CONTEXT", "IMPORTANCE", "RATIONALE")
#: a label that also announces the aim ("Background and aims") is about this study
_AIM_WORDS = ("AIM", "OBJECTIVE", "PURPOSE", "GOAL")
_IGNORED_LABELS = ("TRIAL REGISTRATION", "REGISTRATION", "FUNDING", "ETHICS", "CLINICAL TRIAL",
                   "KEYWORDS", "LEVEL OF EVIDENCE", "PROSPERO", "SYSTEMATIC REVIEW REGISTRATION")

# "LABEL: text" at the start of a paragraph; labels are short and start with a capital
_LABEL_RE = re.compile(r"^\s*([A-Z][A-Za-z ,&/()-]{1,60}?)\s*:\s+(\S.*)$", re.DOTALL)
# split after . ! ? when the next sentence starts like a sentence
_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")
_ABBREVIATIONS = re.compile(r"(?:\b(?:e\.g|i\.e|vs|et al|approx|Fig|Dr|No|i\.v|i\.m|s\.c|ca)\.)$")
#: every match of ``_ABBREVIATIONS`` starts within this many characters of the text's end (the
#: longest, "approx.", before a final newline): the search starts there, not at every character
_ABBREVIATION_TAIL = 16
#: a sentence that speaks about this study (unstructured abstracts: background ends here)
_SELF_RE = re.compile(
    r"\b(?:we|our|here|herein|in this|the present|the current|this (?:[\w-]+\s+){0,2}?(?:study|"
    r"trial|review|article|paper|report|analysis|case|meta-analysis|cohort|survey|protocol))\b|"
    r"\b(?:the )?(?:aim|objective|purpose|goal)s? (?:of|was|is)\b|"
    r"\bwere (?:randomi[sz]ed|randomly|enrolled|recruited|included|treated|assigned|exposed)\b|"
    r"^(?:Using|To (?:evaluate|assess|determine|examine|investigate|compare|test))\b|"
    # a count of people ("Among 14,567 veterans who ...") describes this study's sample
    r"\b\d[\d,]*\s+(?:[\w-]+\s+){0,2}(?:patients|participants|adults|veterans|individuals|"
    r"outpatients|inpatients|women|men|volunteers|respondents)\b",
    re.IGNORECASE)


class Cue:
    """A compiled pattern behind a cheap word test.

    ``needs`` are lower-case strings of which every match of ``pattern`` contains at least one
    (case-folded), or ``exact`` ones (as written), so a text holding none of them cannot match
    and is not scanned. Most
    abstract sentences name no condition, route or design cue, and a substring test runs at C
    speed where a long alternation with look-behinds costs tens of microseconds per sentence:
    this is what keeps tagging from being most of a crawl's time. ``tests/test_tagging_cues.py``
    checks the promise on real and sample text.
    """

    __slots__ = ("exact", "needs", "pattern")

    def __init__(self, pattern: re.Pattern[str], needs: tuple[str, ...],
                 exact: tuple[str, ...] = ()) -> None:
        self.pattern = pattern
        self.needs = needs
        #: needed strings that must appear as written: the pattern's case-sensitive parts,
        #: abbreviations such as ``(?-i:MDD)`` ("mdd" case-folded would be found in far more)
        self.exact = exact

    def possible(self, text: str, folded: str | None = None) -> bool:
        """False when ``text`` cannot match (it holds none of the needed words).

        ``folded`` is ``text.casefold()`` when the caller already has it.
        """
        for need in self.exact:
            if need in text:
                return True
        if folded is None:
            folded = text.casefold()
        for need in self.needs:  # noqa: SIM110 (a plain loop: any() over a generator costs more)
            if need in folded:
                return True
        return False

    def search(self, text: str, folded: str | None = None) -> re.Match[str] | None:
        """``pattern.search(text)``, skipped when the text cannot match."""
        return self.pattern.search(text) if self.possible(text, folded) else None

    def finditer(self, text: str, folded: str | None = None) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text)``, empty when the text cannot match."""
        return self.pattern.finditer(text) if self.possible(text, folded) else iter(())

    def sub(self, repl: Any, text: str, folded: str | None = None) -> str:
        """``pattern.sub(repl, text)``, the text itself when it cannot match."""
        return self.pattern.sub(repl, text) if self.possible(text, folded) else text


class Texts:
    """Texts that rules scan with ``Cue``s, each beside its case-folded copy.

    The texts are also joined into one: a cue whose words are not in the joined text is in none
    of them, so one substring test rules a cue out for every sentence of a record at once (most
    cues never come near most records), and each text is case-folded only once.
    """

    __slots__ = ("_folded", "_joined", "items")

    def __init__(self, texts: list[str]) -> None:
        #: (text, ``text.casefold()``) pairs, in order
        self.items = [(text, text.casefold()) for text in texts]
        self._joined = "\n".join(texts)
        self._folded = "\n".join(folded for _text, folded in self.items)

    def could_match(self, cue: Cue) -> bool:
        """False when ``cue`` can match none of the texts (they hold none of its words)."""
        return cue.possible(self._joined, self._folded)

    def possible(self, cue: Cue) -> Iterator[str]:
        """The texts ``cue`` could match (holding one of its words), in order."""
        if not self.could_match(cue):
            return iter(())
        return (text for text, folded in self.items if cue.possible(text, folded))

    def matching(self, cue: Cue) -> Iterator[str]:
        """The texts ``cue`` matches, in order."""
        search = cue.pattern.search
        return (text for text in self.possible(cue) if search(text))

    def any(self, cue: Cue) -> bool:
        """True when ``cue`` matches one of the texts."""
        return any(True for _text in self.matching(cue))


_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
          "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
          "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
#: a number written in words, "five" to "ninety-nine" (sentences may not start with digits)
NUMBER_WORDS = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
                r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
                r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
                r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)")


def number_value(text: str) -> int | None:
    """The integer a numeral (``1,234``) or number word (``Twenty-two``) stands for."""
    word = text.strip().lower()
    digits = word.replace(",", "")
    if digits.isdigit():
        return int(digits)
    parts = re.split(r"[- ]", word)
    if len(parts) == 1:
        return _UNITS.get(parts[0], _TENS.get(parts[0]))
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    return None


@dataclass(frozen=True)
class Sentence:
    """One sentence of the abstract, with the section it sits in and its role."""

    text: str
    label: str = ""
    #: "main" (about this study), "background" (prior knowledge) or "ignored"
    role: str = "main"


@dataclass
class Document:
    """Everything a tagger reads from one Study, split the way the rules need it."""

    title: str
    sentences: list[Sentence] = field(default_factory=list)
    #: registration fields: condition names and intervention names, one string each
    trial_conditions: list[str] = field(default_factory=list)
    trial_interventions: list[str] = field(default_factory=list)

    @property
    def main(self) -> list[Sentence]:
        """Sentences about this study (neither background nor ignored)."""
        return [s for s in self.sentences if s.role == "main"]

    # The two cached views below are read by several taggers; a Document is not changed
    # after ``document()`` builds it.
    @cached_property
    def main_texts(self) -> Texts:
        """The text of every sentence about this study, ready for ``Cue`` scans."""
        return Texts([s.text for s in self.main])

    @cached_property
    def units(self) -> Texts:
        """The title and every sentence about this study, ready for ``Cue`` scans."""
        return Texts([self.title, *(s.text for s in self.main)])

    def all_text(self) -> str:
        """Title, every abstract sentence and the registration fields, one per line."""
        parts = [self.title, *(s.text for s in self.sentences if s.role != "ignored"),
                 *self.trial_interventions, *self.trial_conditions]
        return "\n".join(p for p in parts if p)


def _split_sentences(text: str) -> list[str]:
    pieces = [p for p in _SPLIT_RE.split(text.strip()) if p]
    merged: list[str] = []
    for piece in pieces:
        # "vs. placebo", "et al. found": the split was after an abbreviation, not a sentence
        last = merged[-1] if merged else ""
        # \b still sees the character before the search's start position
        if last and _ABBREVIATIONS.search(last, max(0, len(last) - _ABBREVIATION_TAIL)):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def _sections(study: Study) -> list[tuple[str, str]]:
    if study.abstract_sections:
        out = []
        for item in study.abstract_sections:
            if len(item) >= 2 and item[1]:
                out.append(((item[0] or "").strip(), item[1]))
        if out:
            return out
    sections: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n+", study.abstract or ""):
        if not paragraph.strip():
            continue
        m = _LABEL_RE.match(paragraph)
        if m and len(m.group(1).split()) <= 6:
            sections.append((m.group(1).strip(), m.group(2).strip()))
        else:
            sections.append(("", paragraph.strip()))
    return sections


def _label_role(label: str) -> str:
    upper = label.upper()
    if any(upper.startswith(x) for x in _IGNORED_LABELS):
        return "ignored"
    if any(upper.startswith(x) for x in _BACKGROUND_LABELS) and not any(
            w in upper for w in _AIM_WORDS):
        return "background"
    return "main"


def _strings(value: Any) -> list[str]:
    """A list of strings from a registration field that may hold strings or dicts."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.append(" ".join(str(item[k]) for k in ("type", "name", "description")
                                if item.get(k)))
    return out


def document(study: Study) -> Document:
    """Split a Study into the title, role-tagged sentences and registration fields."""
    sentences: list[Sentence] = []
    for label, text in _sections(study):
        role = _label_role(label) if label else "main"
        sentences.extend(Sentence(s, label.upper(), role) for s in _split_sentences(text))
    if sentences and all(not s.label for s in sentences):
        # unstructured abstract: what comes before the first sentence about this study is
        # background ("Ketamine works in patients. Here we treated mice ...")
        first_self = next((i for i, s in enumerate(sentences) if _SELF_RE.search(s.text)), 0)
        sentences = [Sentence(s.text, s.label, "background" if i < first_self else s.role)
                     for i, s in enumerate(sentences)]
    trial = study.trial or {}
    extras = study.extras or {}
    return Document(
        title=(study.title or "").strip(),
        sentences=sentences,
        trial_conditions=_strings(trial.get("conditions")) or _strings(extras.get("conditions")),
        # other names carry brand and code names ("Spravato", "PCN-101")
        trial_interventions=((_strings(trial.get("interventions"))
                              or _strings(extras.get("interventions")))
                             + _strings(extras.get("intervention_other_names"))),
    )
