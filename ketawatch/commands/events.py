"""``ketawatch events``: list what changed (new studies, trial changes, retractions...)."""

from __future__ import annotations

import json

from ketawatch.commands.dates import iso_date
from ketawatch.store import EVENT_KINDS, open_store


def add_parser(sub) -> None:
    """Register the subcommand."""
    p = sub.add_parser("events", help="list events: new studies, trial changes, retractions")
    p.add_argument("--since", type=iso_date, help="only events recorded on or after this date")
    p.add_argument("--kind", action="append", choices=EVENT_KINDS, help="only these kinds")
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(run=run)


def run(args, config) -> int:
    """Print the events, oldest first."""
    with open_store(config) as store:
        events = store.events(since=args.since.isoformat() if args.since else None,
                              kinds=tuple(args.kind) if args.kind else None)
        titles = {}
        for event in events:
            if event.study_id not in titles:
                try:
                    titles[event.study_id] = store.get_study(event.study_id).study.title
                except Exception:  # noqa: BLE001 - a merged-away study still lists its event
                    titles[event.study_id] = ""
    if args.json:
        print(json.dumps([{**e.to_dict(), "title": titles[e.study_id]} for e in events],
                         indent=2, ensure_ascii=False))
        return 0
    for e in events:
        detail = ", ".join(f"{k}={v}" for k, v in e.data.items() if k != "title" and v is not None)
        print(f"{e.created_at}  {e.kind:<21} study {e.study_id:<6} {titles[e.study_id][:70]}"
              + (f"  ({detail})" if detail else ""))
    if not events:
        print("no events")
    return 0
