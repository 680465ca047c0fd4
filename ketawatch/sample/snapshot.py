"""``second_snapshot``: the same sample world crawled one week later.

Between the two crawls some registrations change status, post results or revise enrollment, some
medRxiv preprints appear as journal articles, Crossref learns of one more retraction, and about 5%
new PubMed records appear. The returned corpus lists these changes in ``events`` (what a crawl of
the later snapshot should record) and its truth reflects the new state. The first corpus is left
untouched: changed studies are copies.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from datetime import timedelta
from typing import Any

from ketawatch.errors import UsageError
from ketawatch.sample import drawing, identifiers, prose
from ketawatch.sample.corpus import SampleCorpus
from ketawatch.sample.generator import TRICKY_MIN_SIZE, build_corpus, finalize_updates, gc_paused
from ketawatch.sample.world import Update, World, WorldStudy

WEEK = timedelta(days=7)


def _own(world: World, index: int) -> WorldStudy:
    """Replace study ``index`` by a deep copy and return it (the old corpus keeps the original)."""
    s = copy.deepcopy(world.studies[index])
    world.studies[index] = s
    return s


def second_snapshot(corpus: SampleCorpus, seed: int) -> SampleCorpus:
    """The world of ``corpus`` one week later, deterministic for (corpus, seed)."""
    old: World | None = corpus.world
    if old is None:
        raise UsageError("second_snapshot needs a corpus made by ketawatch.sample.generate")
    with gc_paused():
        return _snapshot(old, seed)


def _snapshot(old: World, seed: int) -> SampleCorpus:
    rng = random.Random(seed * 1_000_003 + old.seed)
    end = old.end_date + WEEK
    world = dataclasses.replace(old, studies=list(old.studies), noise=list(old.noise), end_date=end)
    events: list[dict[str, Any]] = []
    _trials(rng, world, end, events)
    _publish_preprints(rng, world, end, events)
    _retract(rng, world, end, events)
    _new_records(rng, world, end, events)
    finalize_updates(world)
    return build_corpus(world, with_tricky=world.size >= TRICKY_MIN_SIZE, events=events)


def _trials(rng: random.Random, world: World, end: Any, events: list[dict[str, Any]]) -> None:
    changes: dict[int, str] = {}
    for i, s in enumerate(world.studies):
        t = s.trial
        if t is None:
            continue
        roll = rng.random()
        if t.status == "RECRUITING" and roll < 0.3:
            changes[i] = "complete" if roll < 0.2 else "close"
        elif t.status == "RECRUITING" and roll < 0.4:
            changes[i] = "enrollment"
        elif t.status == "NOT_YET_RECRUITING" and roll < 0.4:
            changes[i] = "start"
        elif t.status == "ACTIVE_NOT_RECRUITING" and roll < 0.3:
            changes[i] = "complete"
        elif t.status == "COMPLETED" and not t.has_results and roll < 0.2:
            changes[i] = "results"
    # every kind of change the digest reports happens at least once when it can; a recruiting
    # trial that completes matters most, so it may take the place of a smaller change
    for kind, status, may_replace in (("complete", "RECRUITING", True), ("results", "COMPLETED", False),
                                      ("enrollment", "RECRUITING", False)):
        eligible = [i for i, s in enumerate(world.studies) if s.trial and s.trial.status == status
                    and not (kind == "results" and s.trial.has_results)]
        if any(changes.get(i) == kind for i in eligible):
            continue
        free = [i for i in eligible if i not in changes]
        if free:
            changes[free[0]] = kind
        elif may_replace and eligible:
            changes[eligible[0]] = kind
    for i, kind in sorted(changes.items()):
        s = _own(world, i)
        t = s.trial
        assert t is not None
        before_status, before_count, before_type = t.status, t.enrollment, t.enrollment_actual
        day = end - timedelta(days=rng.randint(0, 5))
        if kind in ("complete", "close"):
            t.status = "COMPLETED" if kind == "complete" else "ACTIVE_NOT_RECRUITING"
            t.enrollment = max(1, round(t.enrollment * rng.uniform(0.7, 1.05)))
            t.enrollment_actual = True
            if kind == "complete":
                t.primary_completion = t.completion = day - timedelta(days=rng.randint(1, 20))
                t.completion_actual = True
        elif kind == "start":
            t.status = "RECRUITING"
            t.start, t.start_actual = day, True
        elif kind == "enrollment":
            t.enrollment = max(10, t.enrollment + rng.choice((-40, -20, 20, 30, 60)))
        elif kind == "results":
            t.has_results = True
            t.results_first_post = day
            events.append({"type": "results_posted", "study_id": s.sid, "nct_id": t.nct})
        t.last_update = day
        if t.status != before_status:
            events.append({"type": "trial_status_changed", "study_id": s.sid, "nct_id": t.nct,
                           "from": before_status, "to": t.status})
        if (t.enrollment, t.enrollment_actual) != (before_count, before_type):
            events.append({"type": "enrollment_changed", "study_id": s.sid, "nct_id": t.nct,
                           "from": before_count, "to": t.enrollment})
        if s.kind == "registration":
            s.sample_size = t.enrollment


def _publish_preprints(rng: random.Random, world: World, end: Any, events: list[dict[str, Any]]) -> None:
    candidates = [i for i, s in enumerate(world.studies) if s.kind == "preprint" and s.preprint]
    chosen = [i for i in candidates if rng.random() < 0.35]
    if candidates and not chosen:
        chosen = [candidates[0]]
    for i in chosen:
        s = _own(world, i)
        assert s.preprint is not None
        s.kind = "article"
        s.edat = end - timedelta(days=rng.randint(0, 6))
        s.edat_time = (rng.randint(0, 23), rng.randint(0, 59))
        s.journal = drawing.journal_for(rng, s)
        s.language = "eng"
        drawing.publish(rng, s, end)
        identifiers.assign_ids(rng, world, only=[s])
        s.preprint.published_doi = s.doi
        s.pubtypes = drawing.pubtypes_for(rng, s)
        events.append({"type": "preprint_published", "study_id": s.sid,
                       "preprint_doi": s.preprint.doi, "doi": s.doi, "pmid": s.pmid})


def _retract(rng: random.Random, world: World, end: Any, events: list[dict[str, Any]]) -> None:
    candidates = [i for i, s in enumerate(world.studies)
                  if s.kind == "article" and s.doi and s.edat and s.edat <= end - timedelta(days=60)
                  and not s.updates and s.design in drawing.CLINICAL]
    if not candidates:
        return
    s = _own(world, rng.choice(candidates))
    s.updates.append(Update("retraction", end - timedelta(days=rng.randint(0, 5)), known_to={"crossref"}))
    events.append({"type": "retracted", "study_id": s.sid, "doi": s.doi, "pmid": s.pmid,
                   "source": "crossref"})


def _new_records(rng: random.Random, world: World, end: Any, events: list[dict[str, Any]]) -> None:
    pubmed_articles = sum(1 for s in world.studies if s.kind == "article" and s.pmid)
    count = max(1, round(pubmed_articles * 0.05)) if pubmed_articles else 0
    new: list[WorldStudy] = []
    for _ in range(count):
        s = drawing.draw_study(rng, world.new_sid(), end, {}, edat=end - timedelta(days=rng.randint(0, 6)))
        drawing.publish(rng, s, end)
        drawing.people(rng, s)
        new.append(s)
    identifiers.assign_ids(rng, world, only=new)
    for s in new:
        prose.compose(s, rng)
        s.pubtypes = drawing.pubtypes_for(rng, s)
        world.studies.append(s)
        events.append({"type": "new_study", "study_id": s.sid, "pmid": s.pmid})
