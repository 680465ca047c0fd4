"""The built-in sample data: deterministic, scalable, in every source's real wire format."""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from ketawatch import vocabulary
from ketawatch.errors import UsageError
from ketawatch.model import normalize_doi, normalize_nct
from ketawatch.sample import SampleArticle, SampleCorpus, generate, second_snapshot
from ketawatch.sample.vocab import SAMPLE_MARK

PARSER = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)

#: keys the real API has that the recorded fixtures happen not to show (documented in the
#: renderers): registration acronyms and results dates; Europe PMC preprint and group fields
CT_EXTRA_KEYS = {"/protocolSection/identificationModule/acronym",
                 "/protocolSection/statusModule/resultsFirstSubmitDate",
                 "/protocolSection/statusModule/resultsFirstSubmitQcDate",
                 "/protocolSection/statusModule/resultsFirstPostDateStruct",
                 "/protocolSection/statusModule/resultsFirstPostDateStruct/date",
                 "/protocolSection/statusModule/resultsFirstPostDateStruct/type"}
EPMC_EXTRA_KEYS = {"/bookOrReportDetails", "/bookOrReportDetails/publisher",
                   "/bookOrReportDetails/yearOfPublication", "/versionNumber",
                   "/authorList/author[]/collectiveName"}


@pytest.fixture(scope="module")
def corpus() -> SampleCorpus:
    return generate(200)


@pytest.fixture(scope="module")
def later(corpus) -> SampleCorpus:
    return second_snapshot(corpus, seed=7)


@pytest.fixture(scope="module")
def fixtures_dir(request) -> Path:
    try:
        return request.getfixturevalue("real_fixtures")
    except pytest.FixtureLookupError:
        return Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


