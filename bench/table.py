"""The benchmark table: one row per figure, the median of its runs, the baseline and the ratio.

A ``Row`` keeps every run's value; the table prints the median. Where a baseline was measured in
the same run the ratio says how many times better ours is (``3.2x`` = ours is 3.2 times faster
or higher; ``0.5x`` = half as fast), whatever the unit's direction. Targets (issue 6) are
checked against the median and marked ``met`` or ``MISSED``.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

#: units where a smaller number is better
LOWER_IS_BETTER = {"s", "ms", "MB"}
HEADERS = ("area", "measurement", "ours (median)", "baseline (median)", "ratio", "target",
           "peak MB ours / baseline")


@dataclass
class Row:
    """One figure of the table, with every run's value."""

    area: str
    what: str
    unit: str
    ours: list[float]
    baseline_name: str = ""
    baseline: list[float] = field(default_factory=list)
    #: the issue's target: a number in ``unit`` and how to print it
    target: float | None = None
    target_text: str = ""
    #: the corpus size the target is set for (None: any size); smaller runs get no verdict
    target_size: int | None = None
    #: the corpus size this row was measured at (set by the suite)
    size: int | None = None
    peak_mb: float | None = None
    baseline_peak_mb: float | None = None
    note: str = ""

    @property
    def lower_is_better(self) -> bool:
        """True for times and sizes, False for throughputs."""
        return self.unit in LOWER_IS_BETTER

    @property
    def median(self) -> float:
        """The median of our runs."""
        return statistics.median(self.ours)

    @property
    def baseline_median(self) -> float | None:
        """The median of the baseline's runs, if one was measured."""
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        """How many times better ours is than the baseline (>1: ours is better)."""
        base = self.baseline_median
        if base is None or not self.median or not base:
            return None
        return base / self.median if self.lower_is_better else self.median / base

    @property
    def target_met(self) -> bool | None:
        """Whether the median meets the target (None without a target)."""
        if self.target is None:
            return None
        if self.target_size and self.size is not None and self.size < self.target_size:
            return None
        if self.lower_is_better:
            return self.median < self.target
        return self.median >= self.target

    def to_dict(self) -> dict[str, Any]:
        """Everything about the row, runs included (for ``--json``)."""
        data = asdict(self)
        data.update(median=self.median, baseline_median=self.baseline_median, ratio=self.ratio,
                    target_met=self.target_met)
        return data


def fmt(value: float | None, unit: str = "") -> str:
    """A number with sensible precision and its unit."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def cells(row: Row) -> list[str]:
    """The printed cells of a row."""
    baseline = "-"
    if row.baseline:
        baseline = f"{fmt(row.baseline_median, row.unit)} ({row.baseline_name})"
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
    target = "-"
    if row.target is not None:
        verdict = {True: "met", False: "MISSED", None: "not judged at this size"}[row.target_met]
        target = f"{row.target_text or fmt(row.target, row.unit)}: {verdict}"
    peak = fmt(row.peak_mb) if row.peak_mb is not None else "-"
    if row.baseline_peak_mb is not None:
        peak += f" / {fmt(row.baseline_peak_mb)}"
    return [row.area, row.what, fmt(row.median, row.unit), baseline, ratio, target, peak]


def render(rows: list[Row], *, title: str, header_lines: list[str] | None = None,
           notes: list[str] | None = None) -> str:
    """The whole table as text: title, header lines, the rows, then the notes of each row."""
    table = [list(HEADERS)] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    out = [title, "=" * len(title)]
    out += header_lines or []
    out.append("")
    for n, line in enumerate(table):
        out.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    row_notes = [f"- {r.area}: {r.what}: {r.note}" for r in rows if r.note]
    if row_notes or notes:
        out.append("")
        out.append("Notes:")
        out += row_notes
        out += [f"- {n}" for n in notes or []]
    return "\n".join(out) + "\n"
