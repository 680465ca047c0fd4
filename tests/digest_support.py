"""Test kit of the digest tests: configuration, studies, and a real SMTP server on 127.0.0.1.

Not a test module: the ``test_digest_*`` files import it. The SMTP server is aiosmtpd's
``Controller`` with a handler that records accepted messages and can be told to answer 421,
refuse an address with 550, or hold a message until the test releases it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from ketawatch.config import Config, load_config
from ketawatch.model import Study

SECRET = "digest-test-secret-key-0123456789abcdef"
BASE_URL = "https://ketawatch.test"
MAIL_FROM = "KetaWatch <digest@ketawatch.test>"
#: Week 2026-W48 runs from Monday 23 to Sunday 29 November 2026
W48_MONDAY = "2026-11-23T09:00:00Z"


def at(day: str, time: str = "10:00:00") -> str:
    """A store timestamp for a date (``2026-11-24``)."""
    return f"{day}T{time}Z"


def make_config(home: Path, **overrides: Any) -> Config:
    """A configuration for a temporary data folder, independent of the caller's environment."""
    env = {"KETAWATCH_SECRET_KEY": SECRET, "KETAWATCH_BASE_URL": BASE_URL,
           "KETAWATCH_MAIL_FROM": MAIL_FROM, "KETAWATCH_MAIL_RATE": "1000",
           "KETAWATCH_SMTP_URL": "smtp://127.0.0.1:9"}
    return load_config(home=home, env=env).with_overrides(**overrides)


def env_for(config: Config) -> dict[str, str]:
    """Environment variables that make a ``python -m ketawatch`` child use ``config``."""
    return {"KETAWATCH_HOME": str(config.home_path), "KETAWATCH_SECRET_KEY": config.secret_key,
            "KETAWATCH_BASE_URL": config.base_url, "KETAWATCH_MAIL_FROM": config.mail_from,
            "KETAWATCH_MAIL_RATE": str(config.mail_rate), "KETAWATCH_SMTP_URL": config.smtp_url}


# -- studies ---------------------------------------------------------------------------------------

def article(pmid: str, title: str, **kw: Any) -> Study:
    """A tagged PubMed article."""
    base = dict(source="pubmed", source_id=pmid, pmid=pmid, title=title, human=True,
                language="eng", journal="Journal of Affective Disorders", pub_date="2026-11-01",
                authors=["Smith J", "Doe A"], design="rct", drugs=["ketamine"], routes=["iv"],
                conditions=["depression"])
    base.update(kw)
    return Study(**base)


def trial(nct: str, title: str, status: str = "RECRUITING", **kw: Any) -> Study:
    """A tagged ClinicalTrials.gov registration."""
    base = dict(source="clinicaltrials", source_id=nct, nct_ids=[nct], title=title, human=True,
                design="trial-registration", drugs=["esketamine"], routes=["intranasal"],
                conditions=["trd", "depression"], pub_date="2026-10-15",
                abstract="This study tests esketamine nasal spray in adults with "
                         "treatment-resistant depression. Participants are followed for 12 weeks.",
                trial={"status": status, "enrollment": 120, "has_results": False})
    base.update(kw)
    return Study(**base)


def preprint(doi: str, title: str, **kw: Any) -> Study:
    """A tagged medRxiv preprint."""
    base = dict(source="medrxiv", source_id=doi, doi=doi, preprint_dois=[doi], title=title,
                human=True, preprint=True, journal="medRxiv", pub_date="2026-11-20",
                design="observational", drugs=["ketamine"], routes=["oral"],
                conditions=["ptsd"], sample_size=64)
    base.update(kw)
    return Study(**base)


def ingest(store: Any, studies: list[Study], when: str) -> Any:
    """Ingest tagged studies with ``first_seen`` = ``when``."""
    return store.ingest([(s, None) for s in studies], now=when)


def add_confirmed(store: Any, email_address: str, *, name: str = "", when: str = W48_MONDAY,
                  **prefs: Any) -> Any:
    """A confirmed subscriber (confirmed at ``when``)."""
    from digest.prefs import Preferences

    sub, _ = store.add_subscriber(email_address, name=name,
                                  prefs=Preferences(**prefs).validated().to_dict(),
                                  confirmed=True, now=when)
    return sub


def record_sent(store: Any, config: Config, subscriber: Any, week: Any, when: str,
                message_id: str) -> Any:
    """Select ``subscriber``'s digest of ``week`` and log it as sent (no mail); the selection."""
    from digest.prefs import Preferences
    from digest.select import select_for_subscriber

    selection = select_for_subscriber(store, subscriber, Preferences.from_dict(subscriber.prefs),
                                      week, base_url=config.base_url)
    delivery = store.begin_delivery(subscriber.id, week.label, message_id=message_id,
                                    items=selection.item_keys(), message=b"x", now=when)
    store.finish_delivery_sent(delivery.id, now=when)
    return selection


# -- the SMTP server -------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """A message the server accepted."""

    mail_from: str
    rcpt: str
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern ``email`` API."""
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Recorder:
    """An aiosmtpd handler: records what it accepts, answers what the test scripted."""

    received: list[Received] = field(default_factory=list)
    #: recipient -> reply to RCPT TO (e.g. "550 5.1.1 no such user")
    refuse: dict[str, str] = field(default_factory=dict)
    #: replies to DATA used (and removed) before the next 250: e.g. ["421 4.3.2 try later"]
    data_replies: list[str] = field(default_factory=list)
    #: hold the n-th DATA (1-based) until ``release`` is set
    hold_data_number: int | None = None
    #: keep the held message before holding (the server took it; the client never hears 250)
    record_before_hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0
    refused_data: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            number = self.data_count
            scripted = self.data_replies.pop(0) if self.data_replies else None
        if scripted:
            self.refused_data.append(scripted)
            return scripted
        if number == self.hold_data_number:
            if self.record_before_hold:
                self._record(envelope)
            self.holding.set()
            # a client that dies meanwhile cancels this coroutine: nothing is recorded, as a
            # real server that never said 250 keeps nothing
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            if session.transport is None or session.transport.is_closing():
                return "451 4.3.0 client went away"
            if self.record_before_hold:
                return "250 2.0.0 accepted"
        self._record(envelope)
        return "250 2.0.0 accepted"

    def _record(self, envelope) -> None:
        for rcpt in envelope.rcpt_tos:
            self.received.append(Received(envelope.mail_from, rcpt, bytes(envelope.content)))

    def to(self, address: str) -> list[Received]:
        """Messages accepted for one recipient."""
        return [r for r in self.received if r.rcpt == address]


class SmtpServer:
    """A running aiosmtpd server on 127.0.0.1 with a ``Recorder`` handler."""

    def __init__(self, recorder: Recorder | None = None, **controller_kwargs: Any):
        self.recorder = recorder or Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port,
                                     **controller_kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.recorder.release.set()
        self.controller.stop()

    def url(self, scheme: str = "smtp", userinfo: str = "") -> str:
        """The KETAWATCH_SMTP_URL of this server."""
        return f"{scheme}://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"


def password_checker(user: str, password: str):
    """An aiosmtpd authenticator accepting one user name and password."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = (getattr(auth_data, "login", b"") == user.encode()
              and getattr(auth_data, "password", b"") == password.encode())
        # handled=False: the server answers 535 itself when the check fails
        return AuthResult(success=ok, handled=False)

    return check


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (EC key: fast to make); returns (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def text_part(message: EmailMessage) -> str:
    """The decoded text/plain part."""
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    """The decoded text/html part."""
    return message.get_body(preferencelist=("html",)).get_content()
