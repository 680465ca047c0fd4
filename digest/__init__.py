"""The weekly digest: per-subscriber selection, rendering, SMTP delivery, the web archive.

The entry points the commands use:

- ``build_week(config, store, week) -> BuildReport``: the public digest of a week, to files
  under the data folder and to the web archive.
- ``send_week(config, store, week, *, dry_run=False, out_dir=None) -> DeliveryReport``: each
  confirmed subscriber's digest, by SMTP (or as ``.eml`` files).
- ``parse_week("2026-W48")``, ``current_week()``.
"""

from digest.build import BuildReport, build_week
from digest.send import DeliveryReport, send_confirmation, send_week
from digest.weeks import Week, current_week, parse_week

__all__ = ["BuildReport", "DeliveryReport", "Week", "build_week", "current_week", "parse_week",
           "send_confirmation", "send_week"]