def key_paths(obj, prefix: str = "") -> set[str]:
    """'/a/b', '/a/list[]/c' paths of every key in a JSON value."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(f"{prefix}/{k}")
            out |= key_paths(v, f"{prefix}/{k}")
    elif isinstance(obj, list):
        for v in obj:
            out |= key_paths(v, prefix + "[]")
    return out


def _json_bytes(c: SampleCorpus) -> bytes:
    return json.dumps([c.clinicaltrials, c.medrxiv, c.europepmc, c.crossref, c.truth, c.events],
                      sort_keys=True, default=str).encode()


def _article_text(xml: bytes) -> str:
    el = etree.fromstring(xml, PARSER)
    parts = ["".join(t.itertext()) for t in el.iter("ArticleTitle", "AbstractText", "Keyword")]
    return " ".join(parts)


# -- determinism and size ------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(corpus):
    again = generate(200)
    assert again.efetch_document(again.pubmed) == corpus.efetch_document(corpus.pubmed)
    assert _json_bytes(again) == _json_bytes(corpus)


def test_another_seed_gives_another_world(corpus):
    other = generate(200, seed=1)
    assert other.efetch_document(other.pubmed) != corpus.efetch_document(corpus.pubmed)
    assert [t["title"] for t in other.truth] != [t["title"] for t in corpus.truth]


@pytest.mark.parametrize("size", [0, 1, 10, 60, 149, 150, 400])
def test_size_is_the_number_of_underlying_studies(size):
    c = generate(size)
    drawn = [t for t in c.truth if t["kind"] not in ("noise", "tricky")]
    assert len(drawn) == size
    tricky = [t for t in c.truth if t["kind"] == "tricky"]
    assert (len(tricky) > 0) == (size >= 150)
    pmids = [a.pmid for a in c.pubmed]
    assert len(pmids) == len(set(pmids))
    assert pmids == sorted(pmids, key=int)
    # most studies are PubMed articles
    assert sum(1 for t in drawn if t["pmid"]) >= 0.75 * size


def test_negative_size_is_refused():
    with pytest.raises(UsageError):
        generate(-1)


def test_end_date_moves_the_whole_timeline():
    c = generate(80, end_date=date(2024, 6, 30))
    assert max(a.edat for a in c.pubmed) <= date(2024, 6, 30)
    assert max(r["date"] for r in c.medrxiv) <= "2024-06-30"


def test_ten_thousand_studies_render_quickly():
    started = time.monotonic()
    c = generate(10_000)
    document = c.efetch_document(c.pubmed)
    elapsed = time.monotonic() - started
    assert len(c.pubmed) > 8_000 and len(document) > 30_000_000
    assert elapsed < 30, f"generate(10_000) plus rendering took {elapsed:.1f}s"


# -- PubMed ---------------------------------------------------------------------------------------

def test_efetch_document_is_well_formed_with_the_real_doctype(corpus, fixtures_dir):
    doc = corpus.efetch_document(corpus.pubmed)
    real = (fixtures_dir / "pubmed" / "metapub_efetch_pmid_38048813.xml").read_bytes()
    assert doc.split(b"<PubmedArticleSet>")[0] == real.split(b"<PubmedArticleSet>")[0]
    root = etree.fromstring(doc, PARSER)
    assert root.tag == "PubmedArticleSet"
    assert len(root) == len(corpus.pubmed) >= 150


def test_every_article_has_pmid_title_and_entrez_date_matching_its_tuple(corpus):
    for article in corpus.pubmed:
        pmid, edat, xml = article
        el = etree.fromstring(xml, PARSER)
        assert el.tag in ("PubmedArticle", "PubmedBookArticle")
        assert el.findtext(".//PMID") == pmid
        assert (el.findtext(".//ArticleTitle") or "").strip() or el.find(".//ArticleTitle") is not None
        entrez = el.find(".//History/PubMedPubDate[@PubStatus='entrez']")
        assert date(int(entrez.findtext("Year")), int(entrez.findtext("Month")),
                    int(entrez.findtext("Day"))) == edat
        assert xml.isascii(), pmid  # non-ASCII travels as character references, as in efetch


def test_corpus_validates_against_the_2025_pubmed_dtd(corpus):
    entrez = pytest.importorskip("Bio.Entrez")
    dtd_path = Path(entrez.__file__).parent / "DTDs" / "pubmed_250101.dtd"
    if not dtd_path.exists():
        pytest.skip("Biopython ships no pubmed_250101.dtd here")
    dtd = etree.DTD(str(dtd_path))
    root = etree.fromstring(corpus.efetch_document(corpus.pubmed), PARSER)
    assert dtd.validate(root), dtd.error_log.filter_from_errors()[:5]


def test_biopython_reads_the_efetch_document(corpus):
    entrez = pytest.importorskip("Bio.Entrez")
    records = entrez.read(io.BytesIO(corpus.efetch_document(corpus.pubmed)))
    assert len(records["PubmedArticle"]) + len(records["PubmedBookArticle"]) == len(corpus.pubmed)


def test_pubmed_records_show_the_variety_of_real_efetch(corpus):
    docs = b"".join(a.xml for a in corpus.pubmed)
    for needle in (b"<MedlineDate>", b"<CollectiveName>", b"<VernacularTitle>", b"<i>",
                   b"<sup>", b'NlmCategory="', b'RefType="RetractionOf"', b'RefType="RetractionIn"',
                   b'RefType="ErratumFor"', b'RefType="ErratumIn"', b"Retracted Publication",
                   b"Retraction of Publication", b"Published Erratum", b"<DataBankList",
                   b'IdType="pmc"', b"<PubmedBookArticle>", b'Status="PubMed-not-MEDLINE"',
                   b'Status="In-Data-Review"', b"<KeywordList", b"<ReferenceList>", b"&#x"):
        assert needle in docs, needle
    with_mesh = sum(1 for a in corpus.pubmed if b"<MeshHeadingList>" in a.xml)
    assert 0.55 <= with_mesh / len(corpus.pubmed) <= 0.85
    # the newest records are the ones not yet indexed
    newest = sorted(corpus.pubmed, key=lambda a: a.edat)[-10:]
    assert sum(1 for a in newest if b"<MeshHeadingList>" in a.xml) <= 2


def test_recent_weeks_have_records(corpus):
    for week in range(4):
        start = corpus.end_date.toordinal() - 7 * (week + 1)
        assert any(start < a.edat.toordinal() <= start + 7 for a in corpus.pubmed), week


# -- JSON shapes against the real fixtures --------------------------------------------------------

def test_medrxiv_records_have_exactly_the_real_key_set_and_types(corpus, fixtures_dir):
    real = json.loads((fixtures_dir / "biorxiv" /
                       "masonberger4_X_details_biorxiv_cancer_biology_interval.json").read_text())
    real_keys = list(real["collection"][0])
    for record in corpus.medrxiv:
        assert list(record) == real_keys
        for key, value in record.items():
            if key == "funder":
                assert value == "NA" or isinstance(value, list)
            else:
                assert isinstance(value, str), key
        assert record["server"] == "medRxiv" and record["doi"].startswith("10.1101/")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["date"])
        assert record["published"] == "NA" or record["published"].startswith("10.")


def test_clinicaltrials_records_use_the_real_v2_keys(corpus, fixtures_dir):
    real: set[str] = set()
    required: set[str] | None = None
    for path in (fixtures_dir / "clinicaltrials").glob("*.json"):
        data = json.loads(path.read_text())
        for study in data.get("studies", [data]):
            paths = key_paths(study)
            real |= paths
            required = paths if required is None else required & paths
    assert required
    for study in corpus.clinicaltrials:
        paths = key_paths(study)
        assert paths - real <= CT_EXTRA_KEYS, paths - real - CT_EXTRA_KEYS
        assert required - paths == set(), required - paths
        enrollment = study["protocolSection"]["designModule"]["enrollmentInfo"]
        assert isinstance(enrollment["count"], int) and enrollment["type"] in ("ACTUAL", "ESTIMATED")
        assert isinstance(study["hasResults"], bool)


def test_europepmc_records_use_the_real_core_keys(corpus, fixtures_dir):
    real: set[str] = set()
    for name in ("pyeuropepmc_search_cancer_core.json", "europepmc_evidence_mcp_search_retracted_core.json"):
        for record in json.loads((fixtures_dir / "europepmc" / name).read_text())["resultList"]["result"]:
            real |= key_paths(record)
    for record in corpus.europepmc:
        paths = key_paths(record)
        assert paths - real <= EPMC_EXTRA_KEYS, paths - real - EPMC_EXTRA_KEYS
        assert isinstance(record["pubYear"], str) and isinstance(record["citedByCount"], int)
        if record["source"] == "MED":
            info = record["journalInfo"]
            assert isinstance(info["yearOfPublication"], int) and isinstance(info["monthOfPublication"], int)
            assert record["id"] == record["pmid"]
        else:
            assert record["id"].startswith("PPR") and record["pubTypeList"]["pubType"] == ["Preprint"]


def test_crossref_messages_have_the_modern_updated_by_shape(corpus):
    kinds = Counter()
    for doi, message in corpus.crossref.items():
        assert message["DOI"] == doi and message["type"] == "journal-article"
        for update in message["updated-by"]:
            kinds[update["type"]] += 1
            assert update["type"] in ("retraction", "correction", "expression_of_concern")
            assert update["DOI"].startswith("10.") and update["label"]
            assert update["source"] in ("retraction-watch", "publisher")
            parts = update["updated"]["date-parts"][0]
            assert len(parts) == 3 and all(isinstance(p, int) for p in parts)
    assert kinds["retraction"] and kinds["correction"] and kinds["expression_of_concern"]


# -- the sample is marked, its identifiers are not real ones --------------------------------------

def test_every_record_is_marked_as_sample_data(corpus):
    for article in corpus.pubmed:
        assert SAMPLE_MARK.encode() in article.xml, article.pmid
    for record in corpus.medrxiv:
        assert SAMPLE_MARK in record["author_corresponding_institution"]
    for study in corpus.clinicaltrials:
        assert study["protocolSection"]["descriptionModule"]["detailedDescription"].endswith(SAMPLE_MARK)
    for record in corpus.europepmc:
        assert SAMPLE_MARK in record["affiliation"]
    for message in corpus.crossref.values():
        assert message["assertion"][0]["value"] == SAMPLE_MARK


def test_identifiers_come_from_ranges_the_real_services_do_not_use(corpus):
    assert all(int(a.pmid) >= 89_990_000 for a in corpus.pubmed)
    for study in corpus.clinicaltrials:
        nct = study["protocolSection"]["identificationModule"]["nctId"]
        assert normalize_nct(nct) == nct and nct.startswith("NCT09")
    for t in corpus.truth:
        if t["doi"]:
            assert t["doi"].startswith(("10.5555/", "10.1101/")), t["doi"]
            assert normalize_doi(t["doi"]) == t["doi"]
        if t["pmcid"]:
            assert int(t["pmcid"][3:]) >= 89_990_000


# -- cross-source overlap --------------------------------------------------------------------------

def test_preprints_link_to_their_journal_articles(corpus):
    by_doi = {t["doi"]: t for t in corpus.truth if t["doi"]}
    preprints = {r["doi"]: r for r in corpus.medrxiv}
    published = [t for t in corpus.truth if "medrxiv" in t["sources"] and t["pmid"]]
    assert len(published) >= 0.08 * 200
    for t in published:
        (preprint_doi,) = [d for d in t["preprint_dois"] if d.startswith("10.1101/")]
        versions = [r for r in corpus.medrxiv if r["doi"] == preprint_doi]
        assert [r["version"] for r in versions] == [str(i + 1) for i in range(t["medrxiv_versions"])]
        assert all(r["published"] == t["doi"] for r in versions)
        assert max(r["date"] for r in versions) < t["edat"]
        assert by_doi[t["doi"]] is t
    unpublished = [t for t in corpus.truth if "medrxiv" in t["sources"] and not t["pmid"]
                   and t["relevant"]]
    assert unpublished and all(preprints[t["preprint_dois"][0]]["published"] == "NA"
                               for t in unpublished)
    assert any(int(r["version"]) > 1 for r in corpus.medrxiv)


def test_most_medrxiv_records_are_unrelated_noise(corpus):
    noise_dois = {d for t in corpus.truth if t["kind"] == "noise" for d in t["preprint_dois"]}
    share = sum(1 for r in corpus.medrxiv if r["doi"] in noise_dois) / len(corpus.medrxiv)
    assert 0.62 <= share <= 0.78
    for r in corpus.medrxiv:
        mentions = re.search(r"ketamine", r["title"] + r["abstract"], re.IGNORECASE)
        assert bool(mentions) != (r["doi"] in noise_dois), r["title"]


def test_registered_trials_are_cited_by_their_articles(corpus):
    articles = {a.pmid: a.xml for a in corpus.pubmed}
    studies = {s["protocolSection"]["identificationModule"]["nctId"]: s for s in corpus.clinicaltrials}
    linked = [t for t in corpus.truth if "clinicaltrials" in t["sources"] and t["pmid"]]
    assert len(linked) >= 0.05 * 200
    for t in linked:
        (nct,) = t["nct_ids"]
        xml = articles[t["pmid"]]
        in_databank = f"<AccessionNumber>{nct}</AccessionNumber>".encode() in xml
        in_abstract = nct in _article_text(xml)
        assert in_databank or in_abstract, t["pmid"]
        refs = studies[nct]["protocolSection"].get("referencesModule", {}).get("references", [])
        assert t["pmid"] in [r["pmid"] for r in refs]


def test_registrations_without_publications_cover_every_status(corpus):
    open_trials = [t for t in corpus.truth if t["kind"] == "registration"]
    assert all(t["design"] == "trial-registration" and not t["pmid"] for t in open_trials)
    statuses = Counter(s["protocolSection"]["statusModule"]["overallStatus"]
                       for s in corpus.clinicaltrials)
    assert {"RECRUITING", "COMPLETED"} <= set(statuses)
    for study in corpus.clinicaltrials:
        status = study["protocolSection"]["statusModule"]
        if status["overallStatus"] in ("TERMINATED", "WITHDRAWN"):
            assert status["whyStopped"]
        assert status["lastUpdatePostDateStruct"]["date"] <= corpus.end_date.isoformat()
        names = [i["name"] for i in study["protocolSection"]["armsInterventionsModule"]["interventions"]]
        assert any("ketamine" in n.lower() for n in names)


def test_retractions_and_errata_are_linked_across_sources(corpus):
    by_pmid = {a.pmid: etree.fromstring(a.xml, PARSER) for a in corpus.pubmed}
    notices = [t for t in corpus.truth if t["notice_for"] and t["kind"] != "tricky"]
    assert {"retraction-notice", "erratum"} <= {t["kind"] for t in notices}
    for t in notices:
        el = by_pmid[t["pmid"]]
        ref = "RetractionOf" if t["kind"] == "retraction-notice" else "ErratumFor"
        target = el.find(f".//CommentsCorrections[@RefType='{ref}']/PMID")
        assert target is not None and target.text == t["notice_for_pmid"]
        back = "RetractionIn" if ref == "RetractionOf" else "ErratumIn"
        original = by_pmid[t["notice_for_pmid"]]
        assert original.find(f".//CommentsCorrections[@RefType='{back}']/PMID").text == t["pmid"]
        if ref == "RetractionOf":
            types = [p.text for p in original.iter("PublicationType")]
            assert "Retracted Publication" in types
    epmc_retracted = [r for r in corpus.europepmc if "Retracted Publication" in r["pubTypeList"]["pubType"]]
    assert epmc_retracted
    pubmed_pmids = {t["pmid"] for t in corpus.truth if t["retracted"]}
    for record in epmc_retracted:
        assert record["pmid"] in pubmed_pmids
        assert record["commentCorrectionList"]["commentCorrection"][0]["type"] == "Retraction in"
    crossref_only = [t for t in corpus.truth if t["update_known_to"].get("retraction") == ["crossref"]]
    assert crossref_only and all(t["doi"] in corpus.crossref for t in crossref_only)


def test_europepmc_has_other_servers_mirrors_and_non_matching_records(corpus):
    publishers = {r["bookOrReportDetails"]["publisher"] for r in corpus.europepmc if r["source"] == "PPR"}
    assert publishers & {"Research Square", "SSRN", "PsyArXiv"}
    medrxiv_dois = {r["doi"] for r in corpus.medrxiv}
    mirrors = [r for r in corpus.europepmc if r["source"] == "PPR" and r["doi"] in medrxiv_dois]
    assert mirrors
    noise_ids = {i for t in corpus.truth if t["kind"] == "noise" for i in t["europepmc_ids"]}
    assert noise_ids and noise_ids <= {r["id"] for r in corpus.europepmc}


def test_every_vocabulary_value_appears_in_the_truth(corpus):
    seen = {k: set() for k in ("conditions", "drugs", "routes", "design")}
    for t in corpus.truth:
        for k in ("conditions", "drugs", "routes"):
            seen[k].update(t[k])
        seen["design"].add(t["design"])
    assert set(vocabulary.CONDITIONS) <= seen["conditions"]
    assert set(vocabulary.DRUGS) <= seen["drugs"]
    assert set(vocabulary.ROUTES) <= seen["routes"]
    assert set(vocabulary.DESIGNS) - {"other"} <= seen["design"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_vocabulary_is_covered_whatever_the_seed(seed):
    c = generate(200, seed=seed)
    values = {v for t in c.truth for k in ("conditions", "drugs", "routes") for v in t[k]}
    values |= {t["design"] for t in c.truth}
    wanted = set(vocabulary.CONDITIONS + vocabulary.DRUGS + vocabulary.ROUTES + vocabulary.DESIGNS)
    assert wanted - {"other"} <= values


def test_drug_mix_follows_the_brief():
    c = generate(2000)
    drawn = [t for t in c.truth if t["kind"] in ("article", "registration", "preprint")]
    first = Counter(t["drugs"][0] for t in drawn)
    assert 0.47 <= first["ketamine"] / len(drawn) <= 0.63
    assert 0.22 <= first["esketamine"] / len(drawn) <= 0.36
    assert 0.09 <= first["arketamine"] / len(drawn) <= 0.2


def test_texts_support_the_truth(corpus):
    """What the truth says about drugs and sample sizes can be read from the record itself."""
    by_pmid = {a.pmid: a.xml for a in corpus.pubmed}
    for t in corpus.truth:
        if t["kind"] != "article" or not t["pmid"]:
            continue
        text = _article_text(by_pmid[t["pmid"]]).lower()
        for drug in t["drugs"]:
            alias = "(r)-ketamine" if drug == "arketamine" else drug
            assert drug in text or alias in text, (t["pmid"], drug)
        if "esketamine" not in t["drugs"]:
            assert "esketamine" not in text, t["pmid"]
        if t["sample_size"] and t["design"] not in ("case-report",):
            written = {f"{t['sample_size']:,}", str(t["sample_size"])}
            assert any(w in text for w in written), (t["pmid"], t["sample_size"])
        if t["human"] is False:
            assert "mice" in text or "rats" in text or "rodent" in text


# -- the second snapshot ---------------------------------------------------------------------------

def test_second_snapshot_is_deterministic_and_leaves_the_first_alone(corpus, later):
    before = corpus.efetch_document(corpus.pubmed)
    again = second_snapshot(corpus, seed=7)
    assert _json_bytes(again) == _json_bytes(later)
    assert again.efetch_document(again.pubmed) == later.efetch_document(later.pubmed)
    assert corpus.efetch_document(corpus.pubmed) == before
    assert corpus.events == []


def test_second_snapshot_is_a_week_later_with_new_records(corpus, later):
    assert later.end_date.toordinal() - corpus.end_date.toordinal() == 7
    old = {a.pmid for a in corpus.pubmed}
    new = [a for a in later.pubmed if a.pmid not in old]
    assert 0.04 * len(corpus.pubmed) <= len(new) <= 0.1 * len(corpus.pubmed)
    assert all(corpus.end_date < a.edat <= later.end_date for a in new)
    assert min(int(a.pmid) for a in new) > max(int(p) for p in old)
    kept = {a.pmid: a.xml for a in later.pubmed}
    unchanged = sum(1 for a in corpus.pubmed if kept.get(a.pmid) == a.xml)
    assert unchanged >= 0.95 * len(corpus.pubmed)


def test_second_snapshot_events_match_the_records(corpus, later):
    kinds = Counter(e["type"] for e in later.events)
    assert {"trial_status_changed", "results_posted", "enrollment_changed",
            "preprint_published", "retracted", "new_study"} <= set(kinds)
    studies = {s["protocolSection"]["identificationModule"]["nctId"]: s for s in later.clinicaltrials}
    first = {s["protocolSection"]["identificationModule"]["nctId"]: s for s in corpus.clinicaltrials}
    for e in later.events:
        if e["type"] == "trial_status_changed":
            assert first[e["nct_id"]]["protocolSection"]["statusModule"]["overallStatus"] == e["from"]
            assert studies[e["nct_id"]]["protocolSection"]["statusModule"]["overallStatus"] == e["to"]
            updated = studies[e["nct_id"]]["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]
            assert updated["date"] > corpus.end_date.isoformat()
        elif e["type"] == "results_posted":
            assert studies[e["nct_id"]]["hasResults"] and not first[e["nct_id"]]["hasResults"]
        elif e["type"] == "preprint_published":
            records = [r for r in later.medrxiv if r["doi"] == e["preprint_doi"]]
            assert records and all(r["published"] == e["doi"] for r in records)
            assert any(a.pmid == e["pmid"] for a in later.pubmed)
        elif e["type"] == "retracted":
            kinds_now = [u["type"] for u in later.crossref[e["doi"]]["updated-by"]]
            assert "retraction" in kinds_now and e["doi"] not in corpus.crossref
    assert any(e["from"] == "RECRUITING" and e["to"] == "COMPLETED"
               for e in later.events if e["type"] == "trial_status_changed")


def test_second_snapshot_needs_a_generated_corpus(corpus):
    bare = SampleCorpus(pubmed=[], clinicaltrials=[], medrxiv=[], europepmc=[], crossref={},
                        truth=[], seed=1, size=0, end_date=date(2026, 1, 1))
    with pytest.raises(UsageError):
        second_snapshot(bare, seed=1)


# -- helpers ---------------------------------------------------------------------------------------

def test_write_to_writes_files_that_parse(corpus, tmp_path):
    written = corpus.write_to(tmp_path / "out")
    names = {p.name for p in written}
    assert {"pubmed.xml", "clinicaltrials.json", "medrxiv.json", "europepmc.json",
            "crossref.json", "truth.json"} <= names
    etree.fromstring((tmp_path / "out" / "pubmed.xml").read_bytes(), PARSER)
    truth = json.loads((tmp_path / "out" / "truth.json").read_text(encoding="utf-8"))
    assert len(truth) == len(corpus.truth)
    assert len(json.loads((tmp_path / "out" / "medrxiv.json").read_text())["collection"]) == len(corpus.medrxiv)


def test_sample_articles_unpack_like_tuples_and_render_once(corpus):
    article = corpus.pubmed[0]
    pmid, edat, xml = article
    assert (pmid, edat) == (article.pmid, article.edat) and xml is article.xml
    assert isinstance(article, SampleArticle) and corpus.article(pmid) is article
    single = SampleCorpus.efetch_document([xml])
    assert etree.fromstring(single, PARSER)[0].findtext(".//PMID") == pmid


def test_generation_leaves_the_garbage_collector_as_it_was():
    import gc

    gc.disable()
    try:
        generate(5)
        assert not gc.isenabled()
    finally:
        gc.enable()
    generate(5)
    assert gc.isenabled()


@pytest.mark.skipif(not os.environ.get("KETAWATCH_BIG_SAMPLE"),
                    reason="set KETAWATCH_BIG_SAMPLE=1 to time generate(100_000) (about 30 s)")
def test_hundred_thousand_studies_in_under_a_minute():
    started = time.monotonic()
    c = generate(100_000)
    assert len(c.pubmed) > 80_000
    assert time.monotonic() - started < 60
