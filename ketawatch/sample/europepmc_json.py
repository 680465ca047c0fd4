"""Render Europe PMC ``/search`` results (``resultType=core``, ``format=json``).

MED records mirror the real core fixture's key names and types: ``pubYear`` is a string,
``journalInfo.yearOfPublication`` and ``monthOfPublication`` are integers, flags are "Y"/"N",
structured abstracts use ``<h4>`` headings, retracted records carry "Retracted Publication" and a
"Retraction in" comment-correction. Preprints (``source`` "PPR") carry ``bookOrReportDetails``
with the server as publisher and a "Preprint" publication type. The sample-data mark sits in the
top-level ``affiliation``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ketawatch.sample import mesh, vocab
from ketawatch.sample.common import MONTH_ABBR, QUALIFIER_ABBR, authors_short, citation, stable
from ketawatch.sample.prose import strip_tags
from ketawatch.sample.pubmed_xml import chemicals
from ketawatch.sample.world import Author, NoiseRecord, WorldStudy


def _author_list(authors: list[Author], with_affiliation: bool = True) -> dict[str, Any]:
    out = []
    for a in authors:
        if a.collective:
            out.append({"collectiveName": a.collective})
            continue
        entry: dict[str, Any] = {"fullName": f"{a.last} {a.initials}", "firstName": a.fore,
                                 "lastName": a.last, "initials": a.initials}
        if a.orcid:
            entry["authorId"] = {"type": "ORCID", "value": a.orcid}
        if with_affiliation and a.affiliation:
            entry["authorAffiliationDetailsList"] = {"authorAffiliation": [{"affiliation": a.affiliation}]}
        out.append(entry)
    return {"author": out}


def _abstract(s: WorldStudy) -> str:
    chunks = []
    for label, _cat, text in s.sections:
        if label:
            chunks.append(f"<h4>{label.capitalize()}</h4>{text}")
        else:
            chunks.append(text)
    return "".join(chunks)


def _flags(key: str, pmcid: str | None, nct: bool) -> dict[str, Any]:
    return {
        "isOpenAccess": "Y" if pmcid else "N", "inEPMC": "Y" if pmcid else "N",
        "inPMC": "Y" if pmcid else "N", "hasPDF": "Y" if pmcid else "N", "hasBook": "N",
        "hasSuppl": "N", "citedByCount": stable(key, "cites", 60), "hasData": "N",
        "hasReferences": "Y" if stable(key, "refs", 2) else "N",
        "hasTextMinedTerms": "Y", "hasDbCrossReferences": "N", "hasLabsLinks": "Y" if pmcid else "N",
        **({"tmAccessionTypeList": {"accessionType": ["nct"]}} if nct else {}),
        "hasEvaluations": "N", "authMan": "N", "epmcAuthMan": "N", "nihAuthMan": "N",
        "hasTMAccessionNumbers": "Y" if nct else "N",
    }


def _journal_info(s: WorldStudy) -> dict[str, Any]:
    j = s.journal
    assert j is not None
    d = s.pub_date or s.edat or date(2024, 1, 1)
    info: dict[str, Any] = {}
    if s.issue:
        info["issue"] = s.issue
    if s.volume:
        info["volume"] = s.volume
    info["journalIssueId"] = 3_000_000 + stable(f"{j.slug}{d.year}{s.issue}", "issue", 900_000)
    info["dateOfPublication"] = f"{d.year} {MONTH_ABBR[d.month - 1]}" + (
        f" {d.day}" if s.date_style == "ymd" else "")
    info["monthOfPublication"] = d.month
    info["yearOfPublication"] = d.year
    info["printPublicationDate"] = (d.replace(day=1) if s.date_style != "ymd" else d).isoformat()
    journal: dict[str, Any] = {"title": j.title, "medlineAbbreviation": j.medline_ta,
                               "isoabbreviation": j.iso, "nlmid": j.nlm_id}
    if j.issn_print:
        journal["issn"] = j.issn_print
    if j.issn_electronic:
        journal["essn"] = j.issn_electronic
    info["journal"] = journal
    return info


def render_med(s: WorldStudy, by_sid: dict[str, WorldStudy]) -> dict[str, Any]:
    """The Europe PMC copy of a PubMed article (``source`` MED)."""
    assert s.pmid and s.edat and s.journal
    key = s.sid
    rec: dict[str, Any] = {"id": s.pmid, "source": "MED", "pmid": s.pmid}
    if s.pmcid:
        rec["pmcid"] = s.pmcid
    if s.doi:
        rec["doi"] = s.doi
    rec["title"] = s.title
    if s.authors:
        rec["authorString"] = authors_short(s.authors) + "."
        rec["authorList"] = _author_list(s.authors)
        ids = [{"type": "ORCID", "value": a.orcid} for a in s.authors if a.orcid]
        if ids:
            rec["authorIdList"] = {"authorId": ids}
    rec["journalInfo"] = _journal_info(s)
    rec["pubYear"] = str((s.pub_date or s.edat).year)
    if s.pages:
        rec["pageInfo"] = s.pages
    if s.sections:
        rec["abstractText"] = _abstract(s)
    first = next((a.affiliation for a in s.authors if a.affiliation), "")
    rec["affiliation"] = f"{first} {vocab.SAMPLE_MARK}".strip()
    rec["publicationStatus"] = ("aheadofprint" if s.status == "Publisher" else
                                "epublish" if s.journal.electronic_only else "ppublish")
    rec["language"] = s.language
    rec["pubModel"] = "Electronic" if s.journal.electronic_only else "Print-Electronic"
    pubtypes = list(s.pubtypes)
    retraction = next((u for u in s.updates if u.kind == "retraction" and "europepmc" in u.known_to), None)
    if retraction:
        pubtypes = ["Retracted Publication", *pubtypes]
    rec["pubTypeList"] = {"pubType": pubtypes}
    if s.keywords and stable(key, "kw", 100) < 55:
        rec["keywordList"] = {"keyword": [k.title() for k in s.keywords]}
    indexed = mesh.headings(s)
    if indexed:
        heads = []
        for _ui, name, major, quals in indexed:
            h: dict[str, Any] = {"majorTopic_YN": "Y" if (major and not quals) else "N",
                                 "descriptorName": name}
            if quals:
                h["meshQualifierList"] = {"meshQualifier": [
                    {"abbreviation": QUALIFIER_ABBR.get(q, q[:2].upper()), "qualifierName": q,
                     "majorTopic_YN": "Y" if (major and i == 0) else "N"}
                    for i, (_qui, q) in enumerate(quals)]}
            heads.append(h)
        rec["meshHeadingList"] = {"meshHeading": heads}
        rec["chemicalList"] = {"chemical": [{"name": n, "registryNumber": rn}
                                            for rn, _ui, n in chemicals(s)]}
    if s.status != "PubMed-not-MEDLINE":
        rec["subsetList"] = {"subset": [{"code": "IM", "name": "Index Medicus"}]}
    if s.doi:
        rec["fullTextUrlList"] = {"fullTextUrl": [{
            "availability": "Open access" if s.pmcid else "Subscription required",
            "availabilityCode": "OA" if s.pmcid else "S", "documentStyle": "doi", "site": "DOI",
            "url": f"https://doi.org/{s.doi}"}]}
    corrections = []
    for u in s.updates:
        if "europepmc" not in u.known_to and not (u.kind == "correction" and "pubmed" in u.known_to):
            continue
        notice = by_sid.get(u.notice_sid or "")
        label = {"retraction": "Retraction in", "correction": "Erratum in"}.get(u.kind)
        if not label:
            continue
        entry: dict[str, Any] = {"source": "MED"}
        if notice and notice.pmid and stable(key, "ccid", 5):
            entry["id"] = notice.pmid
            entry["reference"] = citation(notice)
        else:
            # the real core fixture has a retraction with no id and the notice DOI as reference
            entry["reference"] = (notice.doi if notice and notice.doi else u.notice_doi) or s.doi or ""
        entry["type"] = label
        entry["orderIn"] = len(corrections) + 1
        corrections.append(entry)
    if corrections:
        rec["commentCorrectionList"] = {"commentCorrection": corrections}
    rec.update(_flags(key, s.pmcid, bool(s.trial and (s.nct_in_abstract or s.nct_in_databank))))
    created = s.edat + timedelta(days=1)
    rec["dateOfCreation"] = created.isoformat()
    if s.status == "MEDLINE":
        rec["dateOfCompletion"] = (s.edat + timedelta(days=20 + stable(key, "completed", 71))).isoformat()
    rec["firstIndexDate"] = (created + timedelta(days=1)).isoformat()
    revised = max([created, *(u.day for u in s.updates if "europepmc" in u.known_to)])
    rec["dateOfRevision"] = (revised + timedelta(days=stable(key, "rev", 30))).isoformat()
    if not s.journal.electronic_only or s.status == "Publisher":
        rec["electronicPublicationDate"] = s.edat.isoformat()
    rec["firstPublicationDate"] = s.edat.isoformat()
    if s.pmcid:
        rec["fullTextIdList"] = {"fullTextId": [s.pmcid]}
        rec["license"] = "cc by"
    return rec


def _ppr(key: str, ppr_id: str, doi: str, title: str, authors: list[Author], abstract: str,
         server: str, day: date, version: int) -> dict[str, Any]:
    first = next((a.affiliation for a in authors if a.affiliation), "")
    rec: dict[str, Any] = {
        "id": ppr_id, "source": "PPR", "doi": doi, "title": title,
        "authorString": authors_short(authors) + ".", "authorList": _author_list(authors, False),
        "pubYear": str(day.year), "abstractText": abstract,
        "affiliation": f"{first} {vocab.SAMPLE_MARK}".strip(), "language": "eng",
        "pubTypeList": {"pubType": ["Preprint"]},
        "bookOrReportDetails": {"publisher": server, "yearOfPublication": day.year},
        "fullTextUrlList": {"fullTextUrl": [{"availability": "Free", "availabilityCode": "F",
                                             "documentStyle": "doi", "site": "DOI",
                                             "url": f"https://doi.org/{doi}"}]},
    }
    rec.update(_flags(key, None, False))
    rec["isOpenAccess"] = "Y"
    rec["dateOfCreation"] = (day + timedelta(days=2)).isoformat()
    rec["firstIndexDate"] = (day + timedelta(days=3)).isoformat()
    rec["dateOfRevision"] = (day + timedelta(days=3 + stable(key, "rev", 20))).isoformat()
    rec["firstPublicationDate"] = day.isoformat()
    rec["versionNumber"] = version
    rec["license"] = "cc by"
    return rec


def render_ppr(s: WorldStudy) -> dict[str, Any]:
    """A preprint from another server (Research Square, SSRN, PsyArXiv) as Europe PMC lists it."""
    p = s.ppr
    assert p is not None
    return _ppr(s.sid, p.id, p.doi, strip_tags(s.title), s.authors, _abstract(s), p.server,
                p.day, p.version)


def render_mirror(s: WorldStudy) -> dict[str, Any]:
    """A medRxiv preprint as Europe PMC lists it (same DOI as the medRxiv record)."""
    p = s.preprint
    assert p is not None and p.ppr_id
    return _ppr(s.sid, p.ppr_id, p.doi, p.title, s.authors, p.abstracts[-1], "medRxiv",
                p.dates[0], len(p.dates))


def render_noise(n: NoiseRecord) -> dict[str, Any]:
    """An unrelated MED record Europe PMC returns because ketamine appears in its full text."""
    j = n.journal
    assert j is not None and n.pmid
    d = n.day
    rec: dict[str, Any] = {
        "id": n.pmid, "source": "MED", "pmid": n.pmid, "doi": n.doi, "title": n.title,
        "authorString": authors_short(n.authors) + ".", "authorList": _author_list(n.authors),
        "journalInfo": {"journalIssueId": 3_000_000 + stable(n.sid, "issue", 900_000),
                        "dateOfPublication": f"{d.year} {MONTH_ABBR[d.month - 1]}",
                        "monthOfPublication": d.month, "yearOfPublication": d.year,
                        "printPublicationDate": d.replace(day=1).isoformat(),
                        "journal": {"title": j.title, "medlineAbbreviation": j.medline_ta,
                                    "isoabbreviation": j.iso, "nlmid": j.nlm_id,
                                    "issn": j.issn_print or j.issn_electronic}},
        "pubYear": str(d.year), "abstractText": n.abstract,
        "affiliation": f"{n.authors[0].affiliation} {vocab.SAMPLE_MARK}",
        "publicationStatus": "ppublish", "language": "eng", "pubModel": "Print-Electronic",
        "pubTypeList": {"pubType": ["Journal Article", "Research Support, Non-U.S. Gov't"]},
        "subsetList": {"subset": [{"code": "IM", "name": "Index Medicus"}]},
        "fullTextUrlList": {"fullTextUrl": [{"availability": "Subscription required",
                                             "availabilityCode": "S", "documentStyle": "doi",
                                             "site": "DOI", "url": f"https://doi.org/{n.doi}"}]},
    }
    rec.update(_flags(n.sid, None, False))
    rec["dateOfCreation"] = d.isoformat()
    rec["firstIndexDate"] = (d + timedelta(days=1)).isoformat()
    rec["dateOfRevision"] = (d + timedelta(days=5)).isoformat()
    rec["electronicPublicationDate"] = d.isoformat()
    rec["firstPublicationDate"] = d.isoformat()
    return rec
