"""The one exception hierarchy of KetaWatch.

Every layer raises one of these; only the edges (the CLI and the web app) turn them into
messages and exit codes or HTTP answers.
"""


class KetaWatchError(Exception):
    """Base class of every error KetaWatch raises on purpose."""

    #: exit code the CLI uses for this error
    exit_code = 1
    #: HTTP status the web app answers with
    http_status = 500


class ConfigError(KetaWatchError):
    """A setting is missing, malformed or unsafe."""

    exit_code = 2
    http_status = 500


class UsageError(KetaWatchError):
    """The caller asked for something malformed (bad argument, bad week, bad date)."""

    exit_code = 2
    http_status = 400


class StoreError(KetaWatchError):
    """The SQLite store could not be opened, migrated or written."""


class LockedError(KetaWatchError):
    """Another KetaWatch job holds the lock this job needs."""


class SourceError(KetaWatchError):
    """A source answered with an error, malformed data, or not at all.

    ``url`` names the request that failed, so the message can say what to check.
    """

    def __init__(self, message: str, *, source: str = "", url: str = ""):
        super().__init__(message)
        self.source = source
        self.url = url

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} ({self.url})" if self.url else text


class ParseError(SourceError):
    """A source record or page could not be parsed."""


class InvalidSearchQueryError(KetaWatchError):
    """The search query cannot be understood."""

    exit_code = 2
    http_status = 400


class NotFoundError(KetaWatchError):
    """A study, subscriber or digest that was asked for does not exist."""

    http_status = 404


class InvalidEmailError(KetaWatchError):
    """An e-mail address is not valid."""

    exit_code = 2
    http_status = 400


class InvalidTokenError(KetaWatchError):
    """A signed token is forged, expired, or for another subscriber or purpose."""

    http_status = 400


class DeliveryError(KetaWatchError):
    """The mail server refused or could not be reached."""
