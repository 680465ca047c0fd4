"""Render a sample study as one ``<PubmedArticle>`` exactly as efetch (retmode=xml) writes it.

The shape follows the 2025 DTD and the real efetch responses in the shared fixtures: one line per
article, non-ASCII characters as hexadecimal character references (``&#xe9;``), inline ``<i>``,
``<sup>`` and ``<sub>`` kept inside titles and abstracts, History dates without leading zeros and
``DateCompleted``/``ArticleDate`` with them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ketawatch.sample import mesh, vocab
from ketawatch.sample.common import MONTH_ABBR, citation, shift, stable
from ketawatch.sample.prose import strip_tags
from ketawatch.sample.world import Author, Update, WorldStudy

DOCTYPE = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
           '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n')

_MARKUP_RE = re.compile(r"&lt;(/?(?:i|b|sup|sub|u))&gt;")


def esc(text: str) -> str:
    """XML text: &, < and > escaped, non-ASCII as hexadecimal character references."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text.isascii():
        return text
    return "".join(c if ord(c) < 128 else f"&#x{ord(c):x};" for c in text)


def esc_markup(text: str) -> str:
    """Like ``esc`` but keeps the inline tags PubMed keeps (i, b, sup, sub, u)."""
    return _MARKUP_RE.sub(r"<\1>", esc(text))


def _ymd(tag: str, d: date, attrs: str = "") -> str:
    return (f"<{tag}{attrs}><Year>{d.year}</Year><Month>{d.month:02d}</Month>"
            f"<Day>{d.day:02d}</Day></{tag}>")


def _history(status: str, d: date, time: tuple[int, int] | None = None) -> str:
    clock = f"<Hour>{time[0]}</Hour><Minute>{time[1]}</Minute>" if time else ""
    return (f'<PubMedPubDate PubStatus="{status}"><Year>{d.year}</Year><Month>{d.month}</Month>'
            f"<Day>{d.day}</Day>{clock}</PubMedPubDate>")


def _pub_date(s: WorldStudy) -> str:
    d = s.pub_date or s.edat
    assert d is not None
    mon = MONTH_ABBR[d.month - 1]
    if s.date_style == "ymd":
        return f"<PubDate><Year>{d.year}</Year><Month>{mon}</Month><Day>{d.day:02d}</Day></PubDate>"
    if s.date_style == "y":
        return f"<PubDate><Year>{d.year}</Year></PubDate>"
    if s.date_style == "medline":
        nxt = MONTH_ABBR[d.month % 12]
        span = f"{d.year} {mon}-{nxt}" if d.month < 12 else f"{d.year} Dec-{d.year + 1} Jan"
        return f"<PubDate><MedlineDate>{span}</MedlineDate></PubDate>"
    return f"<PubDate><Year>{d.year}</Year><Month>{mon}</Month></PubDate>"


def _pii(s: WorldStudy) -> str | None:
    j = s.journal
    if not j or j.publisher != "Elsevier BV" or not s.pmid:
        return None
    year = (s.pub_date or s.edat or date(2020, 1, 1)).year
    return f"S{j.issn_linking}({year % 100:02d}){int(s.pmid) % 100000:05d}-{stable(s.sid, 'pii', 10)}"


def _author(a: Author) -> str:
    if a.collective:
        return f'<Author ValidYN="Y"><CollectiveName>{esc(a.collective)}</CollectiveName></Author>'
    orcid = f'<Identifier Source="ORCID">{a.orcid}</Identifier>' if a.orcid else ""
    return (f'<Author ValidYN="Y"><LastName>{esc(a.last)}</LastName><ForeName>{esc(a.fore)}'
            f"</ForeName><Initials>{esc(a.initials)}</Initials>{orcid}<AffiliationInfo><Affiliation>"
            f"{esc(a.affiliation)}</Affiliation></AffiliationInfo></Author>")


def _vernacular(s: WorldStudy) -> str | None:
    templates = vocab.VERNACULAR.get(s.language)
    if not templates:
        return None
    words = vocab.VERNACULAR_WORDS
    key = s.cond.key if s.cond.key in ("trd", "depression", "suicidal-ideation") else "depression"
    if s.language == "chi":
        template = templates[0] if s.drug == "esketamine" else templates[1]
    else:
        template = templates[stable(s.sid, "vern", len(templates))]
    drug = s.drug if s.drug in ("ketamine", "esketamine") else "ketamine"
    text = template.format(cond_zh=words["cond_zh"][key], cond_de=words["cond_de"][key],
                           cond_es=words["cond_es"][key], cond_fr=words["cond_fr"][key],
                           drug_de=words["drug_de"][drug], drug_es=words["drug_es"][drug],
                           drug_fr=words["drug_fr"][drug])
    return text[:1].upper() + text[1:] + ("" if s.language == "chi" else ".")


