"""The query language: parsing, synonyms, field:value, and malformed input that must not crash."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from index.build import update_index
from index.query import (
    Bool,
    Neg,
    Phrase,
    Tag,
    Text,
    YearRange,
    build_query,
    parse_query,
    tag_value,
)
from index.search import SearchRequest, close_searchers, open_searcher
from ketawatch.config import load_config
from ketawatch.errors import InvalidSearchQueryError
from ketawatch.model import Study
from ketawatch.store import open_store


def _words(node) -> list:
    """Text nodes of a tree, as (words, has synonyms) pairs."""
    if isinstance(node, Text):
        return [(" ".join(node.words), node.group is not None)]
    if isinstance(node, Bool):
        return [w for c in node.children for w in _words(c)]
    if isinstance(node, Neg):
        return _words(node.child)
    return []


def test_plain_words_are_concepts_and_multiword_synonyms_are_recognized():
    tree = parse_query("esketamine suicidal ideation adolescents").tree
    assert isinstance(tree, Bool) and tree.op == "implicit"
    assert _words(tree) == [("esketamine", True), ("suicidal ideation", True),
                            ("adolescents", True)]


def test_treatment_resistant_depression_is_one_concept():
    tree = parse_query("treatment-resistant depression meta-analysis").tree
    assert _words(tree) == [("treatment-resistant depression", True), ("meta-analysis", True)]


def test_acronyms_only_match_in_capitals():
    # "IN" is intranasal, "in" is a stop word
    assert _words(parse_query("ketamine IN").tree)[1] == ("IN", True)
    tree = parse_query("ketamine in").tree
    assert _words(tree)[-1] == ("in", False)


def test_query_stop_words_are_dropped():
    assert _words(parse_query("ECT versus ketamine").tree) == [("ECT", True), ("ketamine", False)]


def test_synonyms_expand_to_phrases_on_the_default_fields():
    built = build_query(parse_query("spravato"))
    text = repr(built.query)
    assert "esketamin" in text and "spravato" in text
    # "(S)-ketamine" is a phrase of two index words: a word pair in titles and MeSH...
    assert "Term('title_bi', 's ketamin')" in text
    # ...and left out of the abstract, where it would mean any "s" and "ketamine"
    assert "Term('abstract', 's')" not in text
    assert {"esketamin", "spravato"} <= built.highlight
    assert {(u.field, u.weight) for u in built.units} == {("title", 3.0), ("mesh", 1.5),
                                                          ("abstract", 1.0)}


def test_quoted_phrase_is_exact_without_synonyms():
    tree = parse_query('"suicidal ideation"').tree
    assert tree == Phrase("suicidal ideation")
    built = build_query(parse_query('"suicidal ideation"'))
    # one form (the phrase) per field: no synonyms
    assert [len(u.leaves) for u in built.units] == [1, 1, 1]


def test_boolean_operators_and_parentheses():
    tree = parse_query("(ptsd OR ocd) AND ketamine NOT rats").tree
    assert isinstance(tree, Bool) and tree.op == "and"
    first, second, third = tree.children
    assert isinstance(first, Bool) and first.op == "or"
    assert isinstance(third, Neg)
    built = build_query(parse_query("(ptsd OR ocd) AND ketamine NOT rats")).query
    assert isinstance(built, wq.AndNot)


def test_minus_prefix_negates():
    tree = parse_query("ketamine -mice").tree
    assert isinstance(tree.children[1], Neg)


@pytest.mark.parametrize("text, value", [
    ("condition:PTSD", Tag("condition", "ptsd")),
    ('condition:"treatment-resistant depression"', Tag("condition", "trd")),
    ("drug:spravato", Tag("drug", "esketamine")),
    ("route:IV", Tag("route", "iv")),
    ("design:RCT", Tag("design", "rct")),
    ("design:meta-analysis", Tag("design", "meta-analysis")),
    ("source:medrxiv", Tag("source", "medrxiv")),
    ("nct:NCT01234567", Tag("ids", "nct01234567")),
    ("doi:10.1000/ABC.1", Tag("ids", "10.1000/abc.1")),
    ("year:2020", YearRange(2020, 2020)),
    ("year:[2019 TO 2024]", YearRange(2019, 2024)),
    ("year:2019-2024", YearRange(2019, 2024)),
    ("year:>=2019", YearRange(2019, None)),
    ("year:[2019 TO *]", YearRange(2019, None)),
])
def test_field_values(text, value):
    assert parse_query(text).tree == value


def test_bare_identifiers_search_the_identifier_field():
    assert parse_query("NCT01234567").tree == Tag("ids", "nct01234567")
    assert parse_query("10.1016/j.jad.2023.01.001").tree == Tag("ids", "10.1016/j.jad.2023.01.001")


def test_unknown_tag_value_is_a_clear_error():
    with pytest.raises(InvalidSearchQueryError, match="unknown condition 'flu'.*ptsd"):
        parse_query("condition:flu")
    with pytest.raises(InvalidSearchQueryError, match="not a year"):
        parse_query("year:recent")
    with pytest.raises(InvalidSearchQueryError, match="starts after it ends"):
        parse_query("year:[2024 TO 2019]")


def test_unknown_field_name_is_read_as_words():
    parsed = parse_query("ketamine: a review")
    assert _words(parsed.tree) == [("ketamine:", False), ("a", False), ("review", False)]


def test_tag_value_spellings():
    assert tag_value("condition", "Treatment-resistant depression") == "trd"
    assert tag_value("design", "Systematic review") == "systematic-review"
    assert tag_value("route", "nasal spray") == "intranasal"
    assert tag_value("drug", "ibuprofen") is None


# -- malformed input: repaired or refused, never a crash or a hang --------------------------------

REPAIRED = [
    ('"unclosed phrase', "unbalanced quote"),
    ("(ptsd OR ocd", "parentheses"),
    ("ptsd) OR ocd)", "parentheses"),
    ("AND", "joined nothing"),
    ("OR OR OR ketamine", "joined nothing"),
    ("ketamine AND", "joined nothing"),
    ("NOT", "joined nothing"),
    ("ketamine NOT", "joined nothing"),
    ("() ketamine", None),
    ("title:", None),
    ("-", None),
    ('""', None),
]


@pytest.mark.timeout(5)
@pytest.mark.parametrize("text, message", REPAIRED)
def test_malformed_queries_are_repaired(text, message):
    parsed = parse_query(text)
    if message:
        assert any(message in m for m in parsed.messages), parsed.messages
    build_query(parsed)  # builds without error


REFUSED = ["*", "***", "a*", "ke*", "?", "*ketamine", "((((((((((ketamine))))))))))",
           "x" * 2000, " ".join(["word"] * 100)]


@pytest.mark.timeout(5)
@pytest.mark.parametrize("text", REFUSED)
def test_unreadable_queries_raise_a_clear_error(text, search_config):
    with pytest.raises(InvalidSearchQueryError):
        open_searcher(search_config).search(SearchRequest(query=text))


@pytest.mark.timeout(20)
def test_random_garbage_never_crashes(search_config):
    import random

    rng = random.Random(7)
    alphabet = ['"', "(", ")", "*", "?", ":", "-", "+", "[", "]", "{", "}", " AND ", " OR ",
                " NOT ", "ketamine", "ptsd", "year:", "title:", "condition:", " ", "\\", "/",
                "&&", "||", "^", "~", "\x00", "é"]
    searcher = open_searcher(search_config)
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        try:
            response = searcher.search(SearchRequest(query=text))
        except InvalidSearchQueryError as exc:
            assert str(exc)
        else:
            assert response.total >= 0


def test_wildcards_are_bounded(search_config):
    searcher = open_searcher(search_config)
    response = searcher.search(SearchRequest(query="depress*"))
    assert response.total == 2
    response = searcher.search(SearchRequest(query="ket?mine"))
    assert response.total == 3


def test_wildcard_expanding_to_too_many_words_is_refused(tmp_path):
    config = load_config(home=tmp_path, env={})
    words = " ".join(f"zzz{i:04d}" for i in range(300))
    with open_store(config) as store:
        store.ingest([(Study(source="pubmed", source_id="1", pmid="1", title="Many words",
                             abstract=words), None)])
        update_index(config, store)
    with pytest.raises(InvalidSearchQueryError, match="more than 256 words"):
        open_searcher(config).search(SearchRequest(query="zzz*"))
    assert open_searcher(config).search(SearchRequest(query="zzz012*")).total == 1
    close_searchers()


@pytest.mark.timeout(10)
def test_pathological_query_answers_quickly(search_config):
    """A long query of many operators and phrases is answered, not hung on."""
    text = " OR ".join(f'"ketamine {w}"' for w in ["depression", "ptsd", "ocd"] * 10)
    response = open_searcher(search_config).search(SearchRequest(query=text))
    assert response.total >= 1


@pytest.fixture(scope="module")
def search_config(tmp_path_factory):
    """A tiny store and index for the query tests."""
    config = load_config(home=tmp_path_factory.mktemp("query"), env={})
    studies = [
        Study(source="pubmed", source_id="1", pmid="1", title="Ketamine for depression",
              abstract="Depressive symptoms improved.", design="rct"),
        Study(source="pubmed", source_id="2", pmid="2", title="Ketamine in PTSD",
              abstract="Posttraumatic stress symptoms fell.", design="rct"),
        Study(source="pubmed", source_id="3", pmid="3", title="Ketamine and depressed mood in OCD",
              abstract="Obsessive-compulsive symptoms.", design="observational"),
    ]
    with open_store(config) as store:
        store.ingest([(s, None) for s in studies])
        update_index(config, store)
    yield config
    close_searchers()
