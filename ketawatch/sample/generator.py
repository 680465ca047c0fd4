"""``generate``: a deterministic, scalable sample corpus in every source's wire format.

``generate(size, seed, end_date)`` draws ``size`` underlying studies (see ``drawing``), renders
each source's records from them, and lists the ground truth per study. The same arguments always
give identical bytes; no global random state is touched.
"""

from __future__ import annotations

import contextlib
import gc
import random
from collections.abc import Iterator
from datetime import date, timedelta
from functools import partial
from typing import Any

from ketawatch.errors import UsageError
from ketawatch.sample import (
    clinicaltrials_json,
    crossref_json,
    drawing,
    europepmc_json,
    medrxiv_json,
    pubmed_xml,
    tricky,
)
from ketawatch.sample.common import mentions
from ketawatch.sample.corpus import SampleArticle, SampleCorpus
from ketawatch.sample.prose import strip_tags
from ketawatch.sample.world import DOI_PREFIX, World, WorldStudy

DEFAULT_SEED = 20261126
DEFAULT_END = date(2026, 11, 20)
#: the hand-written tricky PubMed records join corpora of at least this size
TRICKY_MIN_SIZE = 150


def generate(size: int = 200, seed: int = DEFAULT_SEED, end_date: date = DEFAULT_END) -> SampleCorpus:
    """A sample corpus of ``size`` underlying studies, deterministic for (size, seed, end_date)."""
    if size < 0:
        raise UsageError(f"sample size must be zero or more, not {size}")
    with gc_paused():
        world = drawing.draw_world(size, seed, end_date)
        finalize_updates(world)
        return build_corpus(world, with_tricky=size >= TRICKY_MIN_SIZE)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a corpus.

    Generation allocates millions of small objects that all stay alive; the collector would scan
    them again and again (half the run time at 10,000 studies) and find nothing to free.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def finalize_updates(world: World) -> None:
    """Give every update a notice DOI and a Retraction Watch record id."""
    by_sid = world.by_sid()
    record = 40_000
    for s in world.studies:
        for u in s.updates:
            if u.record_id:
                continue
            record += 1 + (int(s.sid[2:]) * 7) % 13
            u.record_id = record
            if u.notice_sid and by_sid[u.notice_sid].doi:
                u.notice_doi = by_sid[u.notice_sid].doi or ""
            elif not u.notice_doi:
                slug = s.journal.slug if s.journal else "notice"
                world.doi_serial += 1
                u.notice_doi = f"{DOI_PREFIX}/{slug}.{u.day.year}.{world.doi_serial}"


def build_corpus(world: World, with_tricky: bool, events: list[dict[str, Any]] | None = None) -> SampleCorpus:
    """Render every source from a world."""
    by_sid = world.by_sid()
    pubmed = [SampleArticle(s.pmid, s.edat, render=partial(pubmed_xml.render, s, by_sid))
              for s in world.studies if s.pmid and s.edat]
    if with_tricky:
        pubmed += [SampleArticle(pmid, edat, xml=xml) for pmid, edat, xml in tricky.articles()]
    pubmed.sort(key=lambda a: int(a.pmid))
    reports: dict[str, list[str]] = {}
    for s in world.studies:
        if s.trial and s.pmid and s.edat and s.edat <= world.end_date:
            reports.setdefault(s.trial.nct, []).append(s.sid)
    version = world.end_date - timedelta(days=1)
    clinicaltrials = sorted((clinicaltrials_json.render(s, by_sid, reports.get(s.trial.nct, []), version)
                             for s in world.studies if s.trial),
                            key=lambda r: r["protocolSection"]["identificationModule"]["nctId"])
    medrxiv: list[dict[str, Any]] = []
    europepmc: list[dict[str, Any]] = []
    crossref: dict[str, dict[str, Any]] = {}
    for s in world.studies:
        if s.preprint:
            medrxiv += medrxiv_json.render(s)
            if s.preprint.mirrored_in_epmc and s.preprint.ppr_id:
                europepmc.append(europepmc_json.render_mirror(s))
        if s.ppr:
            europepmc.append(europepmc_json.render_ppr(s))
        if s.epmc_med and s.pmid:
            europepmc.append(europepmc_json.render_med(s, by_sid))
        message = crossref_json.render(s, by_sid)
        if message and s.doi:
            crossref[s.doi] = message
    for n in world.noise:
        if n.source == "medrxiv":
            medrxiv += medrxiv_json.render_noise(n)
        else:
            europepmc.append(europepmc_json.render_noise(n))
    medrxiv.sort(key=lambda r: (r["date"], r["doi"], int(r["version"])))
    europepmc.sort(key=lambda r: (r["source"], r["id"]))
    truth = [truth_of(s, by_sid) for s in world.studies] + [noise_truth(n) for n in world.noise]
    if with_tricky:
        truth += tricky.truth()
    return SampleCorpus(pubmed=pubmed, clinicaltrials=clinicaltrials, medrxiv=medrxiv,
                        europepmc=europepmc, crossref=crossref, truth=truth, seed=world.seed,
                        size=world.size, end_date=world.end_date, events=events or [], world=world)


