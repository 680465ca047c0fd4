"""Subscribers in the store: their address, preferences, status and token version.

Statuses: ``pending`` (waiting for the double opt-in), ``confirmed`` (gets the digest),
``unsubscribed``. Nothing is ever mailed to a pending or unsubscribed address except the
confirmation mail itself. Validation of addresses and preferences happens in ``digest/``; the
store keeps what it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ketawatch.clock import now_iso
from ketawatch.errors import NotFoundError, UsageError
from ketawatch.store.base import dumps

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed")
_COLUMNS = ("id, email, name, status, prefs, created_at, confirmed_at, unsubscribed_at, "
            "token_version, confirm_sent_at")


@dataclass
class Subscriber:
    """One subscriber as stored."""

    id: int
    email: str
    name: str = ""
    status: str = "pending"
    prefs: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    confirmed_at: str | None = None
    unsubscribed_at: str | None = None
    token_version: int = 1
    confirm_sent_at: str | None = None

    @property
    def confirmed(self) -> bool:
        """True when the subscriber gets the digest."""
        return self.status == "confirmed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for ``subscribers list --json``)."""
        return {"id": self.id, "email": self.email, "name": self.name, "status": self.status,
                "prefs": self.prefs, "created_at": self.created_at,
                "confirmed_at": self.confirmed_at, "unsubscribed_at": self.unsubscribed_at}


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(id=row["id"], email=row["email"], name=row["name"], status=row["status"],
                      prefs=json.loads(row["prefs"] or "{}"), created_at=row["created_at"],
                      confirmed_at=row["confirmed_at"], unsubscribed_at=row["unsubscribed_at"],
                      token_version=row["token_version"], confirm_sent_at=row["confirm_sent_at"])


class SubscribersMixin:
    """Adding, confirming, changing and removing subscribers."""

    def add_subscriber(self, email: str, *, name: str = "", prefs: dict[str, Any] | None = None,
                       confirmed: bool = False, now: str | None = None
                       ) -> tuple[Subscriber, str]:
        """Add a subscriber, or renew an existing one with the same address; returns it and
        what happened: ``created``, ``renewed`` (pending or unsubscribed: back to pending with
        the new preferences), ``exists`` (already confirmed: left as it is, so that nobody can
        change another person's subscription by typing their address) or ``updated``
        (``confirmed=True``: the operator's CLI sets the preferences and confirms directly).
        """
        stamp = now or now_iso()
        prefs_json = dumps(prefs or {})
        with self.transaction():
            row = self.conn.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE lower(email) = "
                                    "lower(?)", (email,)).fetchone()
            if row is None:
                sid = self.conn.execute(
                    "INSERT INTO subscribers(email, name, status, prefs, created_at, "
                    "confirmed_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (email, name, "confirmed" if confirmed else "pending", prefs_json, stamp,
                     stamp if confirmed else None)).lastrowid
                return self.get_subscriber(sid), "created"
            current = _subscriber(row)
            if current.confirmed and not confirmed:
                return current, "exists"
            if confirmed:
                self.conn.execute(
                    "UPDATE subscribers SET name = ?, prefs = ?, status = 'confirmed', "
                    "confirmed_at = CASE WHEN status = 'confirmed' THEN confirmed_at ELSE ? END, "
                    "unsubscribed_at = NULL WHERE id = ?", (name, prefs_json, stamp, current.id))
                return self.get_subscriber(current.id), "updated"
            self.conn.execute(
                "UPDATE subscribers SET name = ?, prefs = ?, status = 'pending', "
                "unsubscribed_at = NULL WHERE id = ?", (name, prefs_json, current.id))
            return self.get_subscriber(current.id), "renewed"

    def get_subscriber(self, subscriber_id: int) -> Subscriber:
        """One subscriber by id; NotFoundError when there is none."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?",
                                (int(subscriber_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no subscriber {subscriber_id}")
        return _subscriber(row)

    def find_subscriber(self, email: str) -> Subscriber | None:
        """The subscriber with this address (case-insensitive), or None."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE lower(email) = "
                                "lower(?)", (email,)).fetchone()
        return _subscriber(row) if row else None

    def list_subscribers(self, status: str | None = None) -> list[Subscriber]:
        """Every subscriber (or those with one status), oldest first."""
        if status is None:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM subscribers ORDER BY id")
        else:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE status = ? "
                                     "ORDER BY id", (status,))
        return [_subscriber(r) for r in rows]

    def confirm_subscriber(self, subscriber_id: int, *, now: str | None = None) -> Subscriber:
        """Confirm a pending subscriber (the double opt-in); a no-op when already confirmed.

        Raises UsageError for a subscription that was cancelled since the link was sent.
        """
        with self.transaction():
            current = self.get_subscriber(subscriber_id)
            if current.status == "unsubscribed":
                raise UsageError("this subscription was cancelled; subscribe again to get the "
                                 "digest")
            if current.status == "pending":
                self.conn.execute("UPDATE subscribers SET status = 'confirmed', confirmed_at = ? "
                                  "WHERE id = ?", (now or now_iso(), current.id))
        return self.get_subscriber(subscriber_id)

    def unsubscribe_subscriber(self, subscriber_id: int, *, now: str | None = None
                               ) -> Subscriber:
        """Stop every mail to a subscriber. Idempotent: a second unsubscribe changes nothing
        (one-click unsubscribe may be posted more than once)."""
        with self.transaction():
            self.conn.execute("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = "
                              "coalesce(unsubscribed_at, ?) WHERE id = ? AND status != "
                              "'unsubscribed'", (now or now_iso(), int(subscriber_id)))
        return self.get_subscriber(subscriber_id)

    def update_preferences(self, subscriber_id: int, prefs: dict[str, Any]) -> Subscriber:
        """Replace a subscriber's preferences."""
        with self.transaction():
            cur = self.conn.execute("UPDATE subscribers SET prefs = ? WHERE id = ?",
                                    (dumps(prefs), int(subscriber_id)))
            if not cur.rowcount:
                raise NotFoundError(f"no subscriber {subscriber_id}")
        return self.get_subscriber(subscriber_id)

    def mark_confirmation_sent(self, subscriber_id: int, *, now: str | None = None) -> None:
        """Remember when the last confirmation mail went out (to throttle repeated requests)."""
        with self.transaction():
            self.conn.execute("UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?",
                              (now or now_iso(), int(subscriber_id)))

    def revoke_tokens(self, subscriber_id: int) -> Subscriber:
        """Invalidate every link issued to a subscriber so far (bumps the token version)."""
        with self.transaction():
            self.conn.execute("UPDATE subscribers SET token_version = token_version + 1 "
                              "WHERE id = ?", (int(subscriber_id),))
        return self.get_subscriber(subscriber_id)

    def remove_subscriber(self, subscriber_id: int) -> None:
        """Delete a subscriber with their delivery log (what they were sent goes too)."""
        with self.transaction():
            sid = int(subscriber_id)
            self.conn.execute("DELETE FROM delivered_items WHERE subscriber_id = ?", (sid,))
            self.conn.execute("DELETE FROM deliveries WHERE subscriber_id = ?", (sid,))
            cur = self.conn.execute("DELETE FROM subscribers WHERE id = ?", (sid,))
            if not cur.rowcount:
                raise NotFoundError(f"no subscriber {subscriber_id}")
