"""Rendering digests and confirmation mails: Jinja templates to HTML and text, CSS inlined,
then one ``multipart/alternative`` message built with the standard ``email`` package.

HTML templates are autoescaped, so crawled titles and abstracts stay text; the plain-text part
needs no escaping. Headers are set through ``email``'s header objects, which refuse CR and LF,
on top of the address and name validation done when a subscriber is added.
"""

from __future__ import annotations

import email.policy
import secrets
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
from digest.prefs import Preferences
from digest.present import item_view
from digest.select import Selection
from digest.tokens import make_token
from ketawatch import clock
from ketawatch.errors import ConfigError

TEMPLATES_DIR = Path(templates.__file__).resolve().parent


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


def counts_text(selection: Selection) -> str:
    """``12 new studies, 3 updates and 1 retraction warning``."""
    parts = [_plural(selection.new_studies, "new study", "new studies")]
    if selection.updates:
        parts.append(_plural(selection.updates, "update", "updates"))
    if selection.warnings:
        parts.append(_plural(len(selection.warnings), "warning about a study you were sent",
                             "warnings about studies you were sent"))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def subject_for(selection: Selection) -> str:
    """The subject: the week and the count (``KetaWatch 2026-W48: 12 new studies``)."""
    week = selection.week.label
    parts = []
    if selection.warnings:
        parts.append(_plural(len(selection.warnings), "retraction/correction warning",
                             "retraction/correction warnings"))
    if selection.new_studies or not (selection.updates or selection.warnings):
        parts.append(_plural(selection.new_studies, "new study", "new studies")
                     if selection.new_studies else "no new studies")
    if selection.updates:
        parts.append(_plural(selection.updates, "update", "updates"))
    return f"KetaWatch {week}: {', '.join(parts)}"


def _sections_view(selection: Selection, base: str, *, archive: bool = False
                   ) -> list[dict[str, Any]]:
    return [{"key": s.key, "title": s.title,
             "groups": [{"title": g.title, "entries": [item_view(i, base_url=base, archive=archive)
                                                     for i in g.items]} for g in s.groups]}
            for s in selection.sections]


def render_digest(config: Any, subscriber: Any, prefs: Preferences,
                  selection: Selection) -> RenderedMail:
    """One subscriber's digest as subject, text and HTML (CSS inlined)."""
    env = environment()
    base = base_url(config)
    more = ({"count": len(selection.hidden), "url": selection.more_url}
            if selection.hidden else None)
    subject = subject_for(selection)
    context = {
        "subject": subject, "week": selection.week.label, "span": selection.week.span_text(),
        "name": subscriber.name, "email": subscriber.email, "base_url": base,
        "sections": _sections_view(selection, base), "more": more, "empty": selection.empty,
        "counts_text": counts_text(selection), "prefs_text": prefs.describe(),
        "archive_url": f"{base}/digests", "preheader": counts_text(selection),
        **links_for(config, subscriber),
    }
    html = inline_css(env.get_template("email/digest.html").render(context))
    text = env.get_template("email/digest.txt").render(context)
    return RenderedMail(subject, text, html)


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


def build_message(config: Any, *, to_email: str, to_name: str, subject: str, text: str,
                  html: str, message_id: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """A ``multipart/alternative`` message (text first, HTML preferred) with our headers."""
    from_header, _ = sender(config)
    international = not to_email.isascii()
    policy = email.policy.SMTPUTF8 if international else email.policy.SMTP
    # parts are encoded with the message's policy: quoted-printable lines of 76 (RFC 2045)
    msg = EmailMessage(policy=policy.clone(max_line_length=76))
    msg["From"] = from_header
    # Address() refuses CR and LF in any part: a second line of defence after validation
    local, _, domain = to_email.rpartition("@")
    msg["To"] = Address(display_name=to_name or "", username=local, domain=domain)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = message_id or make_msgid(domain=domain_of(sender(config)[1]))
    msg["MIME-Version"] = "1.0"
    # RFC 3834: tells vacation responders not to answer a mailing
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # the parts are encoded by now; headers are folded when the message is written, and only
    # past RFC 5322's hard limit: at 78 the email package would turn the long List-Unsubscribe
    # URL into RFC 2047 encoded words, which mail providers do not decode
    msg.policy = policy.clone(max_line_length=998)
    return msg


def list_headers(config: Any, unsubscribe_url: str) -> dict[str, str]:
    """RFC 2369/2919/8058 list headers: one-click unsubscribe by HTTPS POST."""
    host = urlsplit(base_url(config)).hostname or "localhost"
    return {
        "List-Id": f"KetaWatch weekly digest <digest.{host}>",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_message(config: Any, subscriber: Any, prefs: Preferences, selection: Selection,
                   *, message_id: str | None = None) -> EmailMessage:
    """One subscriber's digest as a message ready to send."""
    rendered = render_digest(config, subscriber, prefs, selection)
    unsubscribe_url = links_for(config, subscriber)["unsubscribe_url"]
    return build_message(config, to_email=subscriber.email, to_name=subscriber.name,
                         subject=rendered.subject, text=rendered.text, html=rendered.html,
                         message_id=message_id, headers=list_headers(config, unsubscribe_url))


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
