"""``ketawatch config``: show the settings in force (secrets masked)."""

from __future__ import annotations

from ketawatch.config import SETTINGS


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("config", help="show the settings in force, secrets masked")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Print each setting, its environment variable and its value."""
    values = config.redacted()
    for s in SETTINGS:
        print(f"{s.key:<20} {s.env:<30} {values[s.key]}")
    return 0
