"""The Scrapy item pipelines, item in, item out, and the Scrapy settings and retry helpers."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.failures import ERRORS, INVALID, record_failure
from crawlers.items import StudyItem
from crawlers.middlewares import retry_after_seconds
from crawlers.pipelines.normalize import NormalizePipeline
from crawlers.pipelines.store import NEW, STUDY_IDS, UNCHANGED, UPDATED, StorePipeline
from crawlers.pipelines.tag import TagPipeline
from crawlers.pipelines.validate import ValidatePipeline
from crawlers.settings import scrapy_settings, user_agent
from crawlers.spiders.clinicaltrials import ClinicalTrialsSpider
from ketawatch.config import load_config
from ketawatch.model import Study
from ketawatch.store import open_store


@pytest.fixture
def config(tmp_path):
    return load_config(home=tmp_path, env={}, clinicaltrials_url="http://127.0.0.1:9/ctgov/",
                       medrxiv_url="http://127.0.0.1:9/biorxiv/",
                       europepmc_url="http://127.0.0.1:9/europepmc/")


@pytest.fixture
def crawler(config):
    return get_crawler(ClinicalTrialsSpider, {"KETAWATCH_CONFIG": config,
                                              "KETAWATCH_STORE_BATCH": 2})


def trial_item(nct: str = "NCT01234567", title: str = "Ketamine infusion for "
               "treatment-resistant depression", **fields) -> StudyItem:
    study = Study(source="clinicaltrials", source_id=nct, nct_ids=[nct], title=title,
                  abstract="A randomized trial of intravenous ketamine.",
                  trial={"status": "RECRUITING", "enrollment": 40}, **fields)
    return StudyItem(study=study, raw='{"raw": true}', url="http://127.0.0.1:9/ctgov/studies")


# -- validate ---------------------------------------------------------------------------------

def test_validate_passes_a_good_item_through_unchanged(crawler):
    item = trial_item()
    before = copy.deepcopy(item)
    assert ValidatePipeline(crawler).process_item(item) is item
    assert item == before
    assert crawler.stats.get_value(INVALID) is None


@pytest.mark.parametrize("item, reason", [
    (trial_item(title="  "), "no title"),
    (trial_item(nct=""), "no source id"),
    (StudyItem(study=Study(source="myspace", source_id="1", title="x")), "unknown source"),
    ({"title": "a dict"}, "not a StudyItem"),
    (StudyItem(study={"title": "x"}), "not a Study"),
])
def test_validate_counts_and_drops_broken_items(crawler, item, reason):
    with pytest.raises(DropItem, match=reason):
        ValidatePipeline(crawler).process_item(item)
    assert crawler.stats.get_value(INVALID) == 1
    assert reason in crawler.stats.get_value(ERRORS)[0]


# -- normalize --------------------------------------------------------------------------------

def test_normalize_cleans_strings_and_identifiers(crawler):
    item = trial_item(title="  Ketamine\u00a0for  TRD \n", doi="https://doi.org/10.1000/ABC",
                      nct="NCT01234567")
    item.study.abstract = "Registered as NCT 2345678.\x07"
    out = NormalizePipeline(crawler).process_item(item)
    assert out is item
    assert out.study.title == "Ketamine for TRD"
    assert out.study.doi == "10.1000/abc"
    assert out.study.nct_ids == ["NCT01234567", "NCT02345678"]
    assert "\x07" not in out.study.abstract


def test_normalize_counts_a_record_it_cannot_read(crawler):
    item = trial_item()
    item.study.comments_corrections = ["not a dict"]
    with pytest.raises(DropItem, match="cannot normalize"):
        NormalizePipeline(crawler).process_item(item)
    assert crawler.stats.get_value(INVALID) == 1


# -- tag --------------------------------------------------------------------------------------

def test_tag_adds_vocabulary_tags(crawler):
    from ketawatch.tagging import tag_study

    item = trial_item()
    expected = tag_study(copy.deepcopy(item.study))
    out = TagPipeline(crawler).process_item(item)
    assert out is item and out.study == expected
    assert "ketamine" in out.study.drugs


# -- store ------------------------------------------------------------------------------------

def test_store_batches_items_and_counts_what_the_store_did(crawler, config):
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    store = open_store(config)
    try:
        first, second, third = (trial_item(nct=f"NCT0123456{i}") for i in range(3))
        assert pipeline.process_item(first) is first
        # the batch (2) is not full: nothing stored yet
        assert store.count_studies() == 0
        pipeline.process_item(second)
        assert store.count_studies() == 2
        assert crawler.stats.get_value(NEW) == 2
        pipeline.process_item(third)
        pipeline.close_spider()
        assert store.count_studies() == 3
        assert crawler.stats.get_value(NEW) == 3
        assert len(crawler.stats.get_value(STUDY_IDS)) == 3
        assert store.raw_record("clinicaltrials", "NCT01234560") == '{"raw": true}'
    finally:
        store.close()


def test_store_counts_updated_and_unchanged_records(crawler, config):
    for _ in range(2):
        pipeline = StorePipeline.from_crawler(crawler)
        pipeline.open_spider()
        pipeline.process_item(trial_item())
        pipeline.close_spider()
    assert crawler.stats.get_value(NEW) == 1 and crawler.stats.get_value(UNCHANGED) == 1
    changed = trial_item()
    changed.study.trial = {"status": "COMPLETED", "enrollment": 40}
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(changed)
    pipeline.close_spider()
    assert crawler.stats.get_value(UPDATED) == 1


# -- settings and helpers ---------------------------------------------------------------------

def test_settings_are_polite_and_open_no_ports(config):
    settings = scrapy_settings(config)
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["LOG_LEVEL"] == "WARNING"
    # a real source gets the configured delay; a local replay server none
    assert settings["DOWNLOAD_DELAY"] == 0.34
    assert scrapy_settings(config.with_overrides(request_delay=1.5))["DOWNLOAD_DELAY"] == 1.5
    assert settings["DOWNLOAD_SLOTS"]["127.0.0.1"] == {"delay": 0.0, "jitter": 0.0}
    pipelines = settings["ITEM_PIPELINES"]
    assert sorted(pipelines, key=pipelines.get) == [
        "crawlers.pipelines.validate.ValidatePipeline",
        "crawlers.pipelines.normalize.NormalizePipeline",
        "crawlers.pipelines.tag.TagPipeline", "crawlers.pipelines.store.StorePipeline"]
    assert settings["DOWNLOADER_MIDDLEWARES"][
        "scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None


def test_user_agent_names_the_project_and_a_contact(config):
    assert user_agent(config) == ("KetaWatch/0.1 (+https://github.com/ketawatch; "
                                  "mailto:ketawatch@localhost)")
    assert user_agent(config.with_overrides(ncbi_email="ops@example.org")).endswith(
        "mailto:ops@example.org)")


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds("0") == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
    later = format_datetime(datetime.fromtimestamp(time.time() + 30, UTC), usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 31
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_record_failure_outside_a_crawl_keeps_the_message():
    spider = ClinicalTrialsSpider()
    record_failure(spider, "page 3 was garbled")
    assert spider.ketawatch_failures == ["page 3 was garbled"]
