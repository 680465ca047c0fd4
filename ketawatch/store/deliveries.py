"""The digest's delivery log, what each subscriber was sent, and the built digests.

A delivery row (one per subscriber and ISO week) is written *before* the SMTP call, with the
chosen items and the exact message bytes, and finished *after* it: ``sent`` (and the items go to
``delivered_items`` in the same transaction), ``failed-temporary`` (kept with its message, sent
again by the next run) or ``failed-permanent``. A row still ``sending`` was cut short by a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ketawatch.clock import now_iso
from ketawatch.store.base import dumps

#: rows whose message has not (for sure) reached the mail server: the next run sends them again
UNFINISHED = ("sending", "failed-temporary")
DELIVERY_STATUSES = ("sending", "sent", "failed-temporary", "failed-permanent")
_COLUMNS = ("id, subscriber_id, week, status, message_id, attempts, item_count, started_at, "
            "finished_at, error, items, message")


@dataclass
class Delivery:
    """One row of the delivery log."""

    id: int
    subscriber_id: int
    week: str
    status: str
    message_id: str | None
    attempts: int
    item_count: int
    started_at: str
    finished_at: str | None
    error: str
    #: the items the message carries: [item key, study id or None]
    items: list[list[Any]] = field(default_factory=list)
    #: the exact message bytes, kept until the message is sent or refused for good
    message: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict without the message bytes."""
        return {"id": self.id, "subscriber_id": self.subscriber_id, "week": self.week,
                "status": self.status, "message_id": self.message_id, "attempts": self.attempts,
                "item_count": self.item_count, "started_at": self.started_at,
                "finished_at": self.finished_at, "error": self.error}


@dataclass
class DigestRecord:
    """A built digest of the web archive."""

    week: str
    built_at: str
    item_count: int
    html: str
    text: str


def _delivery(row: Any) -> Delivery:
    message = row["message"]
    return Delivery(id=row["id"], subscriber_id=row["subscriber_id"], week=row["week"],
                    status=row["status"], message_id=row["message_id"], attempts=row["attempts"],
                    item_count=row["item_count"], started_at=row["started_at"],
                    finished_at=row["finished_at"], error=row["error"],
                    items=json.loads(row["items"] or "[]"),
                    message=bytes(message) if message is not None else None)


