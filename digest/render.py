"""Rendering digests and confirmation mails: Jinja templates to HTML and text, CSS inlined,
then one ``multipart/alternative`` message built with the standard ``email`` package.

HTML templates are autoescaped, so crawled titles and abstracts stay text; the plain-text part
needs no escaping. Headers are set through ``email``'s header objects, which refuse CR and LF,
on top of the address and name validation done when a subscriber is added.
"""

from __future__ import annotations

import email.policy
import re
import secrets
import sys
from collections import Counter
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import templates
from digest.addresses import domain_of
from digest.mime import (
    BODY_MANAGER,
    QP_LINE_LENGTH,
    EncodedBody,
    FastMessage,
    Piece,
    header,
)
from digest.prefs import Preferences
from digest.present import item_view
from digest.select import DigestItem, Selection
from digest.tokens import make_token
from ketawatch import clock
from ketawatch.errors import ConfigError

TEMPLATES_DIR = Path(templates.__file__).resolve().parent
#: headers of ``list_headers`` that are the same in every mail (parsed once: ``mime.header``)
SHARED_HEADERS = ("List-Id", "List-Unsubscribe-Post")


@dataclass
class RenderedMail:
    """A rendered mail before it becomes a message."""

    subject: str
    text: str
    html: str


@dataclass
class ArchivePages:
    """The rendered public digest of one week: a standalone HTML page and the plain text."""

    html: str
    text: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the mail templates (HTML autoescaped, text not)."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                       autoescape=select_autoescape(enabled_extensions=("html",),
                                                    default_for_string=False, default=False),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       undefined=StrictUndefined)


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # never fetch anything: a stylesheet link in a template must not reach the network;
    # @media rules cannot be inlined and stay in a <style> tag for phones that read it
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """Copy the document's ``<style>`` rules onto its elements."""
    return _inliner().inline(html)


def base_url(config: Any) -> str:
    """The public URL of the web app, without a trailing slash."""
    return str(config.base_url).rstrip("/")


def links_for(config: Any, subscriber: Any) -> dict[str, str]:
    """The signed preference and unsubscribe links of one subscriber."""
    base = base_url(config)
    return {"prefs_url": f"{base}/preferences/{make_token(config, subscriber, 'prefs')}",
            "unsubscribe_url": f"{base}/unsubscribe/{make_token(config, subscriber, 'unsubscribe')}"}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def counts_text(selection: Selection, counts: Counter[str] | None = None) -> str:
    """``12 new studies, 3 updates and 1 retraction warning``.

    ``counts``: ``selection.kind_counts()`` when the caller has it (counting walks the
    digest's items, thousands in a busy week).
    """
    counts = selection.kind_counts() if counts is None else counts
    new_studies, updates = counts["study"], counts["update"]
    parts = [_plural(new_studies, "new study", "new studies")]
    if updates:
        parts.append(_plural(updates, "update", "updates"))
    if selection.warnings:
        parts.append(_plural(len(selection.warnings), "warning about a study you were sent",
                             "warnings about studies you were sent"))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def subject_for(selection: Selection, counts: Counter[str] | None = None) -> str:
    """The subject: the week and the count (``KetaWatch 2026-W48: 12 new studies``).

    ``counts`` as for ``counts_text``.
    """
    week = selection.week.label
    counts = selection.kind_counts() if counts is None else counts
    new_studies, updates = counts["study"], counts["update"]
    parts = []
    if selection.warnings:
        parts.append(_plural(len(selection.warnings), "retraction/correction warning",
                             "retraction/correction warnings"))
    if new_studies or not (updates or selection.warnings):
        parts.append(_plural(new_studies, "new study", "new studies")
                     if new_studies else "no new studies")
    if updates:
        parts.append(_plural(updates, "update", "updates"))
    return f"KetaWatch {week}: {', '.join(parts)}"


def _sections_view(selection: Selection, base: str, *, archive: bool = False
                   ) -> list[dict[str, Any]]:
    return [{"key": s.key, "title": s.title,
             "groups": [{"title": g.title, "entries": [item_view(i, base_url=base, archive=archive)
                                                     for i in g.items]} for g in s.groups]}
            for s in selection.sections]


