"""Parse PubMed efetch XML (``db=pubmed``, ``retmode=xml``) into Study records.

One parse of the whole answer with a hardened lxml parser (no DTD loading, no network, no entity
expansion), then one pass over the ``PubmedArticle`` and ``PubmedBookArticle`` children. An
article that cannot be read becomes a ParseError beside the others; an answer that cannot be read
at all raises one. Tags (conditions, drugs, design, ...) are not computed here.
"""

from __future__ import annotations

import re
import threading
from datetime import date

from lxml import etree

from ketawatch.errors import ParseError
from ketawatch.model import (
    Study,
    find_nct_ids,
    normalize_doi,
    normalize_nct,
    normalize_pmcid,
    normalize_pmid,
)

SOURCE = "pubmed"
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"

#: CommentsCorrections link types kept on the Study (the citation and comment links are noise)
CORRECTION_TYPES = frozenset({
    "ErratumIn", "ErratumFor", "RetractionIn", "RetractionOf", "ExpressionOfConcernIn",
    "ExpressionOfConcernFor", "UpdateIn", "UpdateOf", "CommentOn", "CommentIn",
})

_MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
_MATH_TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms"})
_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# Only ASCII whitespace is layout; thin and no-break spaces (&#x2009; &#xa0;) are content.
_SPACES = re.compile(r"[ \t\r\n]+")
_DOI_IN_TEXT = re.compile(r"\bdoi:\s*(10\.\S+)", re.IGNORECASE)
_MEDLINE_DATE = re.compile(r"\b(\d{4})\b(?:[\s-]+([A-Za-z]+)\.?(?:\s+(\d{1,2}))?(?![\d]))?")
_PLACEHOLDER_TITLES = frozenset({"not available", "in process citation"})
#: an ampersand that starts neither a character reference nor one of XML's five predefined
#: entities: a reference the parser left unexpanded (or, in a processing instruction, text)
_ENTITY_REF = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);|#)")

#: what may come before ``<PubmedArticleSet>`` in a plain answer (``split_efetch``): an XML
#: declaration (group 1: its encoding) and a DOCTYPE naming an external DTD only
_PLAIN_PROLOG = re.compile(
    rb"[ \t\r\n]*(?:<\?xml[ \t\r\n][^<>]*?(?:encoding[ \t\r\n]*=[ \t\r\n]*[\"']"
    rb"([A-Za-z0-9._-]+)[\"'][^<>]*?)?\?>)?[ \t\r\n]*(?:<!DOCTYPE[ \t\r\n][^<>\[\]]*>)?"
    rb"[ \t\r\n]*")
_XML_SPACE = b" \t\r\n"
_HIDING_MARKUP = re.compile(rb"<[!?]")
_SET_OPEN, _SET_CLOSE = b"<PubmedArticleSet>", b"</PubmedArticleSet>"
_ARTICLE_TAGS = ((b"<PubmedArticle>", b"</PubmedArticle>"),
                 (b"<PubmedBookArticle>", b"</PubmedBookArticle>"))

_local = threading.local()


