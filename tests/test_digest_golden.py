"""Golden files of the rendered digest (HTML, text, the whole message with dates, Message-ID
and MIME boundaries blanked), the public archive and the confirmation mail; and a screenshot
of the HTML digest in headless Chromium.

Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 pytest
tests/test_digest_golden.py`` and review the diff.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
from pathlib import Path

import pytest
from digest_support import (
    add_confirmed,
    article,
    at,
    ingest,
    make_config,
    preprint,
    record_sent,
    trial,
)

from digest.prefs import Preferences
from digest.render import confirmation_message, digest_message, render_archive
from digest.select import select_for_archive, select_for_subscriber
from digest.weeks import parse_week
from ketawatch.store import open_store

GOLDEN = Path(__file__).resolve().parent / "golden"
SCREENSHOT = Path("/tmp/ketawatch_digest.png")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
W47, W48 = parse_week("2026-W47"), parse_week("2026-W48")

STRUCTURED = [
    ["BACKGROUND", "Esketamine nasal spray is approved for treatment-resistant depression."],
    ["METHODS", "We pooled 14 randomized trials (n=2,310)."],
    ["RESULTS", "Response rates were higher with esketamine (RR 1.42)."],
    ["CONCLUSIONS", "Esketamine adds a modest, rapid benefit to oral antidepressants. Effects "
                    "beyond 4 weeks are uncertain. Longer trials are needed."],
]


def scenario(tmp_path, monkeypatch):
    """A store in which Ada's W48 digest has a retraction warning, every section, and a cap."""
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-20T09:00:00Z")
    config = make_config(tmp_path)
    store = open_store(config)
    ingest(store, [article("39000001", "Single-dose ketamine and suicidal ideation: an RCT",
                           doi="10.1000/retract.me", conditions=["suicidal-ideation"],
                           sample_size=48),
                   trial("NCT05000001", "Esketamine in adolescents with TRD")], at("2026-11-17"))
    ada = add_confirmed(store, "ada@example.org", name="Ada Lovelace", when=at("2026-11-16"),
                        max_items=9)
    record_sent(store, config, ada, W47, at("2026-11-20"), message_id="<w47@t>")

    ingest(store, [
        article("39000010", "Esketamine augmentation in treatment-resistant depression: a "
                "systematic review and meta-analysis", design="meta-analysis",
                conditions=["trd", "depression"], drugs=["esketamine"], routes=["intranasal"],
                journal="JAMA Psychiatry", pub_date="2026-11-18", sample_size=2310,
                abstract=" ".join(f"{label}: {text}" for label, text in STRUCTURED),
                abstract_sections=STRUCTURED, doi="10.1001/jamapsychiatry.2026.1",
                authors=["Chen L", "Okafor B", "Silva R", "Novak P"]),
        article("39000011", "Intravenous ketamine versus electroconvulsive therapy for "
                "major depression", conditions=["depression"], sample_size=403,
                journal="N Engl J Med", pub_date="2026-11-12", doi="10.1056/nejmoa2026",
                abstract="Ketamine is used for depression. ECT is the standard. We randomized "
                         "403 patients. Ketamine was noninferior to ECT. Memory was spared."),
        article("39000012", "Ketamine-assisted psychotherapy for PTSD in veterans: a cohort",
                design="observational", conditions=["ptsd"], sample_size=112,
                routes=["im"], journal="J Trauma Stress", pub_date="2026-11"),
        article("39000013", "Oral ketamine in obsessive-compulsive disorder", design="case-report",
                conditions=["ocd"], sample_size=1, routes=["oral"], journal="BMJ Case Rep",
                pub_date="2026-10-30"),
        preprint("10.1101/2026.11.15.26312345", "Arketamine in bipolar depression: an open "
                 "pilot", drugs=["arketamine"], conditions=["bipolar-depression"],
                 design="clinical-trial", sample_size=20),
        trial("NCT05000002", "Ketamine infusions for anxious depression", drugs=["ketamine"],
              routes=["iv"], conditions=["anxiety", "depression"],
              abstract="Adults with anxious depression receive six ketamine infusions or "
                       "midazolam. The primary outcome is the change in HAM-D at day 28."),
        trial("NCT05000003", "Ketamine for alcohol use disorder", drugs=["ketamine"],
              routes=["iv"], conditions=["substance-use"]),
        article("39000014", "Ketamine and sleep: secondary analysis", design="rct",
                conditions=["depression"], pub_date="2026-06-01"),
        article("39000015", "Ketamine in chronic pain with depression", design="observational",
                conditions=["chronic-pain"], pub_date="2026-05-01"),
    ], at("2026-11-24"))
    ingest(store, [trial("NCT05000001", "Esketamine in adolescents with TRD", status="COMPLETED",
                         trial={"status": "COMPLETED", "enrollment": 120, "has_results": True})],
           at("2026-11-25"))
    ingest(store, [article("39000099", "Retraction note: Single-dose ketamine and suicidal "
                           "ideation", design="erratum",
                           comments_corrections=[{"type": "RetractionOf", "pmid": "39000001"}])],
           at("2026-11-26"))
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-27T12:00:00Z")
    ada = store.get_subscriber(ada.id)
    selection = select_for_subscriber(store, ada, Preferences.from_dict(ada.prefs), W48,
                                      base_url=config.base_url)
    return config, store, ada, selection