def digest_context(config: Any, subscriber: Any, prefs: Preferences, selection: Selection,
                   sections: list[dict[str, Any]], links: dict[str, str]) -> dict[str, Any]:
    """What the digest templates show of one subscriber's digest, ``sections`` aside."""
    base = base_url(config)
    more = ({"count": len(selection.hidden), "url": selection.more_url}
            if selection.hidden else None)
    # the items are counted once for the subject and the opening line
    kinds = selection.kind_counts()
    counts = counts_text(selection, kinds)
    return {
        "subject": subject_for(selection, kinds), "week": selection.week.label,
        "span": selection.week.span_text(), "name": subscriber.name, "email": subscriber.email,
        "base_url": base, "sections": sections, "more": more, "empty": selection.empty,
        "counts_text": counts, "prefs_text": prefs.describe(), "archive_url": f"{base}/digests",
        "preheader": counts, **links,
    }


def _item_key(item: DigestItem) -> tuple[str, int, tuple[int, ...]]:
    # what an item's rendering depends on besides the study: how it is told, with which events
    return item.kind, item.study.id, tuple(e.id for e in item.events)


@dataclass
class _ItemParts:
    """One item as every digest shows it: its HTML (CSS inlined) and its text, encoded."""

    html: Piece
    text: Piece


@dataclass
class RenderedDigest:
    """One subscriber's digest, its bodies ready for a message."""

    subject: str
    text: EncodedBody
    html: EncodedBody
    links: dict[str, str]


class DigestRenderer:
    """Renders the digests of one run (one week), each item once for all subscribers.

    An item looks the same in every digest that shows it, so its HTML (with the CSS inlined)
    and its text, each already encoded as quoted-printable, are made the first time a digest
    shows it and reused. For each subscriber only the skeleton of the mail (greeting, counts,
    headings, the "more" line, the footer with their links) is rendered and inlined, with a
    slot where each item goes; the items are then spliced into the slots. Inlining a skeleton
    and its items apart gives what inlining the whole page gives: the stylesheet styles items
    by their own classes and their ancestors, and items are inlined inside the same page.

    Items are keyed by study id, kind and events, not by content: use one renderer per run.
    """

    def __init__(self, config: Any):
        self.config = config
        self.base = base_url(config)
        # slots carry a secret, so no crawled or subscriber text can pass for one
        slot = f"kw-{secrets.token_hex(8)}-"
        self._slot_prefix = slot
        self._html_slot = re.compile(f"<!--{slot}(\\d+)-->\n")
        self._text_slot = re.compile(f"^{slot}(\\d+)\n", re.MULTILINE)
        self._items: dict[tuple[str, int, tuple[int, ...]], _ItemParts] = {}

    def _slot(self, n: int) -> dict[str, str]:
        return {"slot": f"{self._slot_prefix}{n}"}

    def render(self, subscriber: Any, prefs: Preferences, selection: Selection
               ) -> RenderedDigest:
        """One subscriber's digest: subject, text and HTML bodies, and their links."""
        env = environment()
        items = [i for s in selection.sections for g in s.groups for i in g.items]
        keys = [_item_key(i) for i in items]
        numbers = iter(range(len(items)))
        sections = [{"key": s.key, "title": s.title,
                     "groups": [{"title": g.title,
                                 "entries": [self._slot(next(numbers)) for _ in g.items]}
                                for g in s.groups]}
                    for s in selection.sections]
        links = links_for(self.config, subscriber)
        context = digest_context(self.config, subscriber, prefs, selection, sections, links)
        missing = {k: i for k, i in zip(keys, items, strict=True) if k not in self._items}
        if missing:
            self._render_items(context, list(missing.items()))
        parts = [self._items[k] for k in keys]
        html = _splice(inline_css(env.get_template("email/digest.html").render(context)),
                       self._html_slot, [p.html for p in parts])
        text = _splice(env.get_template("email/digest.txt").render(context),
                       self._text_slot, [p.text for p in parts])
        return RenderedDigest(context["subject"], text, html, links)

    def _render_items(self, context: dict[str, Any],
                      items: list[tuple[tuple[str, int, tuple[int, ...]], DigestItem]]) -> None:
        """Render items not seen yet: their HTML inside one page of this subscriber's digest,
        between slots (so the CSS is inlined on them in place, in one pass), and their text."""
        env = environment()
        views = [item_view(item, base_url=self.base) for _, item in items]
        entries: list[dict[str, Any]] = [self._slot(0)]
        for n, view in enumerate(views, 1):
            entries += [view, self._slot(n)]
        page = inline_css(env.get_template("email/digest.html").render(
            {**context, "sections": [{"key": "items", "title": "",
                                      "groups": [{"title": "", "entries": entries}]}]}))
        pieces = self._html_slot.split(page)
        _check_slots(pieces, len(views) + 1)
        render_text = env.get_template("email/_items.txt").module.render_item
        # between slot n - 1 and slot n: item n's HTML and the line break after it
        for (key, _), view, html in zip(items, views, pieces[2:-1:2], strict=True):
            self._items[key] = _ItemParts(Piece.of(html), Piece.of(str(render_text(view))))

    def message(self, subscriber: Any, prefs: Preferences, selection: Selection, *,
                message_id: str | None = None) -> EmailMessage:
        """One subscriber's digest as a message ready to send."""
        rendered = self.render(subscriber, prefs, selection)
        return build_message(self.config, to_email=subscriber.email, to_name=subscriber.name,
                             subject=rendered.subject, text=rendered.text, html=rendered.html,
                             message_id=message_id,
                             headers=list_headers(self.config, rendered.links["unsubscribe_url"]))


