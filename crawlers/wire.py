"""Checks every JSON source parser shares: the wire may carry any type anywhere.

A record with a field of the wrong type is one ``ParseError`` (reported and counted by the
crawl), never an exception that ends the callback of the page holding it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ketawatch.errors import ParseError

T = TypeVar("T")


def is_number(text: Any) -> bool:
    """True for a string of ASCII digits only (``str.isdigit`` also takes "²", which ``int``
    refuses)."""
    return isinstance(text, str) and text.isascii() and text.isdecimal()


def wrong_types_are_parse_errors(what: str, source: str) -> Callable[[Callable[..., T]],
                                                                      Callable[..., T]]:
    """Decorate a record parser so that a field of the wrong type raises ParseError."""
    def decorate(parse: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(parse)
        def guarded(*args: Any, **kwargs: Any) -> T:
            try:
                return parse(*args, **kwargs)
            except (AttributeError, TypeError, ValueError, KeyError, RecursionError) as exc:
                raise ParseError(f"{what} with a field of the wrong type: "
                                 f"{type(exc).__name__}: {exc}", source=source) from exc
        return guarded
    return decorate
