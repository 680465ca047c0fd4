"""Local replay of the real sources over HTTP on 127.0.0.1, for tests and the offline demo.

``server.ReplayServer`` routes by path prefix to per-source handlers such as
``eutils.EutilsHandler``.
"""

from ketawatch.replay.server import Fault, ReplayServer, Request, Response, first_n

__all__ = ["Fault", "ReplayServer", "Request", "Response", "first_n"]
