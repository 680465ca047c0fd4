"""Relevance ranking on document bitmasks: fielded, IDF-weighted, with BM25-like saturation.

A query is a list of scoring units (a concept on a field, see ``index.query.Unit``). A
document's score is the sum, over units it satisfies, of::

    field weight (title 3 > MeSH/keywords 1.5 > abstract 1) x IDF of the concept
                 x (abstract only: 0.55 once + 0.25 twice + 0.20 four times or more)

which is BM25F with the term-frequency curve cut into three steps (and titles and MeSH terms,
short fields, counted once). With the evidence ranking on, a small lift for the design's
strength and the publication's recency is added, so that among studies of similar relevance
the strongest and newest come first (and retracted studies last).

Every unit is a bitmask with an integer weight; the scores of all documents are summed at once
as bit-sliced integers (big-int AND/XOR), and the top of the ranking is found by walking the
slices from the highest bit. The cost depends on the number of units, not on how many
documents match, which keeps a search over 100,000 studies in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from whoosh import query as wq

from index.facets import DocSets, ids_of, mask_of
from ketawatch.vocabulary import DESIGN_STRENGTH

#: the abstract's term-frequency steps: (tier index, share of the field weight)
ABSTRACT_STEPS = ((0, 0.55), (1, 0.25), (2, 0.20))
#: evidence lift, as a share of a perfect title match of every concept
EVIDENCE_SHARE = 0.20
RECENCY_SHARE = 0.08
#: lift of every study that is not retracted
RETRACTION_SHARE = 0.30
#: a study this many years old or older gets no recency lift
RECENCY_YEARS = 15
#: scores are quantized to this many bits before bit-slicing
SCORE_BITS = 12
_MAX_STRENGTH = max(DESIGN_STRENGTH.values())


@dataclass
class Weighted:
    """A set of documents and what holding it adds to a document's score."""

    mask: int
    weight: float


def _leaf_tiers(sets: DocSets, leaf) -> tuple[int, int, int]:
    """(once, twice, four times) document sets of one whoosh leaf query."""
    if isinstance(leaf, wq.Term):
        return sets.tiers(leaf.fieldname, _text(leaf.text))
    if isinstance(leaf, wq.And) and all(isinstance(q, wq.Term) for q in leaf.subqueries):
        # an abstract "phrase": every word present (the abstract keeps no positions)
        out = [sets.live, sets.live, sets.live]
        for q in leaf.subqueries:
            tiers = sets.tiers(q.fieldname, _text(q.text))
            out = [a & b for a, b in zip(out, tiers, strict=True)]
        return out[0], out[1], out[2]
    if isinstance(leaf, wq.Phrase):
        present = sets.query(leaf)
        twice, four = present, present
        for word in leaf.words:
            tiers = sets.tiers(leaf.fieldname, _text(word))
            twice &= tiers[1]
            four &= tiers[2]
        return present, twice, four
    present = sets.query(leaf)
    return present, 0, 0


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def relevance_units(sets: DocSets, units, within: int) -> list[Weighted]:
    """The weighted document sets of a query's scoring units, restricted to ``within``."""
    by_concept: dict[int, list] = {}
    for unit in units:
        by_concept.setdefault(unit.concept, []).append(unit)
    n_docs = max(1, sets.live.bit_count())
    out: list[Weighted] = []
    for concept_units in by_concept.values():
        tiers_by_unit = []
        anywhere = 0
        for unit in concept_units:
            once = twice = four = 0
            for leaf in unit.leaves:
                a, b, c = _leaf_tiers(sets, leaf)
                once, twice, four = once | a, twice | b, four | c
            tiers_by_unit.append((unit, (once, twice, four)))
            anywhere |= once
        n = (anywhere & sets.live).bit_count()
        idf = math.log(1 + (n_docs - n + 0.5) / (n + 0.5))
        for unit, tiers in tiers_by_unit:
            if unit.field == "abstract":
                for index, share in ABSTRACT_STEPS:
                    if tiers[index] & within:
                        out.append(Weighted(tiers[index] & within, unit.weight * idf * share))
            elif tiers[0] & within:
                out.append(Weighted(tiers[0] & within, unit.weight * idf))
    return out


