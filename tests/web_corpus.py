"""Test data for the web tests: a small, varied set of studies in a real store and index.

Not a test module: test_web, test_api, test_exports, test_feeds, test_browser and
test_hostile_text import it. Studies are ingested with ``Store.ingest`` (so merging, marks and
events are the store's own) and indexed with ``index.build.update_index``.
"""

from __future__ import annotations

from pathlib import Path

from ketawatch.config import Config, load_config
from ketawatch.model import Study
from ketawatch.store import open_store

SECRET = "test-secret-key-for-the-web-tests-0123456789"
BASE_URL = "http://ketawatch.test"

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_LINK = '<a href="javascript:alert(1)">click</a>'
HOSTILE_FORMULA = '=HYPERLINK("http://evil.example/x","click")'


def _pubmed(pmid: str, **kw) -> Study:
    base = dict(source="pubmed", source_id=pmid, pmid=pmid, human=True, language="eng",
                url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
    base.update(kw)
    return Study(**base)


def corpus_batches() -> list[tuple[str, list[Study]]]:
    """(ingest time, studies) batches: first_seen differs between batches."""
    first = [
        _pubmed("30000001", doi="10.1016/j.jad.2023.01.001",
                title="Esketamine for treatment-resistant depression: a meta-analysis",
                abstract="Pooled analysis of esketamine nasal spray trials in treatment-resistant depression.",
                abstract_sections=[["BACKGROUND", "Esketamine nasal spray was approved for TRD."],
                                   ["METHODS", "We pooled 12 randomized trials."],
                                   ["CONCLUSIONS", "Esketamine improved depression scores."]],
                journal="Journal of Affective Disorders", pub_date="2023-03-01",
                authors=["Smith J", "Doe A", "Garcia M"], design="meta-analysis",
                drugs=["esketamine"], routes=["intranasal"], conditions=["trd", "depression"],
                mesh=["Depressive Disorder, Treatment-Resistant", "Ketamine"]),
        _pubmed("30000002", doi="10.1176/appi.ajp.2021.2", title="Intravenous ketamine versus "
                "midazolam in major depression: a randomized controlled trial",
                abstract="Ketamine infusion reduced depressive symptoms at 24 hours versus midazolam.",
                journal="American Journal of Psychiatry", pub_date="2021-05-10",
                authors=["Lee K", "Patel R"], design="rct", sample_size=80,
                drugs=["ketamine"], routes=["iv"], conditions=["depression"]),
        _pubmed("30000003", title="Oral ketamine in obsessive-compulsive disorder: a cohort study",
                abstract="An observational cohort of oral ketamine in OCD patients.",
                journal="Journal of Psychiatric Research", pub_date="2019-02-01",
                authors=["Nguyen T"], design="observational", sample_size=30,
                drugs=["ketamine"], routes=["oral"], conditions=["ocd"]),
        _pubmed("30000004", title="Intramuscular ketamine for chronic pain and depression: a case report",
                abstract="A patient with chronic pain and depression received intramuscular ketamine.",
                journal="BMJ Case Reports", pub_date="2018-07-01", authors=["Brown P"],
                design="case-report", sample_size=1, drugs=["ketamine"], routes=["im"],
                conditions=["chronic-pain", "depression"]),
        _pubmed("30000005", title="Arketamine antidepressant effects in a chronic social defeat "
                "stress model in mice", abstract="Arketamine produced sustained antidepressant-like "
                "effects in mice.", journal="Neuropharmacology", pub_date="2022-09-01",
                authors=["Hashimoto K"], design="preclinical", human=False, drugs=["arketamine"],
                conditions=["depression"]),
        _pubmed("30000006", doi="10.1001/jamapsychiatry.2024.1", nct_ids=["NCT04000001"],
                title="Esketamine nasal spray for suicidal ideation: a randomized clinical trial",
                abstract="CONCLUSIONS: Esketamine rapidly reduced suicidal ideation in adults "
                "with major depression.", journal="JAMA Psychiatry", pub_date="2024-06-01",
                authors=["Canuso C", "Singh J"], design="rct", sample_size=226,
                drugs=["esketamine"], routes=["intranasal"],
                conditions=["suicidal-ideation", "depression"]),
        Study(source="clinicaltrials", source_id="NCT04000001", nct_ids=["NCT04000001"],
              title="A Study of Esketamine in Adults With Suicidal Ideation",
              design="trial-registration", pub_date="2020-01-05", sample_size=230,
              drugs=["esketamine"], routes=["intranasal"], conditions=["suicidal-ideation"],
              human=True, trial={"status": "RECRUITING", "enrollment": 230,
                                 "has_results": False, "last_update": "2020-01-05",
                                 "phases": ["PHASE3"]}),
        _pubmed("30000007", doi="10.1016/j.psychres.2017.1", title="Ketamine in depression: a "
                "narrative review", abstract="We review ketamine's antidepressant mechanisms.",
                journal="Psychiatry Research", pub_date="2017-11-01", authors=["Zarate C"],
                design="review", drugs=["ketamine"], conditions=["depression"]),
    ]
    second = [
        Study(source="medrxiv", source_id="10.1101/2024.02.01.24302001",
              preprint_dois=["10.1101/2024.02.01.24302001"], preprint=True,
              title="Oral arketamine for depression: an open-label pilot trial",
              abstract="Oral arketamine was well tolerated in 40 adults with depression.",
              journal="medRxiv", pub_date="2024-02-01", authors=["Wong L", "Ito S"],
              design="clinical-trial", sample_size=40, drugs=["arketamine"], routes=["oral"],
              conditions=["depression"], human=True,
              versions=[{"kind": "preprint", "doi": "10.1101/2024.02.01.24302001",
                         "date": "2024-02-01", "version": "1"}]),
        _pubmed("30000008", doi="10.1016/j.biopsych.2020.8", title="Ketamine for posttraumatic "
                "stress disorder: a randomized controlled trial",
                abstract="Repeated ketamine infusions reduced PTSD symptom severity.",
                journal="Biological Psychiatry", pub_date="2020-08-01", authors=["Feder A"],
                design="rct", sample_size=30, drugs=["ketamine"], routes=["iv"],
                conditions=["ptsd"]),
        _pubmed("30000009", doi="10.1016/j.jad.2022.9", title="Esketamine in bipolar depression: "
                "a systematic review", abstract="Systematic review of esketamine in bipolar depression.",
                journal="Journal of Affective Disorders", pub_date="2022-04-01",
                authors=["Rossi F", "Bianchi G"], design="systematic-review",
                drugs=["esketamine"], conditions=["bipolar-depression"]),
        _pubmed("30000010", doi="10.1177/0269881120.10", title="Sublingual ketamine for anxiety: "
                "an open clinical trial", abstract="Sublingual ketamine lozenges for generalized "
                "anxiety disorder.", journal="Journal of Psychopharmacology",
                pub_date="2020-03-01", authors=["Glue P"], design="clinical-trial",
                sample_size=12, drugs=["ketamine"], routes=["sublingual"],
                conditions=["anxiety"], corrected=False),
    ]
    return [("2024-05-01T10:00:00Z", first), ("2024-06-01T10:00:00Z", second)]


def make_config(home: Path, **overrides) -> Config:
    """A Config in ``home`` with a secret key and a base URL; nothing from the environment."""
    values = {"secret_key": SECRET, "base_url": BASE_URL}
    values.update(overrides)
    return load_config(home=home, env={}).with_overrides(**values)


def ingest_corpus(config: Config, extra: list[Study] | None = None) -> None:
    """Ingest the corpus (and ``extra`` studies) into the store of ``config``.

    After the main batches it marks the PTSD trial retracted (Crossref style), publishes a
    correction of the anxiety trial and changes the registered trial's status (events), so the
    pages have all of these to show.
    """
    with open_store(config) as store:
        for stamp, studies in corpus_batches():
            store.ingest([(s, None) for s in studies], now=stamp)
        store.add_marks([{"kind": "doi", "value": "10.1016/j.biopsych.2020.8", "mark": "retracted",
                          "by_source": "crossref:10.1016/j.biopsych.2021.retraction",
                          "detail": {}}], now="2024-06-02T10:00:00Z")
        store.add_marks([{"kind": "doi", "value": "10.1177/0269881120.10", "mark": "corrected",
                          "by_source": "crossref:10.1177/0269881120.erratum", "detail": {}}],
                        now="2024-06-02T10:00:00Z")
        registration = next(s for s in corpus_batches()[0][1] if s.source == "clinicaltrials")
        registration.trial = dict(registration.trial or {}, status="COMPLETED", has_results=True,
                                  last_update="2024-05-20")
        store.ingest([(registration, None)], now="2024-06-03T10:00:00Z")
        if extra:
            store.ingest([(s, None) for s in extra], now="2024-06-04T10:00:00Z")


def build_corpus(home: Path, extra: list[Study] | None = None, **overrides) -> Config:
    """A Config in ``home`` whose store holds the corpus (plus ``extra``) and whose index is built."""
    from index.build import update_index

    config = make_config(home, **overrides)
    ingest_corpus(config, extra)
    with open_store(config) as store:
        update_index(config, store, rebuild=True)
    return config


def study_id_of(config: Config, kind: str, value: str) -> int:
    """The store id of the study holding an identifier."""
    with open_store(config) as store:
        found = store.find_study(kind, value)
        assert found is not None, (kind, value)
        return found.id
