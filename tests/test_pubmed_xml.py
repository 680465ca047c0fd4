"""crawlers.pubmed_xml against every real PubMed efetch answer in shared/fixtures/real/pubmed."""

from __future__ import annotations

import re
import time

import pytest

from crawlers.pubmed_xml import medline_date, parse_efetch
from ketawatch.errors import ParseError

EFETCH_FILES = {
    "biopython_pubmed1.xml": ["12091962", "9997"],
    "biopython_pubmed2.xml": ["11748933", "11700088"],
    "biopython_pubmed4.xml": ["27797938"],
    "biopython_pubmed5.xml": ["28775130"],
    "biopython_pubmed6.xml": ["30108519"],
    "biopython_pubmed7.xml": ["29963580"],
    "meta_harness_efetch_esketamine_3articles.xml": ["31166571", "31290965", "32316080"],
    "metapub_efetch_pmid_11618220.xml": ["11618220"],
    "metapub_efetch_pmid_20301577.xml": ["20301577"],
    "metapub_efetch_pmid_23435529.xml": ["23435529"],
    "metapub_efetch_pmid_34529508.xml": ["34529508"],
    "metapub_efetch_pmid_34843274.xml": ["34843274"],
    "metapub_efetch_pmid_36987902.xml": ["36987902"],
    "metapub_efetch_pmid_37693885.xml": ["37693885"],
    "metapub_efetch_pmid_37909814.xml": [],
    "metapub_efetch_pmid_38011560.xml": ["38011560"],
    "metapub_efetch_pmid_38048813.xml": ["38048813"],
    "metapub_efetch_pmid_38147649.xml": ["38147649"],
    "metapub_efetch_pmid_38534005.xml": ["38534005"],
    "metapub_efetch_pmid_38833988.xml": ["38833988"],
    "metapub_efetch_pmid_38962805.xml": ["38962805"],
}
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*[^>]*>")


@pytest.fixture(scope="module")
def pubmed_dir(real_fixtures):
    return real_fixtures / "pubmed"


def parse_file(pubmed_dir, name):
    records, errors = parse_efetch((pubmed_dir / name).read_bytes())
    assert errors == []
    return records


def one(pubmed_dir, name):
    records = parse_file(pubmed_dir, name)
    assert len(records) == 1
    return records[0][0]


def test_every_efetch_fixture_is_listed(pubmed_dir):
    on_disk = {p.name for p in pubmed_dir.glob("*.xml")
               if p.name.startswith(("biopython_pubmed", "metapub_efetch_pmid_", "meta_harness"))}
    assert on_disk == set(EFETCH_FILES)


