"""Subscribing to the weekly digest on the web: the form, the double opt-in, preferences,
one-click unsubscribe, and the archive of past digests.

Every link in a mail carries a signed token (``digest.tokens``) scoped to one subscriber and one
purpose; nothing here needs a login. GET never changes anything (mail scanners follow links):
confirming and unsubscribing are POSTs, behind a button on the page the link opens. The RFC 8058
one-click unsubscribe POST comes from a mail provider without our session cookie, so that view
is CSRF-exempt: its signed token is the authorization. The subscribe form answers the same
whatever the address's state, so it tells nobody who is subscribed.

Rate limits (in memory, per process): a client address may post the form
``SUBSCRIBE_PER_CLIENT`` times per ``SUBSCRIBE_WINDOW``, and one e-mail address may be posted
``SUBSCRIBE_PER_ADDRESS`` times, whoever posts it. Past either, the answer is one and the same
429 page, which depends only on the requests made, never on the address's state.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import NotFound

from digest.addresses import clean_name, normalize_address
from digest.prefs import DESIGN_MIN_CHOICES, MAX_ITEMS_LIMIT, Preferences
from digest.render import links_for
from digest.send import send_confirmation
from digest.tokens import subscriber_for_token
from digest.weeks import parse_week
from ketawatch import clock
from ketawatch.errors import DeliveryError, InvalidEmailError, UsageError
from ketawatch.vocabulary import CONDITIONS, DRUGS, label
from ketawatch.web.context import get_config, get_store
from ketawatch.web.security import WindowLimiter, client_address, csrf_exempt

log = logging.getLogger(__name__)
bp = Blueprint("subscribe", __name__)

#: a second confirmation mail to one address waits this long (the form must not mail-bomb)
CONFIRM_THROTTLE = timedelta(minutes=10)
#: the archived digests are our own rendering with inline styles and no script at all
ARCHIVE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
ONE_CLICK = "One-Click"
#: subscribe form posts allowed per window: per client address, and per e-mail address
SUBSCRIBE_WINDOW = timedelta(minutes=10)
SUBSCRIBE_PER_CLIENT = 5
SUBSCRIBE_PER_ADDRESS = 3
_LIMITS = "ketawatch.subscribe_limits"


@bp.record_once
def _init_limits(state: Any) -> None:
    # one pair of limiters per app: tests and a second app in one process do not share counts
    state.app.extensions[_LIMITS] = {
        "client": WindowLimiter(SUBSCRIBE_PER_CLIENT, SUBSCRIBE_WINDOW),
        "address": WindowLimiter(SUBSCRIBE_PER_ADDRESS, SUBSCRIBE_WINDOW)}


def _over_limit(kind: str, key: str):
    """The 429 answer when ``key`` is over the ``kind`` limit, else None (the hit is counted)."""
    wait = current_app.extensions[_LIMITS][kind].hit(key)
    if wait is None:
        return None
    minutes = max(1, math.ceil(wait / 60))
    log.warning("subscribe rate limit (%s) reached", kind)
    # one page for both limits, so it says nothing about the address
    body, status = _message("Too many requests",
                            "Too many subscription requests came from here or for this "
                            "address in a short time.",
                            f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and "
                            "try again.", status=429)
    return body, status, {"Retry-After": str(math.ceil(wait))}


def _choices() -> dict[str, Any]:
    return {"conditions": [(c, label(c)) for c in CONDITIONS],
            "drugs": [(d, label(d)) for d in DRUGS],
            "designs": [(d, label(d)) for d in DESIGN_MIN_CHOICES],
            "max_items_limit": MAX_ITEMS_LIMIT}


def prefs_from_form(form: Any) -> Preferences:
    """Preferences from a submitted form (unchecked boxes are absent); UsageError if invalid."""
    return Preferences(
        conditions=form.getlist("condition"), drugs=form.getlist("drug"),
        design_min=form.get("design_min") or None,
        include_preprints="include_preprints" in form,
        include_trial_updates="include_trial_updates" in form,
        include_animal="include_animal" in form, no_news_mail="no_news_mail" in form,
        max_items=form.get("max_items") or 30).validated()


def _recently_mailed(subscriber: Any) -> bool:
    if not subscriber.confirm_sent_at:
        return False
    sent = datetime.fromisoformat(subscriber.confirm_sent_at.replace("Z", "+00:00"))
    return clock.now() - sent < CONFIRM_THROTTLE


def _message(title: str, *paragraphs: str, status: int = 200, links: list | None = None):
    return render_template("web/subscribe_message.html", title=title, paragraphs=paragraphs,
                           links=links or []), status


@bp.get("/subscribe")
def subscribe_form():
    """The subscription form."""
    return render_template("web/subscribe.html", prefs=Preferences(), email="", name="",
                           error=None, **_choices())


@bp.post("/subscribe")
def subscribe():
    """Add a pending subscriber and mail them the confirmation link (double opt-in)."""
    config, store = get_config(), get_store()
    if (limited := _over_limit("client", client_address())) is not None:
        return limited
    email, name = request.form.get("email", ""), request.form.get("name", "")
    try:
        address = normalize_address(email)
        name = clean_name(name)
        prefs = prefs_from_form(request.form)
    except (InvalidEmailError, UsageError) as exc:
        prefs = Preferences()
        return render_template("web/subscribe.html", prefs=prefs, email=email, name=name,
                               error=str(exc), **_choices()), 400
    # counted before the store is read, so the answer cannot depend on the address's state
    if (limited := _over_limit("address", address.lower())) is not None:
        return limited
    subscriber, state = store.add_subscriber(address, name=name, prefs=prefs.to_dict())
    if not _recently_mailed(subscriber):
        try:
            send_confirmation(config, store, subscriber, already=state == "exists")
        except DeliveryError as exc:
            log.error("confirmation mail to %s failed: %s", address, exc)
            return _message("We could not send the mail",
                            "The mail server did not take our confirmation mail just now. "
                            "Please try again in a few minutes.", status=503)
    return _message("Check your inbox",
                    f"If {address} can receive mail, a message is on its way. Follow its link "
                    "to confirm the subscription: nothing is sent until you do.",
                    "The link works for 7 days.")


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """The page a confirmation link opens: one button confirms."""
    subscriber = subscriber_for_token(get_config(), get_store(), token, "confirm")
    return render_template("web/subscribe_confirm.html", subscriber=subscriber)


@bp.post("/confirm/<token>")
def confirm(token: str):
    """Confirm the subscription the token names."""
    config, store = get_config(), get_store()
    subscriber = subscriber_for_token(config, store, token, "confirm")
    subscriber = store.confirm_subscriber(subscriber.id)
    links = links_for(config, subscriber)
    return _message("You are subscribed",
                    f"The KetaWatch weekly digest will come to {subscriber.email}. Every digest "
                    "has a link to change your preferences and a link to unsubscribe.",
                    links=[("Change your preferences", links["prefs_url"])])


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str):
    """See and change what the digest holds."""
    config, store = get_config(), get_store()
    subscriber = subscriber_for_token(config, store, token, "prefs")
    links = links_for(config, subscriber)
    error, saved, status = None, False, 200
    prefs = Preferences.from_dict(subscriber.prefs)
    if request.method == "POST":
        try:
            prefs = prefs_from_form(request.form)
        except UsageError as exc:
            error, status = str(exc), 400
        else:
            subscriber = store.update_preferences(subscriber.id, prefs.to_dict())
            saved = True
    return render_template("web/subscribe_preferences.html", subscriber=subscriber, prefs=prefs,
                           error=error, saved=saved,
                           unsubscribe_url=links["unsubscribe_url"], **_choices()), status


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """The page an unsubscribe link opens: one button unsubscribes (GET changes nothing)."""
    subscriber = subscriber_for_token(get_config(), get_store(), token, "unsubscribe")
    return render_template("web/subscribe_unsubscribe.html", subscriber=subscriber)


@bp.post("/unsubscribe/<token>")
@csrf_exempt
def unsubscribe(token: str):
    """Unsubscribe: the page's button, or a mail provider's RFC 8058 one-click POST
    (``List-Unsubscribe=One-Click``). Idempotent."""
    store = get_store()
    subscriber = subscriber_for_token(get_config(), store, token, "unsubscribe")
    store.unsubscribe_subscriber(subscriber.id)
    if request.form.get("List-Unsubscribe") == ONE_CLICK:
        return Response(f"{subscriber.email} is unsubscribed.\n", mimetype="text/plain")
    return _message("You are unsubscribed",
                    f"No more digests will be sent to {subscriber.email}.",
                    "Changed your mind? Subscribe again from the subscription page.")


@bp.get("/digests")
def digests():
    """The archive: every built weekly digest, newest first."""
    return render_template("web/digests.html", digests=get_store().list_digests())


@bp.get("/digests/<week>")
def digest_page(week: str):
    """One archived weekly digest, as built (the same page as the file in the data folder)."""
    label_ = parse_week(week).label
    record = get_store().get_digest(label_)
    if record is None:
        raise NotFound(f"no digest for {label_}")
    response = Response(record.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = ARCHIVE_CSP
    return response
