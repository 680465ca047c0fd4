"""The fixed set of clinician queries the search, FTS5 and web benchmarks run.

Four kinds, each a list of distinct queries drawn deterministically from drug and topic terms,
every other one with a third, less common word (``TAIL_TERMS``, each used once in a run):

- ``plain``: two or three words ("esketamine suicidal ideation"), no facets, no highlights;
- ``phrase``: the same words with a quoted phrase ('esketamine "suicidal ideation"');
- ``filters``: other words with two filters (condition + design, drug + route, design + years,
  ...), no facets, no highlights;
- ``full``: yet other words with two filters, facet counts and highlighted snippets: what the
  web page asks for, and what the issue's 50 ms p95 target is about.

Every query of a pass is distinct, so our searcher's cache of query match sets (which serves
paging and facet clicks) never answers a measured query; ``repeat`` queries are asked twice in
a row to show what that cache is worth.
"""

from __future__ import annotations

import math
import random
from typing import Any

DRUG_TERMS = ("ketamine", "esketamine", "arketamine", "intranasal esketamine",
              "ketamine infusion", "oral ketamine", "racemic ketamine", "s-ketamine")
TOPIC_TERMS = ("depression", "suicidal ideation", "ptsd", "obsessive compulsive",
               "bipolar depression", "anxiety", "treatment resistant", "anhedonia",
               "electroconvulsive therapy", "dissociation", "relapse prevention", "maintenance",
               "adolescents", "older adults", "chronic pain", "alcohol use", "remission",
               "response rate", "major depressive disorder", "posttraumatic stress",
               "suicide attempt", "sleep", "cognition", "placebo")
#: less common words: every other query adds one (each used once in a run), so that measured
#: queries also meet words whose postings no earlier query has read
TAIL_TERMS = (
    "glutamate", "nmda", "bdnf", "ampa", "mtor", "synaptogenesis", "neuroplasticity",
    "hydroxynorketamine", "norketamine", "pharmacokinetics", "bioavailability", "dose",
    "titration", "tolerability", "safety", "adverse", "hypertension", "tachycardia", "nausea",
    "vomiting", "sedation", "cystitis", "hepatotoxicity", "abuse", "misuse", "dependence",
    "craving", "withdrawal", "psychotomimetic", "hallucinations", "euphoria", "memory",
    "attention", "executive", "neurocognitive", "eeg", "fmri", "connectivity", "biomarker",
    "inflammation", "cytokine", "interleukin", "cortisol", "genotype", "polymorphism",
    "pediatric", "geriatric", "pregnancy", "postpartum", "perinatal", "veterans", "military",
    "emergency", "inpatient", "outpatient", "community", "telehealth", "cost", "economic",
    "adherence", "dropout", "durability", "booster", "repeated", "single", "infusions",
    "lozenge", "subcutaneous", "intramuscular", "sublingual", "nasal", "spray", "tablet",
    "anesthesia", "surgery", "postoperative", "perioperative", "propofol", "midazolam",
    "lithium", "lamotrigine", "quetiapine", "ssri", "snri", "antidepressant", "augmentation",
    "psychotherapy", "cbt", "mindfulness", "psilocybin", "mdma", "electroconvulsive",
    "transcranial", "rtms", "neuromodulation", "nitrous", "scopolamine", "rapastinel",
    "dextromethorphan", "bupropion", "esmethadone", "lanicemine", "minocycline",
    "midazolam-controlled", "blinding", "unblinding", "expectancy", "crossover", "open-label",
    "naturalistic", "registry", "cohort", "retrospective", "prospective", "real-world",
    "network", "bayesian", "heterogeneity", "publication", "bias", "quality", "grade",
    "guideline", "consensus", "protocol", "feasibility", "pilot", "mechanism", "animal",
    "rodent", "mice", "rats", "forced", "swim", "stress", "chronic", "social", "defeat",
    "learned", "helplessness", "microglia", "astrocytes", "dendritic", "spines",
)
#: pairs of filters a clinician combines (SearchRequest field -> value)
FILTER_PAIRS: tuple[dict[str, Any], ...] = (
    {"conditions": ["trd"], "designs": ["rct"]},
    {"conditions": ["suicidal-ideation"], "routes": ["intranasal"]},
    {"designs": ["rct", "meta-analysis"], "year_from": 2019},
    {"conditions": ["ptsd"], "drugs": ["ketamine"]},
    {"drugs": ["esketamine"], "routes": ["intranasal"]},
    {"conditions": ["depression"], "year_from": 2020},
    {"conditions": ["bipolar-depression"], "designs": ["rct", "clinical-trial"]},
    {"designs": ["meta-analysis", "systematic-review"], "drugs": ["esketamine"]},
)
KINDS = ("plain", "phrase", "filters", "full")
KIND_LABELS = {"plain": "plain words", "phrase": "with a phrase",
               "filters": "with 2 filters", "full": "2 filters + facets + highlights"}
