"""NCBI E-utilities (esearch and efetch for db=pubmed) replayed from recorded PubMed articles.

The answers have the real shapes: esearch's ``eSearchResult`` with Count, RetMax, RetStart,
QueryKey, WebEnv ("MCID_..."), IdList and QueryTranslation; PhraseNotFound for a term containing
"noresults"; efetch's ``PubmedArticleSet`` with the real DOCTYPE line; the history server's
``<eFetchResult><ERROR>`` body (HTTP 200) for an unknown WebEnv, and its HTTP 400 refusal past
retstart 9998. Paging (retstart/retmax) and edat date windows are honoured; anything else in the
search term is ignored: every article matches.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from os import PathLike
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from ketawatch import clock
from ketawatch.replay.server import Request, Response

ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_HEAD = (
    b'<?xml version="1.0" ?>\n'
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
EFETCH_ERROR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)
#: PubMed serves at most the first 9,999 records of a search (retstart 0..9998)
MAX_RETSTART = 9998

_ARTICLE_RE = re.compile(rb"<(PubmedArticle|PubmedBookArticle)\b[^>]*>.*?</\1>", re.DOTALL)
_SAFE_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class ReplayArticle:
    """One recorded article: its PMID, Entrez date and the bytes of its element."""

    pmid: str
    edat: date
    #: one <PubmedArticle> or <PubmedBookArticle> element, as it came on the wire
    xml: bytes


def articles_from_efetch_files(paths: Iterable[str | PathLike]) -> list[ReplayArticle]:
    """Split recorded efetch answers into ReplayArticles (first copy of a PMID wins).

    The bytes of each element are kept exactly as recorded (character references included);
    the Entrez date comes from ``PubMedPubDate PubStatus="entrez"``, else today.
    """
    articles: dict[str, ReplayArticle] = {}
    for path in paths:
        data = Path(path).read_bytes()
        for match in _ARTICLE_RE.finditer(data):
            chunk = match.group(0)
            element = etree.fromstring(chunk, etree.XMLParser(**_SAFE_PARSER))
            pmid = (element.findtext("MedlineCitation/PMID")
                    or element.findtext("BookDocument/PMID") or "").strip()
            if pmid and pmid not in articles:
                articles[pmid] = ReplayArticle(pmid, _entrez_date(element), chunk)
    return list(articles.values())


def _entrez_date(element: etree._Element) -> date:
    for node in element.iterfind("*/History/PubMedPubDate"):
        if node.get("PubStatus") == "entrez":
            try:
                return date(int(node.findtext("Year")), int(node.findtext("Month")),
                            int(node.findtext("Day")))
            except (TypeError, ValueError):
                break
    return clock.now().date()


def _parse_eutils_date(text: str | None) -> date | None:
    """YYYY, YYYY/MM or YYYY/MM/DD (also with dashes) as the first day it names."""
    if not text:
        return None
    parts = re.split(r"[/-]", text.strip())
    try:
        numbers = [int(p) for p in parts] + [1, 1]
        return date(numbers[0], numbers[1], numbers[2])
    except (ValueError, IndexError):
        return None


def _end_of(text: str, start: date) -> date:
    """The last day a maxdate names: "2024" is the whole year, "2024/03" the whole month."""
    depth = len(re.split(r"[/-]", text.strip()))
    if depth == 1:
        return date(start.year, 12, 31)
    if depth == 2:
        following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    return start


class EutilsHandler:
    """Answers ``esearch.fcgi`` and ``efetch.fcgi`` for db=pubmed from a list of articles."""

    def __init__(self, articles: Iterable[ReplayArticle], max_retstart: int = MAX_RETSTART):
        # newest first, like PubMed's default sort
        self.articles = sorted(articles, key=lambda a: (a.edat, int(a.pmid)), reverse=True)
        self.by_pmid = {a.pmid: a for a in self.articles}
        self.max_retstart = max_retstart
        self._history: dict[str, dict[str, list[str]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        """Dispatch on the E-utility named by the path."""
        utility = request.path.rsplit("/", 1)[-1]
        if utility == "esearch.fcgi":
            return self.esearch(request)
        if utility == "efetch.fcgi":
            return self.efetch(request)
        return Response.text(f"unknown E-utility {request.path!r}", 404)

    def forget_history(self) -> None:
        """Drop every WebEnv, as NCBI does after hours without use."""
        with self._lock:
            self._history.clear()

    # --- esearch ---------------------------------------------------------------------------

    def esearch(self, request: Request) -> Response:
        """A search: every article matches, narrowed by an edat window; paging and history."""
        db = request.param("db", "")
        if db != "pubmed":
            return self._search_error(f"Invalid db name specified: {db}")
        term = request.param("term", "") or ""
        if not term.strip() and not request.param("query_key"):
            return self._search_error("Empty term and query_key - nothing todo")
        retstart = _int(request.param("retstart"), 0)
        retmax = _int(request.param("retmax"), 20)
        if "noresults" in term.lower():
            return Response.xml(
                ESEARCH_HEAD + "<eSearchResult><Count>0</Count><RetMax>0</RetMax>"
                "<RetStart>0</RetStart><IdList/><TranslationSet/>"
                f"<QueryTranslation>({escape(term)}[All Fields])</QueryTranslation>"
                f"<ErrorList><PhraseNotFound>{escape(term)}</PhraseNotFound></ErrorList>"
                "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
                "</eSearchResult>")

        matches = self.articles
        translation = escape(term)
        mindate, maxdate = request.param("mindate"), request.param("maxdate")
        # like NCBI, a date window needs both ends; only the Entrez date is recorded here
        if mindate and maxdate:
            low, high = _parse_eutils_date(mindate), _parse_eutils_date(maxdate)
            if low is None or high is None:
                return self._search_error(f"Invalid date range: {mindate} - {maxdate}")
            high = _end_of(maxdate, high)
            matches = [a for a in matches if low <= a.edat <= high]
            translation += f" AND {escape(mindate)}:{escape(maxdate)}[Date - Entry]"
        pmids = [a.pmid for a in matches]

        history = ""
        if (request.param("usehistory") or "").lower() == "y":
            webenv, query_key = self._remember(_param(request, "WebEnv"), pmids)
            history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>"
        page = pmids[retstart:retstart + retmax]
        ids = "".join(f"<Id>{pmid}</Id>\n" for pmid in page)
        return Response.xml(
            ESEARCH_HEAD + f"<eSearchResult><Count>{len(pmids)}</Count>"
            f"<RetMax>{len(page)}</RetMax><RetStart>{retstart}</RetStart>{history}"
            f"<IdList>\n{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{translation}</QueryTranslation></eSearchResult>")

    def _remember(self, webenv: str | None, pmids: list[str]) -> tuple[str, str]:
        with self._lock:
            if not webenv or webenv not in self._history:
                webenv = f"MCID_{next(self._ids):024x}"
                self._history[webenv] = {}
            queries = self._history[webenv]
            query_key = str(len(queries) + 1)
            queries[query_key] = list(pmids)
        return webenv, query_key

    @staticmethod
    def _search_error(message: str) -> Response:
        return Response.xml(ESEARCH_HEAD + f"<eSearchResult><ERROR>{escape(message)}</ERROR>"
                            "</eSearchResult>")

    # --- efetch ----------------------------------------------------------------------------

    def efetch(self, request: Request) -> Response:
        """Articles by ``id=`` list or from the history server (WebEnv + query_key), paged."""
        db = request.param("db", "")
        if db != "pubmed":
            return self._fetch_error([f"Invalid db name specified: {db}"])
        retstart = _int(request.param("retstart"), 0)
        retmax = _int(request.param("retmax"), 20)
        ids = request.param("id")
        webenv, query_key = _param(request, "WebEnv"), _param(request, "query_key")
        if ids:
            pmids = [p.strip() for p in ids.split(",") if p.strip()]
        elif webenv and query_key:
            with self._lock:
                stored = self._history.get(webenv, {}).get(query_key)
            if stored is None:
                return self._fetch_error([
                    f"Cannot retrieve history data. query_key: {query_key}, WebEnv: {webenv}, "
                    f"retstart: {retstart}, retmax: {retmax}",
                    "Can't fetch uids from history because of: NCBI C++ Exception:\n"
                    '    Error: UNK_MODULE(CException::eInvalid) "UNK_FILE", line '
                    "18446744073709551615: UNK_FUNC ---\n"])
            if retstart > self.max_retstart:
                return Response.xml(
                    "<eFetchResult><ERROR>Search backend cannot retrieve history data. "
                    f"Reason: Exception: 'retstart' cannot be larger than {self.max_retstart}. "
                    f"For PubMed, ESearch can only retrieve the first {self.max_retstart + 1:,} "
                    "records matching the query.</ERROR></eFetchResult>", status=400)
            pmids = stored[retstart:retstart + retmax]
        else:
            return self._fetch_error(["Empty id list - nothing todo"])
        found = [self.by_pmid[p].xml for p in pmids if p in self.by_pmid]
        body = EFETCH_HEAD + b"<PubmedArticleSet>\n" + b"\n".join(found) + (
            b"\n" if found else b"") + b"</PubmedArticleSet>"
        return Response.xml(body)

    @staticmethod
    def _fetch_error(messages: list[str]) -> Response:
        errors = "".join(f"\t<ERROR>{escape(m)}</ERROR>\n" for m in messages)
        return Response.xml(EFETCH_ERROR_HEAD + f"<eFetchResult>\n{errors}</eFetchResult>\n")


def _param(request: Request, name: str) -> str | None:
    """A parameter whatever its case: NCBI takes ``WebEnv`` and Biopython's ``webenv`` alike."""
    value = request.param(name)
    if value is None:
        wanted = name.lower()
        for key, values in request.query.items():
            if key.lower() == wanted and values:
                return values[0]
    return value


def _int(text: str | None, default: int) -> int:
    try:
        return max(0, int(text)) if text not in (None, "") else default
    except ValueError:
        return default
