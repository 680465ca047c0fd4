"""Crawled text is data, never markup: the few places that must show HTML go through here.

Most crawled text (titles, abstracts, journals, author names) is simply escaped by Jinja's
autoescape. HTML that must be *shown* as HTML (search snippets with ``<mark>`` highlights) goes
through ``clean_html``, an nh3 (ammonia) allow-list: only the listed tags survive, with no
attributes at all, so neither scripts, event handlers nor links can get through.
"""

from __future__ import annotations

import re

import nh3
from markupsafe import Markup

#: the tags a search snippet may carry
SNIPPET_TAGS = frozenset({"mark"})

# XML 1.0 forbids these control characters; HTML shows them as garbage
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_html(html: str | None, tags: frozenset[str] = SNIPPET_TAGS) -> Markup:
    """Sanitize an HTML fragment to the allowed tags, without any attribute; returns Markup.

    Disallowed tags are dropped (their text kept), except ``script`` and ``style`` whose content
    is dropped too. Use it even on HTML we produced ourselves, as defence in depth.
    """
    if not html:
        return Markup("")
    cleaned = nh3.clean(strip_control(str(html)), tags=set(tags), attributes={},
                        url_schemes=set(), strip_comments=True, link_rel=None)
    return Markup(cleaned)


def clean_snippet(html: str | None) -> Markup:
    """A search snippet as safe Markup: only ``<mark>`` highlights survive."""
    return clean_html(html, SNIPPET_TAGS)


def strip_control(text: str | None) -> str:
    """Text without control characters (tab, newline and carriage return are kept)."""
    return _CONTROL_RE.sub("", text or "")


def one_line(text: str | None) -> str:
    """Text on one line: control characters removed, runs of whitespace made one space."""
    return " ".join(strip_control(text).split())