PER_KIND = 60
WARMUP = 30


def _phrase(drug: str, topic: str) -> str:
    if " " in topic:
        return f'{drug} "{topic}"'
    if " " in drug:
        return f'"{drug}" {topic}'
    return f'"{drug} {topic}"'


def query_set(per_kind: int = PER_KIND, warmup: int = WARMUP, seed: int = 6
              ) -> dict[str, list[dict[str, Any]]]:
    """The queries of each kind, and a ``warmup`` list that shares no query with them.

    Each query is ``{"q": text, "filters": {...}, "facets": bool, "highlight": bool}``.
    """
    rng = random.Random(seed)
    pairs = [(d, t) for d in DRUG_TERMS for t in TOPIC_TERMS]
    rng.shuffle(pairs)
    need = 3 * per_kind + warmup
    while len(pairs) < need:  # more queries than pairs: add a third word
        d, t = pairs[len(pairs) % len(DRUG_TERMS) * 7 % len(pairs)]
        pairs.append((d, f"{t} {rng.choice(TOPIC_TERMS)}"))
    plain_pairs = pairs[:per_kind]
    filter_pairs = pairs[per_kind:2 * per_kind]
    full_pairs = pairs[2 * per_kind:3 * per_kind]
    warm_pairs = pairs[3 * per_kind:3 * per_kind + warmup]

    tail = list(TAIL_TERMS)
    rng.shuffle(tail)
    words = iter(tail * (1 + (2 * per_kind * 2) // len(tail)))

    def with_tail(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        # every other query gets a third, less common word
        return [(d, t, next(words) if i % 2 else "") for i, (d, t) in enumerate(pairs)]

    def plain(d: str, t: str, extra: str) -> dict[str, Any]:
        return {"q": f"{d} {t} {extra}".strip(), "filters": {}, "facets": False,
                "highlight": False}

    def phrase(d: str, t: str, extra: str) -> dict[str, Any]:
        return {**plain(d, t, extra), "q": f"{_phrase(d, t)} {extra}".strip()}

    plain_q = with_tail(plain_pairs)
    filter_q = with_tail(filter_pairs)
    full_q = with_tail(full_pairs)
    out = {
        "plain": [plain(*q) for q in plain_q],
        "phrase": [phrase(*q) for q in plain_q],
        "filters": [{**plain(*q), "filters": FILTER_PAIRS[i % len(FILTER_PAIRS)]}
                    for i, q in enumerate(filter_q)],
        "full": [{**plain(*q), "filters": FILTER_PAIRS[(i + 3) % len(FILTER_PAIRS)],
                  "facets": True, "highlight": True} for i, q in enumerate(full_q)],
        # the warm-up touches every filter, facets and highlights with queries never measured
        "warmup": [{"q": f"{d} {t}", "filters": FILTER_PAIRS[i % len(FILTER_PAIRS)],
                    "facets": True, "highlight": True} for i, (d, t) in enumerate(warm_pairs)],
    }
    return out


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of a list of numbers."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]
