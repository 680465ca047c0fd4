"""The hand-written tricky PubMed records (``tricky_pubmed.xml``) and their ground truth.

Generated records are regular; these are the odd ones real efetch answers contain: a book
chapter, a ``MedlineDate``, a season, a non-English title with a ``VernacularTitle``, a record with
no abstract and no authors, upper-case DOIs, an NCT number only in the abstract, registry numbers
of other registries, a retraction notice and the retracted article, an erratum pair, nested
inline markup, and more. Each sits on one line of the file so that its bytes are kept exactly.
"""

from __future__ import annotations

import functools
from datetime import date
from importlib import resources
from typing import Any

from lxml import etree

from ketawatch.errors import ParseError

#: PMIDs of the tricky records live below the generated range (which starts at 90,000,001)
TRICKY_PMID_RANGE = (89_990_000, 89_999_999)


@functools.cache
def _load() -> tuple[tuple[str, date, bytes], ...]:
    raw = resources.files("ketawatch.sample").joinpath("tricky_pubmed.xml").read_bytes()
    out = []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for line in raw.splitlines():
        line = line.strip()
        # as in real efetch output, the last record and the closing tag share a line
        line = line.removesuffix(b"</PubmedArticleSet>")
        if not (line.startswith(b"<PubmedArticle>") or line.startswith(b"<PubmedBookArticle>")):
            continue
        try:
            el = etree.fromstring(line, parser)
        except etree.XMLSyntaxError as exc:  # a broken package file is our bug, say where
            raise ParseError(f"tricky_pubmed.xml has a malformed record: {exc}") from exc
        pmid = el.findtext(".//PMID")
        entrez = el.find(".//History/PubMedPubDate[@PubStatus='entrez']")
        if not pmid or entrez is None:
            raise ParseError("tricky_pubmed.xml: every record needs a PMID and an entrez date")
        edat = date(int(entrez.findtext("Year")), int(entrez.findtext("Month")),
                    int(entrez.findtext("Day")))
        out.append((pmid, edat, line))
    return tuple(out)


def articles() -> list[tuple[str, date, bytes]]:
    """(pmid, entrez date, element bytes) of every tricky record, in file order."""
    return list(_load())


def truth() -> list[dict[str, Any]]:
    """Ground truth of the tricky records, in the shape ``generator.truth_of`` uses."""
    return [dict(t) for t in TRUTH]


def _t(sid: str, pmid: str, title: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "study_id": sid, "kind": "tricky", "relevant": True, "title": title, "pmid": pmid,
        "doi": None, "pmcid": None, "nct_ids": [], "preprint_dois": [], "europepmc_ids": [],
        "medrxiv_versions": 0, "sources": ["pubmed"], "conditions": [], "drugs": [],
        "routes": [], "design": "other", "human": True, "sample_size": None, "preprint": False,
        "retracted": False, "corrected": False, "expression_of_concern": False,
        "update_known_to": {}, "notice_for": None, "notice_for_pmid": None, "has_mesh": False,
        "language": "eng", "edat": None, "pub_year": None, "nct_in_databank": False,
        "nct_in_abstract": False, "trial": None,
    }
    base.update(kw)
    return base


