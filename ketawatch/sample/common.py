"""Small helpers the renderers share: stable per-record choices, dates, citations, names."""

from __future__ import annotations

import re
import zlib
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketawatch.sample.world import Author, WorldStudy

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

QUALIFIER_ABBR = {"drug therapy": "DT", "therapeutic use": "TU", "administration & dosage": "AD",
                  "adverse effects": "AE", "pharmacology": "PD", "psychology": "PX",
                  "physiopathology": "PP"}


def stable(key: str, salt: str, modulo: int = 100) -> int:
    """A number in [0, modulo) fixed by ``key`` and ``salt``.

    Renderers use it for small presentational choices (is there a keyword list, which copyright
    holder) so that rendering needs no random generator and always gives the same bytes.
    """
    return zlib.crc32(f"{key}:{salt}".encode()) % modulo


def shift(day: date, key: str, salt: str, low: int, high: int) -> date:
    """``day`` moved by a stable number of days in [low, high]."""
    return day + timedelta(days=low + stable(key, salt, high - low + 1))


def authors_short(authors: list[Author]) -> str:
    """'Last AB, Last2 C' as Europe PMC's authorString and citations write it."""
    return ", ".join(a.collective or f"{a.last} {a.initials}" for a in authors)


def pub_date_text(s: WorldStudy) -> str:
    """'2025 Mar' or '2025 Mar 14': the date part of a citation."""
    d = s.pub_date or s.edat
    if d is None:
        return ""
    if s.date_style == "ymd":
        return f"{d.year} {MONTH_ABBR[d.month - 1]} {d.day}"
    if s.date_style == "y":
        return str(d.year)
    return f"{d.year} {MONTH_ABBR[d.month - 1]}"


def citation(s: WorldStudy) -> str:
    """'J Affect Disord. 2025 Mar;12(3):100-110. doi: 10.5555/jad.2025.100123.'"""
    j = s.journal
    parts = f"{j.iso if j else ''}. {pub_date_text(s)}"
    if s.volume:
        parts += f";{s.volume}"
        if s.issue:
            parts += f"({s.issue})"
        if s.pages:
            parts += f":{s.pages}"
    parts += "."
    if s.doi:
        parts += f" doi: {s.doi}."
    if s.status == "Publisher":
        parts += " Online ahead of print."
    return parts


def institution(affiliation: str) -> str:
    """The institution part of 'Department, Institution, City, Country.'."""
    parts = [p.strip() for p in affiliation.split(" Electronic address")[0].rstrip(".").split(",")]
    return parts[1] if len(parts) > 2 else parts[0]


_MENTIONS: dict[str, re.Pattern[str]] = {}


def mentions(text: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``text`` as a whole word (``ketamine`` not in ``esketamine``)."""
    pat = _MENTIONS.get(phrase)
    if pat is None:
        pat = re.compile(r"(?<![a-z])" + re.escape(phrase.lower()) + r"(?![a-z])")
        _MENTIONS[phrase] = pat
    return bool(pat.search(text.lower()))
