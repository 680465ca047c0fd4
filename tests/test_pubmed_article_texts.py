"""Tagging workers read their share of a batch from the articles' raw XML, each article parsed
on its own (``parse_article_texts``); the records must be those of the whole answer's parse
(``parse_articles``), and articles that mean something only in their answer go that way.

The crawling process cuts a plain answer at its articles' tags (``split_efetch``) instead of
parsing it: every answer that is not plain goes through ``efetch_articles`` and its checks, and
a malformed article in a plain-looking answer costs its records, never the crawl."""

from __future__ import annotations

import dataclasses

import pytest

from crawlers.prepare_pool import PreparePool, parse_and_prepare
from crawlers.pubmed_xml import (
    _plain_articles,
    efetch_articles,
    parse_article_texts,
    parse_articles,
    split_efetch,
)
from ketawatch.errors import ParseError
from ketawatch.sample import generate


def _plain(items):
    return [dataclasses.asdict(item) if not isinstance(item, ParseError) else str(item)
            for item in items]


def _answers(real_fixtures) -> list[bytes]:
    answers = []
    for path in sorted((real_fixtures / "pubmed").glob("*.xml")):
        data = path.read_bytes()
        try:
            efetch_articles(data)
        except ParseError:
            continue  # not an efetch answer
        answers.append(data)
    corpus = generate(300, seed=3)
    answers.append(corpus.efetch_document(corpus.pubmed))
    return answers


_MATH = ('<?xml version="1.0"?><!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD x//EN" "x.dtd">'
         '<PubmedArticleSet xmlns:mml="http://www.w3.org/1998/Math/MathML"><PubmedArticle>'
         "<MedlineCitation Status=\"MEDLINE\"><PMID>7</PMID><Article><ArticleTitle>A "
         "<mml:math><mml:mi>x</mml:mi></mml:math> &amp; B&#x2009;C</ArticleTitle><Abstract>"
         '<AbstractText Label="AIMS &amp; &quot;GOALS&quot;">P &lt; .05<?pi x y?></AbstractText>'
         "</Abstract></Article></MedlineCitation></PubmedArticle><PubmedArticle>"
         "<MedlineCitation><PMID>8</PMID></MedlineCitation></PubmedArticle></PubmedArticleSet>")
_ENTITY = ('<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY name "value">]>'
           "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>9</PMID><Article>"
           "<ArticleTitle>A &name; B</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
           "</PubmedArticleSet>")


def test_each_article_alone_is_read_as_in_its_answer(real_fixtures) -> None:
    for answer in _answers(real_fixtures):
        articles = efetch_articles(answer)
        half = len(articles) // 2
        alone = parse_article_texts(articles[:half], 0) + parse_article_texts(articles[half:], half)
        assert _plain(alone) == _plain(parse_articles(answer, 0, len(articles)))


def test_namespaces_escapes_and_errors_survive_the_trip() -> None:
    answer = _MATH.encode()
    articles = efetch_articles(answer)
    alone = parse_article_texts(articles[1:], 1)
    assert _plain(parse_article_texts(articles, 0)) == _plain(parse_articles(answer, 0, 2))
    assert isinstance(alone[0], ParseError) and "#2" not in str(alone[0])


def test_an_entity_reference_sends_the_articles_back_to_their_answer() -> None:
    answer = _ENTITY.encode()
    articles = efetch_articles(answer)
    assert "&name;" in articles[0]
    assert parse_article_texts(articles, 0) is None


@pytest.mark.parametrize("answer", [_ENTITY, _MATH])
def test_worker_processes_read_what_inline_reading_reads(answer: str) -> None:
    data = answer.encode()
    articles = efetch_articles(data)
    inline = parse_and_prepare(data, 0, len(articles))
    with PreparePool(2, min_batch=1) as pool:
        records, errors = pool.start(data, articles)()
    assert [dataclasses.asdict(s) for s, _raw in records] == [
        dataclasses.asdict(s) for s in inline if not isinstance(s, str)]
    assert [str(e) for e in errors] == [s for s in inline if isinstance(s, str)]


def test_once_the_workers_run_a_short_batch_goes_to_them_too(monkeypatch) -> None:
    """A crawl's last batch of a search window is short: tagging it in the crawling process
    left the workers idle while it ran. Before any worker is started it is still done inline."""
    from crawlers import prepare_pool

    corpus = generate(40, seed=5)
    data = corpus.efetch_document(corpus.pubmed[:6])
    articles = efetch_articles(data)
    inline = _plain(parse_and_prepare(data, 0, len(articles)))
    calls: list[int] = []
    real = prepare_pool.parse_and_prepare

    def counted(document, start, stop):
        calls.append(stop - start)
        return real(document, start, stop)

    monkeypatch.setattr(prepare_pool, "parse_and_prepare", counted)
    with PreparePool(2, min_batch=4) as pool:
        first, _ = pool.start(data, articles[:2])()  # short, no worker yet: inline
        assert calls == [2]
        whole, _ = pool.start(data, articles)()  # long enough: the workers start
        short, errors = pool.start(data, articles[:2])()  # short, workers running: theirs
    assert calls == [2], "a batch after the workers started was tagged inline"
    assert errors == []
    assert _plain([s for s, _raw in first]) == _plain([s for s, _raw in short]) == inline[:2]
    assert _plain([s for s, _raw in whole]) == inline


