"""Relevance over the built-in sample data: clinician queries with judged answers.

``tests/data/relevance_judgments.json`` holds each query, the criterion a clinician would judge
by (what the study is about, from the sample corpus's ground truth: drugs, conditions, routes,
design, species, or words of its title) and the studies that meet it, named by stable
identifiers (PMID, DOI, NCT number). The judged lists were made from the criteria, never from
the search engine; ``python tests/test_relevance.py --regenerate`` rewrites them after the sample
generator changes.

The test prints MRR, success@5 and precision@10 (precision counted against at most 10 judged
studies), fails when MRR or success@5 drop below floors set a little under what the engine
reaches, and lists the queries whose first relevant answer is not on top.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

JUDGMENTS = Path(__file__).resolve().parent / "data" / "relevance_judgments.json"
SAMPLE_SIZE = 200
#: floors: a little under what the engine reaches, so that a real regression fails
MRR_FLOOR = 0.93
SUCCESS_AT_5_FLOOR = 0.95
#: kinds of sample records that are studies a clinician could want (not notices or noise)
STUDY_KINDS = ("article", "registration", "preprint", "tricky")


def _identifiers(record: dict) -> list[str]:
    """Stable identifiers of a truth record or a search hit, as "kind:value" strings."""
    ids = []
    if record.get("pmid"):
        ids.append(f"pmid:{record['pmid']}")
    if record.get("doi"):
        ids.append(f"doi:{record['doi'].lower()}")
    ids += [f"doi:{d.lower()}" for d in record.get("preprint_dois") or []]
    ids += [f"nct:{n}" for n in record.get("nct_ids") or []]
    return ids


def meets(criterion: dict, truth: dict) -> bool:
    """Whether a study (its ground truth) meets a judging criterion."""
    if truth["kind"] not in STUDY_KINDS or not truth.get("relevant", True):
        return False
    if truth.get("retracted") or truth.get("notice_for"):
        return False
    for key, field in (("drugs", "drugs"), ("conditions", "conditions"), ("routes", "routes")):
        wanted = criterion.get(key)
        if wanted and not set(wanted) & set(truth.get(field) or []):
            return False
    if criterion.get("designs") and truth["design"] not in criterion["designs"]:
        return False
    if "human" in criterion and truth.get("human") is not criterion["human"]:
        return False
    title = criterion.get("title")
    return not (title and not re.search(title, truth["title"], re.IGNORECASE))


def regenerate() -> None:
    """Rewrite the judged lists from the criteria over ``generate(SAMPLE_SIZE)``."""
    from ketawatch.sample import generate

    corpus = generate(SAMPLE_SIZE)
    data = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    for item in data["queries"]:
        item["relevant"] = [_identifiers(t) for t in corpus.truth if meets(item["criterion"], t)]
    JUDGMENTS.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_sample(store, size: int = SAMPLE_SIZE) -> None:
    """Ingest the sample corpus the way the crawlers would: parse, prepare, store."""
    from crawlers import clinicaltrials_json, europepmc_json, medrxiv_json
    from crawlers.prepare import prepare
    from crawlers.pubmed_xml import parse_efetch
    from ketawatch.sample import SampleCorpus, generate

    corpus = generate(size)
    records, problems = parse_efetch(SampleCorpus.efetch_document(corpus.pubmed))
    assert not problems
    batch = [(prepare(study), raw) for study, raw in records]
    for record in corpus.clinicaltrials:
        batch.append((prepare(clinicaltrials_json.parse_study(record)), json.dumps(record)))
    for versions in medrxiv_json.group_by_doi(corpus.medrxiv).values():
        batch.append((prepare(medrxiv_json.parse_preprint(versions)), json.dumps(versions)))
    for record in corpus.europepmc:
        batch.append((prepare(europepmc_json.parse_result(record)), json.dumps(record)))
    store.ingest(batch)


@pytest.fixture(scope="module")
def sample_config(tmp_path_factory):
    pytest.importorskip("ketawatch.sample", reason="the sample corpus generator is not there")
    from index.build import update_index
    from ketawatch.config import load_config
    from ketawatch.store import open_store

    config = load_config(home=tmp_path_factory.mktemp("relevance"), env={})
    with open_store(config) as store:
        load_sample(store)
        update_index(config, store)
    yield config
    from index.search import close_searchers

    close_searchers()


def _hit_ids(hit) -> set[str]:
    return set(_identifiers({"pmid": hit.pmid, "doi": hit.doi, "nct_ids": hit.nct_ids}))


def evaluate(config, *, evidence_ranking: bool = True) -> tuple[float, float, float, list[str]]:
    """(MRR, success@5, precision@10, notes on the queries that miss the top)."""
    from index.search import SearchRequest, open_searcher

    data = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    searcher = open_searcher(config)
    reciprocal, successes, precision, notes = [], [], [], []
    for item in data["queries"]:
        relevant = [set(ids) for ids in item["relevant"]]
        response = searcher.search(SearchRequest(query=item["query"], per_page=10,
                                                 evidence_ranking=evidence_ranking,
                                                 facets=False, highlight=False))
        rank = next((i + 1 for i, hit in enumerate(response.results)
                     if any(_hit_ids(hit) & ids for ids in relevant)), None)
        reciprocal.append(1 / rank if rank else 0.0)
        hits = [any(_hit_ids(hit) & ids for ids in relevant) for hit in response.results]
        precision.append(sum(hits) / min(10, len(relevant)))
        successes.append(bool(rank and rank <= 5))
        if rank != 1:
            notes.append(f"  {item['query']!r}: first relevant at {rank or '>10'} "
                         f"(top: {response.results[0].title[:70] if response.results else '-'})")
    n = len(reciprocal)
    return sum(reciprocal) / n, sum(successes) / n, sum(precision) / n, notes


def test_judgments_cover_enough_queries_and_exist_in_the_sample(sample_config):
    from ketawatch.store import open_store

    data = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    assert len(data["queries"]) >= 25
    with open_store(sample_config) as store:
        for item in data["queries"]:
            assert item["relevant"], f"{item['query']!r} has no judged study"
            for ids in item["relevant"]:
                kind, value = ids[0].split(":", 1)
                assert store.find_study(kind, value), f"{ids[0]} is not in the sample"


def test_relevance_floors(sample_config, capsys):
    mrr, success, p10, notes = evaluate(sample_config)
    mrr_plain, success_plain, p10_plain, _ = evaluate(sample_config, evidence_ranking=False)
    with capsys.disabled():
        print(f"\nrelevance over {SAMPLE_SIZE} sample studies: MRR {mrr:.3f}, "
              f"success@5 {success:.3f}, precision@10 {p10:.3f} (without evidence ranking: "
              f"MRR {mrr_plain:.3f}, success@5 {success_plain:.3f}, precision@10 "
              f"{p10_plain:.3f})")
        for note in notes:
            print(note)
    assert mrr >= MRR_FLOOR
    assert success >= SUCCESS_AT_5_FLOOR


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
        print(f"rewrote {JUDGMENTS}")
    else:
        print("usage: python tests/test_relevance.py --regenerate")
