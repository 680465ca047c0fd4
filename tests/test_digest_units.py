"""The digest's small parts: ISO weeks, preferences, addresses, signed tokens, summaries,
the SMTP URL and the rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from digest_support import SECRET, make_config

from digest.addresses import clean_name, normalize_address
from digest.prefs import Preferences
from digest.present import badges, summary
from digest.smtp import RateLimiter, parse_smtp_url
from digest.tokens import make_token, read_token, subscriber_for_token
from digest.weeks import Week, current_week, parse_week, week_of
from ketawatch.errors import ConfigError, InvalidEmailError, InvalidTokenError, UsageError
from ketawatch.model import Study
from ketawatch.store import open_store

# -- weeks ---------------------------------------------------------------------------------------


def test_week_bounds_are_monday_to_monday_utc():
    week = parse_week("2026-W48")
    assert week.label == "2026-W48"
    assert week.start == datetime(2026, 11, 23, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 30, tzinfo=UTC)
    assert week.start_iso == "2026-11-23T00:00:00Z" and week.end_iso == "2026-11-30T00:00:00Z"
    assert week.span_text() == "23-29 November 2026"
    assert parse_week("2026w48") == week


def test_week_across_years_follows_iso_rules():
    # 1 January 2027 is a Friday: it belongs to 2026-W53, and 2026 has 53 ISO weeks
    assert week_of(datetime(2027, 1, 1, 12, tzinfo=UTC)).label == "2026-W53"
    assert parse_week("2026-W53").next() == Week(2027, 1)
    assert Week(2027, 1).previous().label == "2026-W53"
    assert parse_week("2026-W53").span_text() == "28 Dec 2026 - 3 Jan 2027"


@pytest.mark.parametrize("bad", ["2026-48", "W48", "2026-W5", "2025-W53", "2026-W00", "x", "2026-W54"])
def test_bad_weeks_are_usage_errors(bad):
    with pytest.raises(UsageError):
        parse_week(bad)


def test_current_week_reads_the_pinned_clock(monkeypatch):
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-29T23:59:59Z")
    assert current_week().label == "2026-W48"
    assert parse_week(None).label == "2026-W48"
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-30T00:00:00Z")
    assert current_week().label == "2026-W49"


# -- preferences ---------------------------------------------------------------------------------


def test_preferences_validate_and_normalize():
    prefs = Preferences(conditions=["PTSD", "trd", "ptsd"], drugs=["Esketamine"],
                        design_min="RCT", max_items="12", include_animal="yes").validated()
    assert prefs.conditions == ["trd", "ptsd"]  # vocabulary order, no repeats
    assert prefs.drugs == ["esketamine"] and prefs.design_min == "rct"
    assert prefs.max_items == 12 and prefs.include_animal is True
    assert Preferences.from_dict(prefs.to_dict()) == prefs


@pytest.mark.parametrize("kwargs", [{"conditions": ["flu"]}, {"drugs": ["ketamin"]},
                                    {"design_min": "editorial"}, {"max_items": 0},
                                    {"max_items": 500}, {"max_items": "many"},
                                    {"include_preprints": "perhaps"}])
def test_bad_preferences_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        Preferences(**kwargs).validated()


def test_preferences_match_studies():
    rct = Study(design="rct", conditions=["ptsd"], drugs=["ketamine"], human=True)
    animal = Study(design="preclinical", conditions=["depression"], drugs=["arketamine"])
    prereg = Study(design="trial-registration", conditions=["ptsd"], drugs=["ketamine"])
    pre = Study(design="observational", conditions=["ptsd"], drugs=["ketamine"], preprint=True)
    prefs = Preferences(conditions=["ptsd"], design_min="rct").validated()
    assert prefs.matches_study(rct)
    assert not prefs.matches_study(pre)  # observational is weaker than an RCT
    assert prefs.matches_study(prereg)  # registrations follow include_trial_updates
    assert not Preferences(include_trial_updates=False).matches_study(prereg)
    assert not Preferences().matches_study(animal)
    assert Preferences(include_animal=True).matches_study(animal)
    assert not Preferences(include_preprints=False).matches_study(pre)
    assert not Preferences(drugs=["esketamine"]).matches_study(rct)


# -- addresses -----------------------------------------------------------------------------------


def test_addresses_are_validated_and_normalized():
    assert normalize_address("  Alice@Example.ORG ") == "Alice@example.org"
    for bad in ("", "alice", "alice@", "a b@example.org", "alice@example.org, bob@example.org"):
        with pytest.raises(InvalidEmailError):
            normalize_address(bad)


@pytest.mark.parametrize("evil", ["alice@example.org\r\nBcc: victim@example.org",
                                  "alice@example.org\nBcc: victim@example.org",
                                  "alice\r@example.org", "alice@example.org\x00"])
def test_addresses_with_line_breaks_are_refused(evil):
    with pytest.raises(InvalidEmailError, match="line breaks"):
        normalize_address(evil)


@pytest.mark.parametrize("evil", ["Eve\r\nBcc: victim@example.org", "Eve\nX: y", "Eve\u2028"])
def test_names_with_line_breaks_are_refused(evil):
    with pytest.raises(UsageError):
        clean_name(evil)
    assert clean_name("  Dr. Ada Lovelace ") == "Dr. Ada Lovelace"


# -- tokens --------------------------------------------------------------------------------------


@pytest.fixture
def store_and_config(tmp_path):
    config = make_config(tmp_path)
    with open_store(config) as store:
        yield store, config


def test_tokens_are_scoped_to_one_subscriber_and_one_purpose(store_and_config, monkeypatch):
    store, config = store_and_config
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-23T10:00:00Z")
    alice, _ = store.add_subscriber("alice@example.org")
    bob, _ = store.add_subscriber("bob@example.org")
    token = make_token(config, alice, "unsubscribe")
    assert subscriber_for_token(config, store, token, "unsubscribe").id == alice.id
    assert subscriber_for_token(config, store, make_token(config, bob, "unsubscribe"),
                                "unsubscribe").id == bob.id
    with pytest.raises(InvalidTokenError):
        read_token(config, token, "prefs")  # another purpose
    with pytest.raises(InvalidTokenError):
        read_token(config, token, "confirm")
    other_key = config.with_overrides(secret_key="another-secret-key-0123456789")
    with pytest.raises(InvalidTokenError):
        read_token(other_key, token, "unsubscribe")  # signed with another key


def test_forged_tokens_are_refused(store_and_config):
    store, config = store_and_config
    alice, _ = store.add_subscriber("alice@example.org")
    bob, _ = store.add_subscriber("bob@example.org")
    token = make_token(config, alice, "unsubscribe")
    payload, stamp, signature = token.split(".")
    # Bob's id in Alice's payload, keeping Alice's signature
    forged_payload = make_token(config, bob, "unsubscribe").split(".")[0]
    for forged in (f"{forged_payload}.{stamp}.{signature}", token[:-2],
                   f"{payload}.{stamp}.{'A' * len(signature)}", "", "not-a-token",
                   f"{payload}.{stamp}"):
        with pytest.raises(InvalidTokenError):
            subscriber_for_token(config, store, forged, "unsubscribe")


def test_revoked_and_removed_subscribers_tokens_are_refused(store_and_config):
    store, config = store_and_config
    alice, _ = store.add_subscriber("alice@example.org")
    token = make_token(config, alice, "prefs")
    store.revoke_tokens(alice.id)
    with pytest.raises(InvalidTokenError, match="no longer valid"):
        subscriber_for_token(config, store, token, "prefs")
    # a removed subscriber's id may be given to someone new: the old token must not act on them
    carol, _ = store.add_subscriber("carol@example.org")
    old = make_token(config, carol, "unsubscribe")
    store.remove_subscriber(carol.id)
    dave, _ = store.add_subscriber("dave@example.org")
    assert dave.id == carol.id
    with pytest.raises(InvalidTokenError):
        subscriber_for_token(config, store, old, "unsubscribe")


def test_confirm_tokens_expire_and_unsubscribe_tokens_do_not(store_and_config, monkeypatch):
    store, config = store_and_config
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-23T10:00:00Z")
    alice, _ = store.add_subscriber("alice@example.org")
    confirm = make_token(config, alice, "confirm")
    unsubscribe = make_token(config, alice, "unsubscribe")
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-11-29T10:00:00Z")
    assert subscriber_for_token(config, store, confirm, "confirm").id == alice.id
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2026-12-01T10:00:01Z")
    with pytest.raises(InvalidTokenError, match="expired"):
        subscriber_for_token(config, store, confirm, "confirm")
    monkeypatch.setenv("KETAWATCH_FAKE_NOW", "2031-11-23T10:00:00Z")
    assert subscriber_for_token(config, store, unsubscribe, "unsubscribe").id == alice.id


def test_tokens_need_a_real_secret_key(store_and_config):
    store, config = store_and_config
    alice, _ = store.add_subscriber("alice@example.org")
    for key in ("", "short"):
        with pytest.raises(ConfigError, match="KETAWATCH_SECRET_KEY"):
            make_token(config.with_overrides(secret_key=key), alice, "confirm")
    assert SECRET in config.secret_key


# -- presentation --------------------------------------------------------------------------------


def test_summary_prefers_the_conclusions_of_a_structured_abstract():
    study = Study(abstract="BACKGROUND: x. CONCLUSIONS: Ketamine helped. It was safe. More.",
                  abstract_sections=[["BACKGROUND", "Depression is common."],
                                     ["RESULTS", "Scores fell by 10 points."],
                                     ["CONCLUSIONS", "Ketamine helped quickly. It was safe. "
                                                     "More work is needed."]])
    assert summary(study) == "Ketamine helped quickly. It was safe."
    inline = Study(abstract="OBJECTIVE: To test. METHODS: We did. CONCLUSIONS: It worked well. "
                            "Side effects were mild. Replication is needed.")
    assert summary(inline) == "It worked well. Side effects were mild."
    plain = Study(abstract="Depression is common. Many do not respond. We gave ketamine. "
                           "Most improved within a day. Effects faded by a week.")
    assert summary(plain) == "Most improved within a day. Effects faded by a week."
    long = Study(abstract_sections=[["CONCLUSION", "word " * 200]], abstract="x")
    assert len(summary(long)) <= 321 and summary(long).endswith("…")


def test_badges_tell_design_size_drug_route_and_flags():
    study = Study(design="rct", sample_size=120, drugs=["esketamine"], routes=["intranasal"],
                  preprint=True, retracted=True)
    texts = [b["text"] for b in badges(study)]
    assert texts == ["Retracted", "RCT", "n=120", "Esketamine", "Intranasal", "Preprint"]


# -- SMTP settings and the rate limit ------------------------------------------------------------


def test_smtp_urls():
    plain = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.scheme, plain.host, plain.port, plain.username) == ("smtp", "127.0.0.1", 2525, "")
    tls = parse_smtp_url("smtp+starttls://user%40x:p%3Ass@mail.example.org")
    assert (tls.port, tls.username, tls.password) == (587, "user@x", "p:ss")
    assert parse_smtp_url("smtps://mail.example.org").port == 465
    assert "p:ss" not in tls.where
    for bad in ("http://mail.example.org", "smtp://", "mail.example.org:25", "smtp://h:99999"):
        with pytest.raises(ConfigError, match="KETAWATCH_SMTP_URL"):
            parse_smtp_url(bad)


def test_rate_limiter_spaces_messages():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    assert now[0] == pytest.approx(101.0)