_HEAD = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC '
         '"-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
         '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n')


def _article(pmid: int, title: str = "Ketamine for depression") -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">'
            f"{pmid}</PMID><Article PubModel=\"Print\"><ArticleTitle>{title}</ArticleTitle>"
            "</Article></MedlineCitation></PubmedArticle>")


def _answer(*parts: str, head: str = _HEAD, tail: str = "\n") -> bytes:
    return (head + "<PubmedArticleSet>\n" + "\n".join(parts) + "\n</PubmedArticleSet>"
            + tail).encode("utf-8")


def test_real_answers_are_plain_and_read_as_a_whole_parse_reads_them(real_fixtures) -> None:
    """The crawling process cuts a plain efetch answer at its articles' tags
    (``split_efetch``) instead of parsing it; the workers parse each article."""
    for answer in _answers(real_fixtures):
        articles = _plain_articles(answer)
        assert articles is not None, "a real efetch answer was not taken as plain"
        assert articles == split_efetch(answer)
        assert len(articles) == len(efetch_articles(answer))
        half = len(articles) // 2
        alone = parse_article_texts(articles[:half], 0) + parse_article_texts(articles[half:], half)
        assert _plain(alone) == _plain(parse_articles(answer, 0, len(articles)))
        # each is the article as served
        text = answer.decode("utf-8")
        assert all(article in text for article in articles)


@pytest.mark.parametrize("answer", [
    _answer(_article(1), "<!-- </PubmedArticle><PubmedArticle> -->", _article(2)),
    _answer(_article(1), _article(2, "A <![CDATA[</PubmedArticle><PubmedArticle>]]> B")),
    _answer(_article(1), _article(2, "A <?pi </PubmedArticle>?> B")),
    _answer(_article(1), head='<?xml version="1.0" encoding="ISO-8859-1"?>\n'),
    _answer(_article(1), head='<!DOCTYPE PubmedArticleSet [<!ENTITY x "y">]>'),
    _answer(_article(1), "<DeleteCitation><PMID>5</PMID></DeleteCitation>", _article(2)),
    _answer(_article(1).replace("<PubmedArticle>", '<PubmedArticle a="1">'), _article(2)),
    _answer(_article(1), "stray text", _article(2)),
    _answer(_article(1).replace("</MedlineCitation>", _article(3) + "</MedlineCitation>")),
    _answer(_article(1)).replace(b"<PubmedArticleSet>", b'<PubmedArticleSet xmlns:m="u">'),
], ids=["comment", "cdata", "pi", "latin-1", "internal-subset", "delete-citation",
        "attributes", "text", "nested", "namespace"])
def test_an_answer_that_is_not_plain_is_parsed_as_a_whole(answer: bytes) -> None:
    """Comments, CDATA and processing instructions may hide tags; other encodings, entities,
    attributes, stray text and nesting are not what a plain answer holds."""
    assert _plain_articles(answer) is None
    assert split_efetch(answer) == efetch_articles(answer)


@pytest.mark.parametrize("answer", [
    _answer(_article(1), _article(2))[:-40],  # cut short
    _answer(_article(1)) + b"<PubmedArticle>",  # something after the end of the set
    b"<eFetchResult><ERROR>Cannot retrieve history data</ERROR></eFetchResult>",
    b"",
], ids=["cut", "trailing", "error-answer", "empty"])
def test_a_cut_or_error_answer_still_raises_in_the_crawling_process(answer: bytes) -> None:
    with pytest.raises(ParseError):
        split_efetch(answer)


def test_a_malformed_article_in_a_plain_answer_costs_its_records_not_the_crawl() -> None:
    good = [_article(n) for n in (1, 2, 3)]
    broken = _article(4, "Ketamine <i>for depression")  # an unclosed tag
    answer = _answer(*good, broken, _article(5), _article(6))
    articles = split_efetch(answer)
    assert len(articles) == 6
    inline = parse_and_prepare(answer, 0, 6)
    assert all(isinstance(item, str) and "could not be read" in item for item in inline)
    with PreparePool(2, min_batch=1) as pool:
        records, errors = pool.start(answer, articles, "http://x/efetch")()
    # the share holding the broken article is reported, the other share is stored
    assert [study.pmid for study, _raw in records] == ["1", "2", "3"]
    assert [raw for _study, raw in records] == good
    assert len(errors) == 3 and all(e.url == "http://x/efetch" for e in errors)
    assert "#4 in the answer could not be read" in str(errors[0])
