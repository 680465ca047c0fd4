"""ISO weeks: the unit a digest belongs to (``2026-W48``), with its bounds in UTC.

A week starts on Monday 00:00 UTC and ends (exclusive) on the next Monday 00:00 UTC, so every
stored timestamp (UTC ISO strings from ``ketawatch.clock.iso``) falls in exactly one week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ketawatch import clock
from ketawatch.errors import UsageError

_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week of one ISO year."""

    year: int
    number: int

    @property
    def label(self) -> str:
        """The week as ``2026-W48``."""
        return f"{self.year:04d}-W{self.number:02d}"

    @property
    def start(self) -> datetime:
        """Monday 00:00 UTC, the first moment of the week."""
        day = date.fromisocalendar(self.year, self.number, 1)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 UTC: the first moment *after* the week."""
        return self.start + timedelta(days=7)

    @property
    def start_iso(self) -> str:
        """``start`` in the store's timestamp form."""
        return clock.iso(self.start)

    @property
    def end_iso(self) -> str:
        """``end`` in the store's timestamp form (compare with ``<``)."""
        return clock.iso(self.end)

    @property
    def days(self) -> tuple[date, date]:
        """The Monday and the Sunday of the week."""
        monday = self.start.date()
        return monday, monday + timedelta(days=6)

    def span_text(self) -> str:
        """A human-readable span such as ``23-29 November 2026`` or ``30 Nov - 6 Dec 2026``."""
        first, last = self.days
        if first.month == last.month:
            return f"{first.day}-{last.day} {last:%B %Y}"
        if first.year == last.year:
            return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
        return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"

    def previous(self) -> Week:
        """The week before."""
        return week_of(self.start - timedelta(days=1))

    def next(self) -> Week:
        """The week after."""
        return week_of(self.end)

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` falls inside the week."""
        return self.start <= moment.astimezone(UTC) < self.end

    def __str__(self) -> str:
        return self.label


def parse_week(text: str | None) -> Week:
    """Parse ``2026-W48`` (or ``2026W48``); None or "" means the current week. Raises
    UsageError for anything else or a week that does not exist (``W53`` only exists in long
    ISO years)."""
    if text is None or not str(text).strip():
        return current_week()
    m = _WEEK_RE.match(str(text).strip())
    if not m:
        raise UsageError(f"not an ISO week (YYYY-Www, e.g. 2026-W48): {text!r}")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise UsageError(f"week {number} does not exist in ISO year {year}: {text!r}") from None
    return Week(year, number)


def week_of(moment: datetime | date) -> Week:
    """The ISO week a moment (taken in UTC) or a date falls in."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    iso = moment.isocalendar()
    return Week(iso.year, iso.week)


def current_week() -> Week:
    """The week ``ketawatch.clock.now()`` falls in."""
    return week_of(clock.now())


def week_of_iso(timestamp: str) -> Week:
    """The week of a stored ISO timestamp such as ``2026-11-23T10:00:00Z``."""
    return week_of(datetime.fromisoformat(timestamp.replace("Z", "+00:00")))