def blank(raw: bytes) -> str:
    """The message as text with its date, Message-ID and MIME boundaries blanked."""
    text = raw.decode("ascii")
    boundaries = set(re.findall(r'boundary="([^"]+)"', text))
    for boundary in boundaries:
        text = text.replace(boundary, "BOUNDARY")
    text = re.sub(r"^Date: .*$", "Date: DATE", text, flags=re.MULTILINE)
    return re.sub(r"^Message-ID: .*$", "Message-ID: <MESSAGE-ID>", text, flags=re.MULTILINE)


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    with path.open(encoding="utf-8", newline="") as fh:
        expected = fh.read()
    assert actual == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"


@pytest.fixture
def golden_digest(tmp_path, monkeypatch):
    config, store, ada, selection = scenario(tmp_path, monkeypatch)
    message = digest_message(config, ada, Preferences.from_dict(ada.prefs), selection,
                             message_id="<fixed@ketawatch.test>")
    yield config, store, selection, message
    store.close()


def test_the_scenario_is_what_the_golden_files_show(golden_digest):
    _, _, selection, message = golden_digest
    assert [s.key for s in selection.sections] == ["warnings", "top", "other", "preprints",
                                                   "trials"]
    assert len(selection.shown) == 9 and len(selection.hidden) == 1
    assert message["Subject"] == ("KetaWatch 2026-W48: 1 retraction/correction warning, "
                                  "9 new studies, 1 update")


def test_digest_golden_files(golden_digest):
    _, _, _, message = golden_digest
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    check_golden("digest.txt", parsed.get_body(("plain",)).get_content())
    check_golden("digest.html", parsed.get_body(("html",)).get_content())
    check_golden("digest.eml.txt", blank(raw))


def test_archive_golden_files(golden_digest):
    config, store, _, _ = golden_digest
    pages = render_archive(config, select_for_archive(store, W48))
    check_golden("archive.txt", pages.text)
    check_golden("archive.html", pages.html)


def test_confirmation_golden_file(golden_digest):
    config, store, _, _ = golden_digest
    bea, _ = store.add_subscriber("bea@example.org", name="Bea",
                                  prefs=Preferences(conditions=["ptsd"]).validated().to_dict())
    message = confirmation_message(config, bea, Preferences.from_dict(bea.prefs))
    check_golden("confirm.txt", message.get_body(("plain",)).get_content())
    check_golden("confirm.eml.txt", blank(message.as_bytes()))


@pytest.mark.browser
def test_screenshot_in_headless_chromium(golden_digest, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    _, _, _, message = golden_digest
    html = message.get_body(("html",)).get_content()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # no request may leave the page: a mail must render from its own bytes
            requests: list[str] = []
            page = browser.new_page(viewport={"width": 800, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.set_content(html, wait_until="load")
            desktop = tmp_path / "digest-desktop.png"
            page.screenshot(path=str(desktop), full_page=True)
            first_section = page.locator("h2").first
            assert first_section.inner_text() == "Retracted or corrected since we sent them"
            warning_border = page.locator(".item-warning").first.evaluate(
                "e => getComputedStyle(e).borderLeftColor")
            assert warning_border == "rgb(155, 28, 28)"
            assert "And 1 more item: see them all" in page.locator(".more").inner_text()
            phone = browser.new_page(viewport={"width": 375, "height": 800})
            phone.set_content(html, wait_until="load")
            overflow = phone.evaluate("document.documentElement.scrollWidth")
            phone.screenshot(path=str(tmp_path / "digest-phone.png"), full_page=True)
            assert overflow <= 375, f"the digest is {overflow}px wide on a 375px phone"
            assert requests == [] or all(r.startswith("about:") for r in requests), requests
        finally:
            browser.close()
    shutil.copyfile(desktop, SCREENSHOT)
    shutil.copyfile(tmp_path / "digest-phone.png", SCREENSHOT.with_name("ketawatch_digest_phone.png"))
    assert SCREENSHOT.stat().st_size > 10_000