def evidence_units(sets: DocSets, units, within: int, this_year: int) -> list[Weighted]:
    """The lift of design strength and recency, scaled to the query's own scores."""
    best: dict[int, float] = {}
    for unit in units:
        best[unit.concept] = max(best.get(unit.concept, 0.0), unit.weight)
    # a perfect match: every concept in the title, with a typical IDF of 1
    scale = sum(best.values()) or 1.0
    out: list[Weighted] = []
    for design, strength in DESIGN_STRENGTH.items():
        mask = sets.term("design", design) & within
        if mask and strength:
            out.append(Weighted(mask, scale * EVIDENCE_SHARE * strength / _MAX_STRENGTH))
    # a retracted study keeps its place in the results (flagged) but loses the lift of
    # trustworthy evidence: every other study gets it
    trusted = within & ~sets.term("flag", "retracted")
    if trusted:
        out.append(Weighted(trusted, scale * RETRACTION_SHARE))
    for year, mask in sets.years().items():
        age = this_year - year
        if year and age < RECENCY_YEARS and mask & within:
            lift = 1.0 - max(0, age) / RECENCY_YEARS
            out.append(Weighted(mask & within, scale * RECENCY_SHARE * lift))
    return out


def top(sets: DocSets, weighted: list[Weighted], within: int, wanted: int,
        tie_order: Callable[[int, int], list[int]]) -> list[tuple[int, float]]:
    """The ``wanted`` best (docnum, score) of ``within``; equal scores in ``tie_order``."""
    if wanted <= 0 or not within:
        return []
    total = sum(w.weight for w in weighted)
    if total <= 0:
        return [(d, 0.0) for d in tie_order(within, wanted)]
    scale = ((1 << SCORE_BITS) - 1) / total
    slices: list[int] = []
    for item in weighted:
        level = round(item.weight * scale)
        if level > 0:
            _add(slices, item.mask, level)
    out: list[tuple[int, float]] = []

    def visit(mask: int, bit: int, level: int) -> None:
        if len(out) >= wanted:
            return
        if bit < 0:
            out.extend((d, level / scale) for d in tie_order(mask, wanted - len(out)))
            return
        high = mask & slices[bit]
        if high:
            visit(high, bit - 1, level | (1 << bit))
        low = mask ^ high
        if low:
            visit(low, bit - 1, level)

    if wanted > 500:
        return _top_by_levels(slices, within, wanted, scale, tie_order)
    visit(within, len(slices) - 1, 0)
    return out


def _add(slices: list[int], mask: int, level: int) -> None:
    """Add ``level`` to every document of ``mask`` in the bit-sliced sums (ripple carry)."""
    bit = 0
    while level:
        if level & 1:
            carry = mask
            i = bit
            while carry:
                while len(slices) <= i:
                    slices.append(0)
                current = slices[i]
                slices[i] = current ^ carry
                carry = current & carry
                i += 1
        level >>= 1
        bit += 1


def _top_by_levels(slices: list[int], within: int, wanted: int, scale: float,
                   tie_order: Callable[[int, int], list[int]]) -> list[tuple[int, float]]:
    """Top ``wanted`` by reading every document's score (cheaper for long lists)."""
    groups: dict[int, int] = {}
    for bit, layer in enumerate(slices):
        for d in ids_of(layer & within):
            groups[d] = groups.get(d, 0) | (1 << bit)
    by_level: dict[int, list[int]] = {}
    for d in ids_of(within):
        by_level.setdefault(groups.get(d, 0), []).append(d)
    out: list[tuple[int, float]] = []
    for level in sorted(by_level, reverse=True):
        members = by_level[level]
        ordered = tie_order(mask_of(members, max(members) + 1), wanted - len(out))
        out.extend((d, level / scale) for d in ordered)
        if len(out) >= wanted:
            break
    return out
