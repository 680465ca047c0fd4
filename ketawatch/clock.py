"""The one clock of KetaWatch, so that tests and the demo can say what time it is.

``KETAWATCH_FAKE_NOW`` (an ISO 8601 timestamp) pins the clock; it exists for tests and demos of
the weekly job and is never needed in production.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC (or the pinned time of ``KETAWATCH_FAKE_NOW``)."""
    pinned = os.environ.get("KETAWATCH_FAKE_NOW")
    if pinned:
        value = datetime.fromisoformat(pinned)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A UTC timestamp as ISO 8601 with seconds, the form the store keeps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    """``iso(now())``."""
    return iso(now())
