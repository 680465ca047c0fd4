"""Choosing a subscriber's digest from a real store: only what is new to them, never twice,
nothing missed after a skipped week, retraction warnings first, grouped and capped."""

from __future__ import annotations

import pytest
from digest_support import add_confirmed, article, at, ingest, make_config, preprint, trial

from digest.prefs import Preferences
from digest.select import Candidates, select_for_archive, select_for_subscriber
from digest.weeks import parse_week
from ketawatch.store import open_store

W48, W49, W50 = parse_week("2026-W48"), parse_week("2026-W49"), parse_week("2026-W50")


@pytest.fixture
def store(tmp_path):
    with open_store(make_config(tmp_path)) as s:
        yield s


def select(store, sub, week):
    sub = store.get_subscriber(sub.id)
    return select_for_subscriber(store, sub, Preferences.from_dict(sub.prefs), week,
                                 base_url="https://ketawatch.test")


def deliver(store, sub, selection):
    """Record a selection as sent, the way ``send_week`` does after the server's 250."""
    d = store.begin_delivery(sub.id, selection.week.label, message_id=f"<{sub.id}@t>",
                             items=selection.item_keys(), message=b"message")
    store.finish_delivery_sent(d.id)


def titles(selection):
    return [i.study.study.title for i in selection.shown]


def test_second_week_holds_only_new_studies(store):
    ingest(store, [article("1", "RCT one"), article("2", "RCT two")], at("2026-11-24"))
    alice = add_confirmed(store, "alice@example.org")
    first = select(store, alice, W48)
    assert sorted(titles(first)) == ["RCT one", "RCT two"]
    deliver(store, alice, first)
    ingest(store, [article("3", "RCT three")], at("2026-12-01"))
    # re-crawling an old study changes it but does not make it new
    ingest(store, [article("1", "RCT one", abstract="Now with an abstract.")], at("2026-12-02"))
    assert titles(select(store, alice, W49)) == ["RCT three"]
    assert select(store, alice, W48).empty  # what W48 held is sent; W49's study is not W48's


def test_a_skipped_week_is_caught_up(store):
    alice = add_confirmed(store, "alice@example.org")
    ingest(store, [article("1", "Seen in W48")], at("2026-11-25"))
    deliver(store, alice, select(store, alice, W48))
    ingest(store, [article("2", "Seen in W49")], at("2026-12-02"))
    # no run in W49 (the job failed); W50's run catches up
    ingest(store, [article("3", "Seen in W50")], at("2026-12-08"))
    assert sorted(titles(select(store, alice, W50))) == ["Seen in W49", "Seen in W50"]


def test_studies_seen_after_the_week_wait_for_their_week(store):
    alice = add_confirmed(store, "alice@example.org")
    ingest(store, [article("1", "Monday of W49")], at("2026-11-30", "00:00:00"))
    ingest(store, [article("2", "Last second of W48")], at("2026-11-29", "23:59:59"))
    assert titles(select(store, alice, W48)) == ["Last second of W48"]


def test_a_new_subscriber_gets_four_weeks_not_the_whole_history(store):
    ingest(store, [article("1", "Ten weeks old")], at("2026-09-14"))
    ingest(store, [article("2", "Three weeks old")], at("2026-11-02"))
    alice = add_confirmed(store, "alice@example.org", when=at("2026-11-24"))
    assert titles(select(store, alice, W48)) == ["Three weeks old"]


def test_prefs_filter_the_selection(store):
    ingest(store, [
        article("1", "Esketamine RCT in PTSD", conditions=["ptsd"], drugs=["esketamine"]),
        article("2", "Ketamine cohort in PTSD", conditions=["ptsd"], design="observational"),
        article("3", "Ketamine RCT in OCD", conditions=["ocd"]),
        article("4", "Arketamine in mice", conditions=["ptsd"], design="preclinical",
                human=False),
        preprint("10.1101/2026.11.02.1", "PTSD preprint", design="rct"),
        trial("NCT00000001", "PTSD registration", conditions=["ptsd"]),
    ], at("2026-11-24"))
    strict = add_confirmed(store, "strict@example.org", conditions=["ptsd"], design_min="rct",
                           include_preprints=False, include_trial_updates=False)
    assert titles(select(store, strict, W48)) == ["Esketamine RCT in PTSD"]
    wide = add_confirmed(store, "wide@example.org", conditions=["ptsd"], include_animal=True)
    assert sorted(titles(select(store, wide, W48))) == sorted([
        "Esketamine RCT in PTSD", "Ketamine cohort in PTSD", "Arketamine in mice",
        "PTSD preprint", "PTSD registration"])