def _parser() -> etree.XMLParser:
    """One hardened parser per thread: lxml parsers must not be shared between threads."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        # The DOCTYPE line names an NLM DTD on the web: never fetch it, never expand entities
        # (character references such as &#x2009; are not entities and still decode).
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=False, remove_comments=True)
        _local.parser = parser
    return parser


def parse_xml(data: bytes, what: str = "PubMed answer") -> etree._Element:
    """Parse an E-utilities XML answer with the hardened parser, or raise ParseError."""
    # isspace(), not strip(): the same test without copying a 14 MB answer
    if not data or data.isspace():
        raise ParseError(f"empty {what}", source=SOURCE)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML in {what}: {exc}", source=SOURCE) from exc
    if root is None:
        raise ParseError(f"no XML element in {what}", source=SOURCE)
    return root


def eutils_errors(root: etree._Element) -> list[str]:
    """The ``<ERROR>`` messages of an E-utilities answer (``<eFetchResult><ERROR>`` and kin).

    An empty ``<ERROR/>`` is no error: espell, for one, always sends it.
    """
    nodes = [root] if root.tag == "ERROR" else root.iterchildren("ERROR")
    return [text for text in (_inner(node) for node in nodes) if text]


def parse_efetch(data: bytes) -> tuple[list[tuple[Study, str]], list[ParseError]]:
    """Parse one efetch answer into (Study, raw XML of its article) pairs and per-article errors.

    Raises ParseError when the answer as a whole is malformed, is an E-utilities error answer,
    or is not a ``PubmedArticleSet`` (an esearch, elink or PMC answer fed here by mistake).
    An empty ``PubmedArticleSet`` gives ``([], [])``.
    """
    records: list[tuple[Study, str]] = []
    problems: list[ParseError] = []
    for position, element in enumerate(_articles(data)):
        try:
            study = _article(element, position)
        except ParseError as exc:
            problems.append(exc)
            continue
        raw = etree.tostring(element, encoding="unicode", with_tail=False)
        records.append((study, raw))
    return records, problems


def efetch_articles(data: bytes) -> list[str]:
    """The raw XML of every article of one efetch answer, not parsed into records.

    Makes the document-level checks of ``parse_efetch`` (and raises the same ParseError), so
    that a crawler can ask for a malformed answer again before ``parse_articles`` reads the
    records elsewhere.
    """
    return [etree.tostring(element, encoding="unicode", with_tail=False)
            for element in _articles(data)]


def split_efetch(data: bytes) -> list[str]:
    """``efetch_articles``, cheaply for a plain answer: each article's XML as served.

    Parsing the whole answer and serializing each article again cost the crawling process as
    much as its store did, and a tagging worker parses each article anyway. A plain answer (an
    XML declaration in UTF-8, a DOCTYPE without internal subset, ``<PubmedArticleSet>`` holding
    only ``<PubmedArticle>`` and ``<PubmedBookArticle>`` elements, no comment, CDATA section or
    processing instruction, nothing after ``</PubmedArticleSet>``) is cut at its articles'
    tags instead. Anything else, a cut answer or an error answer among them, goes through
    ``efetch_articles`` and its checks. Whether each article is well-formed is left to
    whoever parses it (``parse_article_texts``).
    """
    articles = _plain_articles(data)
    return efetch_articles(data) if articles is None else articles


def _plain_articles(data: bytes) -> list[str] | None:
    """The articles of a plain answer (see ``split_efetch``), or None for any other."""
    opened = data.find(_SET_OPEN)
    if opened < 0:
        return None
    prolog = _PLAIN_PROLOG.fullmatch(data, 0, opened)
    if prolog is None or (prolog.group(1) or b"utf-8").lower() not in (b"utf-8", b"utf8"):
        return None
    closed = data.rfind(_SET_CLOSE)
    body = opened + len(_SET_OPEN)
    if closed < body or data[closed + len(_SET_CLOSE):].strip(_XML_SPACE):
        return None
    if _HIDING_MARKUP.search(data, body, closed):
        # a comment, CDATA section or processing instruction may hold what looks like a tag
        return None
    articles: list[str] = []
    position = body
    while True:
        start = data.find(b"<", position, closed)
        if start < 0:
            start = closed
        if data[position:start].strip(_XML_SPACE):
            return None  # text or a stray character between articles
        if start == closed:
            return articles
        close_tag = next((close for opening, close in _ARTICLE_TAGS
                          if data.startswith(opening, start)), None)
        if close_tag is None:
            return None  # another element (DeleteCitation), or attributes on an article
        # Every "<" left is a tag's (no text or attribute value holds one), so the first end
        # tag ends the article. An article inside an article ends this one early: the outer
        # end tag is then met between articles, and the answer is not plain.
        stop = data.find(close_tag, start, closed)
        if stop < 0:
            return None
        stop += len(close_tag)
        try:
            articles.append(data[start:stop].decode("utf-8"))
        except UnicodeDecodeError:
            return None
        position = stop


def parse_articles(data: bytes, start: int, stop: int) -> list[Study | ParseError]:
    """Articles ``start`` to ``stop - 1`` of an efetch answer ``split_efetch`` accepted.

    Each is a Study, or the ParseError ``parse_efetch`` reports for it. The whole answer is
    parsed again: an article's entity references mean nothing outside the answer's DOCTYPE
    (``parse_article_texts`` reads the raw XML of articles that hold none). Raises ParseError
    when the whole answer does not parse (``split_efetch`` leaves articles unchecked).
    """
    out: list[Study | ParseError] = []
    if stop <= start:
        return out  # nothing asked for (a batch whose answer could not be read at all)
    elements = _articles(data)[start:stop]
    for position, element in enumerate(elements, start):
        try:
            out.append(_article(element, position))
        except ParseError as exc:
            out.append(exc)
    return out


def parse_article_texts(articles: list[str], start: int = 0) -> list[Study | ParseError] | None:
    """The records of raw articles (``split_efetch`` items, the first at ``start``), each
    parsed on its own: what ``parse_articles`` gives for them, without parsing the whole answer.

    None when an article cannot be read on its own: it holds an entity reference, which means
    something only under the answer's DOCTYPE, or it does not parse (a malformed article, or
    a namespace prefix declared outside it); read those articles with ``parse_articles``.
    Otherwise an article's raw XML, as served in a plain answer or as lxml serialized its
    element (namespaces it uses declared on it, text escaped), parses to the same element.
    """
    out: list[Study | ParseError] = []
    for position, raw in enumerate(articles, start):
        if _ENTITY_REF.search(raw):
            return None
        try:
            element = parse_xml(raw.encode("utf-8"), "PubMed article")
        except ParseError:
            return None
        try:
            out.append(_article(element, position))
        except ParseError as exc:
            out.append(exc)
    return out


def _articles(data: bytes) -> list[etree._Element]:
    root = parse_xml(data, "PubMed efetch answer")
    errors = eutils_errors(root)
    if errors:
        raise ParseError("PubMed E-utilities error: " + "; ".join(errors), source=SOURCE)
    if root.tag != "PubmedArticleSet":
        raise ParseError(f"not a PubMed efetch answer: root element <{root.tag}>", source=SOURCE)
    return list(root.iterchildren("PubmedArticle", "PubmedBookArticle"))


def _article(element: etree._Element, position: int) -> Study:
    try:
        if element.tag == "PubmedArticle":
            return _journal_article(element)
        return _book_article(element)
    except (ParseError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        pmid = element.findtext("MedlineCitation/PMID") or element.findtext(
            "BookDocument/PMID") or f"#{position + 1} in the answer"
        raise ParseError(f"PubMed article {pmid.strip()} could not be parsed: {exc}",
                         source=SOURCE) from exc


# --- one article --------------------------------------------------------------------------


def _journal_article(element: etree._Element) -> Study:
    citation = element.find("MedlineCitation")
    if citation is None:
        raise ParseError("no MedlineCitation", source=SOURCE)
    pmid = normalize_pmid(citation.findtext("PMID"))
    if not pmid:
        raise ParseError("no PMID", source=SOURCE)
    article = citation.find("Article")
    if article is None:
        raise ParseError(f"PMID {pmid} has no Article", source=SOURCE)
    data = element.find("PubmedData")
    journal = article.find("Journal")

    vernacular = _inner(article.find("VernacularTitle")) or None
    title, translated = _clean_title(_inner(article.find("ArticleTitle")), vernacular)
    sections = _abstract_sections(_pick_abstract(article))
    abstract = _join_sections(sections)
    ids = _article_ids(data)
    doi = ids.get("doi") or _elocation_doi(article)
    publication_types = _texts(article.iterfind("PublicationTypeList/PublicationType"))
    links = _comments_corrections(citation)

    pub_date = None
    if journal is not None:
        pub_date = _date_of(journal.find("JournalIssue/PubDate"))
    if pub_date is None:
        pub_date = _date_of(article.find("ArticleDate"))

    nct_ids = [n for n in (normalize_nct(_inner(acc)) for bank in article.iterfind(
        "DataBankList/DataBank") if _inner(bank.find("DataBankName")) == "ClinicalTrials.gov"
        for acc in bank.iterfind("AccessionNumberList/AccessionNumber")) if n]
    nct_ids = _unique(nct_ids + find_nct_ids(title) + find_nct_ids(abstract))

    extras = {
        "edat": _history_date(data, "entrez") or _history_date(data, "pubmed"),
        "status": citation.get("Status"),
        "publication_status": _inner(data.find("PublicationStatus")) if data is not None else None,
        "journal_abbrev": _inner(journal.find("ISOAbbreviation")) if journal is not None else "",
        "grant_count": len(article.findall("GrantList/Grant")),
    }
    if translated:
        extras["title_translated"] = True

    return Study(
        source=SOURCE,
        source_id=pmid,
        pmid=pmid,
        doi=doi,
        pmcid=ids.get("pmcid"),
        nct_ids=nct_ids,
        title=title,
        vernacular_title=vernacular,
        abstract=abstract,
        abstract_sections=sections,
        journal=_journal_name(journal),
        pub_date=pub_date,
        authors=_authors(article.find("AuthorList")),
        mesh=_mesh(citation),
        keywords=_unique(_texts(citation.iterfind("KeywordList/Keyword"))),
        publication_types=publication_types,
        language=_inner(article.find("Language")) or None,
        comments_corrections=links,
        url=PUBMED_URL.format(pmid),
        retracted=_is_retracted(publication_types, links),
        corrected=any(link["type"] == "ErratumIn" for link in links),
        extras=extras,
    )


def _book_article(element: etree._Element) -> Study:
    document = element.find("BookDocument")
    if document is None:
        raise ParseError("no BookDocument", source=SOURCE)
    pmid = normalize_pmid(document.findtext("PMID"))
    if not pmid:
        raise ParseError("no PMID", source=SOURCE)
    book = document.find("Book")
    data = element.find("PubmedBookData")

    book_title = _inner(book.find("BookTitle")) if book is not None else ""
    vernacular = _inner(document.find("VernacularTitle")) or None
    title, translated = _clean_title(_inner(document.find("ArticleTitle")) or book_title,
                                     vernacular)
    sections = _abstract_sections(document.find("Abstract"))
    abstract = _join_sections(sections)
    ids = _article_ids(document)
    ids.update({k: v for k, v in _article_ids(data).items() if k not in ids})
    publication_types = _texts(document.iterfind("PublicationType"))
    links = _comments_corrections(document)

    # A chapter is dated by its contribution; the book's own date is when the series began.
    pub_date = _date_of(document.find("ContributionDate"))
    if pub_date is None and book is not None:
        pub_date = _date_of(book.find("PubDate"))

    # Chapter authors first; a whole book is credited to its authors, never to its editors.
    authors: list[str] = []
    for holder in (document, book):
        if holder is None:
            continue
        for author_list in holder.iterfind("AuthorList"):
            if author_list.get("Type", "authors") != "editors":
                authors.extend(_authors(author_list))
        if authors:
            break

    publisher = _inner(book.find("Publisher/PublisherName")) if book is not None else ""
    extras = {
        "edat": _history_date(data, "entrez") or _history_date(data, "pubmed"),
        "status": None,
        "publication_status": _inner(data.find("PublicationStatus")) if data is not None else None,
        "book": True,
        "book_accession": ids.get("bookaccession"),
        "grant_count": len(document.findall("GrantList/Grant")),
    }
    if translated:
        extras["title_translated"] = True

    return Study(
        source=SOURCE,
        source_id=pmid,
        pmid=pmid,
        doi=ids.get("doi") or _elocation_doi(document),
        pmcid=ids.get("pmcid"),
        nct_ids=_unique(find_nct_ids(title) + find_nct_ids(abstract)),
        title=title,
        vernacular_title=vernacular,
        abstract=abstract,
        abstract_sections=sections,
        journal=book_title or publisher,
        pub_date=pub_date,
        authors=authors,
        mesh=_mesh(document),
        keywords=_unique(_texts(document.iterfind("KeywordList/Keyword"))),
        publication_types=publication_types,
        language=_inner(document.find("Language")) or None,
        comments_corrections=links,
        url=PUBMED_URL.format(pmid),
        retracted=_is_retracted(publication_types, links),
        corrected=any(link["type"] == "ErratumIn" for link in links),
        extras=extras,
    )


# --- fields -------------------------------------------------------------------------------


def _clean_title(title: str, vernacular: str | None) -> tuple[str, bool]:
    """Strip the [brackets] PubMed puts around an English translation of a foreign title."""
    if not (title.startswith("[") and (title.endswith("]") or title.endswith("]."))):
        return title, False
    suffix = "." if title.endswith("].") else ""
    inner = title[1:-2] if suffix else title[1:-1]
    depth = 0
    for char in inner:
        depth += (char == "[") - (char == "]")
        if depth < 0:  # "[18F]FDG ... [x]": the first bracket closes early, not a wrapper
            return title, False
    if depth:
        return title, False
    inner = inner.strip()
    if inner.lower().rstrip(".") in _PLACEHOLDER_TITLES:
        return (vernacular or ""), False
    if suffix and not inner.endswith((".", "?", "!")):
        inner += suffix
    return inner, True


def _pick_abstract(article: etree._Element) -> etree._Element | None:
    """The abstract, or else an English OtherAbstract (some foreign articles have only that)."""
    abstract = article.find("Abstract")
    if abstract is not None:
        return abstract
    citation = article.getparent()
    for other in citation.iterfind("OtherAbstract"):
        if other.get("Language", "eng") == "eng":
            return other
    return None


def _abstract_sections(abstract: etree._Element | None) -> list[list[str]]:
    if abstract is None:
        return []
    sections = []
    for part in abstract.iterfind("AbstractText"):
        label = part.get("Label") or part.get("NlmCategory") or ""
        if label == "UNASSIGNED":
            label = ""
        text = _inner(part)
        if text or label:
            sections.append([label, text])
    return sections


def _join_sections(sections: list[list[str]]) -> str:
    return "\n\n".join(f"{label}: {text}" if label else text for label, text in sections)


def _article_ids(holder: etree._Element | None) -> dict[str, str]:
    """DOI, PMC id and other ids from the record's own ArticleIdList (not its references')."""
    ids: dict[str, str] = {}
    if holder is None:
        return ids
    for node in holder.iterfind("ArticleIdList/ArticleId"):
        kind = node.get("IdType", "")
        value = _inner(node)
        if not value or kind in ids:
            continue
        if kind == "doi":
            doi = normalize_doi(value)
            if doi:
                ids["doi"] = doi
        elif kind == "pmc":
            pmcid = normalize_pmcid(value)
            if pmcid:
                ids["pmcid"] = pmcid
        else:
            ids[kind] = value
    return ids


def _elocation_doi(holder: etree._Element) -> str | None:
    for node in holder.iterfind("ELocationID"):
        if node.get("EIdType") == "doi" and node.get("ValidYN", "Y") == "Y":
            doi = normalize_doi(_inner(node))
            if doi:
                return doi
    return None


def _journal_name(journal: etree._Element | None) -> str:
    if journal is None:
        return ""
    return _inner(journal.find("Title")) or _inner(journal.find("ISOAbbreviation"))


def _authors(author_list: etree._Element | None) -> list[str]:
    """Authors as PubMed shows them: "Last Initials" ("Smith JA"), or a group's name."""
    if author_list is None:
        return []
    names = []
    for author in author_list.iterfind("Author"):
        if author.get("ValidYN", "Y") == "N":  # a misspelling PubMed kept for searching
            continue
        # one pass over the few children beats a find() per field
        parts = {child.tag: child for child in author}
        collective = _inner(parts.get("CollectiveName"))
        if collective:
            names.append(collective)
            continue
        last = _inner(parts.get("LastName"))
        initials = _inner(parts.get("Initials"))
        if not initials:
            initials = "".join(word[0] for word in _inner(parts.get("ForeName")).split()
                               if word[:1].isalpha())
        name = " ".join(part for part in (last, initials, _inner(parts.get("Suffix"))) if part)
        if name:
            names.append(name)
    return names


