"""Export formats: each parses back with a real parser, keeps warnings, and defuses crawled text."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from pylatexenc.latex2text import LatexNodes2Text
from web_corpus import build_corpus, ingest_corpus, make_config, study_id_of

from ketawatch.errors import UsageError
from ketawatch.exports import (
    CSV_COLUMNS,
    FORMATS,
    bibtex_author,
    bibtex_escape,
    csv_cell,
    write_export,
)
from ketawatch.model import Study
from ketawatch.store import open_store
from ketawatch.web import create_app


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    config = make_config(tmp_path_factory.mktemp("writers"))
    ingest_corpus(config)
    with open_store(config) as store:
        return list(store.iter_studies(with_sources=True))


@pytest.fixture(scope="module")
def client(config):
    return create_app(config).test_client()


def _export(studies, fmt) -> str:
    out = io.StringIO()
    assert write_export(studies, fmt, out) == len(studies)
    return out.getvalue()


def test_jsonl_is_the_export_shape_one_line_per_study(studies):
    lines = _export(studies, "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == [
        json.loads(json.dumps(s.to_export())) for s in studies]


def test_csv_parses_back_with_one_row_per_study(studies):
    rows = list(csv.DictReader(io.StringIO(_export(studies, "csv"))))
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    assert [int(r["id"]) for r in rows] == [s.id for s in studies]
    by_pmid = {r["pmid"]: r for r in rows}
    meta = by_pmid["30000001"]
    assert meta["design"] == "meta-analysis"
    assert meta["authors"] == "Smith J; Doe A; Garcia M"
    assert meta["url"] == "https://pubmed.ncbi.nlm.nih.gov/30000001/"
    assert by_pmid["30000008"]["retracted"] == "true"


def test_ris_parses_back_with_rispy_and_flags_retraction(studies):
    records = rispy.loads(_export(studies, "ris"))
    assert len(records) == len(studies)
    by_an = {r.get("accession_number"): r for r in records}
    meta = by_an["30000001"]
    assert meta["type_of_reference"] == "JOUR"
    assert meta["title"] == "Esketamine for treatment-resistant depression: a meta-analysis"
    assert meta["authors"] == ["Smith J", "Doe A", "Garcia M"]
    assert meta["year"] == "2023"
    assert meta["journal_name"] == "Journal of Affective Disorders"
    assert meta["doi"] == "10.1016/j.jad.2023.01.001"
    assert meta["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/30000001/"]
    assert "Meta-analysis" in meta["keywords"] and "Esketamine" in meta["keywords"]
    # the abstract's sections are one RIS line
    assert meta["abstract"].startswith("Pooled analysis")
    retracted = by_an["30000008"]
    assert any(n.startswith("RETRACTED") for n in retracted["notes"])
    preprint = next(r for r in records if r.get("title", "").startswith("Oral arketamine"))
    assert preprint["type_of_reference"] == "UNPB"
    assert preprint["urls"] == ["https://www.medrxiv.org/content/10.1101/2024.02.01.24302001"]


def test_bibtex_parses_back_and_decodes_to_the_original_text(studies):
    text = _export(studies, "bibtex")
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    assert len(library.entries) == len(studies)
    keys = [e.key for e in library.entries]
    assert len(set(keys)) == len(keys)
    meta = next(e for e in library.entries if e.fields_dict.get("pmid") and
                e.fields_dict["pmid"].value == "30000001")
    assert meta.entry_type == "article"
    assert meta.fields_dict["title"].value.strip("{}") == (
        "Esketamine for treatment-resistant depression: a meta-analysis")
    assert meta.fields_dict["author"].value == "Smith, J and Doe, A and Garcia, M"
    assert meta.fields_dict["doi"].value == "10.1016/j.jad.2023.01.001"
    retracted = next(e for e in library.entries if "RETRACTED" in
                     e.fields_dict.get("note", bibtexparser.model.Field("note", "")).value)
    assert retracted.fields_dict["pmid"].value == "30000008"


def test_bibtex_escapes_special_characters():
    tricky = r"50% & $5 #1 under_score a^b ~x back\slash"
    escaped = bibtex_escape(tricky)
    assert LatexNodes2Text().latex_to_text(escaped).replace("ˆ", "^") == tricky
    # braces: balanced ones are escaped, a lone one cannot unbalance the entry
    assert bibtex_escape("a {b} c") == r"a \{b\} c"
    assert bibtex_escape("lone } brace {") == r"lone \textbraceright{} brace \textbraceleft{}"
    # a crawled newline cannot start a new field or entry
    assert bibtex_escape("line one\n@misc{x,\n") == r"line one @misc\textbraceleft{}x,"


def test_bibtex_survives_hostile_titles(tmp_path):
    study = Study(source="pubmed", source_id="31000001", pmid="31000001",
                  title="Unbalanced } brace, 100% {sure} & more\n@article{evil, title={x}}",
                  authors=["O'Brien, Mary-Kate", "ESKETINTRD Study Group Investigators"],
                  journal="J & J", pub_date="2024")
    config = make_config(tmp_path)
    with open_store(config) as store:
        store.ingest([(study, None)])
        stored = list(store.iter_studies(with_sources=True))
    library = bibtexparser.parse_string(_export(stored, "bibtex"),
                                        append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    assert len(library.entries) == 1
    entry = library.entries[0]
    assert entry.fields_dict["journal"].value == "J & J"
    assert "@article" in entry.fields_dict["title"].value


def test_bibtex_author_forms():
    assert bibtex_author("Smith JA") == "Smith, JA"
    assert bibtex_author("van der Berg, Anna") == "van der Berg, Anna"
    assert bibtex_author("The ESKETINTRD Study Group") == "{The ESKETINTRD Study Group}"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (None, ""), (True, "true"),
    (["a", "b"], "a; b"), (12, "12"),
])
def test_csv_cells_are_defused(value, expected):
    assert csv_cell(value) == expected


def test_unknown_format_is_a_usage_error(studies):
    with pytest.raises(UsageError, match="ris"):
        write_export(studies, "docx", io.StringIO())


# -- web routes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_route_is_an_attachment_of_the_search(client, fmt):
    response = client.get(f"/export.{fmt}?q=esketamine")
    assert response.status_code == 200
    extension, media_type = FORMATS[fmt]
    assert response.headers["Content-Disposition"] == f'attachment; filename="ketawatch.{extension}"'
    assert response.headers["Content-Type"] == media_type
    count = int(response.headers["X-Result-Count"])
    assert count >= 3
    text = response.get_data(as_text=True)
    assert "Esketamine for treatment-resistant depression" in text
    assert "Intravenous ketamine versus midazolam" not in text


def test_export_route_of_a_selection(client, config):
    ids = [study_id_of(config, "pmid", "30000002"), study_id_of(config, "pmid", "30000003")]
    response = client.get(f"/export.ris?ids={ids[0]},{ids[1]},{ids[0]}")
    records = rispy.loads(response.get_data(as_text=True))
    assert [r["accession_number"] for r in records] == ["30000002", "30000003"]


def test_export_route_with_filters_matches_the_search(client):
    rows = list(csv.DictReader(io.StringIO(
        client.get("/export.csv?condition=ptsd").get_data(as_text=True))))
    assert [r["pmid"] for r in rows] == ["30000008"]


@pytest.mark.parametrize("url, status", [
    ("/export.docx?q=ketamine", 404), ("/export.ris?ids=1,abc", 400), ("/export.ris?ids=-1", 400),
])
def test_export_route_errors(client, url, status):
    assert client.get(url).status_code == status
