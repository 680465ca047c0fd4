"""Rendering many digests with one ``DigestRenderer``: each item rendered once, spliced into each
subscriber's skeleton, and encoded once; the result must be the page the templates give when
every item is rendered in place and the CSS inlined on the whole page, and the message the
``email`` package gives for those strings."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

import digest_support
import lxml.html
import pytest
from digest_support import add_confirmed, article, at, ingest, make_config, preprint, trial
from hypothesis import given
from hypothesis import strategies as st

from digest import render
from digest.mime import BODY_MANAGER, QP_LINE_LENGTH, EncodedBody, FastMessage, Piece
from digest.prefs import Preferences
from digest.present import item_view
from digest.select import Candidates, select_for_subscriber
from digest.weeks import parse_week
from ketawatch.store import open_store

W47, W48 = parse_week("2026-W47"), parse_week("2026-W48")
HOSTILE_TITLE = '<script>alert(1)</script> Ketamine "quoted" & more <!--kw-0-->'


def whole_page(config, subscriber, prefs, selection) -> tuple[str, str]:
    """HTML and text of a digest rendered the direct way: every item in the page, the CSS
    inlined on the whole of it."""
    base = render.base_url(config)
    sections = [{"key": s.key, "title": s.title,
                 "groups": [{"title": g.title,
                             "entries": [item_view(i, base_url=base) for i in g.items]}
                            for g in s.groups]}
                for s in selection.sections]
    context = render.digest_context(config, subscriber, prefs, selection, sections,
                                    render.links_for(config, subscriber))
    env = render.environment()
    return (render.inline_css(env.get_template("email/digest.html").render(context)),
            env.get_template("email/digest.txt").render(context))


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Three subscribers with overlapping digests in W48: warnings, new studies, a trial
    update, a published preprint, a cap; hostile crawled text and a hostile name."""
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-20T09:00:00Z")
    config = make_config(tmp_path)
    store = open_store(config)
    ingest(store, [article("1001", "Ketamine and suicidal ideation", doi="10.1000/r.1",
                           conditions=["suicidal-ideation"]),
                   trial("NCT01", "Esketamine in adolescents"),
                   preprint("10.1101/2026.11.01.1", "Oral ketamine for PTSD")], at("2026-11-17"))
    ada = add_confirmed(store, "ada@example.org", name="Ada", when=at("2026-11-16"))
    digest_support.record_sent(store, config, ada, W47, at("2026-11-20"), message_id="<w47@t>")
    ingest(store, [
        article("1002", HOSTILE_TITLE, abstract="CONCLUSIONS: </p></td><b>bold</b> worked.",
                journal="<i>J</i>", authors=["<Eve>"], conditions=["trd"]),
        article("1003", "Esketamine meta-analysis", design="meta-analysis", sample_size=900,
                conditions=["depression"], pub_date="2026-11-18"),
        article("1004", "Ketamine in PTSD: a cohort", design="observational",
                conditions=["ptsd"], routes=["im"]),
        trial("NCT02", "Ketamine for alcohol use disorder", conditions=["substance-use"]),
    ], at("2026-11-24"))
    ingest(store, [trial("NCT01", "Esketamine in adolescents", status="COMPLETED",
                         trial={"status": "COMPLETED", "enrollment": 120, "has_results": True})],
           at("2026-11-25"))
    ingest(store, [article("1099", "Retraction note", design="erratum",
                           comments_corrections=[{"type": "RetractionOf", "pmid": "1001"}])],
           at("2026-11-26"))
    bob = add_confirmed(store, "bob@example.org", name='Bob <!--x--> & "Ünïcode"',
                        when=at("2026-11-16"), conditions=["ptsd", "depression"])
    cy = add_confirmed(store, "cy@example.org", when=at("2026-11-16"), max_items=2)
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")
    candidates = Candidates(store, W48)
    digests = []
    for sub in (store.get_subscriber(ada.id), bob, cy):
        prefs = Preferences.from_dict(sub.prefs)
        digests.append((sub, prefs, select_for_subscriber(store, sub, prefs, W48,
                                                          base_url=config.base_url,
                                                          candidates=candidates)))
    yield config, digests
    store.close()


