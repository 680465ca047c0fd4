"""Talking to the mail server: the SMTP URL, one reusable connection, failure classes,
retries with backoff, and a rate limit.

``KETAWATCH_SMTP_URL`` is ``smtp://host:port`` (plain), ``smtp+starttls://user:pass@host:587``
(STARTTLS, required once asked for) or ``smtps://user:pass@host:465`` (TLS from the start).
Certificates are verified against the system's CA store (``SSL_CERT_FILE`` can add one).

A reply in the 4xx range, a dropped connection or a timeout is temporary: the message is tried
again after a delay, and left for the next run when the delays are used up. A 5xx reply is
permanent for that message. A server that cannot be reached at all, refuses our login or our
TLS is a problem of the whole run: ``MailServerError`` tells the caller to stop.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ketawatch.errors import ConfigError, DeliveryError

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 30.0)
DEFAULT_TIMEOUT = 30.0
_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class TemporaryFailure(DeliveryError):
    """The server did not take the message this time (4xx, dropped connection, timeout)."""


class PermanentFailure(DeliveryError):
    """The server refused the message for good (5xx): retrying would not help."""


class MailServerError(TemporaryFailure):
    """The mail server cannot be used at all (unreachable, login or TLS refused)."""


@dataclass(frozen=True)
class SmtpSettings:
    """The parts of ``KETAWATCH_SMTP_URL``."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""

    @property
    def where(self) -> str:
        """``host:port`` with the scheme, for messages (never the password)."""
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """Parse ``KETAWATCH_SMTP_URL``; ConfigError names what is wrong."""
    try:
        parts = urlsplit(str(url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"KETAWATCH_SMTP_URL is malformed: {exc}") from None
    if parts.scheme not in _SCHEMES:
        raise ConfigError("KETAWATCH_SMTP_URL must start with smtp://, smtp+starttls:// or "
                          f"smtps:// (got {parts.scheme or 'nothing'}://)")
    if not parts.hostname:
        raise ConfigError("KETAWATCH_SMTP_URL names no host (smtp://host:port)")
    return SmtpSettings(parts.scheme, parts.hostname, port or _SCHEMES[parts.scheme],
                        unquote(parts.username or ""), unquote(parts.password or ""))


def _reply_text(message: Any) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return str(message)


def classify(code: int, message: Any, what: str) -> DeliveryError:
    """A failure for an SMTP reply: temporary for 4xx, permanent for 5xx (and anything odd)."""
    text = f"{what}: {code} {_reply_text(message)}".strip()
    return TemporaryFailure(text) if 400 <= code < 500 else PermanentFailure(text)


class Mailer:
    """One SMTP connection, opened on first use and reopened after any failure."""

    def __init__(self, settings: SmtpSettings, *, timeout: float = DEFAULT_TIMEOUT):
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        hint = f"check KETAWATCH_SMTP_URL ({s.where})"
        try:
            if s.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        except smtplib.SMTPConnectError as exc:
            raise _connect_failure(exc.smtp_code, exc.smtp_error, hint) from None
        except ssl.SSLError as exc:
            raise MailServerError(f"TLS with the mail server failed ({exc}); {hint}") from None
        except OSError as exc:
            raise MailServerError(f"cannot connect to the mail server ({exc}); {hint}") from None
        try:
            smtp.ehlo()
            if s.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            _quietly_close(smtp)
            raise MailServerError(f"the mail server refused the login ({exc.smtp_code} "
                                  f"{_reply_text(exc.smtp_error)}); {hint}") from None
        except smtplib.SMTPNotSupportedError as exc:
            _quietly_close(smtp)
            raise MailServerError(f"the mail server does not support what the URL asks "
                                  f"(STARTTLS or AUTH): {exc}; {hint}") from None
        except ssl.SSLError as exc:
            _quietly_close(smtp)
            raise MailServerError(f"TLS with the mail server failed ({exc}); {hint}") from None
        except smtplib.SMTPResponseException as exc:
            _quietly_close(smtp)
            raise _connect_failure(exc.smtp_code, exc.smtp_error, hint) from None
        except (smtplib.SMTPException, OSError) as exc:
            _quietly_close(smtp)
            raise MailServerError(f"the mail server dropped the connection ({exc}); "
                                  f"{hint}") from None
        return smtp

    def send(self, envelope_from: str, recipient: str, data: bytes) -> None:
        """Send one message to one recipient; raises TemporaryFailure, PermanentFailure or
        MailServerError. The connection is closed after any failure."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            options = ["SMTPUTF8"] if not recipient.isascii() else []
            self._smtp.sendmail(envelope_from, [recipient], data, rcpt_options=(),
                                mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, message = next(iter(exc.recipients.values()))
            raise classify(code, message, f"recipient {recipient} refused") from None
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise classify(exc.smtp_code, exc.smtp_error,
                           f"sender {envelope_from} refused") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise classify(exc.smtp_code, exc.smtp_error, "message refused") from None
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            # an internationalized address on a server without SMTPUTF8: retrying won't help
            raise PermanentFailure(f"the mail server cannot take {recipient}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"connection to the mail server lost ({exc})") from None

    def close(self) -> None:
        """Say QUIT (if the connection still stands) and close it."""
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None


def _connect_failure(code: int, message: Any, hint: str) -> DeliveryError:
    # a server that will not even greet us is the whole run's problem; MailServerError is a
    # TemporaryFailure, so a busy server (421) is still retried before the run stops
    return MailServerError(f"the mail server answered {code} {_reply_text(message)}; {hint}")


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    with contextlib.suppress(OSError):
        smtp.close()


def send_with_retries(mailer: Mailer, envelope_from: str, recipient: str, data: bytes, *,
                      delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
                      sleep: Callable[[float], None] = time.sleep,
                      before_attempt: Callable[[], None] | None = None) -> int:
    """Send, retrying temporary failures after each delay in turn; returns the attempts made.

    The last failure is raised when the delays are used up; a permanent one at once.
    """
    attempts = 0
    for delay in [*delays, None]:
        if before_attempt:
            before_attempt()
        attempts += 1
        try:
            mailer.send(envelope_from, recipient, data)
            return attempts
        except PermanentFailure:
            raise
        except TemporaryFailure:
            if delay is None:
                raise
            sleep(delay)
    return attempts  # pragma: no cover - the loop always returns or raises


class RateLimiter:
    """At most ``rate`` messages a second: ``wait()`` sleeps until the next one may go."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    def wait(self) -> None:
        """Block until a message may be sent, and count it."""
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval
