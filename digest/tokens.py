"""Signed tokens for the links in our mails: confirm, preferences, unsubscribe.

A token is an ``itsdangerous`` URL-safe timed signature (HMAC with ``config.secret_key``) over
``[subscriber id, token version, email tag]``; the purpose is the salt, so a token made for one
purpose is refused for another. The email tag (a short hash of the address) keeps an old token
from acting on a new subscriber who happens to get a removed subscriber's id. Bumping a
subscriber's ``token_version`` revokes every token issued before.

Lifetimes: a confirmation link lasts 7 days; a preferences link a year; an unsubscribe link
never expires, because RFC 8058 one-click unsubscribe must work from old mails too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ketawatch import clock
from ketawatch.errors import ConfigError, InvalidTokenError, NotFoundError

#: purpose -> maximum age in seconds (None: never expires)
LIFETIMES: dict[str, int | None] = {
    "confirm": 7 * 24 * 3600,
    "prefs": 366 * 24 * 3600,
    "unsubscribe": None,
}
MIN_SECRET_LENGTH = 16


class _Subscriber(Protocol):
    id: int
    email: str
    token_version: int


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads KetaWatch's clock, so tests can age tokens."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose it is and which token version it was issued under."""

    subscriber_id: int
    version: int
    email_tag: str


def email_tag(email: str) -> str:
    """A short, stable hash of an address (binds a token to the address, not just the id)."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


def _serializer(config: Any, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    key = getattr(config, "secret_key", "") or ""
    if len(key) < MIN_SECRET_LENGTH:
        raise ConfigError(
            "KETAWATCH_SECRET_KEY is not set or too short (at least "
            f"{MIN_SECRET_LENGTH} characters): it signs the links in every mail; set it in the "
            "environment or in secrets.toml")
    return URLSafeTimedSerializer(key, salt=f"ketawatch.{purpose}", signer=_ClockSigner)


def make_token(config: Any, subscriber: _Subscriber, purpose: str) -> str:
    """A signed token for one subscriber and one purpose (``confirm``, ``prefs``,
    ``unsubscribe``)."""
    return _serializer(config, purpose).dumps(
        [int(subscriber.id), int(subscriber.token_version), email_tag(subscriber.email)])


def read_token(config: Any, token: str, purpose: str) -> TokenClaims:
    """The claims of a token; InvalidTokenError when it is forged, expired, malformed or made
    for another purpose."""
    serializer = _serializer(config, purpose)
    try:
        payload = serializer.loads(token or "", max_age=LIFETIMES[purpose])
    except SignatureExpired:
        raise InvalidTokenError("this link has expired; ask for a new one") from None
    except BadSignature:
        raise InvalidTokenError("this link is not valid (it may have been altered or cut "
                                "short)") from None
    if (not isinstance(payload, list) or len(payload) != 3
            or not all(isinstance(v, int) for v in payload[:2]) or not isinstance(payload[2], str)):
        raise InvalidTokenError("this link is not valid")
    return TokenClaims(payload[0], payload[1], payload[2])


def subscriber_for_token(config: Any, store: Any, token: str, purpose: str):
    """The stored subscriber a token belongs to, checked against its current token version and
    address. Raises InvalidTokenError for anything else (including a removed subscriber)."""
    claims = read_token(config, token, purpose)
    try:
        subscriber = store.get_subscriber(claims.subscriber_id)
    except NotFoundError:
        raise InvalidTokenError("this link belongs to a subscription that no longer "
                                "exists") from None
    if claims.version != subscriber.token_version or claims.email_tag != email_tag(
            subscriber.email):
        raise InvalidTokenError("this link is no longer valid; use the one in your latest mail")
    return subscriber
