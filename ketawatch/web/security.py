"""Web security: the secret-key check, security headers on every answer, CSRF protection, and
the client address and in-memory window limiter the rate limits use.

CSRF: every session gets a random token (``csrf_token()``, a Jinja global, goes in a hidden
``csrf_token`` field of every POST form). A ``before_request`` hook checks it on every POST, PUT,
PATCH and DELETE, so no view can forget; views may also call ``check_csrf()`` themselves. The
RFC 8058 one-click unsubscribe POST comes from a mail client without our cookie: its signed URL
token authorizes it, and its view is marked ``@csrf_exempt``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request, session
from werkzeug.exceptions import BadRequest

from ketawatch import clock
from ketawatch.config import Config
from ketawatch.errors import ConfigError

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SESSION_KEY = "_csrf"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the shortest secret key we accept (bytes of text)
MIN_SECRET_LENGTH = 16

F = TypeVar("F", bound=Callable[..., Any])


class CSRFError(BadRequest):
    """A form came without the session's CSRF token (forged, or the session expired)."""

    description = ("The form was not sent from this site or your session expired "
                   "(CSRF check failed). Reload the page and try again.")


def secret_key_for(config: Config, *, demo: bool) -> str:
    """The key that signs sessions: ``config.secret_key``, or a random one for the demo.

    Without a configured key the app refuses to start (a built-in fallback key would let anyone
    forge sessions and tokens); the demo gets a fresh random key per process.
    """
    key = str(getattr(config, "secret_key", "") or "")
    if key:
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"KETAWATCH_SECRET_KEY is too short: use at least "
                              f"{MIN_SECRET_LENGTH} random characters "
                              "(python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return key
    if demo:
        return secrets.token_urlsafe(32)
    raise ConfigError("no secret key: set KETAWATCH_SECRET_KEY (e.g. the output of "
                      "python -c 'import secrets; print(secrets.token_urlsafe(32))') in the "
                      "environment or in secrets.toml; the web app will not start without one")


def set_security_headers(response: Response) -> Response:
    """Add the security headers to an answer (an ``after_request`` hook)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def csrf_token() -> str:
    """The session's CSRF token (created on first use); put it in every POST form."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


def check_csrf() -> None:
    """Raise CSRFError (400) unless the request carries the session's CSRF token."""
    expected = session.get(_SESSION_KEY)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(
            expected.encode(), str(sent).encode()):
        raise CSRFError()


def csrf_exempt(view: F) -> F:
    """Mark a view as authorized by other means (a signed URL token): no CSRF check."""
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def _csrf_hook() -> None:
    if request.method not in _UNSAFE_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "_csrf_exempt", False):
        return
    check_csrf()


def client_address() -> str:
    """The address of the client, for rate limits.

    Behind the recommended set-up (the app bound to 127.0.0.1, a reverse proxy in front) every
    request comes from the proxy's loopback address, which would put all visitors in one
    bucket. So when the peer is a loopback address, the last ``X-Forwarded-For`` entry (the one
    our proxy appended: the address *it* saw) is used instead. A peer on another machine
    cannot set it: its own header is ignored.
    """
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _is_loopback(peer):
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass  # not an address: a misconfigured proxy; count the peer itself
    return peer


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class WindowLimiter:
    """At most ``limit`` hits per ``window`` for each key (a client address, an e-mail
    address), kept in this process's memory.

    Memory is bounded: keys whose hits are all older than the window are dropped, and beyond
    ``max_keys`` keys the least recently used go first. Thread-safe (the server is threaded).
    Time is KetaWatch's clock, so tests can move it.
    """

    def __init__(self, limit: int, window: timedelta, *, max_keys: int = 10_000):
        self.limit = limit
        self.window = window.total_seconds()
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit for ``key``; None when allowed, else the seconds until one more is.

        A refused hit is not counted, so waiting out the window always works.
        """
        now = clock.now().timestamp()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                self._hits[key] = hits
                return max(1.0, hits[0] + self.window - now)
            hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return None


def init_security(app: Flask, config: Config) -> None:
    """Install the headers hook, the CSRF hook and the ``csrf_token`` Jinja global."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(getattr(config, "base_url", "")).startswith("https://"),
        SESSION_COOKIE_NAME="ketawatch_session",
    )
    app.before_request(_csrf_hook)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["csrf_field"] = CSRF_FIELD
