"""Normalization pipeline: clean strings and canonical identifiers (``crawlers.normalize``)."""

from __future__ import annotations

from crawlers.normalize import normalize_study
from crawlers.pipelines import Pipeline, reject


class NormalizePipeline(Pipeline):
    """Normalize the item's Study in place."""

    def process_item(self, item):
        """Return the item with its Study normalized; a record that breaks it is counted."""
        try:
            normalize_study(item.study)
        except (TypeError, ValueError, AttributeError) as exc:
            raise reject(self.crawler, item, f"cannot normalize: {exc}") from exc
        return item