def _check_slots(pieces: list[str], count: int) -> None:
    """A page split at its slots must show slots 0 to count - 1, in order, once each."""
    if pieces[1::2] != [str(n) for n in range(count)]:
        raise RuntimeError(f"digest rendering: expected {count} item slots in order, found "
                           f"{pieces[1::2][:5]}...")


def _splice(skeleton: str, slot: re.Pattern[str], parts: list[Piece]) -> EncodedBody:
    """The skeleton with its slots replaced by the items' parts, in order."""
    pieces = slot.split(skeleton)
    _check_slots(pieces, len(parts))
    out: list[Piece] = []
    for text, part in zip(pieces[:-1:2], parts, strict=True):
        out += [Piece.of(text), part]
    out.append(Piece.of(pieces[-1]))
    return EncodedBody(out)


def render_digest(config: Any, subscriber: Any, prefs: Preferences,
                  selection: Selection) -> RenderedMail:
    """One subscriber's digest as subject, text and HTML (CSS inlined)."""
    rendered = DigestRenderer(config).render(subscriber, prefs, selection)
    return RenderedMail(rendered.subject, rendered.text.text, rendered.html.text)


def render_archive(config: Any, selection: Selection) -> ArchivePages:
    """The public digest of a week: a standalone page (the file and the web archive's page)
    and its text."""
    env = environment()
    base = base_url(config)
    counts = _plural(selection.new_studies, "new study", "new studies")
    if selection.updates:
        counts += f", {_plural(selection.updates, 'update', 'updates')}"
    if selection.warnings:
        counts += f", {_plural(len(selection.warnings), 'retraction or correction', 'retractions or corrections')}"
    context = {
        "week": selection.week.label, "span": selection.week.span_text(), "base_url": base,
        "sections": _sections_view(selection, base, archive=True), "empty": selection.empty,
        "counts_text": counts, "subscribe_url": f"{base}/subscribe",
        "archive_url": f"{base}/digests",
    }
    return ArchivePages(html=inline_css(env.get_template("email/archive.html").render(context)),
                        text=env.get_template("email/archive.txt").render(context))


# -- messages ----------------------------------------------------------------------------------

def sender(config: Any) -> tuple[str, str]:
    """(From header, envelope address) of the configured ``mail_from``; ConfigError if bad."""
    header = str(config.mail_from or "").strip()
    _, address = parseaddr(header)
    if not address or "@" not in address or any(c in header for c in "\r\n"):
        raise ConfigError(f"KETAWATCH_MAIL_FROM is not a valid From address: {header!r}")
    return header, address


def new_message_id(config: Any, week: str, subscriber_id: int) -> str:
    """A fresh, globally unique Message-ID for one delivery (short enough never to be folded)."""
    return (f"<kw.{week}.{subscriber_id}.{secrets.token_hex(8)}"
            f"@{domain_of(sender(config)[1])}>")