def _mentioned(s: WorldStudy, text: str) -> tuple[list[str], list[str], list[str]]:
    """The study's conditions, drugs and routes that a notice title names."""
    from ketawatch.sample.vocab import ROUTE_ADJ

    conds = [c.key for c in s.conds if mentions(text, c.phrase) or (c.abbr and mentions(text, c.abbr))]
    drugs = [d for d in s.drugs if mentions(text, d)]
    routes = [r for r in s.routes if mentions(text, ROUTE_ADJ[r])]
    return list(dict.fromkeys(conds)), drugs, routes


def truth_of(s: WorldStudy, by_sid: dict[str, WorldStudy]) -> dict[str, Any]:
    """The ground truth of one study: identifiers in every source, expected tags and flags."""
    sources = []
    if s.pmid:
        sources.append("pubmed")
    if s.trial:
        sources.append("clinicaltrials")
    if s.preprint:
        sources.append("medrxiv")
    if s.ppr or s.epmc_med or (s.preprint and s.preprint.mirrored_in_epmc):
        sources.append("europepmc")
    epmc_ids = []
    if s.epmc_med and s.pmid:
        epmc_ids.append(s.pmid)
    if s.ppr:
        epmc_ids.append(s.ppr.id)
    if s.preprint and s.preprint.mirrored_in_epmc and s.preprint.ppr_id:
        epmc_ids.append(s.preprint.ppr_id)
    conditions, drugs, routes = s.conditions, list(s.drugs), list(s.routes)
    if s.notice_for:
        conditions, drugs, routes = _mentioned(by_sid[s.notice_for], strip_tags(s.title))
    preprint_dois = [x for x in ((s.preprint.doi if s.preprint else None),
                                 (s.ppr.doi if s.ppr else None)) if x]
    title = strip_tags(s.title) if s.title else (s.trial.brief_title if s.trial else "")
    if not s.pmid and s.preprint:
        title = s.preprint.title
    updates = {u.kind: sorted(u.known_to) for u in s.updates}
    return {
        "study_id": s.sid,
        "kind": s.kind,
        "relevant": True,
        "title": title,
        "pmid": s.pmid,
        "doi": s.doi,
        "pmcid": s.pmcid,
        "nct_ids": [s.trial.nct] if s.trial else [],
        "preprint_dois": preprint_dois,
        "europepmc_ids": epmc_ids,
        "medrxiv_versions": len(s.preprint.dates) if s.preprint else 0,
        "sources": sources,
        "conditions": conditions,
        "drugs": drugs,
        "routes": routes,
        "design": s.design,
        "human": s.human,
        "sample_size": s.sample_size,
        "preprint": bool((s.preprint or s.ppr) and not s.pmid),
        "retracted": "retraction" in updates,
        "corrected": "correction" in updates,
        "expression_of_concern": "expression_of_concern" in updates,
        "update_known_to": updates,
        "notice_for": s.notice_for,
        "notice_for_pmid": by_sid[s.notice_for].pmid if s.notice_for else None,
        "has_mesh": s.has_mesh and bool(s.pmid),
        "language": s.language,
        "edat": s.edat.isoformat() if s.edat else None,
        "pub_year": (s.pub_date or s.edat).year if (s.pub_date or s.edat) else None,
        "nct_in_databank": s.nct_in_databank,
        "nct_in_abstract": s.nct_in_abstract,
        "trial": ({"nct_id": s.trial.nct, "status": s.trial.status,
                   "has_results": s.trial.has_results, "enrollment": s.trial.enrollment,
                   "enrollment_type": "ACTUAL" if s.trial.enrollment_actual else "ESTIMATED",
                   "phases": list(s.trial.phases), "why_stopped": s.trial.why_stopped,
                   "last_update": s.trial.last_update.isoformat()} if s.trial else None),
    }


def noise_truth(n: Any) -> dict[str, Any]:
    """Truth of an unrelated record: it must not become a study."""
    return {
        "study_id": n.sid, "kind": "noise", "relevant": False, "title": n.title,
        "pmid": n.pmid, "doi": n.doi if n.source == "europepmc" else None, "pmcid": None,
        "nct_ids": [], "preprint_dois": [n.doi] if n.source == "medrxiv" else [],
        "europepmc_ids": [n.pmid] if n.source == "europepmc" and n.pmid else [],
        "medrxiv_versions": n.versions if n.source == "medrxiv" else 0, "sources": [n.source],
        "conditions": [], "drugs": [], "routes": [], "design": "other", "human": None,
        "sample_size": None, "preprint": n.source == "medrxiv", "retracted": False,
        "corrected": False, "expression_of_concern": False, "update_known_to": {},
        "notice_for": None, "notice_for_pmid": None, "has_mesh": False, "language": "eng",
        "edat": None, "pub_year": n.day.year, "nct_in_databank": False, "nct_in_abstract": False,
        "trial": None,
    }


def later_day(rng: random.Random, end: date, days: int = 7) -> date:
    """A day in the week after ``end``."""
    return end + timedelta(days=rng.randint(1, days))
