"""Unrelated records the sources return: medRxiv has no keyword search (its spider filters
locally) and Europe PMC matches full text, so both hand the crawlers records that are no study
of ketamine."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ketawatch.sample import vocab
from ketawatch.sample.world import DOI_PREFIX, NoiseRecord, World, make_authors


def draw_noise(rng: random.Random, world: World, end: date) -> list[NoiseRecord]:
    """Unrelated records: medRxiv has no keyword search, Europe PMC matches full text."""
    posted = sorted(d for s in world.studies if s.preprint for d in s.preprint.dates)
    out: list[NoiseRecord] = []
    for i in range(round(len(posted) * 7 / 3)):
        category, pattern, pops, designs, outcome = rng.choice(vocab.NOISE_TOPICS)
        design = rng.choice(designs)
        pop = rng.choice(pops)
        title = pattern.format(pop=pop, design=design)
        title = title[:1].upper() + title[1:]
        n = rng.randint(80, 250000) if "trial" not in design else rng.randint(60, 900)
        rate = rng.randint(2, 40)
        effect = round(rng.uniform(0.5, 1.9), 2)
        abstract = (f"Background: Evidence on {outcome} in {pop} is limited. Methods: We conducted "
                    f"a {design} including {n:,} participants. Results: {outcome[:1].upper()}"
                    f"{outcome[1:]} occurred in {rate}% of participants (adjusted ratio, {effect}; "
                    f"95% CI, {round(effect * 0.8, 2)} to {round(effect * 1.2, 2)}). Conclusions: "
                    "These findings can inform guidelines and the design of future studies.")
        versions = rng.choices((1, 2), weights=(80, 20))[0]
        # posted around the ketamine preprints, so that every page of a medRxiv listing mixes
        # both, as the server's date order does (about 7 unrelated records for 3 relevant ones)
        anchor = posted[i % len(posted)] + timedelta(days=rng.randint(-20, 20))
        day = max(date(2019, 7, 1), min(anchor, end - timedelta(days=30 * versions)))
        world.next_mrx += 1
        doi = f"10.1101/{day:%Y.%m.%d}.{day:%y}{world.next_mrx:06d}"
        out.append(NoiseRecord(sid=world.new_sid(), source="medrxiv", title=title, abstract=abstract,
                               category=category, day=day, doi=doi,
                               authors=make_authors(rng, rng.randint(3, 8)),
                               versions=versions))
    n_epmc = max(1, round(world.size * 0.02)) if world.size >= 20 else 0
    for _ in range(n_epmc):
        title = rng.choice(vocab.EPMC_NOISE_TITLES)
        day = end - timedelta(days=rng.randint(0, 3 * 365))
        world.next_pmid += rng.randint(1, 37)
        world.doi_serial += rng.randint(1, 9)
        journal = rng.choice([j for j in vocab.JOURNALS if "preclinical" in j.kinds])
        # ketamine only as the anaesthetic of an animal procedure: a match that is not a study
        abstract = ("Animal models are essential to study recovery mechanisms. Under "
                    "ketamine-xylazine anaesthesia, animals underwent the procedure and were "
                    "followed with in vivo imaging and behavioral testing for four weeks. Treatment "
                    "improved functional outcomes and reduced tissue damage. These results "
                    "identify a candidate target for further study.")
        out.append(NoiseRecord(sid=world.new_sid(), source="europepmc", title=title + ".",
                               abstract=abstract, category="", day=day,
                               doi=f"{DOI_PREFIX}/{journal.slug}.{day.year}.{world.doi_serial}",
                               authors=make_authors(rng, rng.randint(3, 8)),
                               pmid=str(world.next_pmid), journal=journal))
    return out