class DeliveriesMixin:
    """The delivery log, delivered items and the digest archive."""

    # -- the delivery log ----------------------------------------------------------------------

    def get_delivery(self, subscriber_id: int, week: str) -> Delivery | None:
        """The delivery of one subscriber's digest for one week, or None."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE subscriber_id = ? "
                                "AND week = ?", (int(subscriber_id), week)).fetchone()
        return _delivery(row) if row else None

    def unfinished_deliveries(self, subscriber_id: int, *, up_to_week: str) -> list[Delivery]:
        """Deliveries of weeks up to ``up_to_week`` still ``sending`` (a crashed run) or
        ``failed-temporary``, oldest week first."""
        marks = ",".join("?" * len(UNFINISHED))
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE subscriber_id = ? AND week <= ? AND "
            f"status IN ({marks}) ORDER BY week", (int(subscriber_id), up_to_week, *UNFINISHED))
        return [_delivery(r) for r in rows]

    def begin_delivery(self, subscriber_id: int, week: str, *, message_id: str,
                       items: list[tuple[str, int | None]], message: bytes,
                       now: str | None = None) -> Delivery:
        """Record, in one transaction and before any SMTP traffic, that a message with these
        items is about to be sent. Fails (StoreError from the unique key) if the week already
        has a delivery for this subscriber."""
        with self.transaction():
            did = self.conn.execute(
                "INSERT INTO deliveries(subscriber_id, week, status, message_id, attempts, "
                "item_count, started_at, items, message) VALUES (?, ?, 'sending', ?, 1, ?, ?, ?, ?)",
                (int(subscriber_id), week, message_id, len(items), now or now_iso(),
                 dumps([list(i) for i in items]), message)).lastrowid
        return self._delivery_by_id(did)

    def retry_delivery(self, delivery_id: int) -> None:
        """Mark an unfinished delivery as being sent again (one more attempt)."""
        with self.transaction():
            self.conn.execute("UPDATE deliveries SET status = 'sending', attempts = attempts + 1 "
                              "WHERE id = ?", (int(delivery_id),))

    def finish_delivery_sent(self, delivery_id: int, *, now: str | None = None) -> None:
        """The mail server accepted the message: mark it sent and record its items as delivered,
        in one transaction; the message bytes are dropped."""
        with self.transaction():
            delivery = self._delivery_by_id(delivery_id)
            self.conn.execute("UPDATE deliveries SET status = 'sent', finished_at = ?, "
                              "error = '', message = NULL WHERE id = ?",
                              (now or now_iso(), delivery.id))
            self.conn.executemany(
                "INSERT OR IGNORE INTO delivered_items(subscriber_id, item_key, study_id, "
                "delivery_id) VALUES (?, ?, ?, ?)",
                [(delivery.subscriber_id, key, study_id, delivery.id)
                 for key, study_id in delivery.items])

    def finish_delivery_failed(self, delivery_id: int, *, permanent: bool, error: str,
                               now: str | None = None) -> None:
        """The mail server refused the message: temporarily (kept, sent again next run) or
        permanently (the items stay undelivered and come back in a later digest)."""
        with self.transaction():
            if permanent:
                self.conn.execute("UPDATE deliveries SET status = 'failed-permanent', "
                                  "finished_at = ?, error = ?, message = NULL WHERE id = ?",
                                  (now or now_iso(), error[:2000], int(delivery_id)))
            else:
                self.conn.execute("UPDATE deliveries SET status = 'failed-temporary', "
                                  "finished_at = ?, error = ? WHERE id = ?",
                                  (now or now_iso(), error[:2000], int(delivery_id)))

    def _delivery_by_id(self, delivery_id: int) -> Delivery:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE id = ?",
                                (int(delivery_id),)).fetchone()
        return _delivery(row)

    def deliveries(self, *, week: str | None = None, subscriber_id: int | None = None
                   ) -> list[Delivery]:
        """Rows of the delivery log, newest week first."""
        sql = f"SELECT {_COLUMNS} FROM deliveries WHERE 1=1"
        args: list[Any] = []
        if week:
            sql += " AND week = ?"
            args.append(week)
        if subscriber_id is not None:
            sql += " AND subscriber_id = ?"
            args.append(int(subscriber_id))
        return [_delivery(r) for r in self.conn.execute(sql + " ORDER BY week DESC, id", args)]

    # -- what a subscriber holds ---------------------------------------------------------------

    def delivered_keys(self, subscriber_id: int) -> set[str]:
        """Every item key a subscriber was sent."""
        return {r[0] for r in self.conn.execute(
            "SELECT item_key FROM delivered_items WHERE subscriber_id = ?", (int(subscriber_id),))}

    def delivered_study_ids(self, subscriber_id: int) -> set[int]:
        """Studies a subscriber was sent as items (merges followed: the store rewrites
        ``study_id`` when a study is absorbed into another)."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT study_id FROM delivered_items WHERE subscriber_id = ? AND "
            "item_key LIKE 'study:%' AND study_id IS NOT NULL", (int(subscriber_id),))}

    def held_items(self, subscriber_id: int) -> list[list[Any]]:
        """Items promised to a subscriber by unfinished deliveries (not sent yet, not free to be
        chosen again either)."""
        marks = ",".join("?" * len(UNFINISHED))
        held: list[list[Any]] = []
        for row in self.conn.execute(f"SELECT items FROM deliveries WHERE subscriber_id = ? AND "
                                     f"status IN ({marks})", (int(subscriber_id), *UNFINISHED)):
            held.extend(json.loads(row[0] or "[]"))
        return held

    def studies_first_seen(self, since: str | None, until: str) -> list[Any]:
        """Studies first seen in ``[since, until)`` (all before ``until`` when ``since`` is
        None), newest first: the digest's candidates."""
        sql = ("SELECT id, data, provenance, first_seen, updated_at FROM studies "
               "WHERE first_seen < ?")
        args: list[Any] = [until]
        if since:
            sql += " AND first_seen >= ?"
            args.append(since)
        rows = self.conn.execute(sql + " ORDER BY first_seen DESC, id DESC", args).fetchall()
        return [self._stored(r, with_sources=False) for r in rows]

    # -- the digest archive --------------------------------------------------------------------

    def save_digest(self, week: str, *, html: str, text: str, item_count: int,
                    now: str | None = None) -> None:
        """Store (or replace) the built digest of a week for the web archive."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO digests(week, built_at, item_count, html, text) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(week) DO UPDATE SET built_at = excluded.built_at, "
                "item_count = excluded.item_count, html = excluded.html, text = excluded.text",
                (week, now or now_iso(), int(item_count), html, text))

    def get_digest(self, week: str) -> DigestRecord | None:
        """The built digest of a week, or None."""
        row = self.conn.execute("SELECT week, built_at, item_count, html, text FROM digests "
                                "WHERE week = ?", (week,)).fetchone()
        return DigestRecord(**dict(row)) if row else None

    def list_digests(self) -> list[DigestRecord]:
        """Every built digest, newest week first (``html`` and ``text`` left empty)."""
        return [DigestRecord(r["week"], r["built_at"], r["item_count"], "", "") for r in
                self.conn.execute("SELECT week, built_at, item_count FROM digests "
                                  "ORDER BY week DESC")]
