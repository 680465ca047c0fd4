"""Per-tag precision and recall of the tagger over the labelled set tests/data/tagging_eval.jsonl.

Run ``python tests/tagging_report.py`` (``-v`` also lists every wrong record). The test
``tests/test_tagging.py`` imports ``evaluate`` and holds each figure above a floor.

How the figures are counted:

* conditions, drugs, routes: multi-label; for each value, a record counts as a true positive
  when both the tagger and the label have it, a false positive when only the tagger does, a
  false negative when only the label does. ``(all)`` sums over values (micro average).
* design and human: one value per record; per value, precision is how often the tagger's
  value is right, recall how often the labelled value is found; ``(all)`` is accuracy.
* sample_size: ``accuracy`` is exact matches (None included) over all records; ``precision``
  is right numbers among the numbers the tagger gave, ``recall`` right numbers among the labels
  that have one.
* flags (retracted, corrected, preprint) are checked on the records whose label states them.

Records marked ``"split": "holdout"`` were written after the tagger's first version; the
report prints their figures separately as well.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ketawatch.model import Study  # noqa: E402
from ketawatch.tagging import tag_study  # noqa: E402

EVAL_PATH = Path(__file__).resolve().parent / "data" / "tagging_eval.jsonl"
MULTI = ("conditions", "drugs", "routes")
SINGLE = ("design", "human")
FLAGS = ("retracted", "corrected", "preprint")


@dataclass
class Counts:
    """True positives, false positives and false negatives of one tag value."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp), or None when the tagger never gave the value."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn), or None when no label has the value."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def support(self) -> int:
        """How many labels have the value."""
        return self.tp + self.fn


@dataclass
class Report:
    """Counts per field and value, sample-size matches, and the records that went wrong."""

    fields: dict[str, dict[str, Counts]] = field(default_factory=dict)
    records: int = 0
    sample_exact: int = 0
    sample_given: int = 0
    sample_given_right: int = 0
    sample_labelled: int = 0
    sample_labelled_found: int = 0
    flag_checked: int = 0
    flag_right: int = 0
    mistakes: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    def counts(self, name: str, value: str) -> Counts:
        """The counts of one value of one field (created empty on first use)."""
        return self.fields.setdefault(name, {}).setdefault(value, Counts())

    def overall(self, name: str) -> Counts:
        """Counts of one field summed over its values (micro average)."""
        total = Counts()
        for c in self.fields.get(name, {}).values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total

    @property
    def sample_accuracy(self) -> float:
        """Exact sample-size matches (None == None counts) over all records."""
        return self.sample_exact / self.records if self.records else 0.0

    @property
    def sample_precision(self) -> float | None:
        """Right numbers among the numbers the tagger gave."""
        return self.sample_given_right / self.sample_given if self.sample_given else None

    @property
    def sample_recall(self) -> float | None:
        """Right numbers among the labels that state a number."""
        return (self.sample_labelled_found / self.sample_labelled
                if self.sample_labelled else None)


def load_eval(path: Path = EVAL_PATH) -> list[dict[str, Any]]:
    """The labelled records, one JSON object per line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _key(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def evaluate(records: Iterable[dict[str, Any]],
             tagger: Callable[[Study], Study] = tag_study) -> Report:
    """Tag every record's study and count agreement with its labels."""
    report = Report()
    for record in records:
        report.records += 1
        study = tagger(Study.from_dict(record["study"]))
        expected = record["expected"]
        for name in MULTI:
            got, want = set(getattr(study, name)), set(expected[name])
            for value in got | want:
                c = report.counts(name, value)
                if value in got and value in want:
                    c.tp += 1
                elif value in got:
                    c.fp += 1
                else:
                    c.fn += 1
            if got != want:
                report.mistakes.append((record["id"], name, sorted(got), sorted(want)))
        for name in SINGLE:
            got, want = _key(getattr(study, name)), _key(expected[name])
            if got == want:
                report.counts(name, want).tp += 1
            else:
                report.counts(name, got).fp += 1
                report.counts(name, want).fn += 1
                report.mistakes.append((record["id"], name, got, want))
        got_n, want_n = study.sample_size, expected["sample_size"]
        report.sample_exact += got_n == want_n
        if got_n is not None:
            report.sample_given += 1
            report.sample_given_right += got_n == want_n
        if want_n is not None:
            report.sample_labelled += 1
            report.sample_labelled_found += got_n == want_n
        if got_n != want_n:
            report.mistakes.append((record["id"], "sample_size", got_n, want_n))
        for flag in FLAGS:
            if flag in expected:
                report.flag_checked += 1
                right = getattr(study, flag) == expected[flag]
                report.flag_right += right
                if not right:
                    report.mistakes.append((record["id"], flag, getattr(study, flag),
                                            expected[flag]))
    return report


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.2f}"


def format_table(report: Report) -> str:
    """The report as a plain-text table: field, value, precision, recall, support."""
    lines = [f"{'field':<12} {'value':<20} {'prec':>5} {'rec':>5} {'n':>4}", "-" * 50]
    for name in (*MULTI, *SINGLE):
        for value in sorted(report.fields.get(name, {})):
            c = report.fields[name][value]
            lines.append(f"{name:<12} {value:<20} {_fmt(c.precision)} {_fmt(c.recall)} "
                         f"{c.support:>4}")
        total = report.overall(name)
        lines.append(f"{name:<12} {'(all)':<20} {_fmt(total.precision)} {_fmt(total.recall)} "
                     f"{total.support:>4}")
        lines.append("")
    lines.append(f"{'sample_size':<12} {'exact match':<20} {_fmt(report.sample_accuracy)} "
                 f"{'':>5} {report.records:>4}")
    lines.append(f"{'sample_size':<12} {'numbers given':<20} {_fmt(report.sample_precision)} "
                 f"{_fmt(report.sample_recall)} {report.sample_labelled:>4}")
    if report.flag_checked:
        lines.append(f"{'flags':<12} {'accuracy':<20} "
                     f"{_fmt(report.flag_right / report.flag_checked)} {'':>5} "
                     f"{report.flag_checked:>4}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table (and with ``-v`` every disagreement); exit 0."""
    argv = sys.argv[1:] if argv is None else argv
    records = load_eval()
    report = evaluate(records)
    print(f"{report.records} labelled records in {EVAL_PATH.name}\n")
    print(format_table(report))
    holdout = [r for r in records if r.get("split") == "holdout"]
    if holdout:
        # written after the tagger's first version, to check rules against unseen phrasing
        print(f"\nheld-out batch only ({len(holdout)} records):\n")
        print(format_table(evaluate(holdout)))
    if "-v" in argv:
        print("\ndisagreements (record, field, tagger, label):")
        for mistake in report.mistakes:
            print("  ", *mistake)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
