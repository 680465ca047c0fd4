"""Document sets as bitmasks: cached filter sets, query match sets and facet counts.

A set of documents is a Python ``int`` whose bit ``d`` says whether document number ``d`` is in
it: intersection is ``&``, union ``|``, counting ``int.bit_count()``, all in C and in microseconds
for 100,000 documents. Each searcher generation gets one ``DocSets`` that computes the set of
every (field, value) once, on first use, so filters and facet counts after the first request
cost almost nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from itertools import accumulate, compress, repeat
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.idsets import DocIdSet

#: facets of a response: the name in SearchResponse.facets -> index field
FACET_FIELDS = {"conditions": "condition", "drugs": "drug", "routes": "route",
                "designs": "design", "sources": "source", "flags": "flag"}
#: how many query match sets a generation keeps (paging and facet clicks reuse them)
QUERY_CACHE_SIZE = 256
#: below this many postings a word's set is built bit by bit instead of through a buffer
TERM_CACHE_MIN = 256
#: most word sets a generation keeps (each takes size/8 bytes; abstract words three times)
TERM_CACHE_SIZE = 1000
#: most (segment, word) sets kept across generations
SEGMENT_CACHE_SIZE = 12_000
#: fields whose words also get "twice" and "four times" sets
REPEAT_FIELDS = ("abstract",)


def mask_of(ids: Iterable[int], size: int) -> int:
    """The bitmask of some document numbers (all below ``size``)."""
    return _Bits(size).add(ids).mask()


_AT_LEAST_2 = (2.0).__le__
_AT_LEAST_4 = (4.0).__le__


class _Bits:
    """Builds a bitmask from many document numbers at C speed.

    Setting bits one by one in Python costs ~100 ns each; writing ASCII "1"s into a buffer
    through ``map`` and parsing it with ``int(..., 2)`` costs a fraction of that.
    """

    def __init__(self, size: int):
        self.buf = bytearray(b"0") * max(size, 1)

    def add(self, ids: Iterable[int]) -> _Bits:
        deque(map(self.buf.__setitem__, ids, repeat(49)), maxlen=0)
        return self

    def mask(self) -> int:
        return int(self.buf[::-1], 2)


def ids_of(mask: int) -> Iterator[int]:
    """The document numbers in a bitmask, in increasing order."""
    if mask.bit_count() <= 16:
        while mask:
            low = mask & -mask
            yield low.bit_length() - 1
            mask ^= low
        return
    # the binary digits, lowest first: str.find jumps over the zeros in C
    digits = format(mask, "b")[::-1]
    find = digits.find
    i = find("1")
    while i >= 0:
        yield i
        i = find("1", i + 1)


def _postings(reader, field: str, text: str) -> Iterator[tuple[list[int], Any]]:
    """(document numbers, term frequencies or None) of a word in one segment, block by block.

    Reads whoosh's posting blocks whole rather than one posting at a time (several times
    faster); falls back to the public matcher API for any other posting format. Numbers are
    the segment's own; deleted documents are included (callers intersect with the live set).
    """
    if (field, text) not in reader:
        return
    matcher = reader.postings(field, text)
    matcher = getattr(matcher, "child", matcher)  # unwrap the deleted-documents filter
    if isinstance(matcher, W3LeafMatcher):
        yield from _w3_blocks(matcher)
    else:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights


def _segment_tiers(reader, field: str, text: str) -> tuple[int, int, int]:
    """A word's (once, twice, four times) sets in one segment, cached across generations.

    Segments never change once written (deletions aside, which the live set handles), so a
    commit that adds one small segment keeps the sets of all the others.
    """
    key = (_segment_key(reader), field, text)
    with _SEGMENT_LOCK:
        cached = _SEGMENT_CACHE.get(key)
        if cached is not None:
            _SEGMENT_CACHE.move_to_end(key)
            return cached
    # only the abstract's repeats count (see index.rank); other fields keep one set
    repeats = field in REPEAT_FIELDS
    blocks = list(_postings(reader, field, text))
    count = sum(len(ids) for ids, _ in blocks)
    if not count:
        result = (0, 0, 0)
    elif count < TERM_CACHE_MIN:
        # few documents: setting bits one by one beats building a segment-wide buffer
        ids = [d for block, _ in blocks for d in block]
        pairs = [(d, w) for block, weights in blocks
                 for d, w in zip(block, weights or [1.0] * len(block), strict=True)]
        result = (_small_mask(ids),
                  _small_mask(d for d, w in pairs if w >= 2) if repeats else 0,
                  _small_mask(d for d, w in pairs if w >= 4) if repeats else 0)
    else:
        size = reader.doc_count_all()
        once, twice, four = _Bits(size), _Bits(size), _Bits(size)
        for ids, weights in blocks:
            once.add(ids)
            if repeats and weights is not None:
                twice.add(compress(ids, map(_AT_LEAST_2, weights)))
                four.add(compress(ids, map(_AT_LEAST_4, weights)))
        result = (once.mask(), twice.mask() if repeats else 0, four.mask() if repeats else 0)
    with _SEGMENT_LOCK:
        _SEGMENT_CACHE[key] = result
        while len(_SEGMENT_CACHE) > SEGMENT_CACHE_SIZE:
            _SEGMENT_CACHE.popitem(last=False)
    return result


def _small_mask(ids: Iterable[int]) -> int:
    mask = 0
    for d in ids:
        mask |= 1 << d
    return mask


def _segment_key(reader) -> str:
    segment = reader.segment() if hasattr(reader, "segment") else None
    # segment ids are random and unique; a reader of another kind is never cached for long
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


#: (segment, field, word) -> sets, least recently used first; shared by every searcher
_SEGMENT_CACHE: OrderedDict[tuple[str, str, str], tuple[int, int, int]] = OrderedDict()
_SEGMENT_LOCK = threading.Lock()


def _w3_blocks(m: W3LeafMatcher) -> Iterator[tuple[list[int], Any]]:
    # whoosh 2.7's block layout: _data = (delta-coded ids, weights or None or one float, ...)
    while m.is_active():
        m._read_data()
        raw_ids, weights = m._data[0], m._data[1]
        ids = list(raw_ids) if m._byteids else list(accumulate(raw_ids))
        if isinstance(weights, float):
            weights = [weights] * len(ids)
        elif weights is None:
            weights = None  # every frequency is 1
        yield ids, weights
        m._next_block()


class MaskSet(DocIdSet):
    """A read-only whoosh DocIdSet over a bitmask (whoosh's filter collectors test ``in``)."""

    def __init__(self, mask: int):
        self.mask = mask
        self.bits = mask.to_bytes((mask.bit_length() + 8) // 8, "little")
        self._len = mask.bit_count()

    def __contains__(self, d) -> bool:
        i = d >> 3
        return i < len(self.bits) and bool(self.bits[i] >> (d & 7) & 1)

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __iter__(self):
        return ids_of(self.mask)


class DocSets:
    """The cached document sets of one searcher generation."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self._leaves = list(self.reader.leaf_readers())
        # this generation's sets of the words asked for (the per-segment cache outlives it)
        self._terms: dict[tuple[str, str], tuple[int, int, int]] = {}
        self._queries: OrderedDict[str, int] = OrderedDict()
        self._columns: dict[str, list[int]] = {}
        self._orders: dict[str, list[int]] = {}
        self._years: dict[int, int] | None = None
        self._live: int | None = None
        self._values: dict[str, list[str]] = {}

    # -- basic sets ---------------------------------------------------------------------------

    @property
    def live(self) -> int:
        """Every (undeleted) document."""
        if self._live is None:
            if self.reader.has_deletions():
                self._live = mask_of(self.reader.all_doc_ids(), self.size)
            else:
                self._live = (1 << self.size) - 1
        return self._live

    def term(self, field: str, text: str) -> int:
        """Documents holding a word in a field."""
        return self.tiers(field, text)[0]

    def tiers(self, field: str, text: str) -> tuple[int, int, int]:
        """Documents holding a word in a field at least once, twice, and four times.

        The repeat tiers stand in for BM25's saturating term frequency. Cached per segment
        when large (small sets are cheap to read again) and for tag fields, which every filter
        reads.
        """
        key = (field, text)
        cached = self._terms.get(key)
        if cached is not None:
            return cached
        once = twice = four = 0
        for reader, offset in self._leaves:
            a, b, c = _segment_tiers(reader, field, text)
            if a:
                once |= a << offset
                twice |= b << offset
                four |= c << offset
        result = (once, twice, four)
        if len(self._terms) >= TERM_CACHE_SIZE:
            self._terms.pop(next(iter(self._terms)))
        self._terms[key] = result
        return result

    def values(self, field: str) -> list[str]:
        """Every value a keyword field holds."""
        if field not in self._values:
            self._values[field] = [v.decode("utf-8") if isinstance(v, bytes) else v
                                   for v in self.reader.lexicon(field)] if field in \
                self.reader.indexed_field_names() else []
        return self._values[field]

    def column(self, name: str) -> list[int]:
        """A numeric column's value for every document number."""
        if name not in self._columns:
            if self.size and self.reader.has_column(name):
                self._columns[name] = list(self.reader.column_reader(name))
            else:
                self._columns[name] = [0] * self.size
        return self._columns[name]

    def order(self, name: str) -> list[int]:
        """Document numbers sorted by a column, highest first (ties: lower number first)."""
        if name not in self._orders:
            col = self.column(name)
            self._orders[name] = sorted(range(self.size), key=lambda d: -col[d])
        return self._orders[name]

    def order_by(self, name: str, columns: tuple[str, ...]) -> list[int]:
        """Document numbers sorted by several columns, highest first (cached under ``name``)."""
        if name not in self._orders:
            cols = [self.column(c) for c in columns]
            self._orders[name] = sorted(range(self.size), key=lambda d: [-c[d] for c in cols])
        return self._orders[name]

    def years(self) -> dict[int, int]:
        """The set of documents of each publication year (0: unknown)."""
        if self._years is None:
            by_year: dict[int, list[int]] = {}
            for d, year in enumerate(self.column("year")):
                by_year.setdefault(year, []).append(d)
            self._years = {y: mask_of(ids, self.size) & self.live for y, ids in by_year.items()}
        return self._years

    def year_range(self, lo: int | None, hi: int | None) -> int:
        """Documents published from year ``lo`` to ``hi`` (None: open end)."""
        out = 0
        for year, mask in self.years().items():
            if year and (lo is None or year >= lo) and (hi is None or year <= hi):
                out |= mask
        return out

    # -- query match sets ----------------------------------------------------------------------

    def query(self, q: wq.Query | None) -> int:
        """Every document a whoosh query matches (None matches all)."""
        if q is None:
            return self.live
        key = repr(q)
        cached = self._queries.get(key)
        if cached is not None:
            self._queries.move_to_end(key)
            return cached
        mask = self._eval(q) & self.live
        self._queries[key] = mask
        if len(self._queries) > QUERY_CACHE_SIZE:
            self._queries.popitem(last=False)
        return mask

    def _eval(self, q: wq.Query) -> int:
        """Evaluate a query with set operations where its shape allows, else with whoosh."""
        if isinstance(q, wq.Term):
            text = q.text.decode("utf-8") if isinstance(q.text, bytes) else q.text
            return self.term(q.fieldname, text)
        if isinstance(q, wq.Every):
            return self.live
        if isinstance(q, wq.AndNot):
            return self._eval(q.a) & ~self._eval(q.b)
        if isinstance(q, wq.And):
            out = self.live
            for sub in q.subqueries:
                out &= self._eval(sub)
                if not out:
                    break
            return out
        if isinstance(q, wq.Or | wq.DisjunctionMax):
            out = 0
            for sub in q.subqueries:
                out |= self._eval(sub)
            return out
        if isinstance(q, wq.NumericRange) and q.fieldname == "year":
            return self.year_range(q.start, q.end)
        if isinstance(q, wq.Phrase):
            # no document lacking one of the words can hold the phrase: skip whoosh then
            words = self.live
            for w in q.words:
                words &= self.term(q.fieldname, w)
                if not words:
                    return 0
        return mask_of(q.docs(self.searcher), self.size)

    # -- facets ---------------------------------------------------------------------------------

    def counts(self, field: str, within: int) -> list[tuple[str, int]]:
        """(value, count) of a keyword field's values among ``within``, most frequent first."""
        out = []
        for value in self.values(field):
            n = (self.term(field, value) & within).bit_count()
            if n:
                out.append((value, n))
        out.sort(key=lambda vc: (-vc[1], vc[0]))
        return out

    def year_counts(self, within: int) -> list[tuple[str, int]]:
        """(year, count) among ``within``, newest year first (unknown years left out)."""
        out = [(str(y), (m & within).bit_count()) for y, m in self.years().items() if y]
        return sorted([yc for yc in out if yc[1]], key=lambda yc: -int(yc[0]))
