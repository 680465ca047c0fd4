"""Links to the outside world, built only from identifiers and only to hosts we know.

Crawled records carry URLs of their own, but a crawled URL may use any scheme (``javascript:``
included) and point anywhere. Pages, feeds, exports and e-mails therefore never show a crawled
URL: they show links built here from validated identifiers (PMID, DOI, PMCID, NCT number,
preprint DOI) to PubMed, doi.org, ClinicalTrials.gov, medRxiv and Europe PMC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from ketawatch.model import Study, normalize_doi, normalize_nct, normalize_pmcid, normalize_pmid

#: the only hosts an external link may point at
KNOWN_HOSTS = ("pubmed.ncbi.nlm.nih.gov", "doi.org", "clinicaltrials.gov", "www.medrxiv.org",
               "europepmc.org")

# DOIs may hold almost any printable character; these are kept readable in a URL path
_DOI_SAFE = "/:;()._-"
_MEDRXIV_PREFIX = "10.1101/"
_PPR_RE = re.compile(r"^PPR\d+$")


@dataclass(frozen=True)
class Link:
    """One external link: what it is (``label``), the identifier shown, and the URL."""

    label: str
    identifier: str
    url: str


def pubmed_url(pmid: str | None) -> str | None:
    """The PubMed page of a PMID, or None when the PMID is not a plain number."""
    pmid = normalize_pmid(pmid)
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None


def doi_url(doi: str | None) -> str | None:
    """The doi.org resolver URL of a DOI (percent-encoded), or None for a bogus DOI."""
    doi = normalize_doi(doi)
    return f"https://doi.org/{quote(doi, safe=_DOI_SAFE)}" if doi else None


def trial_url(nct: str | None) -> str | None:
    """The ClinicalTrials.gov page of an NCT number, or None."""
    nct = normalize_nct(nct)
    return f"https://clinicaltrials.gov/study/{nct}" if nct else None


def medrxiv_url(doi: str | None) -> str | None:
    """The medRxiv page of a medRxiv/bioRxiv preprint DOI (``10.1101/...``), or None."""
    doi = normalize_doi(doi)
    if not doi or not doi.startswith(_MEDRXIV_PREFIX):
        return None
    return f"https://www.medrxiv.org/content/{quote(doi, safe=_DOI_SAFE)}"


def europepmc_url(*, pmid: str | None = None, pmcid: str | None = None,
                  ppr: str | None = None) -> str | None:
    """The Europe PMC page of a PMID, a PMCID or a Europe PMC preprint id (``PPR123``)."""
    if (pmid := normalize_pmid(pmid)):
        return f"https://europepmc.org/article/MED/{pmid}"
    if (pmcid := normalize_pmcid(pmcid)):
        return f"https://europepmc.org/article/PMC/{pmcid}"
    if ppr and _PPR_RE.match(ppr.strip().upper()):
        return f"https://europepmc.org/article/PPR/{ppr.strip().upper()}"
    return None


def _europepmc_preprint_ids(study: Study, sources: list[dict] | None) -> list[str]:
    ids = [str(s.get("source_id", "")) for s in (sources or []) if s.get("source") == "europepmc"]
    ids += [s.split(":", 1)[1] for s in study.extras.get("sources", [])
            if isinstance(s, str) and s.startswith("europepmc:")]
    return [i for i in dict.fromkeys(ids) if _PPR_RE.match(i.upper())]


def study_links(study: Study, sources: list[dict] | None = None) -> list[Link]:
    """Every external link of a study: PubMed, DOI, trial registrations, medRxiv, Europe PMC.

    ``sources`` (``StoredStudy.sources``) adds Europe PMC preprint pages. Each URL is built from
    an identifier that passed its normalizer, so it can only point at ``KNOWN_HOSTS``.
    """
    links: list[Link] = []
    if (url := pubmed_url(study.pmid)):
        links.append(Link("PubMed", f"PMID {study.pmid}", url))
    if (url := doi_url(study.doi)):
        links.append(Link("DOI", study.doi or "", url))
    for nct in study.nct_ids:
        if (url := trial_url(nct)):
            links.append(Link("ClinicalTrials.gov", normalize_nct(nct) or nct, url))
    for doi in study.preprint_dois:
        if (url := medrxiv_url(doi)):
            links.append(Link("medRxiv", doi, url))
        elif (url := doi_url(doi)):
            links.append(Link("Preprint DOI", doi, url))
    if (url := europepmc_url(pmid=study.pmid)):
        links.append(Link("Europe PMC", f"MED/{study.pmid}", url))
    elif (url := europepmc_url(pmcid=study.pmcid)):
        links.append(Link("Europe PMC", normalize_pmcid(study.pmcid) or "", url))
    for ppr in _europepmc_preprint_ids(study, sources):
        if (url := europepmc_url(ppr=ppr)):
            links.append(Link("Europe PMC", ppr.upper(), url))
    return links


def primary_url(study: Study) -> str | None:
    """The one best external URL of a study (PubMed, else DOI, else its preprint, else trial)."""
    return (pubmed_url(study.pmid) or doi_url(study.doi)
            or next((u for d in study.preprint_dois if (u := medrxiv_url(d) or doi_url(d))), None)
            or next((u for n in study.nct_ids if (u := trial_url(n))), None))