def test_order_sections_groups_newest_first(store):
    ingest(store, [
        trial("NCT00000001", "Registration", conditions=["depression"]),
        preprint("10.1101/2026.11.02.1", "Preprint", conditions=["depression"]),
        article("1", "Older PTSD RCT", conditions=["ptsd"], pub_date="2026-10-01"),
        article("2", "Newer PTSD RCT", conditions=["ptsd"], pub_date="2026-11-10"),
        article("3", "Depression meta-analysis", design="meta-analysis", pub_date="2026-09-01"),
        article("4", "Case report", design="case-report", conditions=["ocd"]),
        article("5", "TRD RCT", conditions=["depression", "trd"], pub_date="2026-08-01"),
    ], at("2026-11-24"))
    alice = add_confirmed(store, "alice@example.org")
    selection = select(store, alice, W48)
    layout = [(s.key, [(g.condition, [i.study.study.title for i in g.items]) for g in s.groups])
              for s in selection.sections]
    assert layout == [
        ("top", [("depression", ["Depression meta-analysis"]), ("trd", ["TRD RCT"]),
                 ("ptsd", ["Newer PTSD RCT", "Older PTSD RCT"])]),
        ("other", [("ocd", ["Case report"])]),
        ("preprints", [("depression", ["Preprint"])]),
        ("trials", [("depression", ["Registration"])]),
    ]


def test_cap_with_and_n_more_counts_the_rest_as_told(store):
    ingest(store, [article(str(i), f"RCT {i}", pub_date=f"2026-11-{10 + i}")
                   for i in range(1, 6)], at("2026-11-24"))
    alice = add_confirmed(store, "alice@example.org", conditions=["depression"], max_items=3,
                          design_min="rct")
    selection = select(store, alice, W48)
    assert titles(selection) == ["RCT 5", "RCT 4", "RCT 3"]
    assert len(selection.hidden) == 2 and selection.new_studies == 5
    assert selection.more_url.startswith("https://ketawatch.test/search?condition=depression")
    assert "design=rct" in selection.more_url and "design=meta-analysis" in selection.more_url
    assert "sort=newest" in selection.more_url
    assert len(selection.item_keys()) == 5
    deliver(store, alice, selection)
    assert select(store, alice, W49).empty


def test_retracted_study_sent_earlier_comes_first_as_a_warning_once(store):
    ingest(store, [article("111", "Soon retracted", doi="10.1000/bad.1"),
                   article("222", "Fine study")], at("2026-11-24"))
    alice = add_confirmed(store, "alice@example.org")
    deliver(store, alice, select(store, alice, W48))
    bob = add_confirmed(store, "bob@example.org", when=at("2026-12-01"), conditions=["ocd"])
    # W49: a PubMed retraction notice, and a new study
    notice = article("333", "Retraction: Soon retracted", design="erratum",
                     comments_corrections=[{"type": "RetractionOf", "pmid": "111"}])
    ingest(store, [notice, article("444", "New RCT")], at("2026-12-02"))
    selection = select(store, alice, W49)
    assert [i.study.study.title for i in selection.warnings] == ["Soon retracted"]
    assert selection.sections[0].key == "warnings"
    assert selection.sections[0].title == "Retracted or corrected since we sent them"
    assert selection.warnings[0].events[0].kind == "retracted"
    deliver(store, alice, selection)
    # W50: a correction of the same study from Crossref is a new warning; the retraction is not
    store.add_marks([{"kind": "doi", "value": "10.1000/bad.1", "mark": "corrected",
                      "by_source": "crossref:10.1000/erratum.1"}], now=at("2026-12-08"))
    later = select(store, alice, W50)
    assert [e.kind for i in later.warnings for e in i.events] == ["corrected"]
    deliver(store, alice, later)
    assert select(store, alice, parse_week("2026-W51")).empty
    # Bob was never sent it: no warning for him
    assert not select(store, bob, W49).warnings


def test_a_study_already_retracted_when_new_is_not_warned_about_later(store):
    ingest(store, [article("111", "Born retracted", retracted=True)], at("2026-11-24"))
    store.add_marks([{"kind": "pmid", "value": "111", "mark": "corrected",
                      "by_source": "crossref:x"}], now=at("2026-11-25"))
    alice = add_confirmed(store, "alice@example.org")
    selection = select(store, alice, W48)
    assert titles(selection) == ["Born retracted"] and not selection.warnings
    deliver(store, alice, selection)
    assert select(store, alice, W49).empty


