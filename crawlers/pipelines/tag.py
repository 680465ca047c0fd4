"""Tagging pipeline: conditions, drugs, routes, design, human, sample size (``ketawatch.tagging``)."""

from __future__ import annotations

from crawlers.pipelines import Pipeline, reject
from ketawatch.tagging import tag_study


class TagPipeline(Pipeline):
    """Tag the item's Study with the fixed vocabulary."""

    def process_item(self, item):
        """Return the item with its Study tagged; a record that breaks the tagger is counted."""
        try:
            item.study = tag_study(item.study)
        except (TypeError, ValueError, AttributeError) as exc:
            raise reject(self.crawler, item, f"cannot tag: {exc}") from exc
        return item
