"""The tagger's shortcuts give what the plain scans give.

``text.Texts`` rules a cue out for all of a record's sentences at once; the abbreviation check
searches only the end of a sentence; the review title pattern tries its look-behinds after a
look-ahead; guards added to once unguarded patterns use words without an "i". Each is checked
here against the plain version on real and sample text and on awkward cases.
"""

from __future__ import annotations

import re

import pytest
from test_tagging_cues import CUES, _texts

from ketawatch.tagging import design, drugs, population, text
from ketawatch.tagging.text import Cue, Texts

_OLD_REVIEW_TITLE = re.compile(
    r"(?<!chart )(?<!record )(?<!records )(?<!retrospective )(?<!peer )(?<!case )"
    r"(?<!utilization )\breview\b|\boverview\b|\ban update\b|\bstate of the art\b|"
    r"\bcurrent (?:evidence|status|state|knowledge)\b|\bprimer\b", re.IGNORECASE)

#: guards added to patterns that had none: their words must hold no "i" (see population.py)
_NEW_GUARDS = [cue for rank, cue, _people in population._RANKED
               if isinstance(cue, Cue) and cue.pattern.pattern.startswith(("\\b(?:a total",
                                                                           "\\b(?:enrolled",
                                                                           "(?:^|"))]
_NEW_GUARDS += [drugs._ESKETAMINE_RE, drugs._ARKETAMINE_RE]


@pytest.fixture(scope="module")
def texts(real_fixtures) -> list[str]:
    return _texts(real_fixtures)


def test_texts_rule_out_only_what_no_text_matches(texts: list[str]) -> None:
    groups = [texts[i:i + 9] for i in range(0, len(texts), 9)]
    for name, cue in CUES:
        for group in groups:
            many = Texts(group)
            expected = [t for t in group if cue.possible(t)]
            assert list(many.possible(cue)) == expected, name
            assert list(many.matching(cue)) == [t for t in expected if cue.pattern.search(t)]
            assert many.any(cue) == any(cue.pattern.search(t) for t in group), name
            if expected:
                assert many.could_match(cue), name


def test_texts_of_nothing() -> None:
    empty = Texts([])
    assert not empty.any(design._TRIAL_RE)
    assert list(empty.possible(design._TRIAL_RE)) == []


def test_the_abbreviation_check_reads_only_the_end(texts: list[str]) -> None:
    samples = texts + ["Compared vs.", "Smith et al.", "approx.", "approx.\n", "Revs.",
                       "i.v.", "xi.v.", "See Fig.", "No.", "Casino.", "ca."]
    for sample in samples:
        tail = text._ABBREVIATIONS.search(sample, max(0, len(sample) - text._ABBREVIATION_TAIL))
        assert bool(tail) == bool(text._ABBREVIATIONS.search(sample)), sample


def test_the_review_title_pattern_is_unchanged(texts: list[str]) -> None:
    samples = texts + ["A chart review of ketamine", "Peer review", "Review: ketamine",
                       "A systematic review", "Case review", "case Review", "reviews",
                       "An overview", "Retrospective review", "REVIEW"]
    for sample in samples:
        old = [m.span() for m in _OLD_REVIEW_TITLE.finditer(sample)]
        assert [m.span() for m in design._REVIEW_TITLE.finditer(sample)] == old, sample


def test_new_guards_hold_no_i() -> None:
    assert len(_NEW_GUARDS) == 6
    for cue in _NEW_GUARDS:
        assert not any("i" in need for need in cue.needs), cue.pattern.pattern
        assert not cue.exact


@pytest.mark.parametrize("sample", [
    "A total of 40 patients were randomized.", "In total, 12 were enrolled in the study.",
    "We enrolled 30 adults.", "; 25 were randomized", "Esketamine and arketamine were given.",
    "Identified 14 veterans.", "Comprising 77 participants."])
def test_new_guards_see_the_turkish_i(sample: str) -> None:
    """A case-insensitive pattern takes İ and ı for "i"; the new guards never hide such a match."""
    for variant in (sample, sample.replace("i", "\u0131"), sample.replace("i", "\u0130"),
                    sample.upper().replace("I", "\u0130"), sample.replace("s", "\u017f")):
        for cue in _NEW_GUARDS:
            if cue.pattern.search(variant):
                assert cue.possible(variant), (cue.pattern.pattern, variant)


def test_the_number_look_ahead_changes_no_match(texts: list[str]) -> None:
    """The sample size rules match what they matched without ``_NUM_START``."""
    patterns = [cue.pattern if isinstance(cue, Cue) else cue for _r, cue, _p in population._RANKED]
    patterns.append(population._SENTENCE_START)
    samples = texts + ["Twenty-two adults were enrolled.", "SEVENTEEN PATIENTS WERE RANDOMIZED",
                       "\u017fixteen women were included", "patients (N = seventy)",
                       "A total of 1,234 veterans", "; 12 were randomized"]
    for pattern in patterns:
        assert population._NUM_START in pattern.pattern
        plain = re.compile(pattern.pattern.replace(population._NUM_START, ""), pattern.flags)
        for sample in samples:
            new = [(m.span(), m.groups()) for m in pattern.finditer(sample)]
            assert new == [(m.span(), m.groups()) for m in plain.finditer(sample)], sample
