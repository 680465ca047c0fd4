"""Sending a week's digests: one message per confirmed subscriber, logged before and after.

For each subscriber, in id order:

1. Deliveries of this or earlier weeks that a crashed run left ``sending``, or that the mail
   server refused for now (``failed-temporary``), are sent again: the *same* bytes with the
   *same* Message-ID. The only ambiguous moment is a crash after the server accepted a message
   and before ``sent`` was committed (one SQLite commit right after the 250 reply); resending
   then may deliver twice, but as the same message, which mail systems and clients collapse,
   whereas treating it as sent could lose a digest for good.
2. If the week already has a delivery (sent, refused, or just resent above), nothing more goes
   out: at most one digest per subscriber and week.
3. Otherwise the selection is rendered; an empty one sends nothing unless the subscriber asked
   for "no news" mails. The delivery row (items, Message-ID, message bytes) is committed as
   ``sending`` before the SMTP call, then finished as ``sent`` with its items recorded as
   delivered, ``failed-temporary`` (sent again next run) or ``failed-permanent`` (the items
   come back in a later digest).

A mail server that cannot be used at all stops the run; the subscribers not yet reached are
counted and are sent to on the next run. ``dry_run`` writes ``.eml`` files and records nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.build import BuildReport, build_week
from digest.prefs import Preferences
from digest.render import (
    DigestRenderer,
    confirmation_message,
    digest_message,
    new_message_id,
    sender,
)
from digest.select import Candidates, select_for_subscriber
from digest.smtp import (
    DEFAULT_RETRY_DELAYS,
    Mailer,
    MailServerError,
    PermanentFailure,
    RateLimiter,
    TemporaryFailure,
    parse_smtp_url,
    send_with_retries,
)
from digest.tokens import make_token
from digest.weeks import Week
from ketawatch.errors import DeliveryError, KetaWatchError
from ketawatch.lock import job_lock

__all__ = ["BuildReport", "DeliveryReport", "Outcome", "build_week", "send_confirmation",
           "send_week"]

log = logging.getLogger(__name__)
SEND_LOCK = "digest-send"


@dataclass
class Outcome:
    """What happened to one subscriber's mail in a run."""

    email: str
    status: str          # sent, resent, empty, already, failed-temporary, failed-permanent,
                         # written (dry run), not-attempted, error
    week: str
    items: int = 0
    message_id: str | None = None
    detail: str = ""
    path: str | None = None


@dataclass
class DeliveryReport:
    """The result of ``send_week``: one outcome per message or subscriber, and a summary."""

    week: str
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    aborted: str = ""

    def count(self, *statuses: str) -> int:
        """How many outcomes have one of these statuses."""
        return sum(1 for o in self.outcomes if o.status in statuses)

    @property
    def failures(self) -> list[Outcome]:
        """Outcomes that need the operator's attention."""
        return [o for o in self.outcomes
                if o.status in ("failed-temporary", "failed-permanent", "error", "not-attempted")]

    @property
    def ok(self) -> bool:
        """True when every subscriber was handled without a failure."""
        return not self.failures and not self.aborted

    def lines(self) -> list[str]:
        """One line per failure, then the summary line (what the commands print)."""
        out = [f"digest {o.week}: {o.status} for {o.email}: {o.detail}" for o in self.failures
               if o.status != "not-attempted"]
        return [*out, self.line()]

    def line(self) -> str:
        """One summary line for logs and the CLI."""
        if self.dry_run:
            return (f"digest {self.week} (dry run): {self.count('written')} messages written, "
                    f"{self.count('empty')} empty, {self.count('already')} already sent, "
                    f"{self.count('error')} errors")
        text = (f"digest {self.week}: {self.count('sent')} sent, {self.count('resent')} resent, "
                f"{self.count('empty')} empty, {self.count('already')} already sent, "
                f"{self.count('failed-temporary')} failed temporarily (retried next run), "
                f"{self.count('failed-permanent')} failed permanently, "
                f"{self.count('error')} errors")
        if self.aborted:
            text += f"; stopped: {self.aborted} ({self.count('not-attempted')} not attempted)"
        return text


