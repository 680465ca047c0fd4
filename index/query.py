"""The search query language, parsed by hand so that no input can crash or hang it.

Plain words (every concept required; synonyms expanded), "quoted phrases" (exact, no synonyms),
AND / OR / NOT (capitals) and ``-word``, parentheses, and ``field:value`` for title, abstract,
mesh, author, journal, the tags (condition:, drug:, route:, design:, source:, flag:), identifiers
(pmid:, doi:, nct:, pmcid:) and years (year:2020, year:2019-2024, year:[2019 TO 2024],
year:>=2019). Wildcards need three letters before the first ``*`` or ``?`` and may not
expand to more than ``MAX_EXPANSIONS`` words.

Malformed input is repaired when the intent is clear (an unbalanced quote or parenthesis, an
operator that joins nothing) and the repair is reported in ``ParsedQuery.messages``; what cannot
be repaired (a bare ``*``, an unknown tag value, a bad year) raises InvalidSearchQueryError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice

from whoosh import query as wq

from index.analysis import (
    QUERY_STOP_WORDS,
    analyze,
    bigrams,
    longest_synonym,
    name_analyzer,
    plain_analyzer,
    synonym_forms,
    synonym_group,
)
from ketawatch.errors import InvalidSearchQueryError
from ketawatch.model import find_nct_ids, normalize_doi, normalize_pmcid
from ketawatch.vocabulary import CONDITIONS, DESIGNS, DRUGS, LABELS, ROUTES

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
MAX_DEPTH = 8
MAX_EXPANSIONS = 256
MIN_WILDCARD_PREFIX = 3

#: text fields searched by plain words, with their weights (title > MeSH/keywords > abstract)
DEFAULT_FIELDS: tuple[tuple[str, float], ...] = (("title", 3.0), ("mesh", 1.5), ("abstract", 1.0))

SOURCES = ("pubmed", "europepmc", "medrxiv", "clinicaltrials")
FLAGS = ("human", "animal", "preprint", "retracted", "corrected")

# -- tag values -----------------------------------------------------------------------------------


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


_TAG_ALIASES: dict[str, dict[str, str]] = {
    "condition": {
        "treatment resistant depression": "trd", "treatment resistant": "trd",
        "treatment refractory depression": "trd", "resistant depression": "trd",
        "bipolar": "bipolar-depression", "bipolar disorder": "bipolar-depression",
        "suicide": "suicidal-ideation", "suicidality": "suicidal-ideation",
        "si": "suicidal-ideation", "suicidal": "suicidal-ideation",
        "posttraumatic stress disorder": "ptsd", "post traumatic stress disorder": "ptsd",
        "obsessive compulsive disorder": "ocd", "mdd": "depression",
        "major depression": "depression", "major depressive disorder": "depression",
        "substance use disorder": "substance-use", "addiction": "substance-use",
        "alcohol": "substance-use", "pain": "chronic-pain",
    },
    "drug": {"spravato": "esketamine", "s ketamine": "esketamine", "r ketamine": "arketamine"},
    "route": {"intravenous": "iv", "nasal": "intranasal", "in": "intranasal",
              "nasal spray": "intranasal", "intramuscular": "im", "po": "oral",
              "subcutaneous injection": "subcutaneous", "sc": "subcutaneous"},
    "design": {"meta analyses": "meta-analysis", "metaanalysis": "meta-analysis",
               "sr": "systematic-review", "randomized controlled trial": "rct",
               "randomised controlled trial": "rct", "randomized": "rct",
               "trial": "clinical-trial", "cohort": "observational",
               "case series": "case-report", "animal": "preclinical",
               "registration": "trial-registration", "registered trial": "trial-registration",
               "comment": "editorial", "letter": "editorial", "correction": "erratum"},
    "source": {"europe pmc": "europepmc", "epmc": "europepmc", "clinicaltrials gov": "clinicaltrials",
               "ctgov": "clinicaltrials", "ct gov": "clinicaltrials"},
    "flag": {"nonhuman": "animal", "non human": "animal", "retraction": "retracted"},
}
_TAG_VALUES: dict[str, tuple[str, ...]] = {
    "condition": CONDITIONS, "drug": DRUGS, "route": ROUTES, "design": DESIGNS,
    "source": SOURCES, "flag": FLAGS,
}


def _tag_table(kind: str) -> dict[str, str]:
    table = {}
    for value in _TAG_VALUES[kind]:
        table[_key(value)] = value
        if value in LABELS:
            table[_key(LABELS[value])] = value
    table.update({_key(k): v for k, v in _TAG_ALIASES.get(kind, {}).items()})
    return table


_TAG_TABLES = {kind: _tag_table(kind) for kind in _TAG_VALUES}


def tag_value(kind: str, value: str) -> str | None:
    """The vocabulary value a user's spelling of a tag means (``PTSD`` -> ``ptsd``), or None.

    ``kind`` is one of condition, drug, route, design, source, flag.
    """
    return _TAG_TABLES[kind].get(_key(value))


def tag_values(kind: str) -> tuple[str, ...]:
    """The accepted vocabulary values of a tag kind."""
    return _TAG_VALUES[kind]


# -- the syntax tree --------------------------------------------------------------------------------


@dataclass
class Text:
    """Plain words on the default fields: one concept (a word, or a synonym group's words)."""

    words: list[str]
    group: int | None = None


@dataclass
class Phrase:
    """A quoted phrase, on the default fields or on one field."""

    text: str
    field: str | None = None


@dataclass
class Wild:
    """A wildcard word."""

    pattern: str
    field: str | None = None


@dataclass
class FieldWord:
    """An unquoted word on one text field (title:, author:, ...)."""

    field: str
    text: str


@dataclass
class Tag:
    """An exact value of a keyword field (tags, flags, sources, identifiers)."""

    field: str
    value: str


@dataclass
class YearRange:
    """Publication years from ``lo`` to ``hi`` (inclusive; None is open)."""

    lo: int | None
    hi: int | None


@dataclass
class Bool:
    """Children joined by ``and``, ``or``, or ``implicit`` (the default operator)."""

    op: str
    children: list


@dataclass
class Neg:
    """NOT child."""

    child: object


@dataclass
class ParsedQuery:
    """A parsed query: its tree, what was repaired, and whether it is empty."""

    text: str
    tree: object | None
    messages: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing searchable remains (every study matches)."""
        return self.tree is None

    def has_implicit(self) -> bool:
        """True when the default operator joins several concepts somewhere."""
        def walk(node) -> bool:
            if isinstance(node, Bool):
                if node.op == "implicit" and len(node.children) > 1:
                    return True
                return any(walk(c) for c in node.children)
            if isinstance(node, Neg):
                return walk(node.child)
            return False
        return walk(self.tree)


# -- lexing -----------------------------------------------------------------------------------------

TEXT_FIELDS = ("title", "abstract", "mesh", "author", "journal")
FIELD_ALIASES = {
    "title": "title", "ti": "title", "abstract": "abstract", "ab": "abstract",
    "mesh": "mesh", "mh": "mesh", "keyword": "mesh", "keywords": "mesh",
    "author": "author", "au": "author", "journal": "journal", "ta": "journal",
    "condition": "condition", "conditions": "condition", "drug": "drug", "drugs": "drug",
    "route": "route", "routes": "route", "design": "design", "type": "design",
    "source": "source", "flag": "flag", "is": "flag",
    "year": "year", "dp": "year", "pmid": "pmid", "doi": "doi", "nct": "nct", "pmcid": "pmcid",
    "id": "id",
}
_FIELD_RE = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_OPS = {"AND", "OR", "NOT", "&&", "||"}


@dataclass
class _Tok:
    kind: str  # WORD PHRASE LP RP OP NEG FIELD RANGE
    text: str = ""
    field: str | None = None


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("LP"))
            i += 1
        elif c == ")":
            toks.append(_Tok("RP"))
            i += 1
        elif c == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j
            toks.append(_Tok("PHRASE", text[i + 1:j]))
            i = j + 1
        elif c in "[{" and toks and toks[-1].kind == "FIELD":
            j = min([k for k in (text.find("]", i), text.find("}", i)) if k >= 0] or [n])
            toks.append(_Tok("RANGE", text[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                if text[j] in "[{" and j > i and text[j - 1] == ":":
                    break
                j += 1
            word = text[i:j]
            i = j
            if word in _OPS:
                toks.append(_Tok("OP", {"&&": "AND", "||": "OR"}.get(word, word)))
                continue
            if word.startswith("-") and len(word) > 1 and (not toks or toks[-1].kind != "FIELD"):
                toks.append(_Tok("NEG"))
                word = word[1:]
            elif word.startswith("+") and len(word) > 1:
                word = word[1:]
            m = _FIELD_RE.match(word)
            if m and m.group(1).lower() in FIELD_ALIASES:
                toks.append(_Tok("FIELD", field=FIELD_ALIASES[m.group(1).lower()]))
                if m.group(2):
                    toks.append(_Tok("WORD", m.group(2)))
                continue
            if word:
                toks.append(_Tok("WORD", word))
    return toks


def _repair(toks: list[_Tok], messages: list[str]) -> list[_Tok]:
    """Drop unmatched parentheses and operators that join nothing; report what was dropped."""
    # parentheses: drop a ")" without "(", and "(" never closed
    depth, keep, opened = 0, [], []
    dropped_paren = False
    for tok in toks:
        if tok.kind == "LP":
            opened.append(len(keep))
            depth += 1
        elif tok.kind == "RP":
            if not opened:
                dropped_paren = True
                continue
            opened.pop()
        keep.append(tok)
    if opened:
        dropped_paren = True
        for index in reversed(opened):
            del keep[index]
    if dropped_paren:
        messages.append("unbalanced parentheses were ignored")
    depth = max_depth = 0
    for tok in keep:
        depth += tok.kind == "LP"
        depth -= tok.kind == "RP"
        max_depth = max(max_depth, depth)
    if max_depth > MAX_DEPTH:
        raise InvalidSearchQueryError(f"parentheses are nested more than {MAX_DEPTH} deep")
    # operators: repeat until nothing changes (removing one can strand another)
    dropped_ops: list[str] = []
    changed = True
    while changed:
        changed = False
        out: list[_Tok] = []
        for i, tok in enumerate(keep):
            prev = out[-1] if out else None
            nxt = keep[i + 1] if i + 1 < len(keep) else None
            if _joins_nothing(tok, prev, nxt):
                dropped_ops.append("-" if tok.kind == "NEG" else tok.text)
                changed = True
                continue
            if tok.kind == "FIELD" and (nxt is None or nxt.kind not in ("WORD", "PHRASE", "LP",
                                                                         "RANGE")):
                out.append(_Tok("WORD", tok.field or ""))
                changed = True
                continue
            if tok.kind == "LP" and nxt is not None and nxt.kind == "RP":
                keep[i + 1] = _Tok("WORD", "")  # "()" : drop both below
                changed = True
                continue
            if tok.kind == "WORD" and not tok.text:
                if prev is not None and prev.kind == "FIELD":
                    out.pop()
                continue
            out.append(tok)
        keep = out
    if dropped_ops:
        names = ", ".join(dict.fromkeys(dropped_ops))
        messages.append(f"{names} joined nothing and was ignored")
    return keep


def _is_not(tok: _Tok | None) -> bool:
    return tok is not None and (tok.kind == "NEG" or (tok.kind == "OP" and tok.text == "NOT"))


def _joins_nothing(tok: _Tok, prev: _Tok | None, nxt: _Tok | None) -> bool:
    """True for an operator with no operand where it needs one (``AND`` at the end, ``OR OR``)."""
    ends = nxt is None or (nxt.kind in ("OP", "RP") and not _is_not(nxt))
    if tok.kind == "OP" and tok.text in ("AND", "OR"):
        return prev is None or prev.kind in ("OP", "LP", "NEG", "FIELD") or ends
    return _is_not(tok) and ends


# -- parsing ----------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[_Tok], messages: list[str]):
        self.toks = toks
        self.pos = 0
        self.messages = messages

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self):
        node = self.parse_or(None)
        while self.peek() is not None:  # a stray ")" left after repair cannot happen; be safe
            self.take()
        return node

    def parse_or(self, fld):
        children = [self.parse_and(fld)]
        while (tok := self.peek()) is not None and tok.kind == "OP" and tok.text == "OR":
            self.take()
            children.append(self.parse_and(fld))
        children = [c for c in children if c is not None]
        if not children:
            return None
        return children[0] if len(children) == 1 else Bool("or", children)

    def parse_and(self, fld):
        items: list = []
        explicit = False
        run: list[str] = []

        def flush():
            if run:
                items.extend(_concepts(run))
                run.clear()

        while (tok := self.peek()) is not None:
            if tok.kind == "RP" or (tok.kind == "OP" and tok.text == "OR"):
                break
            if tok.kind == "OP" and tok.text == "AND":
                self.take()
                explicit = True
                flush()
                continue
            if (fld is None and tok.kind == "WORD" and not _is_wild(tok.text)
                    and not _looks_like_id(tok.text)):
                self.take()
                run.append(tok.text)
                continue
            flush()
            node = self.parse_not(fld)
            if node is not None:
                items.append(node)
        flush()
        if not items:
            return None
        if len(items) == 1:
            return items[0]
        return Bool("and" if explicit else "implicit", items)

    def parse_not(self, fld):
        tok = self.peek()
        if tok is not None and (tok.kind == "NEG" or (tok.kind == "OP" and tok.text == "NOT")):
            self.take()
            child = self.parse_not(fld)
            return Neg(child) if child is not None else None
        return self.parse_atom(fld)

    def parse_atom(self, fld):
        tok = self.take()
        if tok.kind == "LP":
            node = self.parse_or(fld)
            if (nxt := self.peek()) is not None and nxt.kind == "RP":
                self.take()
            return node
        if tok.kind == "FIELD":
            return self.parse_atom(tok.field)
        if tok.kind == "PHRASE":
            return _field_node(fld, tok.text, phrase=True) if fld else (
                Phrase(tok.text) if tok.text.strip() else None)
        if tok.kind == "RANGE":
            return _range_node(fld, tok.text)
        if tok.kind == "WORD":
            if fld:
                return _field_node(fld, tok.text, phrase=False)
            if _is_wild(tok.text):
                return Wild(tok.text)
            if _looks_like_id(tok.text):
                return _id_node(tok.text)
            return Text([tok.text])
        if tok.kind == "OP":  # a NOT/AND/OR repair left in place; read the operator as nothing
            return None
        return None


def _is_wild(word: str) -> bool:
    return "*" in word or "?" in word


_DOI_RE = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", re.IGNORECASE)
_NCT_WORD = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
_PMC_WORD = re.compile(r"^PMC\d{4,9}$", re.IGNORECASE)


def _looks_like_id(word: str) -> bool:
    return bool(_DOI_RE.match(word) or _NCT_WORD.match(word) or _PMC_WORD.match(word))


def _id_node(word: str):
    if _NCT_WORD.match(word):
        return Tag("ids", word.lower())
    if _PMC_WORD.match(word):
        return Tag("ids", (normalize_pmcid(word) or word).lower())
    return Tag("ids", (normalize_doi(word) or word).lower())


def _concepts(words: list[str]) -> list:
    """Split a run of plain words into concepts: synonym groups (longest first) and words."""
    out: list = []
    i = 0
    longest = longest_synonym()
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            group = synonym_group(words[i:i + size])
            if group is not None:
                out.append(Text(words[i:i + size], group))
                i += size
                break
        else:
            if words[i].lower() not in QUERY_STOP_WORDS:
                out.append(Text([words[i]]))
            i += 1
    return out


def _field_node(fld: str, value: str, *, phrase: bool):
    value = value.strip()
    if not value:
        return None
    if fld in TEXT_FIELDS:
        if not phrase and _is_wild(value):
            return Wild(value, fld)
        return Phrase(value, fld) if phrase else FieldWord(fld, value)
    if fld == "year":
        return _range_node(fld, value)
    if fld in ("pmid", "doi", "nct", "pmcid"):
        norm = {"pmid": lambda v: v if v.isdigit() else None, "doi": normalize_doi,
                "nct": lambda v: (find_nct_ids(v) or [None])[0], "pmcid": normalize_pmcid}[fld](value)
        if not norm:
            raise InvalidSearchQueryError(f"{fld}:{value} is not a valid {fld.upper()}")
        return Tag("ids", norm.lower())
    if fld == "id":
        if not value.isdigit():
            raise InvalidSearchQueryError(f"id:{value} is not a study id (a number)")
        return Tag("id", value)
    tag = tag_value(fld, value)
    if tag is None:
        raise InvalidSearchQueryError(
            f"unknown {fld} {value!r}; use one of: {', '.join(tag_values(fld))}")
    return Tag(fld, tag)


_YEAR_SPAN = re.compile(r"(\d{4}|\*)?\s*(?:TO|to|-|\.\.)\s*(\d{4}|\*)?")
_YEAR_CMP = re.compile(r"(>=|<=|>|<)\s*(\d{4})")


def _range_node(fld: str | None, text: str):
    if fld != "year":
        raise InvalidSearchQueryError("ranges work on year only, e.g. year:[2019 TO 2024]")
    t = text.strip()
    if re.fullmatch(r"\d{4}", t):
        return YearRange(int(t), int(t))
    if m := _YEAR_SPAN.fullmatch(t):
        lo = int(m.group(1)) if m.group(1) and m.group(1) != "*" else None
        hi = int(m.group(2)) if m.group(2) and m.group(2) != "*" else None
        if lo is not None and hi is not None and lo > hi:
            raise InvalidSearchQueryError(f"year range {t} starts after it ends")
        if lo is not None or hi is not None:
            return YearRange(lo, hi)
    if m := _YEAR_CMP.fullmatch(t):
        op, year = m.group(1), int(m.group(2))
        return {">=": YearRange(year, None), ">": YearRange(year + 1, None),
                "<=": YearRange(None, year), "<": YearRange(None, year - 1)}[op]
    raise InvalidSearchQueryError(
        f"year:{text} is not a year; write year:2020, year:2019-2024 or year:[2019 TO 2024]")


def parse_query(text: str) -> ParsedQuery:
    """Parse a query string into a tree; repairs are listed in ``messages``.

    Raises InvalidSearchQueryError for what cannot be repaired.
    """
    text = (text or "").replace("\x00", " ")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidSearchQueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    messages: list[str] = []
    if text.count('"') % 2:
        last = text.rfind('"')
        text_fixed = text[:last] + " " + text[last + 1:]
        messages.append("an unbalanced quote was ignored: read as plain words")
    else:
        text_fixed = text
    toks = _lex(text_fixed)
    if sum(1 for t in toks if t.kind in ("WORD", "PHRASE")) > MAX_TERMS:
        raise InvalidSearchQueryError(f"the query has more than {MAX_TERMS} words")
    toks = _repair(toks, messages)
    tree = _Parser(toks, messages).parse() if toks else None
    return ParsedQuery(text=text, tree=tree, messages=messages)


# -- building whoosh queries ------------------------------------------------------------------------


@dataclass
class Unit:
    """One scoring unit: a concept of the query on one field, with its field weight.

    ``leaves`` are whoosh Term/Phrase/Prefix queries on that field (one per synonym form or
    wildcard); a document holds the concept in the field when any leaf matches it.
    """

    concept: int
    field: str
    weight: float
    leaves: list


@dataclass
class Built:
    """A whoosh query (which documents match), its scoring units, and the words to highlight."""

    query: wq.Query | None
    highlight: set[str]
    units: list[Unit] = field(default_factory=list)


class _Builder:
    def __init__(self, reader, mode: str):
        self.reader = reader
        self.mode = mode
        self.highlight: set[str] = set()
        self.units: list[Unit] = []
        self._concepts = 0

    def build(self, node, positive: bool = True):
        if node is None:
            return None
        if isinstance(node, Text):
            return self.text(node, positive)
        if isinstance(node, Phrase):
            return self.phrase(node, positive)
        if isinstance(node, FieldWord):
            return self.phrase(Phrase(node.text, node.field), positive)
        if isinstance(node, Wild):
            return self.wild(node, positive)
        if isinstance(node, Tag):
            return wq.Term(node.field, node.value)
        if isinstance(node, YearRange):
            return wq.NumericRange("year", node.lo if node.lo is not None else 1,
                                   node.hi if node.hi is not None else 9999, constantscore=True)
        if isinstance(node, Neg):
            child = self.build(node.child, not positive)
            return wq.AndNot(wq.Every(), child) if child is not None else None
        if isinstance(node, Bool):
            return self.boolean(node, positive)
        return None

    def boolean(self, node: Bool, positive: bool):
        if node.op == "or":
            parts = [q for q in (self.build(c, positive) for c in node.children) if q is not None]
            return None if not parts else parts[0] if len(parts) == 1 else wq.Or(parts)
        pos, neg, words = [], [], []
        for child in node.children:
            if isinstance(child, Neg):
                q = self.build(child.child, not positive)
                if q is not None:
                    neg.append(q)
            else:
                q = self.build(child, positive)
                if q is not None:
                    # in the relaxed reading only words become optional, never field:value
                    (words if isinstance(child, Text | Phrase | Wild) else pos).append(q)
        if node.op == "implicit" and self.mode == "or" and len(words) > 1:
            # relaxed reading: any concept may match; covering more of them scores higher
            pos.append(wq.Or(words))
        else:
            pos.extend(words)
        if not pos and not neg:
            return None
        base = (pos[0] if len(pos) == 1 else wq.And(pos)) if pos else wq.Every()
        if neg:
            return wq.AndNot(base, neg[0] if len(neg) == 1 else wq.Or(neg))
        return base

    def _concept(self, forms: list[tuple[str, ...]], fields, positive: bool,
                 typed: tuple[str, ...] | None = None):
        """Register a concept (its forms on each field) and return the query matching it."""
        concept = self._concepts
        self._concepts += 1
        parts = []
        for name, weight in fields:
            # without positions "(R)-ketamine" would be any abstract with an "r" (r = 0.5)
            # and "ketamine": synonyms with one-letter words skip such fields
            leaves = [_leaf(name, f) for f in forms
                      if f == typed or name not in NO_POSITIONS or min(map(len, f)) > 1]
            if not leaves:
                continue
            if positive:
                self.units.append(Unit(concept, name, weight, leaves))
                if name in ("title", "abstract", "mesh"):
                    for f in forms:
                        self.highlight.update(f)
            parts.extend(leaves)
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def text(self, node: Text, positive: bool):
        typed = tuple(analyze(" ".join(node.words)))
        forms = list(synonym_forms(node.group)) if node.group is not None else []
        if typed and typed not in forms:
            forms.insert(0, typed)
        if not forms:
            return None
        return self._concept(forms, DEFAULT_FIELDS, positive, typed)

    def phrase(self, node: Phrase, positive: bool):
        fields = DEFAULT_FIELDS if node.field is None else ((node.field, 1.0),)
        tokens = tuple(self._analyze(node.field, node.text))
        if not tokens:
            return None
        return self._concept([tokens], fields, positive, tokens)

    def _analyze(self, fld: str | None, text: str) -> list[str]:
        if fld in (None, "title", "abstract", "mesh"):
            return analyze(text)
        ana = name_analyzer() if fld == "author" else plain_analyzer()
        return [t.text for t in ana(text)]

    def wild(self, node: Wild, positive: bool):
        pattern = node.pattern.lower()
        first = min(i for i in (pattern.find("*"), pattern.find("?")) if i >= 0)
        prefix = pattern[:first]
        if len(re.sub(r"\W", "", prefix)) < MIN_WILDCARD_PREFIX or not re.fullmatch(
                r"[\w.-]+", prefix):
            raise InvalidSearchQueryError(
                f"{node.pattern!r}: a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before "
                "the * or ? (for example depress*)")
        fields = DEFAULT_FIELDS if node.field is None else ((node.field, 1.0),)
        # words are stored stemmed: "depressive*" must find "depress..."; stem the prefix too
        stem = (analyze(prefix) or [prefix])[-1] if node.field != "author" else prefix
        prefix = min(prefix, stem, key=len) if prefix.startswith(stem) else prefix
        is_prefix = pattern[first:] == "*"
        concept = self._concepts
        self._concepts += 1
        parts = []
        for name, weight in fields:
            words: list[str] = []
            if self.reader is not None:
                expanded = (_text(w) for w in self.reader.expand_prefix(name, prefix))
                if is_prefix:
                    words = list(islice(expanded, MAX_EXPANSIONS + 1))
                else:
                    words = [w for w in islice(expanded, 20000) if _wild_match(pattern, w)]
                if len(words) > MAX_EXPANSIONS:
                    raise InvalidSearchQueryError(
                        f"{node.pattern!r} matches more than {MAX_EXPANSIONS} words; "
                        "type more letters before the *")
                leaves = [wq.Term(name, w) for w in words]
            else:
                leaves = [wq.Prefix(name, prefix) if is_prefix else wq.Wildcard(name, pattern)]
            if positive and leaves:
                self.units.append(Unit(concept, name, weight, leaves))
                if name in ("title", "abstract", "mesh"):
                    self.highlight.update(words)
            parts.extend(leaves)
        if not parts:
            return wq.NullQuery
        return parts[0] if len(parts) == 1 else wq.Or(parts)


#: fields whose phrases are searched as pairs of neighbouring words (see BigramAnalyzer)
BIGRAM_FIELDS = {"title": "title_bi", "mesh": "mesh_bi"}
#: fields indexed without word positions or pairs: a phrase there means "all these words"
NO_POSITIONS = ("abstract",)


def _leaf(name: str, tokens: tuple[str, ...]):
    """The whoosh query of one form (a word or a phrase) on one field."""
    if len(tokens) == 1:
        return wq.Term(name, tokens[0])
    if name in BIGRAM_FIELDS:
        pairs = bigrams(tokens)
        return (wq.Term(BIGRAM_FIELDS[name], pairs[0]) if len(pairs) == 1
                else wq.And([wq.Term(BIGRAM_FIELDS[name], p) for p in pairs]))
    if name in NO_POSITIONS:
        return wq.And([wq.Term(name, t) for t in tokens])
    return wq.Phrase(name, list(tokens))


def _text(word) -> str:
    return word.decode("utf-8", "replace") if isinstance(word, bytes) else word


#: endings the stemmer cuts off: a pattern written for the whole word ("ket?mine") must still
#: find the stored stem ("ketamin")
_STEM_ENDINGS = ("", "e", "s", "es", "ed", "ing", "y", "ion", "ions", "al", "ity", "ive", "ic")


def _wild_match(pattern: str, word) -> bool:
    word = _text(word)
    regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                               for c in pattern))
    return any(regex.fullmatch(word + ending) for ending in _STEM_ENDINGS)


def build_query(parsed: ParsedQuery, reader=None, *, mode: str = "and") -> Built:
    """The whoosh query and scoring units of a parsed query.

    ``mode`` "and" requires every concept the user typed; "or" is the relaxed reading used when
    nothing matches all of them. ``reader`` (a whoosh reader) expands and bounds wildcards.
    """
    builder = _Builder(reader, mode)
    q = builder.build(parsed.tree)
    return Built(q, builder.highlight, builder.units)
