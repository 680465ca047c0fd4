"""Searching: filters, facets, sorting, snippets, paging, the request/response API and the CLI."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from index.build import update_index
from index.search import SearchRequest, SearchResponse, close_searchers, open_searcher
from ketawatch.config import load_config
from ketawatch.errors import UsageError
from ketawatch.model import Study
from ketawatch.store import open_store

NOW = "2026-06-01T00:00:00Z"


def _pubmed(pmid: str, title: str, **kw) -> Study:
    base = dict(source="pubmed", source_id=pmid, pmid=pmid, title=title, human=True,
                drugs=["ketamine"], conditions=["depression"], design="observational",
                pub_date="2020-01-01")
    base.update(kw)
    return Study(**base)


STUDIES = [
    _pubmed("101", "Esketamine nasal spray for rapid reduction of suicidal ideation",
            abstract="Patients with suicidal ideation received esketamine or placebo.",
            abstract_sections=[
                ["BACKGROUND", "Suicidal ideation in major depressive disorder is an emergency."],
                ["METHODS", "226 adults were randomized to esketamine or placebo nasal spray."],
                ["CONCLUSIONS", "Esketamine rapidly reduced depressive symptoms; suicidality "
                                "improved in both groups."]],
            drugs=["esketamine"], routes=["intranasal"], design="rct", sample_size=226,
            conditions=["depression", "suicidal-ideation"], pub_date="2020-05-01",
            journal="American Journal of Psychiatry", doi="10.1176/ajp.2020.1",
            authors=["Fu DJ", "Ionescu DF", "Li X", "Lane R"]),
    _pubmed("102", "Ketamine for posttraumatic stress disorder: a randomized trial",
            abstract="Repeated intravenous ketamine infusions reduced PTSD symptom severity.",
            routes=["iv"], design="rct", sample_size=30, conditions=["ptsd"],
            pub_date="2021-07-01", journal="American Journal of Psychiatry"),
    _pubmed("103", "Ketamine in treatment-resistant depression: a meta-analysis",
            abstract="Pooled randomized trials of ketamine in treatment-resistant depression.",
            design="meta-analysis", conditions=["trd", "depression"], routes=["iv"],
            pub_date="2023-01-01", journal="Journal of Affective Disorders", sample_size=900),
    _pubmed("104", "Arketamine produces sustained antidepressant effects in mice",
            abstract="(R)-ketamine had longer-lasting effects than (S)-ketamine in mice.",
            drugs=["arketamine"], design="preclinical", human=False, pub_date="2019-02-01",
            journal="Neuropharmacology"),
    _pubmed("105", "Oral ketamine for depression in palliative care: a case series",
            abstract="Oral ketamine was given to five patients with depression.",
            routes=["oral"], design="case-report", sample_size=5, pub_date="2018-03-01",
            journal="J Palliat Med"),
    _pubmed("106", "Ketamine versus electroconvulsive therapy for major depression",
            abstract="An open-label noninferiority trial compared ketamine with ECT.",
            routes=["iv"], design="rct", sample_size=403, pub_date="2023-06-01",
            journal="N Engl J Med", nct_ids=["NCT03113968"]),
    _pubmed("107", "Ketamine <script>alert(1)</script> & depression",
            abstract="A <b>bold</b> claim about ketamine & depression <img src=x onerror=1>.",
            design="editorial", pub_date="2022-01-01"),
    Study(source="medrxiv", source_id="10.1101/2024.01.01.1", doi="10.1101/2024.01.01.1",
          preprint_dois=["10.1101/2024.01.01.1"], preprint=True,
          title="Intranasal esketamine in adolescents with depression: a cohort preprint",
          abstract="Adolescents treated with esketamine nasal spray.", design="observational",
          drugs=["esketamine"], routes=["intranasal"], conditions=["depression"], human=True,
          pub_date="2024-01-01"),
    _pubmed("109", "Retracted: ketamine cures everything", abstract="Ketamine cured depression.",
            design="rct", sample_size=12, pub_date="2015-01-01", retracted=True),
]


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    config = load_config(home=tmp_path_factory.mktemp("search"), env={})
    with open_store(config) as store:
        store.ingest([(s, None) for s in STUDIES], now=NOW)
        update_index(config, store)
    yield config
    close_searchers()


@pytest.fixture
def searcher(config):
    return open_searcher(config)


def _pmids(response: SearchResponse) -> list[str | None]:
    return [h.pmid or h.doi for h in response.results]


def test_synonyms_find_the_brand_name_and_the_other_spellings(searcher):
    assert _pmids(searcher.search(SearchRequest(query="spravato"))) == [
        "101", "10.1101/2024.01.01.1"]
    assert _pmids(searcher.search(SearchRequest(query="R-ketamine"))) == ["104"]
    assert _pmids(searcher.search(SearchRequest(query="PTSD"))) == ["102"]
    assert _pmids(searcher.search(SearchRequest(query="TRD")))[0] == "103"
    assert "106" in _pmids(searcher.search(SearchRequest(query="ECT")))


def test_title_matches_rank_above_abstract_matches(searcher):
    pmids = _pmids(searcher.search(SearchRequest(query="suicidal ideation")))
    assert pmids[0] == "101"


def test_filters_combine_or_within_a_facet_and_and_across(searcher):
    r = searcher.search(SearchRequest(query="ketamine", designs=["rct", "meta-analysis"],
                                      routes=["iv"]))
    assert sorted(_pmids(r)) == ["102", "103", "106"]
    r = searcher.search(SearchRequest(conditions=["ptsd", "trd"]))
    assert sorted(_pmids(r)) == ["102", "103"]
    r = searcher.search(SearchRequest(year_from=2021, year_to=2023))
    assert sorted(_pmids(r)) == ["102", "103", "106", "107"]
    assert _pmids(searcher.search(SearchRequest(human=False))) == ["104"]
    assert _pmids(searcher.search(SearchRequest(preprint=True))) == ["10.1101/2024.01.01.1"]
    assert "109" not in _pmids(searcher.search(SearchRequest(query="ketamine",
                                                              hide_retracted=True)))
    assert sorted(_pmids(searcher.search(SearchRequest(sources=["medrxiv"])))) == [
        "10.1101/2024.01.01.1"]


def test_facets_count_the_results_and_leave_out_their_own_filter(searcher):
    r = searcher.search(SearchRequest(query="ketamine", designs=["rct"]))
    assert sorted(_pmids(r)) == ["102", "106", "109"]
    facets = dict(r.facets)
    # the design facet ignores the design filter, so the other designs stay selectable
    designs = dict(facets["designs"])
    assert designs == {"rct": 3, "meta-analysis": 1, "preclinical": 1, "case-report": 1,
                       "editorial": 1}
    # other facets count within the filtered results
    assert dict(facets["routes"]) == {"iv": 2}
    assert sum(n for _, n in facets["years"]) == r.total


def test_facets_for_an_empty_query_cover_every_study(searcher):
    r = searcher.search(SearchRequest())
    assert r.total == len(STUDIES)
    flags = dict(r.facets["flags"])
    assert flags == {"human": 8, "animal": 1, "preprint": 1, "retracted": 1}
    assert dict(r.facets["sources"]) == {"pubmed": 8, "medrxiv": 1}


def test_sort_newest_and_evidence(searcher):
    r = searcher.search(SearchRequest(query="ketamine", sort="newest"))
    years = [h.year for h in r.results]
    assert years == sorted(years, reverse=True)
    r = searcher.search(SearchRequest(query="ketamine", sort="evidence"))
    assert _pmids(r)[:2] == ["103", "106"]  # meta-analysis, then the largest RCT
    designs = [h.design for h in r.results]
    assert designs.index("rct") < designs.index("case-report") < designs.index("editorial")


def test_evidence_ranking_lifts_strong_designs_among_equal_matches(searcher):
    on = searcher.search(SearchRequest(query="depression ketamine"))
    off = searcher.search(SearchRequest(query="depression ketamine", evidence_ranking=False))
    assert sorted(_pmids(on)) == sorted(_pmids(off))
    rank_on = {p: i for i, p in enumerate(_pmids(on))}
    rank_off = {p: i for i, p in enumerate(_pmids(off))}
    # the meta-analysis rises (or stays) and the case series sinks (or stays)
    assert rank_on["103"] <= rank_off["103"]
    assert rank_on["105"] >= rank_off["105"]


class _Marks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.marked: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag == "mark"

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.marked.append(data)


def test_snippets_mark_the_query_words_and_prefer_the_conclusions(searcher):
    hit = searcher.search(SearchRequest(query="esketamine suicidal ideation")).results[0]
    assert hit.snippet.startswith("Conclusions: ")
    parser = _Marks()
    parser.feed(hit.snippet)
    assert set(parser.tags) == {"mark"}
    assert {m.lower() for m in parser.marked} >= {"esketamine", "suicidality"}


def test_snippets_and_hits_are_html_safe(searcher):
    hit = searcher.search(SearchRequest(query="bold claim")).results[0]
    assert "<b>" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;b&gt;" in hit.snippet and "&lt;img" in hit.snippet
    parser = _Marks()
    parser.feed(hit.snippet)
    assert set(parser.tags) == {"mark"}
    # titles are data: the hit keeps the raw text, and escaping is the page's job
    assert hit.title == "Ketamine <script>alert(1)</script> & depression"


def test_no_highlight_gives_the_start_of_the_abstract(searcher):
    hit = searcher.search(SearchRequest(query="oral ketamine palliative",
                                        highlight=False)).results[0]
    assert "<mark>" not in hit.snippet
    assert hit.snippet.startswith("Oral ketamine was given")


def test_paging(searcher):
    everything = searcher.search_ids(SearchRequest(sort="newest"))
    assert len(everything) == len(STUDIES)
    page1 = searcher.search(SearchRequest(sort="newest", per_page=4))
    page3 = searcher.search(SearchRequest(sort="newest", per_page=4, page=3))
    assert [h.id for h in page1.results] == everything[:4]
    assert [h.id for h in page3.results] == everything[8:]
    assert page1.pages == 3
    assert searcher.search(SearchRequest(sort="newest", per_page=4, page=9)).results == []


def test_relevance_pages_do_not_overlap(searcher):
    ids = []
    for page in (1, 2, 3):
        ids += [h.id for h in searcher.search(SearchRequest(query="ketamine", per_page=3,
                                                            page=page)).results]
    assert len(ids) == len(set(ids)) == searcher.count(SearchRequest(query="ketamine"))


def test_and_reading_falls_back_to_or_when_nothing_matches_every_word(searcher):
    r = searcher.search(SearchRequest(query="arketamine palliative"))
    assert r.total == 2
    assert "some of them" in r.message


def test_to_dict_is_the_json_contract(searcher):
    r = searcher.search(SearchRequest(query="esketamine", per_page=1))
    data = json.loads(json.dumps(r.to_dict()))
    assert list(data) == ["query", "total", "results", "facets"]
    assert list(data["results"][0]) == ["id", "pmid", "doi", "nct_ids", "title", "year",
                                        "journal", "design", "conditions", "drugs", "routes",
                                        "sample_size", "retracted", "url", "snippet", "score"]
    first = data["results"][0]
    assert first["pmid"] == "101" and first["url"] == "https://pubmed.ncbi.nlm.nih.gov/101/"
    assert data["facets"]["drugs"] == [["esketamine", 2]]
    hit = r.results[0]
    assert hit.authors == ["Fu DJ", "Ionescu DF", "Li X"] and hit.author_count == 4
    assert hit.pub_date == "2020-05-01" and hit.human is True and hit.preprint is False


def test_from_args_reads_web_arguments():
    args = MultiDict([("q", "ketamine"), ("condition", "PTSD"), ("condition", "trd,ocd"),
                      ("design", "RCT"), ("year_from", "2019"), ("human", "1"),
                      ("sort", "evidence"), ("evidence_ranking", "0"), ("page", "2"),
                      ("per_page", "50")])
    req = SearchRequest.from_args(args)
    assert req.conditions == ["ptsd", "trd", "ocd"] and req.designs == ["rct"]
    assert (req.year_from, req.human, req.sort, req.evidence_ranking) == (2019, True,
                                                                          "evidence", False)
    assert (req.page, req.per_page) == (2, 50)
    assert SearchRequest.from_args(MultiDict(req.to_args())) == req


@pytest.mark.parametrize("args, message", [
    ({"condition": "flu"}, "unknown condition"),
    ({"sort": "random"}, "unknown sort"),
    ({"year_from": "twenty"}, "whole number"),
    ({"year_from": "2024", "year_to": "2019"}, "after"),
    ({"per_page": "500"}, "per_page"),
    ({"page": "0"}, "page"),
    ({"page": "100000"}, "beyond"),
    ({"human": "maybe"}, "yes or no"),
])
def test_from_args_refuses_bad_values(args, message):
    with pytest.raises(UsageError, match=message):
        SearchRequest.from_args(args)


def test_search_cli_text_and_json(config, capsys):
    pytest.importorskip("ketawatch.commands.serve", reason="the CLI needs every subcommand module")
    from ketawatch.cli import main

    home = ["--home", str(config.home_path)]
    assert main([*home, "search", "ketamine", "ptsd", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("1-1 of 1 study (")
    assert "[RCT] 2021  Ketamine for posttraumatic stress disorder" in out
    assert "n=30" in out and "PMID 102" in out
    assert main([*home, "search", "ketamine", "--design", "rct", "--year-from", "2020",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 2 and {r["pmid"] for r in data["results"]} == {"102", "106"}
    assert main([*home, "search", "condition:flu"]) == 2
    assert "Error: unknown condition 'flu'" in capsys.readouterr().err
    assert main([*home, "search", "*"]) == 2
    assert main([*home, "search", "ketamine", "--condition", "nonsense"]) == 2


def test_export_cli_writes_the_search_results(config, capsys, tmp_path):
    pytest.importorskip("ketawatch.commands.serve", reason="the CLI needs every subcommand module")
    from ketawatch.cli import main

    home = ["--home", str(config.home_path)]
    out_file = tmp_path / "out.jsonl"
    assert main([*home, "export", "ketamine", "--design", "rct", "--sort", "evidence",
                 "--output", str(out_file)]) == 0
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [r["pmid"] for r in rows][:2] == ["106", "102"]
    assert all(r["design"] == "rct" for r in rows)
    capsys.readouterr()
    assert main([*home, "export"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(STUDIES)


def test_retracted_studies_rank_below_equal_matches(searcher):
    pmids = _pmids(searcher.search(SearchRequest(query="ketamine depression", designs=["rct"])))
    assert pmids[-1] == "109"


def test_search_cli_builds_a_missing_index_from_the_store(tmp_path, capsys):
    pytest.importorskip("ketawatch.commands.serve", reason="the CLI needs every subcommand module")
    from ketawatch.cli import main

    config = load_config(home=tmp_path, env={})
    assert main(["--home", str(tmp_path), "search", "ketamine"]) == 1
    assert "no store" in capsys.readouterr().err
    with open_store(config) as store:
        store.ingest([(STUDIES[1], None)], now=NOW)
    assert main(["--home", str(tmp_path), "search", "ketamine"]) == 0
    captured = capsys.readouterr()
    assert "building it from the store" in captured.err
    assert "1-1 of 1 study" in captured.out
    close_searchers()


def test_long_result_lists_keep_one_order(tmp_path):
    """Pages, and the full list exports read, agree on one order (ties broken the same way)."""
    config = load_config(home=tmp_path, env={})
    designs = ["rct", "observational", "meta-analysis", "case-report", "review"]
    studies = [_pubmed(str(1000 + i), f"Ketamine study {i % 7} of depression",
                       abstract="Ketamine and depression. " * (1 + i % 5),
                       design=designs[i % 5], pub_date=f"{2000 + i % 25}-01-01",
                       sample_size=(i % 9) * 10 or None)
               for i in range(650)]
    with open_store(config) as store:
        store.ingest([(s, None) for s in studies], now=NOW)
        update_index(config, store)
    searcher = open_searcher(config)
    for sort in ("relevance", "evidence", "newest"):
        req = SearchRequest(query="ketamine depression", sort=sort, per_page=100)
        everything = searcher.search_ids(req)
        assert len(everything) == len(set(everything)) == 650
        paged = []
        for page in range(1, 8):
            paged += [h.id for h in searcher.search(SearchRequest(
                query="ketamine depression", sort=sort, per_page=100, page=page)).results]
        assert paged == everything, sort
    close_searchers()