class _Run:
    """The state of one ``send_week`` call."""

    def __init__(self, config: Any, store: Any, week: Week, *, dry_run: bool,
                 out_dir: Path | None, retry_delays: Sequence[float]):
        self.config = config
        self.store = store
        self.week = week
        self.dry_run = dry_run
        self.out_dir = out_dir
        self.retry_delays = retry_delays
        self.report = DeliveryReport(week.label, dry_run=dry_run)
        self.envelope_from = sender(config)[1]
        self.mailer = None if dry_run else Mailer(parse_smtp_url(config.smtp_url))
        self.limiter = RateLimiter(float(config.mail_rate))
        self.candidates = Candidates(store, week)
        # each item of the week is rendered once, for every subscriber who gets it
        self.renderer = DigestRenderer(config)

    def transmit(self, subscriber: Any, delivery: Any, data: bytes, *, resend: bool) -> str:
        """Send a logged delivery, finish its row and report it; returns the outcome status.

        MailServerError is re-raised once the row is marked, to stop the run.
        """
        status, detail = "resent" if resend else "sent", ""
        try:
            send_with_retries(self.mailer, self.envelope_from, subscriber.email, data,
                              delays=self.retry_delays, before_attempt=self.limiter.wait)
        except PermanentFailure as exc:
            self.store.finish_delivery_failed(delivery.id, permanent=True, error=str(exc))
            status, detail = "failed-permanent", str(exc)
        except TemporaryFailure as exc:
            self.store.finish_delivery_failed(delivery.id, permanent=False, error=str(exc))
            status, detail = "failed-temporary", str(exc)
            if isinstance(exc, MailServerError):
                self._add(subscriber, status, delivery.week, delivery.item_count,
                          delivery.message_id, detail)
                raise
        else:
            # committed right after the server's 250: the only window in which a crash leaves
            # a delivered message marked "sending" (it is then resent with the same Message-ID)
            self.store.finish_delivery_sent(delivery.id)
        self._add(subscriber, status, delivery.week, delivery.item_count, delivery.message_id,
                  detail)
        return status

    def write_eml(self, subscriber: Any, week: str, data: bytes, suffix: str = "") -> str:
        """Write a dry run's message to ``out_dir`` (default: the data folder's outbox)."""
        folder = self.out_dir or (self.config.home_path / "outbox" / self.week.label)
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", subscriber.email)
        path = folder / f"{week}-{subscriber.id:05d}-{safe}{suffix}.eml"
        path.write_bytes(data)
        return str(path)

    def deliver(self, subscriber: Any) -> None:
        """Everything one subscriber is owed this run (see the module docstring)."""
        week = self.week.label
        prefs = Preferences.from_dict(subscriber.prefs)
        unfinished = self.store.unfinished_deliveries(subscriber.id, up_to_week=week)
        for old in unfinished:
            if self.dry_run:
                path = self.write_eml(subscriber, old.week, old.message or b"", "-resend")
                self._add(subscriber, "written", old.week, old.item_count, old.message_id,
                          "unfinished delivery of an earlier run", path)
                continue
            self.store.retry_delivery(old.id)
            if self.transmit(subscriber, old, old.message or b"", resend=True) != "resent":
                # the mailbox refused an older digest for now: keep the order, retry next run
                return
        existing = self.store.get_delivery(subscriber.id, week)
        if existing is not None:
            if all(old.week != week for old in unfinished):
                self._add(subscriber, "already", week, existing.item_count,
                          existing.message_id, existing.status)
            return
        selection = select_for_subscriber(self.store, subscriber, prefs, self.week,
                                          base_url=self.config.base_url,
                                          candidates=self.candidates)
        if selection.empty and not prefs.no_news_mail:
            self._add(subscriber, "empty", week)
            return
        message_id = new_message_id(self.config, week, subscriber.id)
        data = digest_message(self.config, subscriber, prefs, selection,
                              message_id=message_id, renderer=self.renderer).as_bytes()
        if self.dry_run:
            path = self.write_eml(subscriber, week, data)
            self._add(subscriber, "written", week, selection.item_count, message_id, path=path)
            return
        if not self.store.get_subscriber(subscriber.id).confirmed:
            return  # unsubscribed while the run was going
        delivery = self.store.begin_delivery(subscriber.id, week, message_id=message_id,
                                             items=selection.item_keys(), message=data)
        self.transmit(subscriber, delivery, data, resend=False)

    def _add(self, subscriber: Any, status: str, week: str, items: int = 0,
             message_id: str | None = None, detail: str = "", path: str | None = None) -> None:
        self.report.outcomes.append(Outcome(subscriber.email, status, week, items, message_id,
                                            detail, path))


def send_week(config: Any, store: Any, week: Week, *, dry_run: bool = False,
              out_dir: str | Path | None = None,
              retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS) -> DeliveryReport:
    """Send (or with ``dry_run`` write as ``.eml`` files) the digests of ``week`` to every
    confirmed subscriber. Never raises for one subscriber's failure: the report tells.

    Raises ConfigError for settings that make every mail impossible (SMTP URL, From address,
    secret key) and LockedError when another send is running.
    """
    run = _Run(config, store, week, dry_run=dry_run,
               out_dir=Path(out_dir).resolve() if out_dir else None, retry_delays=retry_delays)
    if dry_run:
        _deliver_all(run)
        return run.report
    with job_lock(config.home_path, SEND_LOCK):
        try:
            _deliver_all(run)
        finally:
            run.mailer.close()
    return run.report


def _deliver_all(run: _Run) -> None:
    subscribers = run.store.list_subscribers(status="confirmed")
    # a missing key would fail every subscriber: say it once, before anything is logged
    if subscribers:
        make_token(run.config, subscribers[0], "unsubscribe")
    for index, subscriber in enumerate(subscribers):
        try:
            run.deliver(subscriber)
        except MailServerError as exc:
            run.report.aborted = str(exc)
            for rest in subscribers[index + 1:]:
                run._add(rest, "not-attempted", run.week.label)
            log.error("digest %s: stopped: %s", run.week.label, exc)
            return
        except (KetaWatchError, OSError) as exc:
            log.error("digest %s for %s failed: %s", run.week.label, subscriber.email, exc)
            run._add(subscriber, "error", run.week.label, detail=str(exc))
        except Exception as exc:  # noqa: BLE001 - one subscriber's bug must not stop the others
            log.exception("digest %s for %s failed", run.week.label, subscriber.email)
            run._add(subscriber, "error", run.week.label, detail=f"{type(exc).__name__}: {exc}")


def send_confirmation(config: Any, store: Any, subscriber: Any, *, already: bool = False,
                      retry_delays: Sequence[float] = (1.0,)) -> None:
    """Send the double opt-in mail (or, when ``already``, a note with the subscriber's links).

    Raises DeliveryError with what to check when the mail server does not take it.
    """
    prefs = Preferences.from_dict(subscriber.prefs)
    message = confirmation_message(config, subscriber, prefs, already=already)
    envelope_from = sender(config)[1]
    with Mailer(parse_smtp_url(config.smtp_url)) as mailer:
        try:
            send_with_retries(mailer, envelope_from, subscriber.email, message.as_bytes(),
                              delays=retry_delays)
        except DeliveryError as exc:
            raise DeliveryError(f"could not send the confirmation mail to {subscriber.email}: "
                                f"{exc}") from None
    store.mark_confirmation_sent(subscriber.id)