def chemicals(s: WorldStudy) -> list[tuple[str, str, str]]:
    """The ChemicalList of an indexed record: the drugs and the drug classes MeSH adds."""
    chems: dict[str, tuple[str, str, str]] = {}
    if s.cond.setting == "psychiatric" and s.design != "preclinical":
        chems["antidepressant"] = vocab.CHEMICAL_EXTRAS["antidepressant"]
    if s.cond.setting == "pain":
        chems["analgesic"] = vocab.CHEMICAL_EXTRAS["analgesic"]
    if "intranasal" in s.routes:
        chems["spray"] = vocab.CHEMICAL_EXTRAS["spray"]
    if s.comparator and s.comparator[1] == "midazolam":
        chems["midazolam"] = vocab.CHEMICAL_EXTRAS["midazolam"]
    if s.design == "preclinical":
        chems["bdnf"] = vocab.CHEMICAL_EXTRAS["bdnf"]
    for d in s.drugs:
        for entry in vocab.CHEMICALS[d]:
            chems[entry[2]] = entry
    return list(chems.values())


def _comments(s: WorldStudy, by_sid: dict[str, WorldStudy]) -> list[str]:
    """CommentsCorrections elements linking this record to others PubMed knows about."""
    out: list[str] = []

    def link(ref_type: str, other: WorldStudy | None) -> None:
        if other is None or not other.pmid:
            return
        out.append(f'<CommentsCorrections RefType="{ref_type}"><RefSource>{esc(citation(other))}'
                   f'</RefSource><PMID Version="1">{other.pmid}</PMID></CommentsCorrections>')

    for sid in s.comments_in:
        link("CommentIn", by_sid.get(sid))
    if s.comment_on:
        link("CommentOn", by_sid.get(s.comment_on))
    for u in s.updates:
        if "pubmed" not in u.known_to or not u.notice_sid:
            continue
        link("ErratumIn" if u.kind == "correction" else "RetractionIn", by_sid.get(u.notice_sid))
    if s.notice_for:
        link("ErratumFor" if s.kind == "erratum" else "RetractionOf", by_sid.get(s.notice_for))
    return out


def _mesh(heads: list[mesh.Heading]) -> str:
    out = []
    for ui, name, major, quals in heads:
        q = "".join(f'<QualifierName UI="{qui}" MajorTopicYN="{"Y" if (major and i == 0) else "N"}">'
                    f"{esc(qname)}</QualifierName>" for i, (qui, qname) in enumerate(quals))
        dmajor = "Y" if (major and not quals) else "N"
        out.append(f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="{dmajor}">{esc(name)}'
                   f"</DescriptorName>{q}</MeshHeading>")
    return "".join(out)


def _references(s: WorldStudy, by_sid: dict[str, WorldStudy]) -> str:
    refs = []
    for sid in s.references:
        r = by_sid.get(sid)
        if r is None or not r.pmid:
            continue
        names = ", ".join(f"{a.last} {a.initials}" for a in r.authors[:3] if not a.collective)
        names += ", et al" if len(r.authors) > 3 else ""
        ids = f'<ArticleId IdType="doi">{r.doi}</ArticleId>' if r.doi else ""
        ids += f'<ArticleId IdType="pubmed">{r.pmid}</ArticleId>'
        refs.append(f"<Reference><Citation>{esc(names)}. {esc(strip_tags(r.title))} "
                    f"{esc(citation(r))}</Citation><ArticleIdList>{ids}</ArticleIdList></Reference>")
    return f"<ReferenceList>{''.join(refs)}</ReferenceList>" if refs else ""


def _known_retraction(s: WorldStudy) -> Update | None:
    return next((u for u in s.updates if u.kind == "retraction" and "pubmed" in u.known_to), None)


