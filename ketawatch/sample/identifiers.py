"""Identifiers of the sample world, increasing with time as the real ones do.

PMIDs from 90,000,001, NCT numbers from NCT09000001, PMC ids from PMC90000001, Europe PMC
preprint ids from PPR9000001, journal DOIs under the test prefix 10.5555 and medRxiv DOIs with
suffixes from yy900001: ranges the real services do not use (see the package docstring).
"""

from __future__ import annotations

import random
from datetime import timedelta

from ketawatch.sample import vocab
from ketawatch.sample.world import DOI_PREFIX, World, WorldStudy


def assign_ids(rng: random.Random, world: World, only: list[WorldStudy] | None = None) -> None:
    """PMIDs, DOIs, PMC ids, NCT numbers, preprint DOIs and PPR ids, increasing with time."""
    studies = only if only is not None else world.studies
    pubmed = sorted((s for s in studies if s.edat and s.kind in ("article", "erratum", "retraction-notice")),
                    key=lambda s: (s.edat, s.sid))
    for s in pubmed:
        world.next_pmid += rng.randint(1, 37)
        s.pmid = str(world.next_pmid)
        j = s.journal
        assert j is not None and s.edat is not None
        year = (s.pub_date or s.edat).year
        if not (s.edat.year < 2006 and rng.random() < 0.5):
            world.doi_serial += rng.randint(1, 9)
            s.doi = f"{DOI_PREFIX}/{j.slug}.{year}.{world.doi_serial}"
        if s.kind == "article" and s.status != "Publisher" and rng.random() < j.pmc_share:
            world.next_pmc += rng.randint(1, 400)
            s.pmcid = f"PMC{world.next_pmc}"
    trials = sorted((s for s in studies if s.trial and not s.trial.nct),
                    key=lambda s: (s.trial.first_post, s.sid))  # type: ignore[union-attr]
    for s in trials:
        assert s.trial is not None
        world.next_nct += rng.randint(1, 60)
        s.trial.nct = f"NCT{world.next_nct:08d}"
    for s in studies:
        p = s.preprint
        if p and not p.doi:
            posted = p.dates[0] - timedelta(days=rng.randint(0, 5))
            world.next_mrx += 1
            p.doi = f"10.1101/{posted:%Y.%m.%d}.{posted:%y}{world.next_mrx:06d}"
            p.published_doi = s.doi
    ppr_studies = sorted((s for s in studies if (s.ppr and not s.ppr.id) or (
        s.preprint and s.preprint.mirrored_in_epmc and not s.preprint.ppr_id)),
                         key=lambda s: ((s.ppr.day if s.ppr else s.preprint.dates[0]), s.sid))  # type: ignore[union-attr]
    for s in ppr_studies:
        world.next_ppr += rng.randint(1, 500)
        if s.ppr:
            s.ppr.id = f"PPR{world.next_ppr}"
            n = world.next_ppr
            code = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(5))
            pattern = dict(vocab.PPR_SERVERS)[s.ppr.server]
            s.ppr.doi = pattern.format(n=n, v=s.ppr.version, code=code)
        elif s.preprint:
            s.preprint.ppr_id = f"PPR{world.next_ppr}"
