"""Tagging against the sample generator's ground truth: an independent check of the tagger.

The generator labels each synthetic study when it draws it, separately from the tagger, so the
agreement below is measured on labels the tagger's author did not write. Notices (retraction
and erratum records) are left out; the generator marks TRD and bipolar depression without
depression, so those imply depression here as they do in the tagger.
Run: python tests/sample_tagging_report.py
"""
from collections import Counter

from crawlers.prepare import prepare
from crawlers.pubmed_xml import parse_efetch
from ketawatch.sample import generate

tp, fp, fn = Counter(), Counter(), Counter()
dz = Counter(); n = 0; ss_ok = 0; ss_n = 0
for seed in (1, 2, 3):
    c = generate(300, seed=seed)
    recs, errs = parse_efetch(c.efetch_document(list(c.pubmed)))
    truth = {t["pmid"]: t for t in c.truth if t.get("pmid")}
    for s, raw in recs:
        prepare(s)
        t = truth.get(s.pmid)
        if not t or t.get("notice_for") or t.get("notice_for_pmid"):
            continue
        n += 1
        for field in ("conditions", "drugs", "routes"):
            exp = set(t.get(field) or [])
            if field == "conditions" and exp & {"trd", "bipolar-depression"}:
                exp.add("depression")
            got = set(getattr(s, field))
            for v in got & exp: tp[(field, v)] += 1
            for v in got - exp: fp[(field, v)] += 1
            for v in exp - got: fn[(field, v)] += 1
        d = t.get("design")
        if d:
            if s.design == d: tp[("design", d)] += 1
            else:
                fp[("design", s.design)] += 1; fn[("design", d)] += 1
        if t.get("sample_size") is not None or s.sample_size is not None:
            ss_n += 1; ss_ok += (t.get("sample_size") == s.sample_size)
keys = sorted(set(tp) | set(fp) | set(fn))
print(f"{n} PubMed records (3 seeds x generate(300)), notices excluded")
for field in ("conditions", "drugs", "routes", "design"):
    T = sum(tp[k] for k in keys if k[0] == field); F = sum(fp[k] for k in keys if k[0] == field); N = sum(fn[k] for k in keys if k[0] == field)
    print(f"{field:<11} precision {T/(T+F):.3f} recall {T/(T+N):.3f}")
    for k in keys:
        if k[0] == field and (fp[k] or fn[k]) and (tp[k]+fp[k]+fn[k]) >= 3:
            P = tp[k]/(tp[k]+fp[k]) if tp[k]+fp[k] else 0; R = tp[k]/(tp[k]+fn[k]) if tp[k]+fn[k] else 0
            print(f"   {k[1]:<20} P {P:.2f} R {R:.2f} (tp {tp[k]}, fp {fp[k]}, fn {fn[k]})")
print(f"sample_size exact {ss_ok}/{ss_n}")
