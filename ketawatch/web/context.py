"""Per-request resources of the web app: the configuration, the store and the searcher.

SQLite connections must not be shared between threads, and the threaded server answers each
request on its own thread: so each request opens its own store on first use, and the app closes
it when the request ends. The searcher is different: ``index.search.open_searcher`` keeps one
thread-safe searcher per index folder for the whole process, and follows index updates.
"""

from __future__ import annotations

from flask import current_app, g

from index.search import Searcher, open_searcher
from ketawatch.config import Config
from ketawatch.store import Store, open_store

#: key of the app's KetaWatch state in ``app.extensions``
EXTENSION = "ketawatch"


def get_config() -> Config:
    """The Config the app was created with."""
    return current_app.extensions[EXTENSION]["config"]


def is_demo() -> bool:
    """True when the app runs as the offline demo (random secret key)."""
    return bool(current_app.extensions[EXTENSION]["demo"])


def get_store() -> Store:
    """This request's store connection (opened on first use, closed when the request ends)."""
    if "ketawatch_store" not in g:
        g.ketawatch_store = open_store(get_config())
    return g.ketawatch_store


def get_searcher() -> Searcher:
    """The process-wide searcher of the configuration's index (never closed per request)."""
    return open_searcher(get_config())


def close_resources(exc: BaseException | None = None) -> None:
    """Close the store ``get_store`` opened for this request."""
    store = g.pop("ketawatch_store", None)
    if store is not None:
        store.close()
