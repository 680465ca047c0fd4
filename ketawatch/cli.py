"""The ``ketawatch`` command line: one program, a subcommand for every job.

Each subcommand lives in its own module under ``ketawatch.commands`` with two functions:
``add_parser(subparsers)`` and ``run(args, config) -> int``. This module is the edge where
KetaWatch's exceptions become one line on stderr and an exit code (1 failure, 2 usage).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ketawatch import __version__
from ketawatch.config import load_config
from ketawatch.errors import KetaWatchError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = ("crawl", "events", "index", "search", "export", "serve", "subscribers", "digest",
            "weekly", "demo", "config")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one clear line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"Error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = _Parser(prog="ketawatch", description=(
        "Ketamine, esketamine and arketamine research in psychiatry: crawl, search, digest."))
    parser.add_argument("--version", action="version", version=f"ketawatch {__version__}")
    parser.add_argument("--home", help="data folder (default: $KETAWATCH_HOME or ./ketawatch-data)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"ketawatch.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = load_config(home=args.home)
        return int(args.run(args, config) or 0)
    except KetaWatchError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
