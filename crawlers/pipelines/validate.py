"""Validation pipeline: refuse items that the store could not file under a source record."""

from __future__ import annotations

from crawlers.items import StudyItem
from crawlers.pipelines import Pipeline, reject
from ketawatch.model import SOURCES, Study


def problems(item) -> list[str]:
    """What makes an item unfit to store (empty when it is fine)."""
    if not isinstance(item, StudyItem):
        return [f"not a StudyItem but {type(item).__name__}"]
    study = item.study
    if not isinstance(study, Study):
        return [f"study is a {type(study).__name__}, not a Study"]
    found = []
    if study.source not in SOURCES:
        found.append(f"unknown source {study.source!r}")
    if not str(study.source_id or "").strip():
        found.append("no source id")
    if not (study.title or "").strip():
        found.append("no title")
    return found


class ValidatePipeline(Pipeline):
    """Drop (and count) items without a known source, a source id or a title."""

    def process_item(self, item):
        """Pass a valid item on; raise DropItem (counted in stats) for a broken one."""
        found = problems(item)
        if found:
            raise reject(self.crawler, item, "; ".join(found))
        return item
