"""The tagger's cheap word tests never hide a match of the pattern they guard.

``text.Cue`` skips a pattern when the text holds none of its needed words; the drug-name and
number checks do the same by hand. If a need is missing (someone adds an alternative to a
pattern and not its word), tags silently disappear: these tests run every guard against its
pattern over real abstracts, the sample corpus, the labelled set and generated text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.pubmed_xml import parse_efetch
from ketawatch.sample import generate
from ketawatch.tagging import conditions, design, drugs, population
from ketawatch.tagging.text import Cue

EVAL = Path(__file__).parent / "data" / "tagging_eval.jsonl"


def _cues() -> list[tuple[str, Cue]]:
    found = []
    for module in (conditions, design, drugs, population):
        for name, value in vars(module).items():
            if isinstance(value, Cue):
                found.append((f"{module.__name__}.{name}", value))
            elif isinstance(value, dict):
                found += [(f"{module.__name__}.{name}[{k}]", v) for k, v in value.items()
                          if isinstance(v, Cue)]
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    parts = item if isinstance(item, tuple) else (item,)
                    found += [(f"{module.__name__}.{name}[{i}]", v) for v in parts
                              if isinstance(v, Cue)]
    return found


CUES = _cues()


def _texts(real_fixtures: Path) -> list[str]:
    texts: list[str] = []
    studies = []
    for path in sorted((real_fixtures / "pubmed").glob("*.xml")):
        try:
            studies += [s for s, _raw in parse_efetch(path.read_bytes())[0]]
        except Exception:  # noqa: BLE001 - einfo, elink ... are not efetch answers
            continue
    corpus = generate(300, seed=5)
    studies += [s for s, _raw in parse_efetch(corpus.efetch_document(corpus.pubmed))[0]]
    for study in studies:
        texts.append(study.title or "")
        texts += re.split(r"(?<=[.!?])\s+", study.abstract or "")
        texts += list(study.mesh or []) + list(study.keywords or [])
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        study = json.loads(line)["study"]
        texts.append(study.get("title") or "")
        texts += re.split(r"(?<=[.!?])\s+", study.get("abstract") or "")
    return [t for t in texts if t]


@pytest.fixture(scope="module")
def texts(real_fixtures: Path) -> list[str]:
    return _texts(real_fixtures)


def test_the_cues_are_found() -> None:
    """The discovery above sees the guards (an empty list would make the tests below vacuous)."""
    names = {name for name, _cue in CUES}
    assert len(CUES) >= 30
    assert "ketawatch.tagging.conditions._PATTERNS[depression]" in names
    assert "ketawatch.tagging.design._OBSERVATIONAL_RE" in names
    assert all(n == n.casefold() for _name, cue in CUES for n in cue.needs)


@pytest.mark.parametrize("name,cue", CUES, ids=[name for name, _cue in CUES])
def test_a_cue_never_hides_a_match(name: str, cue: Cue, texts: list[str]) -> None:
    matched = 0
    for text in texts:
        if cue.pattern.search(text):
            matched += 1
            assert cue.possible(text), f"{name} skipped a text it matches: {text!r}"
    # the guard is not vacuous: texts without its words exist and are skipped
    assert any(not cue.possible(t) for t in texts) or name.endswith("_RANDOM_RE")


def test_the_drug_name_check_never_hides_an_enantiomer(texts: list[str]) -> None:
    spellings = ["(S)-ketamine", "S-ketamine", "S(+)-ketamine", "S-(+)-ketamine", "(R)-(-)-ketamine",
                 "R-ketamine", "(R,S)-ketamine", "RS-ketamine", "(R, S) - ketamine",
                 "s \u2010 ketamine", "R(\u2212)-ketamine", "esketamine", "arketamine"]
    for text in texts + [f"Patients received {s} daily." for s in spellings]:
        folded = text.casefold()
        if drugs._RACEMIC_RE.search(text) or drugs._ENANTIOMER_RE.search(text):
            assert drugs._may_name_enantiomer(folded), text
    assert not drugs._may_name_enantiomer("esketamine and arketamine and ketamine")


def test_the_number_check_matches_the_pattern(texts: list[str]) -> None:
    for text in texts + ["Twenty-two adults", "seventeen patients", "no numbers here"]:
        assert population._has_number(text) == bool(population._HAS_NUMBER.search(text)), text


_WORDS = sorted({n for _name, cue in CUES for n in cue.needs + cue.exact}
                | {"ketamine", "esketamine", "S", "R", "(", ")", "-", ",", "+", "patients",
                   "were", "randomized", "12", "twenty", "of", "a total of", "with", "in",
                   "treatment-resistant", "depression", "MDD", "PTSD", "Scale", "IV", "IM"})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12),
       st.sampled_from(["", " ", "  ", "-"]))
def test_generated_text_never_slips_past_a_cue(words: list[str], glue: str) -> None:
    """Texts made of the needed words themselves, in any order and case, glued differently."""
    for text in (glue.join(words), " ".join(words).upper(), " ".join(words).title()):
        for name, cue in CUES:
            if cue.pattern.search(text):
                assert cue.possible(text), f"{name}: {text!r}"
        if drugs._RACEMIC_RE.search(text) or drugs._ENANTIOMER_RE.search(text):
            assert drugs._may_name_enantiomer(text.casefold()), text