def test_trial_updates_and_published_preprints(store):
    ingest(store, [trial("NCT00000007", "Esketamine TRD trial"),
                   preprint("10.1101/2026.11.03.9", "A preprint")], at("2026-11-24"))
    alice = add_confirmed(store, "alice@example.org")
    no_trials = add_confirmed(store, "bob@example.org", include_trial_updates=False)
    deliver(store, alice, select(store, alice, W48))
    deliver(store, no_trials, select(store, no_trials, W48))
    ingest(store, [trial("NCT00000007", "Esketamine TRD trial", status="COMPLETED",
                         trial={"status": "COMPLETED", "enrollment": 118, "has_results": True}),
                   preprint("10.1101/2026.11.03.9", "A preprint",
                            published_doi="10.1016/j.jad.2026.12.001")], at("2026-12-02"))
    selection = select(store, alice, W49)
    kinds = {i.study.study.title: sorted(e.kind for e in i.events) for i in selection.shown}
    assert kinds == {"Esketamine TRD trial": ["enrollment_changed", "results_posted",
                                              "trial_status_changed"],
                     "A preprint": ["preprint_published"]}
    assert all(i.kind == "update" for i in selection.shown)
    assert selection.new_studies == 0 and selection.updates == 2
    assert [i.study.study.title for i in select(store, no_trials, W49).shown] == ["A preprint"]
    deliver(store, alice, selection)
    assert select(store, alice, W49).empty


def test_items_of_an_unfinished_delivery_are_not_chosen_again(store):
    ingest(store, [article("1", "RCT one")], at("2026-11-24"))
    alice = add_confirmed(store, "alice@example.org")
    selection = select(store, alice, W48)
    store.begin_delivery(alice.id, "2026-W48", message_id="<m@t>", items=selection.item_keys(),
                         message=b"x")  # a run crashed before the server answered
    assert select(store, alice, W49).empty


def test_archive_holds_everything_first_seen_in_the_week(store):
    ingest(store, [article("1", "Before")], at("2026-11-20"))
    ingest(store, [article("2", "During"), article("3", "Mouse study", design="preclinical",
                                                   human=False)], at("2026-11-24"))
    ingest(store, [article("4", "After")], at("2026-11-30"))
    store.add_marks([{"kind": "pmid", "value": "1", "mark": "retracted",
                      "by_source": "crossref:n"}], now=at("2026-11-26"))
    selection = select_for_archive(store, W48)
    assert sorted(titles(selection)) == ["During", "Mouse study"]
    assert [i.study.study.title for i in selection.warnings] == ["Before"]


def test_shared_candidates_read_back_as_far_as_each_floor_reaches(store):
    days = ["2026-09-01", "2026-10-06", "2026-11-03", "2026-11-17", "2026-11-24", "2026-12-01"]
    for n, day in enumerate(days):
        ingest(store, [article(str(100 + n), f"Study of {day}")], at(day))
    pool = Candidates(store, W48)
    # floors in any order: later, earlier, in between, much earlier, the same again
    for floor in (at("2026-11-20"), at("2026-11-10"), at("2026-11-18"), at("2026-08-01"),
                  at("2026-11-10"), at("2026-11-24")):
        expected = store.studies_first_seen(floor, W48.end_iso)
        assert [s.id for s in pool.studies(floor)] == [s.id for s in expected]
    # a study looked up by id reads as the candidates do (no source records), found or not
    oldest = Candidates(store, W48)
    first = oldest.study(store.studies_first_seen(None, W48.end_iso)[-1].id)
    assert first.study.title == "Study of 2026-09-01" and first.sources == []
    assert oldest.study(999_999) is None


def test_candidates_shared_between_subscribers_change_nothing(store):
    ingest(store, [article("1", "Old RCT", conditions=["ptsd"])], at("2026-10-01"))
    ingest(store, [article("2", "New RCT"), preprint("10.1101/2026.11.20.1", "A preprint")],
           at("2026-11-24"))
    early = add_confirmed(store, "early@example.org", when=at("2026-10-20"))
    late = add_confirmed(store, "late@example.org", conditions=["ptsd"])
    pool = Candidates(store, W48)
    for sub in (late, early, late):
        shared = select_for_subscriber(store, sub, Preferences.from_dict(sub.prefs), W48,
                                       base_url="https://ketawatch.test", candidates=pool)
        alone = select(store, sub, W48)
        assert shared.item_keys() == alone.item_keys()
        assert [i.study.study.title for i in shared.shown] == titles(alone)
    assert "Old RCT" in titles(select(store, early, W48))


