"""The result of crawling one source, and the one summary line a run ends with."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SourceResult:
    """What crawling one source did."""

    source: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: records or pages that could not be fetched or parsed (reported, not stored)
    failed: int = 0
    #: why the source failed as a whole, or why some of it failed
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: studies whose stored record changed (the index updates these)
    study_ids: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed and not self.errors

    def line(self) -> str:
        """One line for the run's summary."""
        status = "ok" if self.ok else "FAILED"
        text = (f"{self.source}: {status}; {self.new} new, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.failed} failed ({self.seconds:.1f}s)")
        if self.errors:
            text += f"; {self.errors[0]}"
            if len(self.errors) > 1:
                text += f" (+{len(self.errors) - 1} more)"
        return text


def summary_line(results: list[SourceResult]) -> str:
    """The overall line: sources ok and failed, and the record counts added up."""
    ok = sum(r.ok for r in results)
    return (f"{ok} ok, {len(results) - ok} failed; records: "
            f"{sum(r.new for r in results)} new, {sum(r.updated for r in results)} updated, "
            f"{sum(r.unchanged for r in results)} unchanged, "
            f"{sum(r.failed for r in results)} failed")
