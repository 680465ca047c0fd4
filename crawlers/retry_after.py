"""Reading a source's ``Retry-After`` header: how long it asked us to wait.

Shared by the Scrapy retry middleware, the PubMed client and the Crossref check, so every
source is waited for the same way.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

#: the longest wait a source can impose on one request, in seconds
MAX_WAIT = 120.0


def retry_after_seconds(value: str | bytes | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    # a wait is real time, whatever KETAWATCH_FAKE_NOW pins the clock of records to
    return max(0.0, when.timestamp() - time.time())