@pytest.mark.parametrize("name", sorted(EFETCH_FILES))
def test_every_file_gives_its_pmids_and_common_fields(pubmed_dir, name):
    records = parse_file(pubmed_dir, name)
    assert [study.pmid for study, _ in records] == EFETCH_FILES[name]
    for study, raw in records:
        assert study.source == "pubmed" and study.source_id == study.pmid
        assert study.url == f"https://pubmed.ncbi.nlm.nih.gov/{study.pmid}/"
        assert study.title and not _TAG.search(study.title)
        assert not _TAG.search(study.abstract)
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", study.pub_date)
        assert study.language and study.journal
        assert study.doi is None or study.doi == study.doi.lower()
        assert study.extras["edat"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", study.extras["edat"])
        # the raw record is exactly that article, re-parsable on its own
        assert raw.startswith(("<PubmedArticle>", "<PubmedBookArticle>"))
        again, errors = parse_efetch(f"<PubmedArticleSet>{raw}</PubmedArticleSet>".encode())
        assert errors == [] and again[0][0] == study
        # tags are another module's job
        assert study.conditions == [] and study.drugs == [] and study.design == "other"


def test_pubmed1_review_without_abstract_and_season_date(pubmed_dir):
    records = parse_file(pubmed_dir, "biopython_pubmed1.xml")
    first, second = records[0][0], records[1][0]
    assert first.title == "The treatment of AIDS behind the walls of correctional facilities."
    assert first.abstract == "" and first.abstract_sections == []
    assert first.pub_date == "1990"  # <Year>1990</Year><Season>Spring</Season>
    assert first.authors == ["Olivero JM"]
    assert first.publication_types == ["Journal Article", "Review"]
    assert second.pub_date == "1976-09-28"
    assert second.abstract.startswith("Electron paramagnetic resonance")
    assert second.abstract_sections[0][0] == ""


def test_pubmed2_two_articles(pubmed_dir):
    studies = [s for s, _ in parse_file(pubmed_dir, "biopython_pubmed2.xml")]
    assert studies[0].journal == "Cryobiology" and studies[0].pub_date == "2001-06"
    assert studies[0].doi == "10.1006/cryo.2001.2328"
    assert studies[1].title == "Proton MRI of (13)C distribution by J and chemical shift editing."
    assert studies[1].extras["status"] == "PubMed-not-MEDLINE"


def test_pubmed4_labels_only_and_italic_title(pubmed_dir):
    study = one(pubmed_dir, "biopython_pubmed4.xml")
    assert study.title == ("Leucocyte telomere length, genetic variants at the TERT gene region "
                           "and risk of pancreatic cancer.")
    assert [label for label, _ in study.abstract_sections] == [
        "OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert "telomerase reverse transcriptase (TERT) gene region" in study.abstract
    assert study.abstract.startswith("OBJECTIVE: Telomere shortening")
    assert "\n\nDESIGN: " in study.abstract
    assert study.pmcid == "PMC5442267"
    assert study.comments_corrections[0]["type"] == "CommentIn"
    assert study.comments_corrections[0]["pmid"] == "27920200"
    assert study.corrected is False


def test_pubmed5_label_wins_over_nlm_category(pubmed_dir):
    study = one(pubmed_dir, "biopython_pubmed5.xml")
    # <AbstractText Label="OBJECTIVES" NlmCategory="OBJECTIVE">
    assert [label for label, _ in study.abstract_sections] == [
        "OBJECTIVES", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert study.extras["status"] == "In-Data-Review"
    assert "agriculture" in study.keywords


def test_nlm_category_used_when_no_label():
    xml = b"""<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
    <Journal><Title>J</Title><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>
    </Journal><ArticleTitle>T.</ArticleTitle><Abstract>
    <AbstractText NlmCategory="METHODS">m</AbstractText>
    <AbstractText NlmCategory="UNASSIGNED">u</AbstractText></Abstract>
    <Language>eng</Language></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    (study, _), = parse_efetch(xml)[0]
    assert study.abstract_sections == [["METHODS", "m"], ["", "u"]]
    assert study.abstract == "METHODS: m\n\nu"


def test_pubmed6_html_and_mathml_become_text(pubmed_dir):
    study = one(pubmed_dir, "biopython_pubmed6.xml")
    assert study.title == ('A "Blood Relationship" Between the Overlooked Minimum Lactate '
                           "Equivalent and Maximal Lactate Steady State in Trained Runners. "
                           "Back to the Old Days?")
    assert "(LEmin)" in study.abstract  # LE<sub>min</sub>
    assert "maximal oxygen uptake ( V.O2max ) 67.6" in study.abstract  # MathML msub/mover
    assert "(P < 0.001; ES: 3.54)" in study.abstract  # &lt; decoded, <i>P</i> flattened
    assert "mml" not in study.abstract and "  " not in study.abstract


def test_pubmed7_mathml_prescripts_and_collective_name(pubmed_dir):
    study = one(pubmed_dir, "biopython_pubmed7.xml")
    assert "inhaled 3He/129Xe\u2009MRI ventilation" in study.abstract
    assert "ultrashort echo-time 1H\u2009MRI proton density" in study.abstract
    assert study.authors[-1] == "Canadian Respiratory Research Network"
    assert study.authors[0] == "Guo F"
    assert study.pub_date == "2018-04"


def test_esketamine_trials(pubmed_dir):
    studies = [s for s, _ in parse_file(pubmed_dir,
                                        "meta_harness_efetch_esketamine_3articles.xml")]
    assert [s.pmid for s in studies] == ["31166571", "31290965", "32316080"]
    assert [s.nct_ids for s in studies] == [["NCT02493868"], ["NCT02417064"], ["NCT02497287"]]
    assert [s.doi for s in studies] == ["10.1001/jamapsychiatry.2019.1189",
                                        "10.1093/ijnp/pyz039", "10.4088/jcp.19m12891"]
    assert [s.pmcid for s in studies] == ["PMC6551577", "PMC6822141", None]
    assert [s.pub_date for s in studies] == ["2019-09-01", "2019-10-01", "2020-04-28"]
    assert [s.extras["edat"] for s in studies] == ["2019-06-06", "2019-07-11", "2020-04-22"]
    sustain1, transform1, sustain2 = studies
    for study in studies:
        assert {"Ketamine", "Esketamine", "Depressive Disorder, Treatment-Resistant",
                "Administration, Intranasal"} <= set(study.mesh)
        assert "Randomized Controlled Trial" in study.publication_types or study is sustain2
    assert sustain1.journal == "JAMA psychiatry"
    assert sustain1.authors[:2] == ["Daly EJ", "Trivedi MH"]
    assert [label for label, _ in sustain1.abstract_sections][-1] == "TRIAL REGISTRATION"
    # numeric character references decoded, thin spaces kept as such
    assert "log-rank P\u2009=\u2009.003" in sustain1.abstract
    assert "Eligible patients (N\u2009=\u2009346)" in transform1.abstract
    assert "Bitter I" in sustain1.authors  # ForeName Istv&#xe1;n
    assert "Gda\u0144sk" in (raw_of(pubmed_dir, "31166571") or "")
    assert transform1.keywords == ["esketamine", "ketamine", "s-ketamine",
                                   "treatment-resistant depression"]
    assert sustain2.extras["grant_count"] == 1
    assert sustain2.extras["publication_status"] == "epublish"


def raw_of(pubmed_dir, pmid):
    for study, raw in parse_file(pubmed_dir, "meta_harness_efetch_esketamine_3articles.xml"):
        if study.pmid == pmid:
            return raw
    return None


def test_book_article(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_20301577.xml")
    assert study.title == "CACNA1C-Related Disorders"
    assert study.journal == "GeneReviews\u00ae"  # BookTitle with <sup>&#xae;</sup>
    assert study.authors == ["Napolitano C", "Priori SG"]  # not the series editors
    assert study.pub_date == "2006-02-15"  # ContributionDate, not the series' 1993
    assert study.publication_types == ["Review"]
    assert [label for label, _ in study.abstract_sections] == [
        "CLINICAL CHARACTERISTICS", "DIAGNOSIS/TESTING", "MANAGEMENT", "GENETIC COUNSELING"]
    assert "Copyright" not in study.abstract
    assert study.keywords.count("Timothy Syndrome") == 1
    assert study.extras["book"] is True and study.extras["book_accession"] == "NBK1403"
    assert study.extras["edat"] == "2024-12-19"


def test_collective_names(pubmed_dir):
    assert one(pubmed_dir, "metapub_efetch_pmid_34843274.xml").authors == [
        "Guideline Development Panel for the Treatment of Depressive Disorders"]
    tax = one(pubmed_dir, "metapub_efetch_pmid_23435529.xml")
    assert "TAX 325 Study Group" in tax.authors
    assert [label for label, _ in tax.abstract_sections][0] == "PURPOSE"
    assert "Randomized Controlled Trial" in tax.publication_types


def test_german_editorial_with_translated_title(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_38048813.xml")
    assert study.title == "A Broader Scope - Bio-Psycho-Social Medicine In Global Focus."
    assert study.vernacular_title == "A Broader Scope \u2013 Bio-psycho-soziale Medizin im globalen Fokus."
    assert study.extras["title_translated"] is True
    assert study.language == "ger"
    assert study.abstract == ""
    assert study.doi == "10.1055/a-2189-0166"  # from ELocationID and ArticleIdList alike
    assert study.publication_types == ["Editorial"]


def test_norwegian_vernacular_title_and_first_language(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_36987902.xml")
    assert study.language == "eng"  # <Language>eng</Language><Language>nor</Language>
    assert study.vernacular_title.startswith("Pasienter over 75\u00a0\u00e5r")
    assert "Bruserud \u00d8" in study.authors
    assert "extras" not in study.title


@pytest.mark.parametrize("name, refers_to", [
    ("metapub_efetch_pmid_38833988.xml", ("33279609", "10.1016/j.bbamcr.2020.118918")),
    ("metapub_efetch_pmid_38962805.xml", ("38446048", "10.1080/09540121.2024.2308745")),
])
def test_published_errata(pubmed_dir, name, refers_to):
    study = one(pubmed_dir, name)
    assert "Published Erratum" in study.publication_types
    assert study.comments_corrections == [{
        "type": "ErratumFor", "pmid": refers_to[0], "doi": refers_to[1],
        "text": study.comments_corrections[0]["text"]}]
    assert refers_to[1] in study.comments_corrections[0]["text"].lower()
    assert study.corrected is False and study.retracted is False
    assert study.abstract == ""


def test_erratum_in_marks_corrected(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_38147649.xml")
    assert study.corrected is True and study.retracted is False
    assert study.comments_corrections == [{
        "type": "ErratumIn", "pmid": "39705317", "doi": "10.1073/pnas.2424381121",
        "text": "Proc Natl Acad Sci U S A. 2025 Jan 7;122(1):e2424381121. "
                "doi: 10.1073/pnas.2424381121."}]


def test_comment_on(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_34529508.xml")
    assert study.comments_corrections[0]["type"] == "CommentOn"
    assert study.comments_corrections[0]["doi"] == "10.2105/ajph.2021.306412"
    assert study.publication_types == ["Editorial", "Comment"]


def test_empty_article_set(pubmed_dir):
    assert parse_efetch((pubmed_dir / "metapub_efetch_pmid_37909814.xml").read_bytes()) == (
        [], [])


def test_historical_article_without_abstract(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_11618220.xml")
    assert study.abstract == "" and study.abstract_sections == []
    assert study.pub_date == "1987"
    assert study.authors == ["McMahon K"]
    assert study.doi == "10.1163/156853287x00032"
    assert "Historical Article" in study.publication_types


def test_ketamine_review(pubmed_dir):
    study = one(pubmed_dir, "metapub_efetch_pmid_38011560.xml")
    assert study.title.startswith("Ketamine and the neurobiology of depression")
    assert study.authors[0] == "Krystal JH"
    assert "Ketamine" in study.mesh and "Review" in study.publication_types
    assert study.pub_date == "2023-12-05"
    # the long ReferenceList's ids are not the article's
    assert study.doi == "10.1073/pnas.2305772120" and study.pmcid == "PMC10710048"


def _article(pub_date: str, extra: str = "") -> bytes:
    return (f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><Article>"
            f"<Journal><JournalIssue><PubDate>{pub_date}</PubDate></JournalIssue>"
            f"<ISOAbbreviation>J Abbr</ISOAbbreviation></Journal><ArticleTitle>T.</ArticleTitle>"
            f"{extra}</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>").encode()


@pytest.mark.parametrize("pub_date, expected", [
    ("<MedlineDate>1998 Dec-1999 Jan</MedlineDate>", "1998-12"),
    ("<MedlineDate>2000 Spring</MedlineDate>", "2000"),
    ("<MedlineDate>1999 Jul 15-31</MedlineDate>", "1999-07-15"),
    ("<MedlineDate>1975-1976</MedlineDate>", "1975"),
    ("<Year>2021</Year><Month>02</Month><Day>30</Day>", "2021-02"),  # no such day
    ("<Year>2021</Year><Month>Sept</Month>", "2021-09"),
])
def test_pub_date_forms(pub_date, expected):
    (study, _), = parse_efetch(_article(pub_date))[0]
    assert study.pub_date == expected
    assert study.journal == "J Abbr"  # no Journal/Title: the ISO abbreviation


def test_article_date_when_no_pub_date():
    xml = _article("", '<ArticleDate DateType="Electronic"><Year>2024</Year><Month>03</Month>'
                       "<Day>09</Day></ArticleDate>")
    (study, _), = parse_efetch(xml)[0]
    assert study.pub_date == "2024-03-09"


def test_medline_date_helper():
    assert medline_date("1998 Dec-1999 Jan") == "1998-12"
    assert medline_date("Winter 2001-2002") == "2001"
    assert medline_date("no date") is None


def test_retracted_and_nct_in_abstract():
    extra = ("<Abstract><AbstractText>Registered as NCT 01234567 and nct02345678.</AbstractText>"
             "</Abstract><PublicationTypeList><PublicationType>Retracted Publication"
             "</PublicationType></PublicationTypeList>")
    (study, _), = parse_efetch(_article("<Year>2020</Year>", extra))[0]
    assert study.retracted is True
    assert study.nct_ids == ["NCT01234567", "NCT02345678"]


def test_one_bad_article_does_not_lose_the_others(pubmed_dir):
    good = (pubmed_dir / "metapub_efetch_pmid_11618220.xml").read_bytes()
    broken = b"<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>"
    data = good.replace(b"<PubmedArticleSet>", b"<PubmedArticleSet>" + broken)
    records, errors = parse_efetch(data)
    assert [s.pmid for s, _ in records] == ["11618220"]
    assert len(errors) == 1 and isinstance(errors[0], ParseError)
    assert errors[0].source == "pubmed" and "#1" in str(errors[0])


@pytest.mark.parametrize("data", [
    b"",
    b"<PubmedArticleSet><PubmedArticle>",
    b"not xml at all",
    b"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle></PubmedArticleSet>",
])
def test_malformed_xml_raises(data):
    with pytest.raises(ParseError) as info:
        parse_efetch(data)
    assert info.value.source == "pubmed"


def test_truncated_real_answer_raises(pubmed_dir):
    data = (pubmed_dir / "meta_harness_efetch_esketamine_3articles.xml").read_bytes()
    with pytest.raises(ParseError):
        parse_efetch(data[: len(data) // 2])


def test_eutils_error_answer_raises():
    body = (b'<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n\t<ERROR>Cannot retrieve '
            b"history data. query_key: 1, WebEnv: MCID_x, retstart: 0, retmax: 3</ERROR>\n"
            b"</eFetchResult>")
    with pytest.raises(ParseError, match="Cannot retrieve history data"):
        parse_efetch(body)


def test_external_entity_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM '
           f'"file://{secret}">]>').encode() + _article("<Year>2020</Year>").replace(
        b"<ArticleTitle>T.</ArticleTitle>", b"<ArticleTitle>A &xxe; B</ArticleTitle>")
    try:
        records, _ = parse_efetch(xml)
    except ParseError:
        return  # refusing the document is as good as not reading the file
    assert "TOP-SECRET" not in records[0][0].title
    assert "TOP-SECRET" not in records[0][1]


def test_billion_laughs_is_not_expanded():
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY lol0 "lol">{lol}]>'
           ).encode() + _article("<Year>2020</Year>").replace(
        b"<ArticleTitle>T.</ArticleTitle>", b"<ArticleTitle>x &lol9; y</ArticleTitle>")
    started = time.perf_counter()
    try:
        records, _ = parse_efetch(xml)
        assert len(records[0][0].title) < 100
    except ParseError:
        pass
    assert time.perf_counter() - started < 2


def test_remote_dtd_is_never_fetched():
    # A DOCTYPE naming an unreachable DTD parses at once, with character references decoded.
    xml = (b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD x//EN" '
           b'"http://192.0.2.1/never.dtd">\n') + _article("<Year>2020</Year>").replace(
        b"<ArticleTitle>T.</ArticleTitle>", b"<ArticleTitle>P&#x2009;=&#x2009;.01</ArticleTitle>")
    started = time.perf_counter()
    (study, _), = parse_efetch(xml)[0]
    assert study.title == "P\u2009=\u2009.01"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("name", [
    "biopython_esearch1.xml", "biopython_esearch2.xml", "biopython_esearch8.xml",
    "biopython_elink1.xml", "biopython_efetch_pmc.xml", "biopython_esummary1.xml",
    "biopython_espell.xml", "metapub_medgen_elink_pubmed_0_entries.xml",
])
def test_other_eutils_answers_are_refused(pubmed_dir, name):
    # Decision: an answer that is not a PubmedArticleSet is an error, never "no records",
    # so that a wrong endpoint or a PMC answer cannot pass for an empty week.
    with pytest.raises(ParseError, match="not a PubMed efetch answer"):
        parse_efetch((pubmed_dir / name).read_bytes())


@pytest.mark.parametrize("name, message", [
    ("biopython_esummary8.xml", "Neither query_key nor id specified"),
    ("biopython_epost2.xml", "Invalid db name specified"),
])
def test_other_error_answers_raise_with_their_message(pubmed_dir, name, message):
    with pytest.raises(ParseError, match=message):
        parse_efetch((pubmed_dir / name).read_bytes())