def build_message(config: Any, *, to_email: str, to_name: str, subject: str,
                  text: str | EncodedBody, html: str | EncodedBody,
                  message_id: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """A ``multipart/alternative`` message (text first, HTML preferred) with our headers.

    ``text`` and ``html`` are strings, or bodies already encoded (``digest.mime``).
    """
    from_header, _ = sender(config)
    international = not to_email.isascii()
    policy = email.policy.SMTPUTF8 if international else email.policy.SMTP
    # parts are encoded with the message's policy: quoted-printable lines of 76 (RFC 2045)
    # written in a fraction of the time, byte for byte as an EmailMessage (digest.mime)
    msg = FastMessage(policy=policy.clone(max_line_length=QP_LINE_LENGTH))
    msg["From"] = header("From", from_header)
    # Address() refuses CR and LF in any part: a second line of defence after validation
    local, _, domain = to_email.rpartition("@")
    msg["To"] = Address(display_name=to_name or "", username=local, domain=domain)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = message_id or make_msgid(domain=domain_of(sender(config)[1]))
    msg["MIME-Version"] = header("MIME-Version", "1.0")
    # RFC 3834: tells vacation responders not to answer a mailing
    msg["Auto-Submitted"] = header("Auto-Submitted", "auto-generated")
    for name, value in (headers or {}).items():
        msg[name] = header(name, value) if name in SHARED_HEADERS else value
    msg.set_content(text, **_body_args(text, "plain"))
    msg.add_alternative(html, **_body_args(html, "html"))
    msg.set_boundary(_boundary([part.get_payload() for part in msg.iter_parts()]))
    # the parts are encoded by now; headers are folded when the message is written, and only
    # past RFC 5322's hard limit: at 78 the email package would turn the long List-Unsubscribe
    # URL into RFC 2047 encoded words, which mail providers do not decode
    msg.policy = policy.clone(max_line_length=998)
    return msg


def _boundary(payloads: list[str]) -> str:
    """A MIME boundary like the email package's, chosen when the message is built: the
    package would otherwise look for its boundary in the whole message with a regular
    expression each time the message is written. Quoted-printable never holds "==", so a
    boundary of equals signs and digits cannot occur in a part; checked all the same."""
    while True:
        boundary = f"{'=' * 15}{secrets.randbelow(sys.maxsize):019d}=="
        if not any(boundary in payload for payload in payloads):
            return boundary


def _body_args(body: str | EncodedBody, subtype: str) -> dict[str, Any]:
    if isinstance(body, EncodedBody):
        return {"subtype": subtype, "content_manager": BODY_MANAGER}
    return {"subtype": subtype, "charset": "utf-8", "cte": "quoted-printable"}


def list_headers(config: Any, unsubscribe_url: str) -> dict[str, str]:
    """RFC 2369/2919/8058 list headers: one-click unsubscribe by HTTPS POST."""
    host = urlsplit(base_url(config)).hostname or "localhost"
    return {
        "List-Id": f"KetaWatch weekly digest <digest.{host}>",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_message(config: Any, subscriber: Any, prefs: Preferences, selection: Selection,
                   *, message_id: str | None = None,
                   renderer: DigestRenderer | None = None) -> EmailMessage:
    """One subscriber's digest as a message ready to send.

    Pass the run's ``renderer`` when sending many digests: it renders each item once.
    """
    return (renderer or DigestRenderer(config)).message(subscriber, prefs, selection,
                                                        message_id=message_id)


def confirmation_message(config: Any, subscriber: Any, prefs: Preferences, *,
                         already: bool = False) -> EmailMessage:
    """The double opt-in mail (or, for an address already confirmed, a note with its links)."""
    env = environment()
    base = base_url(config)
    subject = ("Your KetaWatch subscription" if already
               else "Confirm your KetaWatch weekly digest")
    context = {"subject": subject, "name": subscriber.name, "email": subscriber.email,
               "base_url": base, "already": already, "prefs_text": prefs.describe(),
               "confirm_url": f"{base}/confirm/{make_token(config, subscriber, 'confirm')}",
               **links_for(config, subscriber)}
    html = inline_css(env.get_template("email/confirm.html").render(context))
    text = env.get_template("email/confirm.txt").render(context)
    return build_message(config, to_email=subscriber.email, to_name=subscriber.name,
                         subject=subject, text=text, html=html)
