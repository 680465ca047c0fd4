"""Building a week's public digest: every study first seen in the week, its updates and the
week's retractions, rendered to ``<home>/digests/2026-W48.html`` and ``.txt`` and stored in the
store's ``digests`` table for the web archive."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.render import render_archive
from digest.select import select_for_archive
from digest.weeks import Week
from ketawatch.errors import KetaWatchError


@dataclass
class BuildReport:
    """What ``build_week`` made."""

    week: str
    item_count: int
    new_studies: int
    html_path: Path
    text_path: Path

    def line(self) -> str:
        """One summary line."""
        return (f"digest {self.week}: {self.new_studies} new studies, {self.item_count} items; "
                f"written to {self.html_path} and {self.text_path.name}")


def digests_folder(config: Any) -> Path:
    """Where built digests are written."""
    return config.home_path / "digests"


def _write(path: Path, text: str) -> None:
    """Write a file atomically, so a crash never leaves half a digest on disk."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def build_week(config: Any, store: Any, week: Week) -> BuildReport:
    """Render the public digest of ``week`` to files and to the archive; safe to run again
    (it replaces the week's files and archive entry)."""
    selection = select_for_archive(store, week)
    pages = render_archive(config, selection)
    folder = digests_folder(config)
    html_path = folder / f"{week.label}.html"
    text_path = folder / f"{week.label}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(html_path, pages.html)
        _write(text_path, pages.text)
    except OSError as exc:
        raise KetaWatchError(f"cannot write the digest to {folder}: {exc}") from exc
    store.save_digest(week.label, html=pages.html, text=pages.text,
                      item_count=selection.item_count)
    return BuildReport(week.label, selection.item_count, selection.new_studies, html_path,
                       text_path)
