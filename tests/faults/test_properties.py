"""Bad input: property-based tests of the four source parsers and the search query parser.

- The PubMed, ClinicalTrials.gov, medRxiv and Europe PMC parsers, fed the real recorded answers
  of ``shared/fixtures/real`` mutated (cut short, bytes flipped, pieces inserted, deleted or
  repeated, nested thousands deep, fields given values of the wrong type) or arbitrary bytes,
  either parse or raise ParseError/SourceError, and never hang.
- The query parser answers any text within a bound, raising nothing but
  InvalidSearchQueryError; so does a search on a real index.
- XML is parsed without expanding entities (billion laughs, quadratic blow-up) and without
  reading files or URLs (external entities, external DTDs, XInclude).
- Oversized input is bounded: a 50 MB answer is parsed (or refused) in bounded time, a text
  node over libxml2's limit is refused, and a 1 MB title is cut to ``MAX_TEXT`` before it is
  stored.

A property that met a parser bug was a strict xfail naming the bug until it was fixed, with
the smallest input that shows it pinned as an ``@example``.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawlers import clinicaltrials_json, europepmc_json, medrxiv_json, pubmed_xml
from crawlers.normalize import MAX_TEXT
from crawlers.prepare import prepare
from index.build import update_index
from index.query import build_query, parse_query
from index.search import Searcher, SearchRequest
from ketawatch.errors import InvalidSearchQueryError, ParseError, SourceError
from ketawatch.store import open_store

from . import support
from .support import bounded

REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real"
#: one parse of a (mutated) real answer must end within this (seconds)
PARSE_BOUND = 10.0
#: one query must be parsed within this, and searched within SEARCH_BOUND
QUERY_BOUND = 1.0
SEARCH_BOUND = 5.0

FUZZ = settings(max_examples=support.scaled(150, 5000), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def _real(pattern: str) -> list[bytes]:
    found = [p.read_bytes() for p in sorted(REAL.glob(pattern))]
    assert found, f"no real fixtures {pattern} under {REAL}"
    return found


PUBMED = _real("pubmed/*.xml")
CTGOV = _real("clinicaltrials/*.json")
MEDRXIV = _real("biorxiv/*.json")
EUROPEPMC = _real("europepmc/*.json")


# -- what each parser must do ------------------------------------------------------------------


def parse_pubmed(data: bytes) -> None:
    """Parse an efetch answer; every record it returns is a whole PubMed record."""
    records, errors = pubmed_xml.parse_efetch(data)
    for study, raw in records:
        assert study.source == "pubmed" and study.source_id.isdigit() and raw
    assert all(isinstance(e, ParseError) for e in errors)


def parse_ctgov(data: bytes) -> None:
    """Parse a /studies page (or one study) and every record on it."""
    page = clinicaltrials_json.parse_page(data)
    for record in page.get("studies") or [page]:
        try:
            study = clinicaltrials_json.parse_study(record)
        except ParseError:
            continue
        assert study.source_id.startswith("NCT")


def parse_medrxiv(data: bytes) -> None:
    """Parse a /details page and every preprint on it."""
    page = medrxiv_json.parse_page(data)
    for records in medrxiv_json.group_by_doi(page.records).values():
        try:
            medrxiv_json.parse_preprint(records)
        except ParseError:
            continue


def parse_europepmc(data: bytes) -> None:
    """Parse a /search page and every result on it."""
    page = europepmc_json.parse_page(data)
    for record in page.results:
        europepmc_json.is_medrxiv(record)
        try:
            europepmc_json.parse_result(record)
        except ParseError:
            continue


#: known parser bugs: name -> (exception types, module, functions). A fuzz test that meets one
#: counts it and goes on looking for unknown ones. None is open: the ones found (wrong-typed
#: fields, Unicode digits, deep nesting) are fixed and pinned by ``test_fixed_parser_bugs``.
KNOWN_BUGS: dict = {}


def known_bug(exc: BaseException) -> str | None:
    """The name of the known bug an exception comes from, or None."""
    frames = traceback.extract_tb(exc.__traceback__)
    for name, (types, module, functions) in KNOWN_BUGS.items():
        if isinstance(exc, types) and any(
                f.filename.endswith(f"crawlers/{module}.py") and f.name in functions
                for f in frames):
            return name
    return None


def must_parse_or_refuse(parse, data: bytes, counter: str, *, skip_known: bool = False) -> None:
    """``parse(data)`` ends within the bound, raising nothing but ParseError/SourceError.

    ``skip_known``: an exception of a known (already pinned) bug is counted, not raised, so
    that the search goes on for unknown ones.
    """
    support.count(f"inputs tried: {counter}")
    try:
        with bounded(PARSE_BOUND):
            parse(data)
    except (ParseError, SourceError):
        pass
    except Exception as exc:
        name = known_bug(exc) if skip_known else None
        if name is None:
            raise
        support.count(f"known bug met by the fuzzer: {name}")


# -- mutations ---------------------------------------------------------------------------------

XML_PIECES = [b"&#0;", b"&#x110000;", b"<![CDATA[", b"]]>", b"<!--", b"&undefined;", b"\xff\xfe",
              b"\xc3\x28", b"</PubmedArticle>", b"<PubmedArticle>", b"<PMID>0</PMID>",
              b"<Year>\xc2\xb2\xc2\xb2\xc2\xb2\xc2\xb2</Year>", b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
              b"<ERROR>x</ERROR>", b"<Month>13</Month>", b"<Day>99</Day>", b"\x00"]
JSON_PIECES = [b"null", b'"\\ud800"', b"1e999", b"[", b"{", b'"\xc2\xb2"', b"-0", b"true",
               b'"NCT"', b'{"studies": 5}', b'"collection": null', b"\x00"]


@st.composite
def mutated(draw, originals: list[bytes], pieces: list[bytes],
            nest: tuple[bytes, bytes] | None = None):
    """A real answer with a few byte-level mutations (``nest``: also deep nesting)."""
    data = bytearray(draw(st.sampled_from(originals)))
    kinds = ("truncate", "flip", "insert", "delete", "repeat") + (("nest",) if nest else ())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        pos = draw(st.integers(0, len(data)))
        if kind == "truncate":
            del data[pos:]
        elif kind == "flip":
            if data:
                data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.sampled_from(pieces) | st.binary(max_size=32))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 4096))]
        elif kind == "repeat":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 4096))]
        elif nest:
            depth = draw(st.integers(1, 20000))
            data[pos:pos] = nest[0] * depth + nest[1] * draw(st.integers(0, depth))
    return bytes(data)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value[:3]):
            yield from _paths(child, (*path, i))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["", "NA", "2024-01-01", "NCT01234567",
                                              "10.1101/2024.01.01.24300001", "1", "ok", "²",
                                              "١٢"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6)


@st.composite
def retyped(draw, originals: list[bytes]):
    """A real JSON answer with a few values replaced by others of any type, or deleted."""
    doc = json.loads(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return json.dumps(doc).encode()


def _small(originals: list[bytes], limit: int = 60_000) -> list[bytes]:
    return [o for o in originals if len(o) <= limit] or originals[:1]


def _edited(original: bytes, edit) -> bytes:
    doc = json.loads(original)
    edit(doc)
    return json.dumps(doc).encode()


# -- the parsers -------------------------------------------------------------------------------


@FUZZ
@given(data=mutated(PUBMED, XML_PIECES, (b"<a>", b"</a>")) | st.binary(max_size=2048))
def test_pubmed_parser_survives_mutated_and_arbitrary_input(data):
    must_parse_or_refuse(parse_pubmed, data, "PubMed parser")


@FUZZ
@given(data=mutated(CTGOV, JSON_PIECES) | st.binary(max_size=2048))
def test_ctgov_parser_survives_mutated_and_arbitrary_input(data):
    must_parse_or_refuse(parse_ctgov, data, "ClinicalTrials.gov parser")


@FUZZ
@given(data=mutated(MEDRXIV, JSON_PIECES) | st.binary(max_size=2048))
def test_medrxiv_parser_survives_mutated_and_arbitrary_input(data):
    must_parse_or_refuse(parse_medrxiv, data, "medRxiv parser")


@FUZZ
@given(data=mutated(EUROPEPMC, JSON_PIECES) | st.binary(max_size=2048))
def test_europepmc_parser_survives_mutated_and_arbitrary_input(data):
    must_parse_or_refuse(parse_europepmc, data, "Europe PMC parser")


JSON_PARSERS = {"clinicaltrials_json": (parse_ctgov, CTGOV),
                "medrxiv_json": (parse_medrxiv, MEDRXIV),
                "europepmc_json": (parse_europepmc, EUROPEPMC)}


@pytest.mark.parametrize("module", list(JSON_PARSERS))
@FUZZ
@example(depth=100_000, where=0.5)
@given(depth=st.integers(1, 200_000), where=st.floats(0, 1))
def test_json_parsers_refuse_deep_nesting(module, depth, where):
    parse, originals = JSON_PARSERS[module]
    original = originals[0]
    at = int(len(original) * where)
    data = original[:at] + b"[" * depth + b"]" * depth + original[at:]
    must_parse_or_refuse(parse, data, f"{module} parser (nesting)")


def _ctgov_record(edit) -> bytes:
    return _edited(CTGOV[1], lambda d: edit(d["studies"][0]["protocolSection"]))


@pytest.mark.parametrize("parse,data", [
    pytest.param(parse_ctgov, _ctgov_record(lambda p: p.update(statusModule=["RECRUITING"])),
                 id="ctgov statusModule is a list"),
    pytest.param(parse_ctgov, _ctgov_record(
        lambda p: p.update(armsInterventionsModule={"interventions": 5})),
                 id="ctgov interventions is a number"),
    pytest.param(parse_ctgov, _ctgov_record(
        lambda p: p["designModule"].update(enrollmentInfo={"count": "²"})),
                 id="ctgov enrollment count in Unicode digits"),
    pytest.param(parse_medrxiv, _edited(MEDRXIV[-1], lambda d: d["collection"][0].update(
        version="²")), id="medrxiv version in Unicode digits"),
    pytest.param(parse_medrxiv, _edited(MEDRXIV[-1], lambda d: d["messages"][0].update(
        total="²")), id="medrxiv total in Unicode digits"),
    pytest.param(parse_europepmc, _edited(EUROPEPMC[0], lambda d: d.update(hitCount="²")),
                 id="europepmc hitCount in Unicode digits"),
    pytest.param(parse_europepmc, _edited(EUROPEPMC[0], lambda d: d["resultList"]["result"][0]
                                          .update(authorList={"author": [{"lastName": 42}]})),
                 id="europepmc author lastName is a number"),
])
def test_fixed_parser_bugs(parse, data):
    """The smallest inputs of the bugs the fuzzers found stay fixed (each ends in ParseError or a
    record read)."""
    must_parse_or_refuse(parse, data, "fixed bug inputs")


@FUZZ
@given(data=retyped(_small(CTGOV)))
def test_ctgov_parser_survives_values_of_the_wrong_type(data):
    must_parse_or_refuse(parse_ctgov, data, "ClinicalTrials.gov parser", skip_known=True)


@FUZZ
@given(data=retyped(_small(MEDRXIV)))
def test_medrxiv_parser_survives_values_of_the_wrong_type(data):
    must_parse_or_refuse(parse_medrxiv, data, "medRxiv parser", skip_known=True)


@FUZZ
@given(data=retyped(_small(EUROPEPMC)))
def test_europepmc_parser_survives_values_of_the_wrong_type(data):
    must_parse_or_refuse(parse_europepmc, data, "Europe PMC parser", skip_known=True)


# -- the query parser --------------------------------------------------------------------------

QUERY_TOKENS = ["ketamine", "esketamine", "depression", "AND", "OR", "NOT", "&&", "||", "-", "+",
                "(", ")", '"', "'", "*", "?", "depress*", "ket?mine", "a*", "**", "title:",
                "abstract:", "author:", "year:", "year:[2019 TO", "2024]", "year:>=2019",
                "year:2019-2024", "year:abcd", "condition:", "condition:ptsd", "drug:foo",
                "design:rct", "flag:human", "pmid:", "pmid:x1", "doi:10.1001/x", "nct:NCT0123",
                "NCT01234567", "PMC123456", "10.1101/2020.01.01.20000001", "id:", ":", "[",
                "]", "{", "}", "\x00", "\u200b", "é", "𝔡𝔢𝔭", "🙂", "\\", "~2", "^3", "/"]
QUERIES = (st.text(max_size=300)
           | st.lists(st.sampled_from(QUERY_TOKENS) | st.text(max_size=6), max_size=80).map(" ".join)
           | st.lists(st.sampled_from(QUERY_TOKENS), max_size=200).map("".join))


@FUZZ
@example(text="(" * 999)
@example(text="a OR " * 199)
@example(text='"' * 999)
@example(text="NOT " * 249)
@example(text="year:[" + "9" * 990)
@example(text="x" * 1001)
@given(text=QUERIES)
def test_query_parser_answers_any_text_within_a_bound(text):
    support.count("inputs tried: query parser")
    started = time.perf_counter()
    try:
        with bounded(PARSE_BOUND):
            parsed = parse_query(text)
            build_query(parsed, None, mode="and")
            build_query(parsed, None, mode="or")
    except InvalidSearchQueryError:
        pass
    assert time.perf_counter() - started < QUERY_BOUND, f"{text!r} took too long"


@pytest.fixture(scope="module")
def searcher(seed_store, tmp_path_factory):
    """A Searcher on a real index of the seed store's studies."""
    config = seed_store.config(tmp_path_factory.mktemp("query-index"))
    with open_store(config) as store:
        update_index(config, store)
    found = Searcher(Path(config.index_path))
    yield found
    found.close()


