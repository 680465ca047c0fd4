"""``ketawatch subscribers``: add, list and remove digest subscribers.

``add`` sends the double opt-in mail, unless the operator vouches for the address with
``--confirmed``; nothing else is ever sent to an address before it is confirmed.
"""

from __future__ import annotations

import json

from digest.addresses import clean_name, normalize_address
from digest.prefs import DEFAULT_MAX_ITEMS, DESIGN_MIN_CHOICES, Preferences
from ketawatch.errors import DeliveryError, NotFoundError
from ketawatch.store import open_store
from ketawatch.vocabulary import CONDITIONS, DRUGS


def add_parser(sub) -> None:
    """Register the subcommand and its actions."""
    p = sub.add_parser("subscribers", help="add, list and remove digest subscribers",
                       description="Manage the subscribers of the weekly digest.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", help="add a subscriber (mails the confirmation link)",
                             description="Add a subscriber. A confirmation mail with a signed "
                                         "link is sent; pass --confirmed to skip it when the "
                                         "person asked you directly.")
    add.add_argument("email", help="e-mail address")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--condition", action="append", default=[], choices=CONDITIONS,
                     metavar="C", help="only this condition (repeatable; default: all): "
                                       + ", ".join(CONDITIONS))
    add.add_argument("--drug", action="append", default=[], choices=DRUGS, metavar="D",
                     help="only this drug (repeatable; default: all): " + ", ".join(DRUGS))
    add.add_argument("--design-min", choices=DESIGN_MIN_CHOICES, metavar="X",
                     help="minimum study design (rct: only RCTs and syntheses): "
                          + ", ".join(DESIGN_MIN_CHOICES))
    add.add_argument("--no-preprints", action="store_true", help="leave out preprints")
    add.add_argument("--no-trial-updates", action="store_true",
                     help="leave out trial registrations and their updates")
    add.add_argument("--animal", action="store_true", help="include animal and lab studies")
    add.add_argument("--max-items", type=int, default=DEFAULT_MAX_ITEMS,
                     help=f"at most this many items a digest (default {DEFAULT_MAX_ITEMS})")
    add.add_argument("--no-news-mail", action="store_true",
                     help="send a mail even in weeks with nothing new")
    add.add_argument("--confirmed", action="store_true",
                     help="confirmed by the operator: no confirmation mail")
    add.set_defaults(run=run_add)

    lst = actions.add_parser("list", help="list subscribers")
    lst.add_argument("--json", action="store_true", help="one JSON array")
    lst.set_defaults(run=run_list)

    rm = actions.add_parser("remove", help="delete a subscriber and their delivery log")
    rm.add_argument("email", help="e-mail address")
    rm.set_defaults(run=run_remove)


def run_add(args, config) -> int:
    """Add (or renew) a subscriber; mail the confirmation link unless ``--confirmed``."""
    from digest.send import send_confirmation
    from digest.tokens import make_token

    address = normalize_address(args.email)
    name = clean_name(args.name)
    prefs = Preferences(conditions=args.condition, drugs=args.drug, design_min=args.design_min,
                        include_preprints=not args.no_preprints,
                        include_trial_updates=not args.no_trial_updates,
                        include_animal=args.animal, max_items=args.max_items,
                        no_news_mail=args.no_news_mail).validated()
    with open_store(config) as store:
        if not args.confirmed:
            # fail on a missing signing key before anything is stored
            make_token(config, store.find_subscriber(address) or _Probe(address), "confirm")
        subscriber, state = store.add_subscriber(address, name=name, prefs=prefs.to_dict(),
                                                 confirmed=args.confirmed)
        if args.confirmed:
            print(f"{state} {subscriber.email} (confirmed): {prefs.describe()}")
            return 0
        if state == "exists":
            print(f"{subscriber.email} is already subscribed and confirmed; nothing changed "
                  "(use --confirmed to change their preferences)")
            return 0
        try:
            send_confirmation(config, store, subscriber)
        except DeliveryError as exc:
            raise DeliveryError(f"{exc}; {subscriber.email} is stored as pending: run the same "
                                "command again to resend the mail") from None
    print(f"{state} {subscriber.email} (pending): confirmation mail sent; "
          f"{prefs.describe()}")
    return 0


class _Probe:
    """A stand-in subscriber to check that tokens can be signed."""

    def __init__(self, email: str):
        self.id, self.email, self.token_version = 0, email, 1


def run_list(args, config) -> int:
    """Print the subscribers, oldest first."""
    with open_store(config) as store:
        subscribers = store.list_subscribers()
    if args.json:
        print(json.dumps([s.to_dict() for s in subscribers], indent=2, ensure_ascii=False))
        return 0
    for s in subscribers:
        prefs = Preferences.from_dict(s.prefs).describe()
        name = f" ({s.name})" if s.name else ""
        print(f"{s.id:>5}  {s.status:<12} {s.email}{name}: {prefs}")
    if not subscribers:
        print("no subscribers")
    return 0


def run_remove(args, config) -> int:
    """Delete a subscriber with their delivery log."""
    address = normalize_address(args.email)
    with open_store(config) as store:
        subscriber = store.find_subscriber(address)
        if subscriber is None:
            raise NotFoundError(f"no subscriber {address}")
        store.remove_subscriber(subscriber.id)
    print(f"removed {subscriber.email}")
    return 0
