"""Text analysis shared by indexing and querying: analyzers, spelling variants, synonyms.

The same analyzer must run at index time and at query time, so both import it from here.
Synonyms are expanded at query time only (the index stays lean and the table can change without
a rebuild); a multi-word synonym becomes a phrase.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.analysis.analyzers import STOP_WORDS
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map

#: words: letters/digits, keeping decimals and dotted abbreviations together ("0.5", "i.v");
#: the "s" of "patient's" is no word (one-letter words matter: R-ketamine, S-ketamine)
TOKEN_PATTERN = r"(?<!['\u2019])\b\w+(?:\.\w+)*"
_WORD_RE = re.compile(TOKEN_PATTERN)

#: British spellings and dotted abbreviations -> one form, so "randomised" finds "randomized"
#: (the Porter stemmer alone gives "randomis" and "randomiz")
_SPELLING = {
    "i.v": "iv", "i.m": "im", "s.c": "sc", "p.o": "po", "i.n": "in",
    "anaesthesia": "anesthesia", "anaesthetic": "anesthetic", "anaesthetics": "anesthetics",
    "anaesthesiology": "anesthesiology", "paediatric": "pediatric", "paediatrics": "pediatrics",
    "behaviour": "behavior", "behaviours": "behaviors", "behavioural": "behavioral",
    "tumour": "tumor", "tumours": "tumors", "programme": "program", "programmes": "programs",
    "centre": "center", "centres": "centers", "oestrogen": "estrogen", "oedema": "edema",
    "haemorrhage": "hemorrhage", "haemodynamic": "hemodynamic", "foetal": "fetal",
    "labour": "labor", "colour": "color", "favour": "favor", "favourable": "favorable",
    "ageing": "aging", "judgement": "judgment", "counselling": "counseling",
    "analyse": "analyze", "analysed": "analyzed", "analyses": "analyses", "analysing": "analyzing",
    "posttraumatic": "post traumatic",
}
#: stems whose "-ise" spellings become "-ize" (randomise, hospitalisation, characterised...)
_ISE_STEMS = ("random", "hospital", "character", "organ", "util", "general", "optim",
              "standard", "minim", "maxim", "normal", "stabil", "sensit", "categor", "recogn",
              "summar", "emphas", "prioriti", "author", "real", "special", "memor", "individual",
              "dichotom", "operational", "conceptual", "familiar", "central", "visual", "symptom")
_ISE_RE = re.compile(r"^(" + "|".join(_ISE_STEMS) + r")is(e|ed|es|ing|ation|ations|er|ers)$")


def _spelled(word: str) -> list[str]:
    """A lowercase word in the one spelling the index keeps (may become two words)."""
    mapped = _SPELLING.get(word)
    if mapped is None and "is" in word:
        m = _ISE_RE.match(word)
        if m:
            mapped = f"{m.group(1)}iz{m.group(2)}"
    return (mapped or word).split(" ")


#: raw lowercase word -> its index words; bounded so a long rebuild cannot grow it forever
_WORDS_CACHE: dict[str, tuple[str, ...]] = {}
_WORDS_CACHE_MAX = 500_000


def index_words(word: str) -> tuple[str, ...]:
    """The index words of one lowercase raw word: spelling, stop words, Porter stem."""
    cached = _WORDS_CACHE.get(word)
    if cached is None:
        cached = tuple(porter_stem(w) for w in _spelled(word) if w not in STOP_WORDS)
        if len(_WORDS_CACHE) >= _WORDS_CACHE_MAX:
            _WORDS_CACHE.clear()
        _WORDS_CACHE[word] = cached
    return cached


class TextAnalyzer(Analyzer):
    """Words, lowercase, one spelling, stop words out, Porter stems: in one pass.

    The same steps as whoosh's RegexTokenizer | LowercaseFilter | StopFilter | StemFilter
    chain, fused, with the result of each distinct word cached: indexing spends most of its
    analysis time in the chain's per-token generator hops otherwise. One-letter words are kept
    (``R``-ketamine, ``S``-ketamine), unlike whoosh's default; positions count index words only
    (stop words removed), like StopFilter's renumbering.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        pos = start_pos
        for m in _WORD_RE.finditer(value):
            for word in index_words(m.group(0).lower()):
                token.text = word
                if positions:
                    token.pos = pos
                    pos += 1
                if chars:
                    token.startchar = start_char + m.start()
                    token.endchar = start_char + m.end()
                yield token

    def words(self, value: str) -> list[str]:
        """The index words of a text, without Token objects (the indexing fast path)."""
        return analyze(value)

    def __eq__(self, other):
        return isinstance(other, TextAnalyzer)