def test_the_world_has_shared_items_warnings_updates_and_a_cap(world):
    _, digests = world
    kinds = {i.kind for _, _, sel in digests for i in sel.all_items}
    assert kinds == {"study", "update", "warning"}
    assert digests[2][2].hidden, "cy's digest goes over her cap"
    keys = [{render._item_key(i) for i in sel.warnings + sel.shown} for _, _, sel in digests]
    assert keys[0] & keys[1] and keys[0] & keys[2]


def test_a_shared_renderer_gives_the_whole_page_rendering(world):
    config, digests = world
    renderer = render.DigestRenderer(config)
    # twice round, in two orders: items rendered for one subscriber serve the others
    for sub, prefs, selection in digests + digests[::-1]:
        rendered = renderer.render(sub, prefs, selection)
        html, text = whole_page(config, sub, prefs, selection)
        assert rendered.html.text == html
        assert rendered.text.text == text
        assert rendered.subject == render.subject_for(selection)


def test_the_message_is_what_the_email_package_makes_of_the_whole_page(world, monkeypatch):
    config, digests = world
    renderer = render.DigestRenderer(config)
    boundary = "===============0000000000000000042=="
    monkeypatch.setattr(render, "_boundary", lambda payloads: boundary)
    for sub, prefs, selection in digests:
        ours = render.digest_message(config, sub, prefs, selection, message_id="<m@t>",
                                     renderer=renderer)
        html, text = whole_page(config, sub, prefs, selection)
        plain = render.build_message(
            config, to_email=sub.email, to_name=sub.name, subject=render.subject_for(selection),
            text=text, html=html, message_id="<m@t>",
            headers=render.list_headers(config, render.links_for(config, sub)["unsubscribe_url"]))
        assert ours.as_bytes() == plain.as_bytes()


def test_items_are_rendered_and_inlined_once_per_run(world, monkeypatch):
    config, digests = world
    inlined: list[str] = []
    real_inline = render.inline_css
    monkeypatch.setattr(render, "inline_css", lambda html: inlined.append(html) or
                        real_inline(html))
    renderer = render.DigestRenderer(config)
    sub, prefs, selection = digests[0]
    renderer.render(sub, prefs, selection)
    first = sum(page.count('<div class="item ') for page in inlined)
    assert first == len(selection.warnings) + len(selection.shown)
    inlined.clear()
    renderer.render(sub, prefs, selection)
    assert len(inlined) == 1 and '<div class="item ' not in inlined[0]


def test_text_that_looks_like_a_slot_stays_text(world):
    config, digests = world
    renderer = render.DigestRenderer(config)
    sub, prefs, selection = digests[0]
    target = next(i for i in selection.shown if i.study.study.pmid == "1002")
    # the renderer's own (secret) slot names, in a title and a journal: still text
    slot = renderer._slot_prefix
    target.study.study.title = f"<!--{slot}0--> {slot}1\n{slot}2"
    target.study.study.journal = f"\n{slot}0\n"
    rendered = renderer.render(sub, prefs, selection)
    html, text = whole_page(config, sub, prefs, selection)
    assert (rendered.html.text, rendered.text.text) == (html, text)
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//script") == [] and tree.xpath("//b | //i") == []
    titles = [t.text_content() for t in tree.xpath("//p[contains(@class,'title')]")]
    assert f"<!--{slot}0--> {slot}1 {slot}2" in titles


def test_a_skeleton_without_its_slots_is_refused():
    slot = re.compile("<!--s-(\\d+)-->\n")
    with pytest.raises(RuntimeError):
        render._splice("<p>\n<!--s-1-->\n</p>\n", slot, [Piece.of("<div></div>\n")])
    body = render._splice("<p>\n<!--s-0-->\n</p>\n", slot, [Piece.of("<div></div>\n")])
    assert body.text == "<p>\n<div></div>\n</p>\n"


