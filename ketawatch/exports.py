"""Export writers: studies to JSON Lines, CSV, RIS and BibTeX for reference managers.

One entry point, ``write_export(studies, fmt, out)``, serves the ``ketawatch export`` command
and the web app's ``/export.<fmt>`` routes. Crawled text is data in every format:

- CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR)
  get a leading ``'`` (OWASP's advice against CSV injection);
- RIS and BibTeX values are put on one line, so a crawled newline cannot start a new tag or
  entry, and BibTeX's special characters are escaped;
- links are built from identifiers (``ketawatch.links``), never copied from crawled URLs.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from typing import IO

from ketawatch.errors import UsageError
from ketawatch.links import primary_url
from ketawatch.sanitize import one_line, strip_control
from ketawatch.store import StoredStudy
from ketawatch.vocabulary import label

#: format name -> (file extension, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "jsonl": ("jsonl", "application/x-ndjson; charset=utf-8"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "ris": ("ris", "application/x-research-info-systems; charset=utf-8"),
    "bibtex": ("bib", "application/x-bibtex; charset=utf-8"),
}

CSV_COLUMNS = ("id", "pmid", "doi", "pmcid", "nct_ids", "preprint_dois", "title", "authors",
               "journal", "year", "pub_date", "design", "conditions", "drugs", "routes",
               "sample_size", "human", "preprint", "retracted", "corrected", "url", "first_seen",
               "abstract")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_export(studies: Iterable[StoredStudy], fmt: str, out: IO[str]) -> int:
    """Write studies to the text stream ``out`` in format ``fmt``; returns how many were written.

    ``fmt`` is one of ``FORMATS`` (jsonl, csv, ris, bibtex); any other raises UsageError.
    """
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise UsageError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return writer(studies, out)


def export_notes(stored: StoredStudy) -> list[str]:
    """Warnings a reader of the reference must see (retraction, correction, preprint)."""
    s = stored.study
    notes = []
    if s.retracted:
        notes.append("RETRACTED: this study has been retracted.")
    if s.corrected:
        notes.append("CORRECTED: a correction to this study has been published.")
    if s.preprint:
        notes.append("Preprint: not peer reviewed.")
    return notes


# -- JSON Lines -------------------------------------------------------------------------------

def _write_jsonl(studies: Iterable[StoredStudy], out: IO[str]) -> int:
    n = 0
    for stored in studies:
        out.write(json.dumps(stored.to_export(), ensure_ascii=False, sort_keys=True) + "\n")
        n += 1
    return n


# -- CSV --------------------------------------------------------------------------------------

def csv_cell(value: object) -> str:
    """One CSV cell as text, defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    text = strip_control(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_csv(studies: Iterable[StoredStudy], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for stored in studies:
        row = stored.to_export()
        row["url"] = primary_url(stored.study)
        writer.writerow([csv_cell(row.get(col)) for col in CSV_COLUMNS])
        n += 1
    return n


# -- RIS --------------------------------------------------------------------------------------

def ris_type(stored: StoredStudy) -> str:
    """The RIS reference type: JOUR, UNPB for a preprint, DBASE for a trial registration."""
    s = stored.study
    if s.preprint:
        return "UNPB"
    if s.design == "trial-registration" and not s.journal:
        return "DBASE"
    return "JOUR"


def _ris_keywords(stored: StoredStudy) -> list[str]:
    s = stored.study
    words = [label(s.design)] if s.design and s.design != "other" else []
    words += [label(v) for v in s.conditions + s.drugs + s.routes]
    words += s.mesh
    return list(dict.fromkeys(w for w in words if w))


def _write_ris(studies: Iterable[StoredStudy], out: IO[str]) -> int:
    n = 0
    for stored in studies:
        s = stored.study
        lines: list[tuple[str, str]] = [("TY", ris_type(stored)), ("TI", s.title)]
        lines += [("AU", a) for a in s.authors]
        if s.year:
            lines.append(("PY", str(s.year)))
        if s.pub_date:
            parts = (s.pub_date.split("-") + ["", ""])[:3]
            lines.append(("DA", "/".join(parts) + "/"))
        if s.journal:
            lines.append(("JO", s.journal))
        if s.doi:
            lines.append(("DO", s.doi))
        if s.pmid:
            lines.append(("AN", s.pmid))
        if (url := primary_url(s)):
            lines.append(("UR", url))
        if s.abstract:
            lines.append(("AB", s.abstract))
        lines += [("KW", k) for k in _ris_keywords(stored)]
        lines += [("N1", note) for note in export_notes(stored)]
        if s.nct_ids:
            lines.append(("N1", "Trial registration: " + ", ".join(s.nct_ids)))
        if s.sample_size:
            lines.append(("N1", f"Sample size: {s.sample_size}"))
        if s.language:
            lines.append(("LA", s.language))
        lines.append(("ID", f"ketawatch:{stored.id}"))
        for tag, value in lines:
            # one line per tag: a crawled newline must not start a tag of its own
            text = one_line(value)
            if text:
                out.write(f"{tag}  - {text}\r\n")
        out.write("ER  - \r\n\r\n")
        n += 1
    return n


# -- BibTeX -----------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}
_BIBTEX_SPECIAL_RE = re.compile(r"[\\&%$#_^~{}]")
_KEY_RE = re.compile(r"[^A-Za-z0-9]+")


def _braces_balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def bibtex_escape(text: str | None) -> str:
    """Text as a BibTeX/LaTeX value on one line: special characters escaped.

    BibTeX counts every brace, escaped or not, when it looks for the end of a value, so ``\\{``
    is only used when the braces balance; a lone brace becomes ``\\textbraceleft{}``.
    """
    text = one_line(text)
    balanced = _braces_balanced(text)

    def repl(m: re.Match[str]) -> str:
        ch = m.group(0)
        if ch in "{}":
            if balanced:
                return "\\" + ch
            return r"\textbraceleft{}" if ch == "{" else r"\textbraceright{}"
        return _BIBTEX_SPECIAL[ch]

    return _BIBTEX_SPECIAL_RE.sub(repl, text)


def bibtex_author(name: str) -> str:
    """An author name as BibTeX wants it: ``Last, Initials`` for PubMed's ``Last AB`` form.

    A name that is neither ``Last, First`` nor ``Last AB`` (a consortium) is braced so that
    BibTeX keeps it whole.
    """
    name = one_line(name)
    if "," in name:
        return bibtex_escape(name)
    parts = name.split()
    if len(parts) >= 2 and parts[-1].isupper() and parts[-1].isalpha() and len(parts[-1]) <= 3:
        return bibtex_escape(f"{' '.join(parts[:-1])}, {parts[-1]}")
    if len(parts) > 3:
        return "{" + bibtex_escape(name) + "}"
    return bibtex_escape(name)


def bibtex_key(stored: StoredStudy) -> str:
    """A stable citation key: first author's surname, year, and the KetaWatch id."""
    s = stored.study
    first = s.authors[0].split(",")[0].split()[0] if s.authors and s.authors[0].split() else ""
    surname = _KEY_RE.sub("", first.encode("ascii", "ignore").decode()).lower()
    return f"{surname or 'study'}{s.year or ''}kw{stored.id}"


def _write_bibtex(studies: Iterable[StoredStudy], out: IO[str]) -> int:
    n = 0
    for stored in studies:
        s = stored.study
        entry_type = "article" if ris_type(stored) == "JOUR" and s.journal else "misc"
        fields: list[tuple[str, str]] = [("title", "{" + bibtex_escape(s.title) + "}")]
        if s.authors:
            fields.append(("author", " and ".join(bibtex_author(a) for a in s.authors)))
        if s.journal:
            fields.append(("journal" if entry_type == "article" else "howpublished",
                           bibtex_escape(s.journal)))
        if s.year:
            fields.append(("year", str(s.year)))
        if s.doi:
            # DOIs are verbatim in biblatex; braces and backslashes are never part of a real one
            fields.append(("doi", re.sub(r"[{}\\]", "", one_line(s.doi))))
        if s.pmid:
            fields.append(("pmid", s.pmid))
        if (url := primary_url(s)):
            fields.append(("url", url))
        if s.abstract:
            fields.append(("abstract", bibtex_escape(s.abstract)))
        keywords = _ris_keywords(stored)
        if keywords:
            fields.append(("keywords", bibtex_escape(", ".join(keywords))))
        notes = export_notes(stored)
        if s.nct_ids:
            notes.append("Trial registration: " + ", ".join(s.nct_ids))
        if notes:
            fields.append(("note", bibtex_escape(" ".join(notes))))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        out.write(f"@{entry_type}{{{bibtex_key(stored)},\n{body}\n}}\n\n")
        n += 1
    return n


_WRITERS = {"jsonl": _write_jsonl, "csv": _write_csv, "ris": _write_ris, "bibtex": _write_bibtex}