def test_the_candidates_judge_answers_as_the_preferences_do():
    """``Candidates.judge`` (bit masks, for thousands of candidates a subscriber) must agree
    with ``Preferences.matches_study`` and ``matches_topic`` on every kind of study."""
    import itertools
    import random
    from types import SimpleNamespace

    from digest.prefs import DESIGN_MIN_CHOICES
    from ketawatch.model import Study
    from ketawatch.vocabulary import CONDITIONS, DESIGNS, DRUGS

    rng = random.Random(7)
    studies = []
    for n, (design, human, is_preprint) in enumerate(itertools.product(
            DESIGNS, (True, False, None), (True, False))):
        for _ in range(3):
            study = Study(title=f"study {n}", design=design, human=human, preprint=is_preprint,
                          conditions=rng.sample(CONDITIONS, rng.choice((0, 1, 2, 3))),
                          drugs=rng.sample(DRUGS, rng.choice((0, 1, 2))))
            studies.append(SimpleNamespace(id=len(studies) + 1, study=study))
    pool = Candidates(store=None, week=parse_week("2026-W48"))
    checked = 0
    for _ in range(200):
        prefs = Preferences(
            conditions=rng.sample(CONDITIONS, rng.choice((0, 1, 2))),
            drugs=rng.sample(DRUGS, rng.choice((0, 1))),
            design_min=rng.choice((None, *DESIGN_MIN_CHOICES)),
            include_preprints=rng.random() < 0.5, include_trial_updates=rng.random() < 0.5,
            include_animal=rng.random() < 0.5).validated()
        judged = pool.judge(prefs)
        for stored in studies:
            expected = (prefs.matches_study(stored.study), prefs.matches_topic(stored.study))
            assert judged(pool.traits(stored)) == expected, (prefs, stored.study)
            checked += expected[0]
    assert checked > 1000  # both answers occur often, not only "no"


def test_a_busy_week_is_in_digest_order_and_the_same_with_shared_candidates(store):
    """Many studies, updates and caps: every digest is in ``_ordered``'s order (sections,
    condition groups, newest first), and the run's shared work (items shared between digests,
    preferences tested per group of alike studies) gives what a lone selection gives."""
    import random

    from digest.select import _ordered

    rng = random.Random(3)
    conditions = [["ptsd"], ["trd", "depression"], ["ocd"], ["suicidal-ideation"], [], ["anxiety"]]
    days = ["2026-10-20", "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-28"]
    trials = []
    for n in range(60):
        pmid, kind = str(5000 + n), n % 5
        if kind == 0:
            made = article(pmid, f"RCT {n}")
        elif kind == 1:
            made = article(pmid, f"Cohort {n}", design="observational", drugs=["esketamine"])
        elif kind == 2:
            made = article(pmid, f"Mouse {n}", design="preclinical", human=False)
        elif kind == 3:
            made = preprint(f"10.1101/2026.11.{n}", f"Preprint {n}")
        else:
            made = trial(f"NCT{n:08d}", f"Trial {n}")
            trials.append(made)
        made.conditions = rng.choice(conditions)
        made.pub_date = f"2026-{rng.choice(('09', '10', '11'))}-{rng.randint(10, 28)}"
        ingest(store, [made], at(rng.choice(days), f"{10 + n % 9}:00:00"))
    # trial news during the week, some twice
    for day, status in (("2026-11-25", "ACTIVE_NOT_RECRUITING"), ("2026-11-27", "COMPLETED")):
        for registration in rng.sample(trials, 6):
            registration.trial = {**registration.trial, "status": status}
            ingest(store, [registration], at(day))
    store.add_marks([{"kind": "pmid", "value": "5000", "mark": "retracted",
                      "by_source": "crossref:n"}], now=at("2026-11-27"))
    people = [add_confirmed(store, "all@example.org", max_items=10, include_animal=True),
              add_confirmed(store, "early@example.org", when=at("2026-10-01"), max_items=7),
              add_confirmed(store, "ptsd@example.org", conditions=["ptsd", "ocd"],
                            include_trial_updates=False),
              add_confirmed(store, "rct@example.org", design_min="rct",
                            include_preprints=False, max_items=5),
              add_confirmed(store, "esk@example.org", drugs=["esketamine"], max_items=4)]
    # one of them was sent part of October's news already
    earlier = select(store, people[1], parse_week("2026-W43"))
    earlier.hidden = []
    deliver(store, people[1], earlier)
    pool = Candidates(store, W48)
    checked = 0
    for person in people + people[::-1]:
        shared = select_for_subscriber(store, person, Preferences.from_dict(person.prefs), W48,
                                       base_url="https://ketawatch.test", candidates=pool)
        alone = select(store, person, W48)
        items = shared.shown + shared.hidden
        assert items == _ordered(list(items))
        view = [(i.kind, i.study.id, i.section, i.group, i.keys, [e.id for e in i.events])
                for i in shared.warnings + items]
        assert view == [(i.kind, i.study.id, i.section, i.group, i.keys,
                         [e.id for e in i.events]) for i in alone.warnings + alone.shown
                        + alone.hidden]
        checked += len(items)
    kinds = {i.kind for i in select(store, people[0], W48).all_items}
    assert kinds == {"study", "update"} and checked > 100
