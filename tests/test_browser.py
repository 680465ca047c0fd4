"""The search page in a real browser: Debian's headless Chromium driven by Playwright.

The app runs on a free 127.0.0.1 port in a thread (werkzeug's server); the browser may only talk
to it: every other request is blocked and recorded, and the tests assert there was none (no
external fonts, scripts or images). Never run ``playwright install``: the tests use
/usr/bin/chromium, which ``.ci/run`` installs with apt.
"""

from __future__ import annotations

import csv
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import rispy
from web_corpus import build_corpus

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_FOR_LEAD = Path("/tmp/ketawatch_search.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed at /usr/bin/chromium "
                              "(apt-get install chromium; .ci/run does it)"),
]

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright (Python package) is not installed")

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from werkzeug.serving import make_server

    from index.search import close_searchers
    from ketawatch.web import create_app

    config = build_corpus(tmp_path_factory.mktemp("browser"))
    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="ketawatch-web", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    close_searchers()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Guard:
    """Blocks and records every request that is not to 127.0.0.1; records console errors."""

    def __init__(self):
        self.blocked: list[str] = []
        self.console_errors: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)


@pytest.fixture()
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    guard = Guard()
    context.route("**/*", guard.route)
    page = context.new_page()
    page.on("console", guard.console)
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert guard.blocked == [], f"the page tried to load from other hosts: {guard.blocked}"
    # CSP violations (an inline script or style) show up as console errors
    assert guard.console_errors == [], guard.console_errors


def _total(page) -> int:
    return int(page.locator("#total").inner_text())


def test_search_then_filter_by_a_facet(page, base_url, tmp_path):
    page.goto(base_url + "/")
    page.fill("#q", "ketamine")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url("**/search?q=ketamine")
    total = _total(page)
    cards = page.locator("li.card[data-study-id]")
    assert cards.count() == total > 2
    assert page.locator(".snippet mark").count() > 0
    shot = tmp_path / "search.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, SCREENSHOT_FOR_LEAD)

    iv = page.locator('section.facet[data-facet="routes"] li', has_text="IV")
    expected = int(iv.locator(".facet-count").inner_text())
    assert 0 < expected < total
    iv.locator("a").click()
    page.wait_for_url("**route=iv**")
    assert _total(page) == expected
    assert cards.count() == expected
    for i in range(expected):
        assert "IV" in cards.nth(i).locator(".badge").all_inner_texts()
    # removing the filter brings every result back
    page.locator(".active-filters a").first.click()
    page.wait_for_load_state()
    assert _total(page) == total


def test_open_a_study_from_the_results(page, base_url):
    page.goto(base_url + "/search?q=esketamine+suicidal")
    first = page.locator("li.card[data-study-id] h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/study/*")
    assert page.locator("h1").inner_text() == title
    hrefs = page.locator(".identifiers a.external").evaluate_all("els => els.map(e => e.href)")
    assert "https://clinicaltrials.gov/study/NCT04000001" in hrefs
    assert page.locator(".events li").count() >= 2


def test_download_exports_of_the_search(page, base_url, tmp_path):
    page.goto(base_url + "/search?q=ketamine&route=iv")
    with page.expect_download() as info:
        page.click("a.export[data-format=RIS]")
    download = info.value
    assert download.suggested_filename == "ketawatch.ris"
    path = tmp_path / "export.ris"
    download.save_as(str(path))
    records = rispy.loads(path.read_text(encoding="utf-8"))
    assert len(records) == _total(page) == 2
    assert all(r["type_of_reference"] == "JOUR" for r in records)

    with page.expect_download() as info:
        page.click("a.export[data-format=CSV]")
    path = tmp_path / "export.csv"
    info.value.save_as(str(path))
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["pmid"] for r in rows) == ["30000002", "30000008"]


def test_readable_on_a_phone(browser, base_url, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.route("**/*", lambda route: route.continue_()
                  if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
    page = context.new_page()
    page.goto(base_url + "/search?q=ketamine")
    # nothing wider than the screen: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator("li.card[data-study-id]").first.bounding_box()
    assert box["width"] <= 390
    page.screenshot(path=str(tmp_path / "phone.png"))
    context.close()
