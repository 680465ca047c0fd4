"""Tagging against the sample generator's ground truth: an independent check of the tagger.

The generator labels each synthetic study when it draws it, separately from the tagger, so the
agreement below is measured on labels the tagger's author did not write. Notices (retraction
and erratum records) are left out; the generator marks TRD and bipolar depression without
depression, so those imply depression here as they do in the tagger.

Run: python tests/sample_tagging_report.py
"""

from __future__ import annotations

from collections import Counter

from crawlers.prepare import prepare
from crawlers.pubmed_xml import parse_efetch
from ketawatch.sample import generate

SEEDS = (1, 2, 3)
SIZE = 300


def _expected(truth: dict, field: str) -> set[str]:
    values = set(truth.get(field) or [])
    if field == "conditions" and values & {"trd", "bipolar-depression"}:
        values.add("depression")
    return values


def main() -> None:
    """Tag the sample corpus' PubMed records and print agreement with the generator's truth."""
    tp, fp, fn = Counter(), Counter(), Counter()
    records = sizes_right = sizes = 0
    for seed in SEEDS:
        corpus = generate(SIZE, seed=seed)
        parsed, _ = parse_efetch(corpus.efetch_document(list(corpus.pubmed)))
        truth = {t["pmid"]: t for t in corpus.truth if t.get("pmid")}
        for study, _raw in parsed:
            prepare(study)
            t = truth.get(study.pmid)
            if not t or t.get("notice_for") or t.get("notice_for_pmid"):
                continue
            records += 1
            for field in ("conditions", "drugs", "routes"):
                want, got = _expected(t, field), set(getattr(study, field))
                for value in got & want:
                    tp[(field, value)] += 1
                for value in got - want:
                    fp[(field, value)] += 1
                for value in want - got:
                    fn[(field, value)] += 1
            if t.get("design"):
                if study.design == t["design"]:
                    tp[("design", study.design)] += 1
                else:
                    fp[("design", study.design)] += 1
                    fn[("design", t["design"])] += 1
            if t.get("sample_size") is not None or study.sample_size is not None:
                sizes += 1
                sizes_right += t.get("sample_size") == study.sample_size
    keys = sorted(set(tp) | set(fp) | set(fn))
    print(f"{records} PubMed records ({len(SEEDS)} seeds x generate({SIZE})), notices excluded")
    for field in ("conditions", "drugs", "routes", "design"):
        hit = sum(tp[k] for k in keys if k[0] == field)
        extra = sum(fp[k] for k in keys if k[0] == field)
        missed = sum(fn[k] for k in keys if k[0] == field)
        print(f"{field:<11} precision {hit / (hit + extra):.3f} recall {hit / (hit + missed):.3f}")
        for k in keys:
            if k[0] == field and (fp[k] or fn[k]):
                p = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else 0.0
                r = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else 0.0
                print(f"   {k[1]:<20} P {p:.2f} R {r:.2f} "
                      f"(tp {tp[k]}, fp {fp[k]}, fn {fn[k]})")
    print(f"sample_size exact {sizes_right}/{sizes}")


if __name__ == "__main__":
    main()
