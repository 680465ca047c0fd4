"""Highlighted snippets: the best short passage of an abstract, with the query's words marked.

Only the hits of one results page get a snippet. The output is HTML-safe: the abstract text is
escaped and the only markup added is ``<mark>...</mark>``. Conclusion sections come first in the
stored text (see ``index.schema.snippet_sections``), so on a tie the conclusion wins.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from index.analysis import TOKEN_PATTERN, analyze

SNIPPET_CHARS = 280
_WORD_RE = re.compile(TOKEN_PATTERN)
#: how far before the first marked word a snippet may start (to show the sentence start)
_LEAD = 90


@lru_cache(maxsize=200_000)
def _index_words(word: str) -> tuple[str, ...]:
    """The index words of one raw word (cached: abstracts repeat their vocabulary)."""
    return tuple(analyze(word))


@lru_cache(maxsize=256)
def _candidates(words: frozenset[str]) -> re.Pattern:
    """A pattern finding raw words that may stem to one of ``words``.

    A Porter stem is nearly always a prefix of its word once its last letter is dropped
    ("therapi" of "therapy"), so only words starting so are analyzed: a few per abstract
    instead of every one.
    """
    prefixes = sorted({w[:-1] if len(w) > 3 else w for w in words}, key=len, reverse=True)
    alternatives = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"(?<![\w'\u2019])(?:{alternatives})[\w.]*", re.IGNORECASE)


def _matches(text: str, words: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, index word) of every word of ``text`` that is in ``words``."""
    out = []
    for m in _candidates(frozenset(words)).finditer(text):
        raw = _WORD_RE.match(text, m.start())
        if raw is None:
            continue
        for w in _index_words(raw.group(0).lower()):
            if w in words:
                out.append((raw.start(), raw.end(), w))
                break
    return out


def _best_window(text: str, matches: list[tuple[int, int, str]]) -> tuple[int, int, int]:
    """(score, start, end) of the passage that holds the most different query words."""
    best = (0, 0, min(len(text), SNIPPET_CHARS))
    for i, (start, _end, _w) in enumerate(matches):
        seen, count = set(), 0
        for s, _e, w in matches[i:]:
            if s - start > SNIPPET_CHARS - _LEAD:
                break
            seen.add(w)
            count += 1
        score = len(seen) * 100 + min(count, 20)
        if score > best[0]:
            begin = max(0, start - _LEAD)
            # start at the beginning of the sentence when it is close, else at a word
            sentence = max(text.rfind(". ", begin, start), text.rfind("? ", begin, start))
            if sentence >= 0:
                begin = sentence + 2
            elif begin > 0:
                space = text.find(" ", begin, start)
                begin = space + 1 if space >= 0 else begin
            best = (score, begin, min(len(text), begin + SNIPPET_CHARS))
    return best


def _cut_end(text: str, end: int) -> int:
    """Move a cut back to a word boundary."""
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", 0, end)
    return space if space > end - 40 else end


def make_snippet(sections: list[list[str]], words: set[str]) -> str:
    """The HTML snippet of an abstract given as [label, text] sections.

    ``words`` are index words (stemmed) to mark; with none, or none found, the first section's
    beginning is shown.
    """
    if not sections:
        return ""
    choice = None
    if words:
        for label, text in sections:
            matches = _matches(text, words)
            if not matches:
                continue
            score, begin, end = _best_window(text, matches)
            if choice is None or score > choice[0]:
                choice = (score, label, text, begin, end, matches)
    if choice is None:
        label, text = sections[0]
        choice = (0, label, text, 0, min(len(text), SNIPPET_CHARS), [])
    _, label, text, begin, end, matches = choice
    end = _cut_end(text, end)
    out = []
    if begin == 0 and label:
        out.append(escape(_label(label)) + ": ")
    elif begin > 0:
        out.append("\u2026")
    pos = begin
    for s, e, _w in matches:
        if s < begin or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append("\u2026")
    return "".join(out).strip()


def _label(label: str) -> str:
    """A section label as a reader expects it ("CONCLUSIONS" -> "Conclusions")."""
    return label.capitalize() if label.isupper() else label