def _mesh(holder: etree._Element) -> list[str]:
    """MeSH descriptors, then the indexed substances (Esketamine is a substance, not a heading)."""
    terms = _texts(holder.iterfind("MeshHeadingList/MeshHeading/DescriptorName"))
    terms += _texts(holder.iterfind("ChemicalList/Chemical/NameOfSubstance"))
    return _unique(terms)


def _comments_corrections(holder: etree._Element) -> list[dict[str, str | None]]:
    links = []
    for node in holder.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        kind = node.get("RefType", "")
        if kind not in CORRECTION_TYPES:
            continue
        text = _inner(node.find("RefSource"))
        match = _DOI_IN_TEXT.search(text)
        doi = normalize_doi(match.group(1).rstrip(".,;")) if match else None
        links.append({"type": kind, "pmid": normalize_pmid(node.findtext("PMID")), "doi": doi,
                      "text": text})
    return links


def _is_retracted(publication_types: list[str], links: list[dict]) -> bool:
    return "Retracted Publication" in publication_types or any(
        link["type"] == "RetractionIn" for link in links)


# --- dates --------------------------------------------------------------------------------


def _month(text: str | None) -> int | None:
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        value = int(text)
        return value if 1 <= value <= 12 else None
    return _MONTHS.get(text[:3].lower())


