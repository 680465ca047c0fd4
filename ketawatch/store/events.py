"""Events in the store: what changed about a study that is worth telling a subscriber."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

EVENT_KINDS = ("new_study", "trial_status_changed", "results_posted", "enrollment_changed",
               "preprint_published", "retracted", "corrected")


@dataclass
class Event:
    """One event: its kind, the study it is about, when it was recorded and its details."""

    id: int
    study_id: int
    kind: str
    created_at: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class EventsMixin:
    """Reading events (they are written by ingestion, see ``StudiesMixin``)."""

    def events(self, *, since: str | None = None, until: str | None = None,
               kinds: tuple[str, ...] | None = None, study_id: int | None = None,
               exclude_kinds: tuple[str, ...] = ()) -> list[Event]:
        """Events recorded at or after ``since`` and before ``until`` (ISO times), oldest first."""
        sql = "SELECT id, study_id, kind, created_at, data FROM events WHERE 1=1"
        args: list[Any] = []
        if since:
            sql += " AND created_at >= ?"
            args.append(since)
        if until:
            sql += " AND created_at < ?"
            args.append(until)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += list(kinds)
        if exclude_kinds:
            sql += f" AND kind NOT IN ({','.join('?' * len(exclude_kinds))})"
            args += list(exclude_kinds)
        if study_id is not None:
            sql += " AND study_id = ?"
            args.append(self.resolve_id(study_id))
        sql += " ORDER BY created_at, id"
        return [Event(r["id"], r["study_id"], r["kind"], r["created_at"], json.loads(r["data"]))
                for r in self.conn.execute(sql, args)]
