"""The web app's edge for errors: every error becomes a page, or JSON of one shape under /api/.

JSON errors always look like ``{"error": {"status": 404, "message": "no study 9"}}``, whatever
raised them (routing, a bad query, a missing study, a crash). Messages of server errors say
nothing about internals; the details go to the log.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ketawatch.errors import KetaWatchError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
SERVER_ERROR_MESSAGE = "Internal server error: the problem has been logged."


def wants_json() -> bool:
    """True for requests whose errors must be JSON (the API)."""
    return request.path.startswith(API_PREFIX)


def error_response(status: int, message: str) -> tuple[Response | str, int]:
    """An error answer: JSON of the one shape for the API, the error page otherwise."""
    if wants_json():
        return jsonify({"error": {"status": status, "message": message}}), status
    return render_template("web/error.html", status=status, message=message), status


def _http_error(exc: HTTPException):
    status = exc.code or 500
    body, code = error_response(status, exc.description or exc.name)
    # keep the headers the exception carries (``Allow`` of a 405), except its content type
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return body, code, headers


def _ketawatch_error(exc: KetaWatchError):
    status = int(getattr(exc, "http_status", 500) or 500)
    if status >= 500:
        log.error("request %s failed: %s", request.path, exc, exc_info=exc)
        return error_response(status, SERVER_ERROR_MESSAGE)
    return error_response(status, str(exc))


def _unexpected_error(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.error("request %s crashed", request.path, exc_info=exc)
    return error_response(500, SERVER_ERROR_MESSAGE)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers: HTTP errors, KetaWatch errors, and anything else as a 500."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(KetaWatchError, _ketawatch_error)
    app.register_error_handler(Exception, _unexpected_error)