def _iso(year: int, month: int | None, day: int | None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is not None:
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            pass
    return f"{year:04d}-{month:02d}"


def _date_of(node: etree._Element | None) -> str | None:
    """ISO partial date of a PubDate/ArticleDate/ContributionDate: Y, Y-M or Y-M-D."""
    if node is None:
        return None
    year = (node.findtext("Year") or "").strip()
    if year.isdigit() and len(year) == 4:
        day = (node.findtext("Day") or "").strip()
        return _iso(int(year), _month(node.findtext("Month")), int(day) if day.isdigit() else None)
    return medline_date(node.findtext("MedlineDate"))


def medline_date(text: str | None) -> str | None:
    """ISO partial date of a free-text MedlineDate: "1998 Dec-1999 Jan" -> "1998-12".

    The first year counts, with its month (and day) when one follows; seasons give the year.
    """
    if not text:
        return None
    match = _MEDLINE_DATE.search(text)
    if not match:
        return None
    month = _month(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if month and match.group(3) else None
    return _iso(int(match.group(1)), month, day)


def _history_date(data: etree._Element | None, status: str) -> str | None:
    if data is None:
        return None
    for node in data.iterfind("History/PubMedPubDate"):
        if node.get("PubStatus") == status:
            return _date_of(node)
    return None


# --- text ---------------------------------------------------------------------------------


def _texts(nodes) -> list[str]:
    return [text for text in (_inner(node) for node in nodes) if text]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _inner(node: etree._Element | None) -> str:
    """Plain text of an element: inline HTML dropped, MathML flattened, layout spaces collapsed."""
    if node is None:
        return ""
    # the common case, no markup inside, skips the walk
    text = (node.text or "") if len(node) == 0 else "".join(_walk(node))
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def _walk(node: etree._Element):
    if node.text:
        yield node.text
    for child in node:
        tag = child.tag
        if isinstance(tag, str):  # entities left unexpanded and PIs have no string tag
            if tag.endswith("math") and (tag.startswith(_MATHML_NS) or tag == "mml:math"):
                yield _math(child)
            else:
                yield from _walk(child)
        if child.tail:
            yield child.tail


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _math(node: etree._Element) -> str:
    """MathML as linear text: tokens joined, pre-scripts first ("3He"), layout dropped."""
    name = _local_name(node.tag)
    if name in _MATH_TOKENS:
        return "".join(node.itertext())
    if name == "mspace":
        return " "
    if name in ("none", "annotation", "annotation-xml", "mprescripts"):
        return ""
    children = [child for child in node if isinstance(child.tag, str)]
    if name == "semantics":
        return _math(children[0]) if children else ""
    if name == "mmultiscripts" and children:
        names = [_local_name(child.tag) for child in children]
        split = names.index("mprescripts") if "mprescripts" in names else len(children)
        ordered = children[split + 1:] + children[:1] + children[1:split]
        return "".join(_math(child) for child in ordered)
    return "".join(_math(child) for child in children)