@FUZZ
@example(text="ket* OR dep* OR sui* OR ps*")
@example(text="(" * 20 + "ketamine" + ")" * 20)
@given(text=QUERIES)
def test_search_answers_any_query_within_a_bound(searcher, text):
    support.count("inputs tried: search on a real index")
    started = time.perf_counter()
    try:
        with bounded(PARSE_BOUND):
            response = searcher.search(SearchRequest(query=text, per_page=10))
    except InvalidSearchQueryError:
        pass
    else:
        assert response.total >= len(response.results)
    assert time.perf_counter() - started < SEARCH_BOUND, f"{text!r} took too long"


def test_a_one_megabyte_query_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(InvalidSearchQueryError):
        parse_query("ketamine " * 120_000)
    assert time.perf_counter() - started < QUERY_BOUND


# -- XML: no entity expansion, no external resources -------------------------------------------


class _Witness(BaseHTTPRequestHandler):
    """A local web server that records every request (an XML parser must never call it)."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        _Witness.hits.append(self.path)
        body = b'<!ENTITY leak "LEAKED-FROM-THE-NETWORK">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - base signature
        """Stay quiet."""


@pytest.fixture
def witness():
    """The URL of a local server that records requests, and the list of paths it saw."""
    _Witness.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Witness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Witness.hits
    server.shutdown()
    server.server_close()


def _article(title: str, doctype: str = "", pmid: str = "90000001") -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<PubmedArticleSet><PubmedArticle>'
            f'<MedlineCitation Status="MEDLINE"><PMID Version="1">{pmid}</PMID><Article>'
            f"<ArticleTitle>{title}</ArticleTitle><Abstract><AbstractText>Ketamine {title}"
            "</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
            "</PubmedArticleSet>").encode()


LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
HOSTILE = {
    "billion laughs": (f'<!DOCTYPE PubmedArticleSet [<!ENTITY lol0 "lol">{LAUGHS}]>', "&lol9;"),
    "quadratic blow-up": (f'<!DOCTYPE PubmedArticleSet [<!ENTITY big "{"x" * 100_000}">]>',
                          "&big;" * 20_000),
    "external entity (file)": ('<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM '
                               '"file:///etc/passwd">]>', "&xxe;"),
    "external entity (http)": ('<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM '
                               '"{url}/entity">]>', "&xxe;"),
    "external parameter entity": ('<!DOCTYPE PubmedArticleSet [<!ENTITY % p SYSTEM '
                                  '"{url}/parameter"> %p;]>', "&leak;"),
    "external DTD": ('<!DOCTYPE PubmedArticleSet SYSTEM "{url}/dtd">', "&leak;"),
    "XInclude": ("", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                     'href="file:///etc/passwd" parse="text"/>'),
}


@pytest.mark.parametrize("attack", HOSTILE)
def test_xml_entities_are_never_expanded_or_fetched(attack, witness):
    url, hits = witness
    doctype, title = HOSTILE[attack]
    data = _article(title, doctype.replace("{url}", url))
    support.count("hostile XML documents parsed")
    started = time.perf_counter()
    try:
        with bounded(PARSE_BOUND):
            records, errors = pubmed_xml.parse_efetch(data)
    except ParseError:
        records = []
    assert time.perf_counter() - started < 2.0
    assert hits == [], f"the parser fetched {hits}"
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    for study, raw in records:
        text = " ".join((study.title, study.abstract, raw))
        assert passwd not in text and "LEAKED" not in text
        assert len(study.title) < 1000 and "lollol" not in study.title
    # the stored raw record keeps the entity unexpanded, so no later parse can expand it
    for _, raw in records:
        assert len(raw) < len(data) + 1000


def test_a_hostile_efetch_answer_in_a_crawl_fetches_nothing_and_stores_no_secret(
        fault_world, witness, tmp_path):
    url, hits = witness
    doctype = f'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">' \
              f'<!ENTITY web SYSTEM "{url}/entity">]>'
    hostile = _article("Ketamine &xxe; for depression &web;", doctype, pmid="90000002")
    element = hostile[hostile.index(b"<PubmedArticle>"):hostile.index(b"</PubmedArticleSet>")]
    from ketawatch.replay.eutils import EutilsHandler, ReplayArticle
    from ketawatch.replay.server import ReplayServer

    handler = EutilsHandler([ReplayArticle("90000002", fault_world.until, element)])
    with ReplayServer({"eutils/": handler}) as server:
        config = fault_world.config(tmp_path, server)
        with open_store(config) as store:
            result = fault_world.crawl("pubmed", config, store)
            stored = store.find_study("pmid", "90000002")
            raw = store.raw_record("pubmed", "90000002") or ""
    assert result.ok, result.line()
    assert hits == []
    assert stored is not None and "root:" not in stored.study.title + raw


# -- oversized input ---------------------------------------------------------------------------

MEGABYTES = 1024 * 1024


def test_a_text_node_beyond_the_xml_limit_is_refused_quickly():
    data = _article("Ketamine " + "x" * (50 * MEGABYTES))
    started = time.perf_counter()
    with bounded(60), pytest.raises(ParseError):
        pubmed_xml.parse_efetch(data)
    support.count("oversized inputs tried")
    assert time.perf_counter() - started < 30


def _fifty_megabytes_of(unit: bytes, count_: int | None = None) -> int:
    return count_ or (50 * MEGABYTES) // len(unit) + 1


def test_a_fifty_megabyte_efetch_answer_is_parsed_in_bounded_time():
    # a real article, repeated under PMIDs of its own
    article = (REAL / "pubmed" / "meta_harness_efetch_esketamine_3articles.xml").read_bytes()
    start_tag = article.index(b"<PubmedArticle>")
    element = article[start_tag:article.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")]
    pmid = element[element.index(b"<PMID"):element.index(b"</PMID>") + 7]
    copies = _fifty_megabytes_of(element)
    body = b"".join(element.replace(pmid, f'<PMID Version="1">{80000000 + i}</PMID>'.encode(), 1)
                    for i in range(copies))
    data = b'<?xml version="1.0"?>\n<PubmedArticleSet>' + body + b"</PubmedArticleSet>"
    assert len(data) > 50 * MEGABYTES
    started = time.perf_counter()
    with bounded(120):
        records, errors = pubmed_xml.parse_efetch(data)
    support.count("oversized inputs tried")
    assert len(records) == copies and not errors
    assert time.perf_counter() - started < 90


@pytest.mark.parametrize("source", ["clinicaltrials", "medrxiv", "europepmc"])
def test_a_fifty_megabyte_json_page_is_parsed_in_bounded_time(source):
    if source == "clinicaltrials":
        record = json.loads(CTGOV[1])["studies"][0]
        page = {"studies": [record] * _fifty_megabytes_of(json.dumps(record).encode())}
        parse = parse_ctgov
    elif source == "medrxiv":
        doc = json.loads(MEDRXIV[-1])
        unit = json.dumps(doc["collection"][0]).encode()
        doc["collection"] = [dict(doc["collection"][0], doi=f"10.1101/2020.01.01.{i:08d}")
                             for i in range(_fifty_megabytes_of(unit))]
        doc["messages"][0].update(count=len(doc["collection"]), total=len(doc["collection"]))
        page, parse = doc, parse_medrxiv
    else:
        doc = json.loads(EUROPEPMC[0])
        result = doc["resultList"]["result"][0]
        doc["resultList"]["result"] = [result] * _fifty_megabytes_of(json.dumps(result).encode())
        page, parse = doc, parse_europepmc
    data = json.dumps(page).encode()
    assert len(data) > 50 * MEGABYTES
    started = time.perf_counter()
    with bounded(120):
        parse(data)
    support.count("oversized inputs tried")
    assert time.perf_counter() - started < 90


def _one_megabyte_title(source: str) -> object:
    title = "Ketamine for depression " + "and more " * (MEGABYTES // 9)
    if source == "pubmed":
        records, _ = pubmed_xml.parse_efetch(_article(title))
        return records[0][0]
    if source == "clinicaltrials":
        record = json.loads(CTGOV[1])["studies"][0]
        record["protocolSection"]["identificationModule"]["officialTitle"] = title
        return clinicaltrials_json.parse_study(record)
    if source == "medrxiv":
        record = dict(json.loads(MEDRXIV[-1])["collection"][0], title=title)
        return medrxiv_json.parse_preprint([record])
    record = dict(json.loads(EUROPEPMC[0])["resultList"]["result"][0], title=title)
    return europepmc_json.parse_result(record)


@pytest.mark.parametrize("source", support.SOURCES)
def test_a_one_megabyte_title_is_cut_before_it_is_stored(source, tmp_path):
    from ketawatch.config import load_config

    started = time.perf_counter()
    with bounded(60):
        study = prepare(_one_megabyte_title(source))
        with open_store(load_config(home=tmp_path, env={})) as store:
            result = store.ingest([(study, "{}")])
            stored = store.get_study(next(iter(result.study_ids)))
    support.count("oversized inputs tried")
    assert len(stored.study.title) <= MAX_TEXT
    assert stored.study.title.startswith("Ketamine for depression")
    assert time.perf_counter() - started < 30
