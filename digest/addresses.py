"""E-mail addresses and display names of subscribers: validated before they reach a header.

Addresses go through ``email-validator`` (syntax only: no DNS look-ups, which would make
subscribing depend on the network and leak who subscribes). Anything carrying CR, LF or another
control character is refused outright, so a name or an address can never add a header.
"""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from ketawatch.errors import InvalidEmailError, UsageError

MAX_NAME_LENGTH = 100
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def has_control_chars(text: str) -> bool:
    """True when ``text`` holds CR, LF, NUL or any other control or line-separator character."""
    return bool(_CONTROL_RE.search(text)) or any(
        unicodedata.category(ch) == "Cc" for ch in text)


def normalize_address(text: str) -> str:
    """The normalized form of an e-mail address (domain lowercased, Unicode normalized).

    Raises InvalidEmailError with the validator's reason for anything that is not a single,
    syntactically valid address.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidEmailError("an e-mail address is required")
    if has_control_chars(text):
        raise InvalidEmailError("an e-mail address cannot contain line breaks or control "
                                "characters")
    if "=?" in text:
        # an RFC 2047 encoded word: mail software would decode it into another address
        raise InvalidEmailError(f"not a valid e-mail address ({text.strip()!r})")
    try:
        # SMTPUTF8 off: a non-ASCII local part needs a mail server that supports it, and the
        # digest must reach every subscriber through any relay; IDN domains stay allowed
        result = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidEmailError(f"not a valid e-mail address ({text.strip()!r}): {exc}") from None
    return result.ascii_email or result.normalized


def clean_name(text: str | None) -> str:
    """A display name made safe for a ``To`` header; UsageError when it holds control characters.

    Line breaks are refused rather than stripped: a name with a line break in it is an attack
    or a mistake, and silently changing it would hide either.
    """
    name = text or ""
    if has_control_chars(name):
        raise UsageError("a name cannot contain line breaks or control characters")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"a name can be at most {MAX_NAME_LENGTH} characters long")
    return name


def domain_of(address: str) -> str:
    """The domain part of an address (for Message-IDs)."""
    return address.rpartition("@")[2] or "localhost"