def test_boundaries_are_like_the_email_packages_and_not_in_the_parts(tmp_path):
    config = make_config(tmp_path)
    msg = render.build_message(config, to_email="a@example.org", to_name="", subject="s",
                               text="--=== x ==\n" * 3, html="<p>==</p>")
    boundary = msg.get_boundary()
    assert re.fullmatch(r"={15}\d{19}==", boundary)
    raw = msg.as_bytes()
    assert raw.count(f"--{boundary}".encode()) == 3
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    # the message has CRLF line ends, and so has the decoded text
    assert parsed.get_body(("plain",)).get_content() == "--=== x ==\r\n" * 3


# -- quoted-printable pieces ---------------------------------------------------------------------

#: characters that matter to quoted-printable: spaces and tabs (at line ends), "=", CR, the
#: line breaks ``str.splitlines`` knows beside LF, and multi-byte UTF-8
ALPHABET = st.sampled_from(list("ab =\t.\r\x0c\x0b\x1c\x85\u2028é€😀") + ["x" * 70])


def stdlib_part(text: str, subtype: str = "plain") -> EmailMessage:
    part = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=QP_LINE_LENGTH))
    part.set_content(text, subtype=subtype, charset="utf-8", cte="quoted-printable")
    return part


def our_part(body: EncodedBody, subtype: str = "plain") -> EmailMessage:
    part = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=QP_LINE_LENGTH))
    part.set_content(body, subtype=subtype, content_manager=BODY_MANAGER)
    return part


LINE = st.lists(ALPHABET, max_size=12).map("".join)


@given(st.lists(st.lists(LINE, max_size=4).map(lambda lines: "".join(f"{x}\n" for x in lines)),
                max_size=6),
       LINE)
def test_pieces_ending_with_a_line_break_encode_as_the_whole(pieces, tail):
    body = EncodedBody([Piece.of(p) for p in [*pieces, tail]])
    whole = "".join([*pieces, tail])
    assert body.text == whole
    if whole:  # the pieces' own encodings are used, not a new encoding of the whole
        assert body.encoded == "".join(Piece.of(p).encoded for p in [*pieces, tail] if p)
    assert our_part(body, "html").as_bytes() == stdlib_part(whole, "html").as_bytes()


@given(st.lists(LINE, max_size=5))
def test_any_pieces_encode_as_the_whole(pieces):
    body = EncodedBody([Piece.of(p) for p in pieces])
    assert our_part(body).as_bytes() == stdlib_part("".join(pieces)).as_bytes()


def test_digests_are_written_as_the_email_package_writes_them(world):
    """``FastMessage.as_bytes`` (bodies written in one piece) gives the standard bytes."""
    config, digests = world
    renderer = render.DigestRenderer(config)
    for sub, prefs, selection in digests:
        message = render.digest_message(config, sub, prefs, selection, renderer=renderer)
        assert isinstance(message, FastMessage)
        assert message.as_bytes() == EmailMessage.as_bytes(message)
        assert bytes(message) == EmailMessage.as_bytes(message)


BREAKS = st.lists(st.sampled_from(["ké", "line", " ", "\n", "\r\n", "\r", "From x", "é" * 40]),
                  max_size=30).map("".join)


@given(BREAKS, st.sampled_from(["quoted-printable", "8bit", "base64"]),
       st.sampled_from([email.policy.SMTP, email.policy.SMTPUTF8, email.policy.default]))
def test_any_body_is_written_as_the_email_package_writes_it(text, cte, policy):
    message = FastMessage(policy=policy)
    message["Subject"] = "x"
    message.set_content(text or "-", cte=cte)
    message.add_alternative(f"<p>{text}</p>", subtype="html", cte=cte)
    message.preamble = "".join(c for c in text if c.isascii())  # written as it is
    message.epilogue = "a last line\r\nwithout a line break"
    assert message.as_bytes() == EmailMessage.as_bytes(message)