def render(s: WorldStudy, by_sid: dict[str, WorldStudy]) -> bytes:
    """One ``<PubmedArticle>`` element for a study PubMed holds."""
    j = s.journal
    assert j is not None and s.edat is not None and s.pmid is not None
    key = s.sid
    edat = s.edat
    modern = edat.year >= 2008
    electronic = j.electronic_only
    x: list[str] = []
    method = ""
    if s.status == "MEDLINE" and edat.year >= 2022:
        method = f' IndexingMethod="{("Automated", "Curated", "Manual")[stable(key, "im", 3)]}"'
    x.append(f'<PubmedArticle><MedlineCitation Status="{s.status}" Owner="NLM"{method}>'
             f'<PMID Version="1">{s.pmid}</PMID>')
    completed = shift(edat, key, "completed", 20, 90)
    if s.status == "MEDLINE":
        x.append(_ymd("DateCompleted", completed))
    revised = max([completed if s.status == "MEDLINE" else edat,
                   *(u.day for u in s.updates if "pubmed" in u.known_to)])
    x.append(_ymd("DateRevised", shift(revised, key, "revised", 1, 40)))
    if electronic:
        pub_model = "Electronic-eCollection" if stable(key, "ecol", 4) == 0 else "Electronic"
    else:
        pub_model = "Print-Electronic" if modern else "Print"
    x.append(f'<Article PubModel="{pub_model}"><Journal>')
    if modern and j.issn_electronic:
        x.append(f'<ISSN IssnType="Electronic">{j.issn_electronic}</ISSN>')
    else:
        x.append(f'<ISSN IssnType="Print">{j.issn_print or j.issn_electronic}</ISSN>')
    x.append(f'<JournalIssue CitedMedium="{"Internet" if modern else "Print"}">')
    if s.volume:
        x.append(f"<Volume>{s.volume}</Volume>")
    if s.issue:
        x.append(f"<Issue>{s.issue}</Issue>")
    x.append(f"{_pub_date(s)}</JournalIssue><Title>{esc(j.title)}</Title>"
             f"<ISOAbbreviation>{esc(j.iso)}</ISOAbbreviation></Journal>")
    title = esc_markup(s.title)
    if s.language != "eng":
        title = f"[{title.rstrip('.')}]."
    x.append(f"<ArticleTitle>{title}</ArticleTitle>")
    if s.pages:
        if "-" in s.pages:
            start, end = s.pages.split("-")
            x.append(f"<Pagination><StartPage>{start}</StartPage><EndPage>{end}</EndPage>"
                     f"<MedlinePgn>{s.pages}</MedlinePgn></Pagination>")
        else:
            x.append(f"<Pagination><StartPage>{s.pages}</StartPage><MedlinePgn>{s.pages}"
                     "</MedlinePgn></Pagination>")
    pii = _pii(s)
    if s.doi:
        x.append(f'<ELocationID EIdType="doi" ValidYN="Y">{s.doi}</ELocationID>')
    if pii:
        x.append(f'<ELocationID EIdType="pii" ValidYN="Y">{pii}</ELocationID>')
    year = (s.pub_date or edat).year
    if s.sections:
        x.append("<Abstract>")
        for label, cat, text in s.sections:
            attrs = f' Label="{esc(label)}"' if label else ""
            attrs += f' NlmCategory="{cat}"' if cat else ""
            x.append(f"<AbstractText{attrs}>{esc_markup(text)}</AbstractText>")
        holder = ("The Author(s)", f"{j.publisher}. All rights reserved",
                  "The Authors. Published by " + j.publisher)[stable(key, "copy", 3)]
        x.append(f"<CopyrightInformation>{esc(f'© {year} {holder}. {vocab.SAMPLE_MARK}')}"
                 "</CopyrightInformation></Abstract>")
    if s.authors:
        x.append('<AuthorList CompleteYN="Y">' + "".join(_author(a) for a in s.authors) + "</AuthorList>")
    x.append(f"<Language>{s.language}</Language>")
    if s.trial and s.nct_in_databank:
        x.append('<DataBankList CompleteYN="Y"><DataBank><DataBankName>ClinicalTrials.gov'
                 f"</DataBankName><AccessionNumberList><AccessionNumber>{s.trial.nct}"
                 "</AccessionNumber></AccessionNumberList></DataBank></DataBankList>")
    if s.grants:
        x.append('<GrantList CompleteYN="Y">' + "".join(
            f"<Grant><GrantID>{g}</GrantID><Acronym>{a}</Acronym><Agency>{esc(ag)}</Agency>"
            "<Country>United States</Country></Grant>" for g, a, ag in s.grants) + "</GrantList>")
    pubtypes = list(s.pubtypes)
    if _known_retraction(s):
        pubtypes = sorted({*pubtypes, "Retracted Publication"})
    x.append("<PublicationTypeList>" + "".join(
        f'<PublicationType UI="{vocab.PUBTYPE_UI[p]}">{esc(p)}</PublicationType>' for p in pubtypes)
        + "</PublicationTypeList>")
    vern = _vernacular(s)
    if vern:
        x.append(f"<VernacularTitle>{esc(vern)}</VernacularTitle>")
    if pub_model != "Print":
        x.append(_ymd("ArticleDate", edat - timedelta(days=stable(key, "adate", 3)),
                      ' DateType="Electronic"'))
    x.append(f"</Article><MedlineJournalInfo><Country>{esc(j.country)}</Country><MedlineTA>"
             f"{esc(j.medline_ta)}</MedlineTA><NlmUniqueID>{j.nlm_id}</NlmUniqueID>")
    if j.issn_linking:
        x.append(f"<ISSNLinking>{j.issn_linking}</ISSNLinking>")
    x.append("</MedlineJournalInfo>")
    if s.has_mesh:
        x.append("<ChemicalList>" + "".join(
            f"<Chemical><RegistryNumber>{rn}</RegistryNumber><NameOfSubstance UI=\"{ui}\">"
            f"{esc(name)}</NameOfSubstance></Chemical>" for rn, ui, name in chemicals(s))
            + "</ChemicalList>")
    if s.status != "PubMed-not-MEDLINE":
        x.append("<CitationSubset>IM</CitationSubset>")
    comments = _comments(s, by_sid)
    if comments:
        x.append("<CommentsCorrectionsList>" + "".join(comments) + "</CommentsCorrectionsList>")
    heads = mesh.headings(s)
    if heads:
        x.append(f"<MeshHeadingList>{_mesh(heads)}</MeshHeadingList>")
    if s.keywords and stable(key, "kw", 100) < 55:
        x.append('<KeywordList Owner="NOTNLM">' + "".join(
            f'<Keyword MajorTopicYN="N">{esc(k)}</Keyword>' for k in s.keywords) + "</KeywordList>")
    if not s.sections:
        x.append(f"<CoiStatement>{esc(vocab.SAMPLE_MARK)}</CoiStatement>")
    elif stable(key, "coi", 100) < 35:
        x.append("<CoiStatement>The authors declare no competing interests.</CoiStatement>")
    x.append("</MedlineCitation><PubmedData><History>")
    if s.status == "Publisher":
        x.append(_history("aheadofprint", edat))
    if s.received and s.kind == "article":
        x.append(_history("received", s.received))
        if stable(key, "revised", 2):
            x.append(_history("revised", shift(s.received, key, "rev2", 20, 60)))
        if s.accepted:
            x.append(_history("accepted", s.accepted))
    entrez = datetime(edat.year, edat.month, edat.day, *s.edat_time)
    later = entrez + timedelta(minutes=1 + stable(key, "pm", 400))
    medline = (datetime(completed.year, completed.month, completed.day, 6, stable(key, "mm", 60))
               if s.status == "MEDLINE" else later)
    x.append(_history("medline", medline.date(), (medline.hour, medline.minute)))
    x.append(_history("pubmed", later.date(), (later.hour, later.minute)))
    x.append(_history("entrez", edat, s.edat_time))
    if s.pmcid:
        x.append(_history("pmc-release", edat))
    status = "aheadofprint" if s.status == "Publisher" else "epublish" if electronic else "ppublish"
    x.append(f"</History><PublicationStatus>{status}</PublicationStatus><ArticleIdList>"
             f'<ArticleId IdType="pubmed">{s.pmid}</ArticleId>')
    if s.pmcid:
        x.append(f'<ArticleId IdType="pmc">{s.pmcid}</ArticleId>')
    if s.doi:
        x.append(f'<ArticleId IdType="doi">{s.doi}</ArticleId>')
    if pii:
        x.append(f'<ArticleId IdType="pii">{pii}</ArticleId>')
    x.append("</ArticleIdList>")
    x.append(_references(s, by_sid))
    x.append("</PubmedData></PubmedArticle>")
    return "".join(x).encode("ascii")


def document(articles: list[bytes]) -> bytes:
    """A whole efetch answer: declaration, DOCTYPE and the articles inside ``<PubmedArticleSet>``."""
    return (DOCTYPE + "<PubmedArticleSet>\n").encode("ascii") + b"".join(articles) + b"</PubmedArticleSet>"
