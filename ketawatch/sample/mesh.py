"""MeSH headings an indexer would give a sample study.

Computed when a record is rendered, from the study's facts and stable per-study choices, so that
the world does not hold a million small tuples for a 100,000-study corpus.
"""

from __future__ import annotations

from ketawatch.sample import vocab
from ketawatch.sample.common import stable
from ketawatch.sample.world import HUMAN_DESIGNS, WorldStudy

Heading = tuple[str, str, bool, tuple[tuple[str, str], ...]]

_QUAL_UI = {name: ui for group in vocab.QUALIFIERS.values() for ui, name in group}
_KETAMINE_QUALS = (("therapeutic use",), ("administration & dosage", "therapeutic use"),
                   ("pharmacology",), ("administration & dosage", "adverse effects"))


def headings(s: WorldStudy) -> list[Heading]:
    """(UI, descriptor, major topic, ((qualifier UI, qualifier), ...)) sorted by descriptor;
    empty while the record is not yet indexed."""
    if not s.has_mesh:
        return []
    out: dict[str, Heading] = {}

    def add(ui: str, name: str, major: bool = False, quals: tuple[str, ...] = ()) -> None:
        out[name] = (ui, name, major, tuple((_QUAL_UI[q], q) for q in quals))

    add(*vocab.MESH_KETAMINE, major=True,
        quals=_KETAMINE_QUALS[stable(s.sid, "ketq", len(_KETAMINE_QUALS))])
    if s.design == "preclinical":
        add(*vocab.MESH_ANIMALS)
        species = vocab.SPECIES_MESH[(s.species or vocab.SPECIES[0])[1]]
        for ui, name in species[: 1 + stable(s.sid, "species", 2)]:
            add(ui, name)
        add(*vocab.MESH_SEX["M"])
    else:
        add(*vocab.MESH_HUMANS)
        if s.design in HUMAN_DESIGNS:
            first = stable(s.sid, "ages", len(vocab.MESH_AGES))
            for k in (first, (first + 1) % len(vocab.MESH_AGES)):
                add(*vocab.MESH_AGES[k])
            add(*vocab.MESH_SEX["F"])
            add(*vocab.MESH_SEX["M"])
    for c in s.conds:
        for ui, name in c.mesh:
            add(ui, name, major=True,
                quals=("drug therapy",) if s.design != "preclinical" else ("physiopathology",))
    for r in s.routes:
        add(*vocab.ROUTE_MESH[r])
    if s.cond.setting == "psychiatric":
        add(*vocab.MESH_ANTIDEPRESSANT, quals=("therapeutic use",))
    for ui, name in vocab.MESH_BY_DESIGN.get(s.design, ()):
        add(ui, name)
    return sorted(out.values(), key=lambda m: m[1])