TRUTH: list[dict[str, Any]] = [
    # MedlineDate, label-only sections, a study group, a second registry (EudraCT), a CommentIn
    # to a record outside the corpus
    _t("KWT01", "89990001", "Repeated intravenous ketamine infusions for treatment-resistant "
       "depression: a randomized, midazolam-controlled trial.", doi="10.5555/tricky.2019.001",
       nct_ids=["NCT09999901"], conditions=["trd"], drugs=["ketamine"], routes=["iv"],
       design="rct", sample_size=112, has_mesh=True, edat="2019-11-14", pub_year=2019,
       nct_in_databank=True),
    # a book chapter (PubmedBookArticle); "racemic ketamine" is named but not studied
    _t("KWT02", "89990002", "Esketamine", conditions=["trd"], drugs=["esketamine"],
       routes=["intranasal"], design="review", edat="2026-11-12", pub_year=2026),
    # Chinese article: bracketed title, VernacularTitle, ChiCTR registration, Print PubModel
    _t("KWT03", "89990003", "[Effect of intraoperative esketamine on postpartum depression after "
       "cesarean delivery: a randomized controlled trial].", doi="10.5555/tricky.2026.003",
       conditions=["depression"], drugs=["esketamine"], routes=["iv"], design="rct",
       sample_size=240, has_mesh=True, language="chi", edat="2026-10-30", pub_year=2026),
    # ahead of print, no abstract, no authors, "&amp;" in the title
    _t("KWT04", "89990004", "Esketamine & the clinic: intranasal dosing in real life.",
       doi="10.5555/tricky.2026.004", drugs=["esketamine"], routes=["intranasal"],
       design="editorial", edat="2026-11-19", pub_year=2026),
    # NCT number only in the abstract, written "NCT 09999902"; DOI in upper case; UNLABELLED
    _t("KWT05", "89990005", "Sublingual ketamine wafers for chronic posttraumatic stress disorder "
       "in veterans: an open-label pilot trial.", doi="10.5555/tricky.2026.005a",
       nct_ids=["NCT09999902"], conditions=["ptsd"], drugs=["ketamine"], routes=["sublingual"],
       design="clinical-trial", sample_size=32, edat="2026-11-03", pub_year=2026,
       nct_in_abstract=True),
    # "(R)-ketamine" only, nested inline markup, an animal study stating n per group
    _t("KWT06", "89990006", "(R)-Ketamine rescues depression-like behaviors and Ca2+ signaling "
       "deficits in Fkbp5-overexpressing mice.", doi="10.5555/tricky.2026.006",
       conditions=["depression"], drugs=["arketamine"], design="preclinical", human=False,
       has_mesh=True, edat="2026-07-21", pub_year=2026),
    # a retracted trial and its retraction notice
    _t("KWT07", "89990007", "Oral ketamine for obsessive-compulsive disorder: a randomized "
       "placebo-controlled trial.", doi="10.5555/tricky.2024.007", conditions=["ocd"],
       drugs=["ketamine"], routes=["oral"], design="rct", sample_size=84, retracted=True,
       update_known_to={"retraction": ["pubmed"]}, has_mesh=True, edat="2024-03-12",
       pub_year=2024),
    _t("KWT08", "89990008", "Retraction notice to \"Oral ketamine for obsessive-compulsive "
       "disorder: a randomized placebo-controlled trial\" [J Psychiatr Res 171 (2024) 88-95].",
       kind="tricky", doi="10.5555/tricky.2026.008", conditions=["ocd"], drugs=["ketamine"],
       routes=["oral"], human=None, notice_for="KWT07", notice_for_pmid="89990007",
       edat="2026-11-17", pub_year=2026),
    # an erratum and the corrected meta-analysis (pub types say only "Systematic Review")
    _t("KWT09", "89990009", "Correction: Ketamine and esketamine for suicidal ideation: a "
       "systematic review and meta-analysis of randomized controlled trials.",
       doi="10.5555/tricky.2025.009", pmcid="PMC89990009", conditions=["suicidal-ideation"],
       drugs=["ketamine", "esketamine"], design="erratum", human=None, notice_for="KWT10",
       notice_for_pmid="89990010", edat="2025-09-10", pub_year=2025),
    _t("KWT10", "89990010", "Ketamine and esketamine for suicidal ideation: a systematic review "
       "and meta-analysis of randomized controlled trials.", doi="10.5555/tricky.2025.010",
       pmcid="PMC89990010", conditions=["suicidal-ideation"], drugs=["ketamine", "esketamine"],
       routes=["iv", "intranasal"], design="meta-analysis", sample_size=1204, corrected=True,
       update_known_to={"correction": ["pubmed"]}, edat="2025-06-02", pub_year=2025),
    # two Language elements, a Spanish VernacularTitle, no DOI
    _t("KWT11", "89990011", "[Intramuscular ketamine for acute agitation in the emergency "
       "department: a retrospective cohort study].", conditions=["other"], drugs=["ketamine"],
       routes=["im"], design="observational", sample_size=1532, has_mesh=True, language="spa",
       edat="2026-04-08", pub_year=2026),
    # Season in PubDate, print only, no DOI; "depressive features" is not a depression study
    _t("KWT12", "89990012", "Subcutaneous ketamine for complex regional pain syndrome with "
       "depressive features in palliative care: a case report.", conditions=["chronic-pain"],
       drugs=["ketamine"], routes=["subcutaneous"], design="case-report", sample_size=1,
       has_mesh=True, edat="2021-05-20", pub_year=2021),
    # upper-case title, <b>/<u> markup, a ReferenceList carrying other records' ids
    _t("KWT13", "89990013", "ESKETAMINE NASAL SPRAY IN ADOLESCENTS WITH MAJOR DEPRESSIVE DISORDER "
       "AND SUICIDAL IDEATION: A SYSTEMATIC REVIEW.", doi="10.5555/tricky.2026.013",
       pmcid="PMC89990013", conditions=["depression", "suicidal-ideation"], drugs=["esketamine"],
       routes=["intranasal"], design="systematic-review", edat="2026-11-15", pub_year=2026),
    # ketamine as the anaesthetic of ECT; the sample size is written in words
    _t("KWT14", "89990014", "Ketamine versus propofol anaesthesia for electroconvulsive therapy in "
       "treatment-resistant depression: a randomised controlled trial.",
       doi="10.5555/tricky.2023.014", conditions=["trd"], drugs=["ketamine"], routes=["iv"],
       design="rct", sample_size=60, has_mesh=True, edat="2023-09-26", pub_year=2023),
]