def text_analyzer():
    """Analyzer of title, abstract and MeSH/keywords (see TextAnalyzer)."""
    return TextAnalyzer()


class BigramAnalyzer(Analyzer):
    """Index words of a text as pairs of neighbours ("suicid ideat"), line by line.

    Title and MeSH phrases are searched as these pairs instead of word positions: a phrase of
    two words is one lookup, indexing skips positions, and MeSH headings (one a line) never
    pair across two headings.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for line in value.splitlines():
            words = analyze(line)
            for first, second in zip(words, words[1:], strict=False):
                token.text = f"{first} {second}"
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = pos
                    pos += 1
                yield token

    def words(self, value: str) -> list[str]:
        """The word pairs of a text, without Token objects (the indexing fast path)."""
        return [pair for line in value.splitlines() for pair in bigrams(analyze(line))]

    def __eq__(self, other):
        return isinstance(other, BigramAnalyzer)


def bigrams(words: list[str] | tuple[str, ...]) -> list[str]:
    """The pairs of neighbouring index words a BigramAnalyzer makes of them."""
    return [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def name_analyzer():
    """Analyzer of author names: words, accents folded, lowercase, no stemming or stop words."""
    return RegexTokenizer(r"\w+") | CharsetFilter(accent_map) | LowercaseFilter()


def plain_analyzer():
    """Analyzer of journal names: words, lowercase, stop words, no stemming."""
    return (RegexTokenizer(r"\w+") | CharsetFilter(accent_map) | LowercaseFilter()
            | StopFilter(stoplist=STOP_WORDS, minsize=1))


def analyze(text: str) -> list[str]:
    """The index words of a text, as the title/abstract/MeSH fields store them."""
    return [w for m in _WORD_RE.finditer(text) for w in index_words(m.group(0).lower())]


# -- synonyms ---------------------------------------------------------------------------------

#: query words that carry no meaning in a clinician's search (dropped at query time only)
QUERY_STOP_WORDS = frozenset({"versus", "vs", "v", "compared", "comparing", "comparison",
                              "than", "between", "among", "about", "use", "using", "used"})

#: groups of equivalent expressions. An entry written in capitals between slashes (``/SI/``)
#: only matches when the user typed it in capitals: "in" is a word, "IN" is intranasal.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("esketamine", "spravato", "s-ketamine", "(s)-ketamine", "s ketamine"),
    ("arketamine", "r-ketamine", "(r)-ketamine", "r ketamine", "pcn-101"),
    ("ptsd", "posttraumatic stress disorder", "post-traumatic stress disorder",
     "posttraumatic stress", "post-traumatic stress", "stress disorders, post-traumatic"),
    ("ocd", "obsessive-compulsive disorder", "obsessive compulsive disorder",
     "obsessive-compulsive"),
    ("trd", "treatment-resistant depression", "treatment-refractory depression",
     "treatment resistant depression", "refractory depression", "difficult-to-treat depression",
     "depressive disorder, treatment-resistant", "treatment-resistant major depressive disorder"),
    ("suicidal ideation", "suicidality", "suicide", "suicidal thoughts", "/SI/"),
    ("ect", "electroconvulsive therapy", "electroconvulsive", "electroshock",
     "electroconvulsive treatment"),
    ("mdd", "major depressive disorder", "major depression", "depressive disorder, major"),
    ("iv", "intravenous", "intravenously", "infusion", "infusions"),
    ("intranasal", "/IN/", "nasal spray", "intranasally", "nasal"),
    ("im", "intramuscular", "intramuscularly"),
    ("oral", "orally", "/PO/", "per os"),
    ("sublingual", "sublingually", "lozenge", "troche"),
    ("subcutaneous", "subcutaneously", "/SC/"),
    ("rct", "randomized controlled trial", "randomized clinical trial", "randomized trial",
     "randomized controlled trials", "randomized placebo-controlled"),
    ("meta-analysis", "meta-analyses", "metaanalysis", "meta analysis", "pooled analysis"),
    ("systematic review", "/SR/"),
    ("bipolar depression", "bipolar disorder", "bipolar depressive"),
    ("postpartum depression", "perinatal depression", "postnatal depression", "/PPD/"),
    ("alcohol use disorder", "/AUD/", "alcohol dependence"),
    ("substance use disorder", "/SUD/", "addiction"),
    ("generalized anxiety disorder", "/GAD/"),
    ("social anxiety disorder", "/SAD/", "social phobia"),
    ("nmda", "n-methyl-d-aspartate"),
    ("tms", "transcranial magnetic stimulation", "rtms"),
    ("kap", "ketamine-assisted psychotherapy", "ketamine assisted psychotherapy"),
    ("madrs", "montgomery-asberg depression rating scale", "montgomery asberg"),
    ("ham-d", "hamd", "hdrs", "hamilton depression rating scale", "hamilton rating scale"),
    ("adolescents", "adolescent", "youth", "pediatric", "teenagers", "children"),
    ("elderly", "older adults", "geriatric", "late-life"),
    ("emergency department", "/ED/", "emergency room"),
    ("dissociation", "dissociative"),
)


def _form_tokens(form: str) -> tuple[str, ...]:
    """A synonym form as index words (stemmed), the way a phrase of it would be matched."""
    return tuple(analyze(form))


def _surface_key(words: list[str]) -> tuple[str, ...]:
    """A lookup key for raw query words: lowercase, punctuation split away."""
    out: list[str] = []
    for w in words:
        out.extend(p for p in re.split(r"[^\w]+", w.lower()) if p)
    return tuple(out)


@lru_cache(maxsize=1)
def _synonym_index() -> tuple[dict[tuple[str, ...], int], dict[str, int], int]:
    """(lowercase key -> group, case-sensitive acronym -> group, longest key length)."""
    by_key: dict[tuple[str, ...], int] = {}
    acronyms: dict[str, int] = {}
    longest = 1
    for gi, group in enumerate(SYNONYMS):
        for form in group:
            if form.startswith("/") and form.endswith("/"):
                acronyms[form.strip("/")] = gi
                continue
            key = _surface_key([form])
            by_key.setdefault(key, gi)
            longest = max(longest, len(key))
    return by_key, acronyms, longest


def synonym_group(words: list[str]) -> int | None:
    """The synonym group that a sequence of raw query words names, or None."""
    by_key, acronyms, _ = _synonym_index()
    if len(words) == 1 and words[0] in acronyms:
        return acronyms[words[0]]
    return by_key.get(_surface_key(words))


def longest_synonym() -> int:
    """How many raw words the longest synonym form spans (bounds the greedy match)."""
    return _synonym_index()[2] + 2


@cache
def synonym_forms(group: int) -> tuple[tuple[str, ...], ...]:
    """Every form of a synonym group as index-word tuples (acronym forms lowercased)."""
    forms: dict[tuple[str, ...], None] = {}
    for form in SYNONYMS[group]:
        tokens = _form_tokens(form.strip("/"))
        if tokens:
            forms[tokens] = None
    return tuple(forms)
