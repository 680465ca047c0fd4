"""``ketawatch serve``: run the web app (search page, study pages, API, feeds, exports).

It listens on 127.0.0.1 unless told otherwise: put a reverse proxy (with TLS) in front of it to
publish it. The app refuses to start without KETAWATCH_SECRET_KEY.
"""

from __future__ import annotations

import ipaddress
import logging
import sys

from ketawatch.errors import UsageError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("serve", help="run the web app (search, study pages, API, feeds)",
                       description="Serve the search page, study pages, JSON API, Atom feeds and "
                                   "exports. Listens on 127.0.0.1:8080 unless told otherwise; "
                                   "needs KETAWATCH_SECRET_KEY and a search index "
                                   "(`ketawatch index`).")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on ({DEFAULT_HOST}; 0.0.0.0 publishes it to the network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    p.set_defaults(run=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(app, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve a WSGI app with werkzeug's threaded server until interrupted."""
    from werkzeug.serving import make_server

    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        server.serve_forever()
    finally:
        server.server_close()


def run(args, config) -> int:
    """Build the app from the configuration and serve it."""
    from ketawatch.web import create_app

    if not 0 < args.port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    app = create_app(config)
    if not _is_loopback(args.host):
        sys.stderr.write(f"warning: listening on {args.host}, reachable from other machines; "
                         "put a TLS reverse proxy in front of it\n")
    print(f"KetaWatch on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    serve(app, args.host, args.port)
    return 0
