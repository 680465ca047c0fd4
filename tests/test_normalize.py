"""``clean_text`` takes a fast path for text that is already clean; it must give what the
regular expressions give, for every text (the reference below is the regex-only version)."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.normalize import _SPACE_RE, MAX_TEXT, clean_text, normalize_study
from ketawatch.model import Study, find_nct_ids

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def reference(value: str | None, *, keep_newlines: bool = False) -> str:
    """``clean_text`` as it was before the fast path: every step by regex."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL_RE.sub("", text)
    if keep_newlines:
        lines = [_SPACE_RE.sub(" ", line).strip() for line in text.splitlines()]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = _SPACE_RE.sub(" ", text.replace("\n", " ")).strip()
    return text[:MAX_TEXT]


# the characters the cleaning treats specially, and some that it must leave alone
_AWKWARD = (" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x00\x7f\x85\xa0\u1680\u2000\u2009\u200b\u2028"
            "\u2029\u202f\u205f\u3000\ufeffe\u0301\u00e9\u212bA\u030a")
_TEXTS = st.text(alphabet=st.sampled_from(_AWKWARD + "abc.:-"), max_size=40) | st.text(max_size=40)


@settings(max_examples=500, deadline=None)
@given(_TEXTS)
def test_clean_text_is_the_regex_cleaning(text: str) -> None:
    assert clean_text(text) == reference(text)
    assert clean_text(text, keep_newlines=True) == reference(text, keep_newlines=True)


def test_clean_text_examples() -> None:
    for text in ["Plain text.", "  padded  ", "two  spaces", "tab\there", "no\u00a0break",
                 "line\nbreak", "A\n\n\n\nB", "a\r\nb", "e\u0301", "\x00x\x7f", "\u2028sep",
                 "x" * (MAX_TEXT + 5), "Smith JA", "BACKGROUND: text.\n\nMETHODS: more."]:
        assert clean_text(text) == reference(text), text
        assert clean_text(text, keep_newlines=True) == reference(text, keep_newlines=True), text


def test_sections_are_cleaned_and_empty_ones_dropped() -> None:
    study = Study(source="pubmed", source_id="1", abstract="x",
                  abstract_sections=[[" AIMS ", " To  test. "], ["EMPTY", " \t "], ["", "Text"]])
    assert normalize_study(study).abstract_sections == [["AIMS", "To test."], ["", "Text"]]


def test_nct_numbers_in_any_case_are_found() -> None:
    text = "Registered as NCT01234567, nct 2345678 and Nct0 12345678; not NCX01234567."
    assert find_nct_ids(text) == ["NCT01234567", "NCT02345678"]
    assert find_nct_ids("registered at clinicaltrials.gov") == []
