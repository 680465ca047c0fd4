"""Crawling ClinicalTrials.gov through the real Scrapy engine against the replay server.

Every crawl runs as the weekly job runs it: ``crawl_with_scrapy`` starts one child process (one
Twisted reactor each), the child stores through the pipelines, and the parent reads its result
line. Nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from crawlers.scrapy_job import crawl_with_scrapy, parse_result_line
from ketawatch.config import load_config
from ketawatch.replay.ctgov import ClinicalTrialsHandler
from ketawatch.replay.server import ReplayServer, Response, first_n
from ketawatch.store import CrawlState, open_store

UNTIL = date(2026, 3, 2)


def ketamine_trial(n: int, *, status: str = "RECRUITING", enrollment: int = 40,
                   enrollment_type: str = "ESTIMATED", has_results: bool = False,
                   updated: str = "2026-01-10") -> dict:
    """An API v2 study record of a ketamine trial, shaped like the real ones."""
    nct = f"NCT0{n:07d}"
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct, "briefTitle": f"Ketamine for Depression {n}",
                "officialTitle": f"A Randomized Trial of Intravenous Ketamine for "
                                 f"Treatment-Resistant Depression ({n})"},
            "statusModule": {
                "overallStatus": status,
                "startDateStruct": {"date": "2025-01"},
                "primaryCompletionDateStruct": {"date": "2026-06", "type": "ESTIMATED"},
                "studyFirstPostDateStruct": {"date": "2025-01-15", "type": "ACTUAL"},
                "lastUpdatePostDateStruct": {"date": updated, "type": "ACTUAL"}},
            "descriptionModule": {"briefSummary": "Adults with treatment-resistant depression "
                                                  "receive ketamine 0.5 mg/kg or midazolam."},
            "conditionsModule": {"conditions": ["Treatment Resistant Depression"]},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2"],
                             "designInfo": {"allocation": "RANDOMIZED"},
                             "enrollmentInfo": {"count": enrollment, "type": enrollment_type}},
            "armsInterventionsModule": {"interventions": [
                {"type": "DRUG", "name": "Ketamine"}, {"type": "DRUG", "name": "Midazolam"}]},
        },
        "hasResults": has_results,
    }


@pytest.fixture
def world(tmp_path):
    """A replay server with five ketamine trials served two a page, a config and a store."""
    handler = ClinicalTrialsHandler([ketamine_trial(n) for n in range(1, 6)], page_size_max=2)
    server = ReplayServer({"ctgov/": handler}).start()
    config = load_config(home=tmp_path, env={}, clinicaltrials_url=server.url + "ctgov/")
    store = open_store(config)
    yield server, handler, config, store
    store.close()
    server.stop()


def search_requests(server) -> list:
    return server.requests_to("ctgov/studies")


def crawl(config, store, **kwargs):
    return crawl_with_scrapy(config, store, "clinicaltrials", until=UNTIL, timeout=60, **kwargs)


def test_crawl_pages_to_the_last_page_and_stores_every_trial(world):
    server, _, config, store = world
    result = crawl(config, store)
    assert result.ok, result.line()
    assert (result.new, result.updated, result.unchanged, result.failed) == (5, 0, 0, 0)
    pages = search_requests(server)
    assert len(pages) == 3
    assert [r.param("pageToken") is None for r in pages] == [True, False, False]
    assert all(r.param("query.intr") == "ketamine OR esketamine OR arketamine" for r in pages)
    assert store.count_studies() == 5
    assert len(result.study_ids) == 5
    stored = store.find_study("nct", "NCT00000003")
    assert stored.study.trial["status"] == "RECRUITING"
    assert json.loads(store.raw_record("clinicaltrials", "NCT00000003"))["hasResults"] is False
    # the window is done: the next run starts where this one ended
    assert store.crawl_state("clinicaltrials").last_until == UNTIL.isoformat()
    assert "KetaWatch/0.1" in pages[0].headers.get("User-Agent", "")


def test_incremental_crawl_asks_only_for_updated_records(world):
    server, _, config, store = world
    store.save_crawl_state(CrawlState("clinicaltrials", last_until="2026-01-01"))
    result = crawl(config, store)
    assert result.ok and result.new == 5
    first = search_requests(server)[0]
    assert first.param("filter.advanced") == \
        "AREA[LastUpdatePostDate]RANGE[2026-01-01,2026-03-02]"


def test_an_empty_search_is_a_successful_crawl(world):
    server, handler, config, store = world
    handler.set_studies([])
    result = crawl(config, store)
    assert result.ok and (result.new, result.failed) == (0, 0)
    assert len(search_requests(server)) == 1
    assert store.count_studies() == 0


def test_429_with_retry_after_is_waited_out(world):
    server, _, config, store = world
    server.faults = first_n(1, Response.text("Too Many Requests", 429, {"Retry-After": "1"}),
                            "ctgov/studies")
    result = crawl(config, store)
    assert result.ok, result.line()
    assert result.new == 5
    assert [r.status for r in search_requests(server)] == [429, 200, 200, 200]
    # the source asked for a second; the crawl waited it out instead of hammering
    assert result.seconds >= 1.0


def test_500_then_success(world):
    server, _, config, store = world
    server.faults = first_n(1, Response.text("Internal Server Error", 500), "ctgov/studies")
    result = crawl(config, store)
    assert result.ok and result.new == 5
    assert [r.status for r in search_requests(server)] == [500, 200, 200, 200]


def test_a_page_that_keeps_failing_is_reported_and_the_window_not_marked_done(world):
    server, _, config, store = world
    server.faults = lambda r: (Response.text("Service Unavailable", 503)
                               if r.param("pageToken") else None)
    result = crawl(config, store)
    assert not result.ok
    assert result.failed == 1 and "HTTP 503" in result.errors[0]
    # the first page was stored before the second failed
    assert result.new == 2 and store.count_studies() == 2
    assert store.crawl_state("clinicaltrials").last_until is None


def test_a_malformed_page_is_reported_and_the_rest_is_kept(world):
    server, _, config, store = world
    server.faults = lambda r: (Response.json(b'{"studies": [{"protocolSection": ')
                               if r.param("pageToken") else None)
    result = crawl(config, store)
    assert not result.ok
    assert result.failed == 1
    assert "malformed JSON" in result.errors[0] and "pageToken=" in result.errors[0]
    # the page was asked for again before it counted as failed
    assert len(search_requests(server)) == 1 + 3
    assert result.new == 2 and store.count_studies() == 2
    assert store.crawl_state("clinicaltrials").last_until is None
    # the source heals: the next run covers the same window and finds everything
    server.faults = None
    again = crawl(config, store)
    assert again.ok and (again.new, again.unchanged) == (3, 2)
    assert store.crawl_state("clinicaltrials").last_until == UNTIL.isoformat()


def test_trial_changes_become_exactly_the_expected_events(world):
    server, handler, config, store = world
    first = crawl(config, store, since=date(2025, 1, 1))
    assert first.ok and first.new == 5
    before = {e.id for e in store.events()}
    assert {e.kind for e in store.events()} == {"new_study"}

    # the registry changes: trial 2 completes and posts results with its actual enrollment
    changed = [ketamine_trial(n) for n in range(1, 6)]
    changed[1] = ketamine_trial(2, status="COMPLETED", enrollment=37, enrollment_type="ACTUAL",
                                has_results=True, updated="2026-02-20")
    handler.set_studies(changed)
    second = crawl(config, store, since=date(2025, 1, 1))
    assert second.ok and (second.new, second.updated, second.unchanged) == (0, 1, 4)
    new_events = [e for e in store.events() if e.id not in before]
    sid = store.find_study("nct", "NCT00000002").id
    assert sorted((e.kind, e.study_id) for e in new_events) == [
        ("enrollment_changed", sid), ("results_posted", sid), ("trial_status_changed", sid)]
    by_kind = {e.kind: e.data for e in new_events}
    assert (by_kind["trial_status_changed"]["from"], by_kind["trial_status_changed"]["to"]) == \
        ("RECRUITING", "COMPLETED")
    assert (by_kind["enrollment_changed"]["from"], by_kind["enrollment_changed"]["to"]) == (40, 37)

    # a third, identical crawl changes nothing and tells nobody anything
    third = crawl(config, store, since=date(2025, 1, 1))
    assert third.ok and (third.new, third.updated, third.unchanged) == (0, 0, 5)
    assert len(store.events()) == len(before) + 3


def test_a_source_that_refuses_connections_is_a_failed_result(world):
    server, _, config, store = world
    server.stop()
    result = crawl(config, store)
    assert not result.ok and result.failed == 1
    assert "ConnectionRefused" in result.errors[0]
    assert store.crawl_state("clinicaltrials").last_until is None


def test_an_unknown_spider_is_a_failed_result_not_an_exception(world):
    _, _, config, store = world
    result = crawl_with_scrapy(config, store, "no-such-spider", until=UNTIL, timeout=60)
    assert not result.ok and result.source == "no-such-spider"
    assert "no-such-spider" in " ".join(result.errors)


def test_a_crawl_past_its_timeout_is_a_failed_result(world):
    _, _, config, store = world
    result = crawl_with_scrapy(config, store, "clinicaltrials", until=UNTIL, timeout=0.01)
    assert not result.ok and "timed out" in result.errors[0]


def test_result_line_parsing_tolerates_noise():
    out = "some warning\nKETAWATCH_RESULT {\"new\": 2, \"failed\": 1, \"errors\": [\"x\"], " \
          "\"study_ids\": [4, 5]}\n"
    result = parse_result_line("clinicaltrials", out)
    assert (result.new, result.failed, result.errors, result.study_ids) == (2, 1, ["x"], {4, 5})
    assert parse_result_line("clinicaltrials", "KETAWATCH_RESULT {broken") is None
    assert parse_result_line("clinicaltrials", "") is None


def test_trial_record_helper_is_valid_api_shape():
    # the helper's records go through the real parser (guards the helper, not just the crawl)
    from crawlers.clinicaltrials_json import parse_study

    study = parse_study(copy.deepcopy(ketamine_trial(7)))
    assert study.source_id == "NCT00000007" and study.trial["enrollment"] == 40
