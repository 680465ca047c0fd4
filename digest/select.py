"""Choosing what goes into a digest: per subscriber, and for the public weekly archive.

A subscriber's digest for week W holds everything matching their preferences that they have
not been sent yet and that KetaWatch first saw (or recorded, for events) before the end of W:
selection is "not sent yet", not "this week only", so a failed or skipped week is caught up by
the next run. A new subscriber's history starts ``BACKFILL`` before they confirmed, so their
first digest is a few weeks of news, not the whole store.

Order: warnings about retracted or corrected studies the subscriber was sent before (never
capped), then syntheses and RCTs, other studies, preprints, and trial updates; inside each
section, groups by condition, newest first. Items past the subscriber's cap are summed up as
"and N more" with a link to the web search, and count as delivered: otherwise a busy field
would leave a subscriber with a backlog that never shrinks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple
from urllib.parse import urlencode

from digest.prefs import NOTICE_DESIGNS, Preferences
from digest.weeks import Week
from ketawatch import clock
from ketawatch.vocabulary import (
    CONDITIONS,
    DESIGN_STRENGTH,
    DESIGNS,
    DRUGS,
    TOP_DESIGNS,
    at_least,
    label,
)

#: how far back a new subscriber's first digest reaches
BACKFILL = timedelta(weeks=4)
#: event kinds a digest tells as updates; retractions and corrections become warnings
UPDATE_KINDS = ("trial_status_changed", "results_posted", "enrollment_changed",
                "preprint_published")
TRIAL_KINDS = ("trial_status_changed", "results_posted", "enrollment_changed")
WARNING_KINDS = ("retracted", "corrected")
SECTIONS = (
    ("warnings", "Retracted or corrected since we sent them"),
    ("top", "Syntheses and randomized trials"),
    ("other", "Other studies"),
    ("preprints", "Preprints"),
    ("trials", "Trial updates"),
)
ARCHIVE_WARNINGS_TITLE = "Retracted or corrected this week"
#: a study with several conditions is grouped under the most specific one
GROUP_PRIORITY = ("trd", "bipolar-depression", "suicidal-ideation", "ptsd", "ocd", "depression",
                  "anxiety", "substance-use", "chronic-pain", "other")


@dataclass
class DigestItem:
    """One entry of a digest: a study, with the events it is told with."""

    kind: str                      # "study", "update" or "warning"
    study: Any                     # StoredStudy
    section: str = "other"
    group: str = "other"
    events: list[Any] = field(default_factory=list)
    #: the item keys this entry delivers: "study:ID" and/or "event:ID"
    keys: list[str] = field(default_factory=list)

    @property
    def sort_date(self) -> str:
        """What "newest first" compares: the publication date, else when we saw it."""
        if self.kind != "study" and self.events:
            return max(e.created_at for e in self.events)
        return self.study.study.pub_date or self.study.first_seen[:10]


@dataclass
class Group:
    """Items of one condition inside a section."""

    condition: str
    title: str
    items: list[DigestItem]


@dataclass
class Section:
    """One section of a digest."""

    key: str
    title: str
    groups: list[Group]

    @property
    def count(self) -> int:
        """How many items the section shows."""
        return sum(len(g.items) for g in self.groups)


_KIND = attrgetter("kind")


@dataclass
class Selection:
    """What one digest holds: sections to show, items over the cap, and the keys it delivers."""

    week: Week
    warnings: list[DigestItem] = field(default_factory=list)
    shown: list[DigestItem] = field(default_factory=list)
    hidden: list[DigestItem] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    more_url: str | None = None

    @property
    def all_items(self) -> list[DigestItem]:
        """Every item the digest delivers (warnings, shown and over the cap)."""
        return self.warnings + self.shown + self.hidden

    @property
    def empty(self) -> bool:
        """True when there is nothing to tell."""
        return not self.all_items

    @property
    def new_studies(self) -> int:
        """How many new studies (shown or over the cap)."""
        return self.kind_counts()["study"]

    @property
    def updates(self) -> int:
        """How many updates of studies told before (trial changes, published preprints)."""
        return self.kind_counts()["update"]

    def kind_counts(self) -> Counter[str]:
        """How many items of each kind are shown or over the cap."""
        # a busy week's digest holds thousands of items over the cap: counted without a
        # Python-level loop
        return Counter(map(_KIND, self.shown)) + Counter(map(_KIND, self.hidden))

    @property
    def item_count(self) -> int:
        """Items in the digest, warnings included."""
        return len(self.all_items)

    def item_keys(self) -> list[tuple[str, int]]:
        """(item key, study id) of everything delivered, for the delivery log."""
        seen: dict[str, int] = {}
        for item in self.all_items:
            for key in item.keys:
                seen.setdefault(key, item.study.id)
        return list(seen.items())


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def subscriber_floor(subscriber: Any) -> str:
    """The earliest first-seen time a subscriber's digests reach back to."""
    start = subscriber.confirmed_at or subscriber.created_at or clock.now_iso()
    return clock.iso(_parse(start) - BACKFILL)


def group_of(study: Any, wanted: list[str]) -> str:
    """The condition a study is grouped under (the most specific one the subscriber follows)."""
    conditions = [c for c in study.conditions if not wanted or c in wanted]
    for condition in GROUP_PRIORITY:
        if condition in conditions:
            return condition
    return "other"


def _section_of(item: DigestItem) -> str:
    study = item.study.study
    if item.kind == "warning":
        return "warnings"
    if item.kind == "update":
        kinds = {e.kind for e in item.events}
        return "trials" if kinds & set(TRIAL_KINDS) else "preprints"
    if study.design == "trial-registration":
        return "trials"
    if study.preprint:
        return "preprints"
    return "top" if study.design in TOP_DESIGNS else "other"


_CONDITION_BITS = {c: 1 << i for i, c in enumerate(CONDITIONS)}
_DRUG_BITS = {d: 1 << i for i, d in enumerate(DRUGS)}


def _mask(values: Any, bits: dict[str, int]) -> int:
    mask = 0
    for value in values or ():
        mask |= bits.get(value, 0)
    return mask


class _Traits(NamedTuple):
    """What the preference tests read of a study (``Preferences.matches_study``/``_topic``);
    a tuple, as it is a dictionary key many times per subscriber."""

    conditions: int
    drugs: int
    #: animal or in-vitro work: the human flag is False, or the design preclinical
    animal: bool
    notice: bool
    registration: bool
    preprint: bool
    #: ``DESIGN_STRENGTH`` of its design (0 when unranked)
    strength: int

    @classmethod
    def of(cls, study: Any) -> _Traits:
        """The traits of one Study."""
        return cls(_mask(study.conditions, _CONDITION_BITS), _mask(study.drugs, _DRUG_BITS),
                   study.human is False or study.design == "preclinical",
                   study.design in NOTICE_DESIGNS, study.design == "trial-registration",
                   bool(study.preprint), DESIGN_STRENGTH.get(study.design, 0))


@dataclass(frozen=True)
class _Entry:
    """A candidate study as every digest of a run sees it, worked out once per run."""

    stored: Any
    #: its item key, ``study:ID``
    key: str
    traits: _Traits
    #: its section as a new study (``_section_of``)
    section: str
    #: its place in the run's newest-first order of new studies: 0 is the newest
    position: int
    #: its digest items by group, shared by every digest that holds it, with their ranks
    #: (``Candidates.shared_item``)
    items: dict[str, tuple[int, DigestItem]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Updated:
    """A study with update events in the run's window, and those events (oldest first)."""

    stored: Any
    traits: _Traits
    #: ``(event, "event:ID", whether it is a trial update)``
    events: list[tuple[Any, str, bool]]
    #: the events' times, oldest first (to find a floor by bisection)
    times: list[str]
    #: the events' keys
    keys: tuple[str, ...]
    #: ``wanted``'s answers, and the update items made of its events (``shared_update``)
    answers: dict[tuple[int, bool, bool], tuple[str, ...]] = field(default_factory=dict,
                                                                   compare=False)
    items: dict[tuple[str, tuple[str, ...]], tuple[int, DigestItem]] = field(
        default_factory=dict, compare=False)

    def wanted(self, first: int, trials: bool, papers: bool) -> tuple[str, ...]:
        """``_update_keys`` for a subscriber who was sent none of these events."""
        found = self.answers.get((first, trials, papers))
        if found is None:
            found = self.answers[(first, trials, papers)] = _update_keys(self, first, set(),
                                                                         trials, papers)
        return found


@dataclass(frozen=True)
class _UpdatedGroup:
    """Studies with update events that share their traits."""

    traits: _Traits
    studies: list[_Updated]
    #: their ids, and the keys of all their events
    ids: frozenset[int]
    keys: frozenset[str]
    #: the time of the first event of the latest starting study: a floor at or before it
    #: takes every event of every study
    floor: str
    #: per (trials wanted, study matches, group): the update items of a subscriber who was
    #: sent none of the group's studies or events (``Candidates.group_updates``)
    items: dict[tuple[bool, bool, str], list[tuple[int, DigestItem]]] = field(
        default_factory=dict, compare=False)


def _order(item: DigestItem) -> tuple[str, str, int]:
    """What "newest first" compares: the item's date, then when we first saw it, then its id."""
    return item.sort_date, item.study.first_seen, item.study.id


class Candidates:
    """What a run's digests of one week choose from, read from the store once and shared by
    every subscriber: the studies first seen before the week's end, and the events.

    Studies are read only as far back as the subscribers' floors reach (a new subscriber's
    reaches four weeks back, not to the start of the store): fewer studies to read, and fewer
    objects for Python's garbage collector to walk through while the digests are made.

    A busy week has thousands of new studies and every subscriber gets hundreds of them, most
    over their cap. So what does not depend on the subscriber is worked out once per run: each
    study's traits (what the preference tests read), item key, section and place in the
    newest-first order; the studies grouped by traits, so that a subscriber's preferences are
    tested once per group and not once per study; and the digest items of new studies, shared
    by every digest that holds them (``shared_item``; they are never changed afterwards: an
    item that gets events is a copy).
    """

    def __init__(self, store: Any, week: Week):
        self.store = store
        self.until = week.end_iso
        #: studies first seen in ``[self._since, until)``, newest first
        self._studies: list[Any] = []
        self._since: str | None = None
        #: their first-seen times, oldest first (to find a floor by bisection)
        self._seen: list[str] = []
        self._warnings: list[Any] | None = None
        #: studies with update events, grouped by traits
        self._updated: list[_UpdatedGroup] | None = None
        self._by_id: dict[int, Any] = {}
        self._traits: dict[int, _Traits] = {}
        #: ``_Entry`` of every study read, in the order of ``self._studies``
        self._entries: list[_Entry] = []
        #: place in the newest-first order of every item the run's digests can hold: new
        #: studies, and studies told with update events (by the time of each event)
        self._positions: dict[tuple[str, str, int], int] = {}
        #: the entries grouped by traits: (traits, entries newest first, their study ids,
        #: their first-seen times oldest first)
        self._classes: list[tuple[_Traits, list[_Entry], list[int], list[str]]] | None = None

    def traits(self, stored: Any) -> _Traits:
        """What the preference tests read of a stored study (worked out once per run)."""
        found = self._traits.get(stored.id)
        if found is None:
            found = self._traits[stored.id] = _Traits.of(stored.study)
        return found

    def judge(self, prefs: Preferences) -> Callable[[_Traits], tuple[bool, bool]]:
        """``traits -> (prefs.matches_study, prefs.matches_topic)`` of a study with them;
        answers are remembered, as many studies share their traits."""
        want_conditions = _mask(prefs.conditions, _CONDITION_BITS)
        want_drugs = _mask(prefs.drugs, _DRUG_BITS)
        animal, preprints, trials = (prefs.include_animal, prefs.include_preprints,
                                     prefs.include_trial_updates)
        # ``at_least(design, design_min)``, as a comparison of strengths
        minimum = DESIGN_STRENGTH.get(prefs.design_min, 0) if prefs.design_min else None
        answers: dict[_Traits, tuple[bool, bool]] = {}

        def answer(t: _Traits) -> tuple[bool, bool]:
            topic = ((not want_conditions or bool(t.conditions & want_conditions))
                     and (not want_drugs or bool(t.drugs & want_drugs))
                     and (animal or not t.animal))
            if t.notice or not topic:
                return False, topic
            if t.registration:
                return trials, topic
            if t.preprint and not preprints:
                return False, topic
            return minimum is None or t.strength >= minimum, topic

        def judged(t: _Traits) -> tuple[bool, bool]:
            found = answers.get(t)
            if found is None:
                found = answers[t] = answer(t)
            return found

        return judged

    def studies(self, floor: str) -> list[Any]:
        """Studies first seen in ``[floor, end of week)``, newest first."""
        return [entry.stored for entry in self._entries_since(floor)]

    def classes(self, floor: str) -> Iterator[tuple[_Traits, list[_Entry], list[int]]]:
        """The entries of studies first seen in ``[floor, end of week)``, grouped by traits
        (each group newest first), with their study ids."""
        self._entries_since(floor)  # read back as far as the floor reaches
        if self._classes is None:
            groups: dict[_Traits, list[_Entry]] = {}
            for entry in self._entries:
                groups.setdefault(entry.traits, []).append(entry)
            self._classes = [(traits, entries, [e.stored.id for e in entries],
                              [e.stored.first_seen for e in reversed(entries)])
                             for traits, entries in groups.items()]
        for traits, entries, ids, seen in self._classes:
            # newest first: the entries seen at or after the floor are the head of the list
            count = len(seen) - bisect_left(seen, floor)
            if count == len(entries):
                yield traits, entries, ids
            elif count:
                yield traits, entries[:count], ids[:count]

    def _entries_since(self, floor: str) -> list[_Entry]:
        if self._since is None or floor < self._since:
            self._read_back_to(floor)
        # newest first: the studies seen at or after the floor are the head of the list
        return self._entries[:len(self._seen) - bisect_left(self._seen, floor)]

    def _read_back_to(self, floor: str) -> None:
        if self._since is not None:
            # reaching further back reads at least as far again: a run whose subscribers
            # have many floors reads the store a few times, not once per subscriber
            window = _parse(self.until) - _parse(self._since)
            floor = min(floor, clock.iso(_parse(self._since) - window))
        older = self.store.studies_first_seen(floor, self._since or self.until)
        self._studies += older
        self._seen = [s.first_seen for s in reversed(self._studies)]
        self._by_id.update((s.id, s) for s in older)
        self._since = floor
        self._index()

    def _index(self) -> None:
        """Entries of every study read, and their places in one newest-first order with
        every order an update item can take."""
        # what was grouped or shared before holds stale positions: made anew
        self._updated = self._classes = None
        items = [DigestItem("study", stored) for stored in self._studies]
        orders = {_order(item) for item in items}
        for updates in self.updated():
            orders.update((e.created_at, u.stored.first_seen, u.stored.id)
                          for u in updates.studies for e, _, _ in u.events)
        self._positions = {order: n for n, order in enumerate(sorted(orders, reverse=True))}
        self._entries = [
            _Entry(item.study, f"study:{item.study.id}", self.traits(item.study),
                   _section_of(item), self._positions[_order(item)]) for item in items]

    def position_of(self, item: DigestItem) -> int:
        """Where an item falls in the run's newest-first order (0 is the newest)."""
        return self._positions[_order(item)]

    def shared_item(self, entry: _Entry, group: str) -> tuple[int, DigestItem]:
        """The digest item of a new study told without events, shared by every digest that
        holds it under this group (never to be changed), with its rank (``_rank``)."""
        found = entry.items.get(group)
        if found is None:
            found = entry.items[group] = (_rank(entry.section, group, entry.position),
                                          DigestItem("study", entry.stored, entry.section, group,
                                                     keys=[entry.key]))
        return found

    def shared_update(self, updated: _Updated, group: str, first: int, keys: tuple[str, ...]
                      ) -> tuple[int, DigestItem]:
        """The update item of a study told with these of its events (``keys``, the first at
        ``first`` in ``updated.events``), shared likewise, with its rank."""
        found = updated.items.get((group, keys))
        if found is None:
            wanted = set(keys)
            item = DigestItem("update", updated.stored, group=group, keys=list(keys), events=[
                e for e, key, _ in updated.events[first:] if key in wanted])
            item.section = _section_of(item)
            found = updated.items[(group, keys)] = (
                _rank(item.section, group, self.position_of(item)), item)
        return found

    def updated(self) -> list[_UpdatedGroup]:
        """The studies with update events recorded before the week's end, grouped by traits
        (studies that no longer exist left out)."""
        if self._updated is None:
            by_study: dict[int, list[Any]] = {}
            for event in self.store.events(kinds=UPDATE_KINDS, until=self.until):
                by_study.setdefault(event.study_id, []).append(event)
            groups: dict[_Traits, list[_Updated]] = {}
            for study_id, events in by_study.items():
                stored = self.study(study_id)
                if stored is None:
                    continue
                traits = self.traits(stored)
                keyed = [(e, f"event:{e.id}", e.kind in TRIAL_KINDS) for e in events]
                groups.setdefault(traits, []).append(_Updated(
                    stored, traits, keyed, [e.created_at for e in events],
                    tuple(key for _, key, _ in keyed)))
            self._updated = [
                _UpdatedGroup(traits, studies, frozenset(u.stored.id for u in studies),
                              frozenset(k for u in studies for k in u.keys),
                              min(u.times[0] for u in studies))
                for traits, studies in groups.items()]
        return self._updated

    def group_updates(self, updates: _UpdatedGroup, group: str, trials: bool,
                      matches: bool) -> list[tuple[int, DigestItem]]:
        """The update items, with their ranks, of every study of ``updates`` for a subscriber
        whose floor takes all their events, who was sent none of them and none of the
        studies, and who tells none of the studies as new (shared likewise)."""
        found = updates.items.get((trials, matches, group))
        if found is None:
            found = updates.items[(trials, matches, group)] = [
                self.shared_update(u, group, 0, keys) for u in updates.studies
                if (keys := u.wanted(0, trials, matches))]
        return found

    def warning_events(self) -> list[Any]:
        """Retraction and correction events recorded before the week's end."""
        if self._warnings is None:
            self._warnings = self.store.events(kinds=WARNING_KINDS, until=self.until)
        return self._warnings

    def study(self, study_id: int) -> Any:
        """One study (None when it no longer exists)."""
        if study_id not in self._by_id:
            found = self.store.get_studies([study_id])
            stored = found[0] if found else None
            if stored is not None and stored.id == study_id and stored.first_seen < self.until:
                # a study the candidates could hold: read as ``studies`` reads them (without
                # source records), so a study looks the same in every digest of the run
                stored.sources = []
            self._by_id[study_id] = stored
        return self._by_id[study_id]


def select_for_subscriber(store: Any, subscriber: Any, prefs: Preferences, week: Week,
                          *, base_url: str = "", candidates: Candidates | None = None
                          ) -> Selection:
    """The digest of one subscriber for one week (nothing they were sent or are being sent).

    ``candidates`` shares the store reads, and the work that does not depend on the
    subscriber, between the subscribers of one run.
    """
    pool = candidates or Candidates(store, week)
    delivered_keys = store.delivered_keys(subscriber.id)
    sent_studies = store.delivered_study_ids(subscriber.id)
    held = store.held_items(subscriber.id)
    taken_keys = delivered_keys | {key for key, _ in held}
    taken_studies = sent_studies | {sid for key, sid in held if key.startswith("study:") and sid}
    floor = subscriber_floor(subscriber)
    judge = pool.judge(prefs)

    warnings: dict[int, DigestItem] = {}
    for event in pool.warning_events():
        key = f"event:{event.id}"
        if key in taken_keys or event.study_id not in sent_studies:
            continue
        item = warnings.get(event.study_id)
        if item is None:
            stored = pool.study(event.study_id)
            if stored is None:
                continue
            item = warnings[event.study_id] = DigestItem("warning", stored, "warnings")
        item.events.append(event)
        item.keys.append(key)

    # new studies, as entries until one needs an item of its own (events told with it)
    group_for = _grouper(prefs.conditions)
    new: dict[int, tuple[_Entry, str]] = {}
    for traits, entries, ids in pool.classes(floor):
        if not judge(traits)[0]:
            continue
        group = group_for(traits.conditions)
        if taken_keys or taken_studies:
            for entry in entries:
                if entry.stored.id not in taken_studies and entry.key not in taken_keys:
                    new[entry.stored.id] = (entry, group)
        else:  # nothing sent yet: the whole group, without a Python-level loop
            new.update(zip(ids, zip(entries, repeat(group), strict=False), strict=True))
    told: dict[int, DigestItem] = {}

    def item_of(study_id: int) -> DigestItem | None:
        item = told.get(study_id)
        if item is None and study_id in new:
            entry, _ = new.pop(study_id)
            item = told[study_id] = DigestItem("study", entry.stored, keys=[entry.key])
        return item

    # a new study that is already retracted carries its retraction in its badge: its warning
    # events are delivered with it, so no warning follows for something told as retracted
    for event in pool.warning_events():
        key = f"event:{event.id}"
        if key not in taken_keys and (item := item_of(event.study_id)) is not None:
            item.keys.append(key)

    updates: list[tuple[int, DigestItem]] = []
    trials = prefs.include_trial_updates
    for updates_group in pool.updated():
        verdict = judge(updates_group.traits)
        if not verdict[1]:
            continue  # off topic: neither news to tell nor a study this digest tells
        group = group_for(updates_group.traits.conditions)
        if (floor <= updates_group.floor and updates_group.ids.isdisjoint(sent_studies)
                and new.keys().isdisjoint(updates_group.ids)
                and told.keys().isdisjoint(updates_group.ids)
                and updates_group.keys.isdisjoint(taken_keys)):
            # nothing of the group told, sent or out of reach: what every such digest holds
            updates += pool.group_updates(updates_group, group, trials, verdict[0])
            continue
        for updated in updates_group.studies:
            first = 0 if updated.times[0] >= floor else bisect_left(updated.times, floor)
            if first == len(updated.times):
                continue
            item = item_of(updated.stored.id)
            if item is not None:
                # a study told in this digest is told with all its news
                for event, key, _ in updated.events[first:]:
                    if key not in taken_keys:
                        item.events.append(event)
                        item.keys.append(key)
                continue
            papers = updated.stored.id in sent_studies or verdict[0]
            if taken_keys and not taken_keys.isdisjoint(updated.keys[first:]):
                keys = _update_keys(updated, first, taken_keys, trials, papers)
            else:
                keys = updated.wanted(first, trials, papers)
            if keys:
                updates.append(pool.shared_update(updated, group, first, keys))

    for item in warnings.values():
        item.group = group_of(item.study.study, prefs.conditions)
    selection = Selection(week, warnings=_ordered(list(warnings.values())))
    ordered = _ordered_for(pool, prefs.conditions, new, told, updates)
    selection.shown = ordered[:prefs.max_items]
    selection.hidden = ordered[prefs.max_items:]
    selection.sections = build_sections(selection.warnings + selection.shown)
    if selection.hidden:
        selection.more_url = search_url(base_url, prefs)
    return selection


def _update_keys(updated: _Updated, first: int, taken_keys: set[str], trials: bool,
                 papers: bool) -> tuple[str, ...]:
    """The keys of the events a study is told with as an update: from the first one the
    subscriber wants (a trial update if ``trials``, a published preprint if ``papers``), every
    later one too, none they were sent."""
    keys: list[str] = []
    for _event, key, is_trial in updated.events[first:]:
        if key in taken_keys:
            continue
        if keys or (trials if is_trial else papers):
            keys.append(key)
    return tuple(keys)


def _ordered_for(pool: Candidates, wanted: list[str], new: dict[int, tuple[_Entry, str]],
                 told: dict[int, DigestItem], updates: list[tuple[int, DigestItem]]
                 ) -> list[DigestItem]:
    """A subscriber's items in digest order (as ``_ordered`` orders them): shared items of new
    studies and of updates, and the items of their own, by section, group and position."""
    # the lookup ``shared_item`` makes, inline: this runs for every new study of every digest
    ranked = [entry.items.get(group) or pool.shared_item(entry, group)
              for entry, group in new.values()]
    ranked += updates
    for item in told.values():
        item.section = _section_of(item)
        item.group = group_of(item.study.study, wanted)
        ranked.append((_rank(item.section, item.group, pool.position_of(item)), item))
    # ranks are unique (positions are): items are never compared
    ranked.sort(key=itemgetter(0))
    return [item for _, item in ranked]


#: positions are below this (the studies and update times of one run)
_POSITIONS = 10 ** 9


def _rank(section: str, group: str, position: int) -> int:
    """Section, then group, then position, as one number to sort by."""
    return ((_SECTION_RANK[section] * 100 + _GROUP_RANK.get(group, 99)) * _POSITIONS
            + position)


def _grouper(wanted: list[str]) -> Callable[[int], str]:
    """``conditions mask -> group_of`` for a study with those conditions (remembered)."""
    wanted_mask = _mask(wanted, _CONDITION_BITS)
    groups: dict[int, str] = {}

    def group_for(conditions: int) -> str:
        found = groups.get(conditions)
        if found is None:
            mask = conditions & wanted_mask if wanted else conditions
            found = groups[conditions] = next(
                (c for c in GROUP_PRIORITY if mask & _CONDITION_BITS[c]), "other")
        return found

    return group_for


def select_for_archive(store: Any, week: Week) -> Selection:
    """The public digest of a week: every study first seen in it (notices aside), the week's
    updates, and the studies retracted or corrected during it."""
    prefs = Preferences(include_animal=True)
    since, until = week.start_iso, week.end_iso
    items: dict[int, DigestItem] = {}
    for stored in store.studies_first_seen(since, until):
        if stored.study.design not in NOTICE_DESIGNS:
            items[stored.id] = DigestItem("study", stored, keys=[f"study:{stored.id}"])
    warnings: dict[int, DigestItem] = {}
    for event in store.events(kinds=WARNING_KINDS + UPDATE_KINDS, since=since, until=until):
        target = items.get(event.study_id)
        if target is None:
            stored = _study(store, event.study_id)
            if stored is None:
                continue
            if event.kind in WARNING_KINDS:
                target = warnings.setdefault(event.study_id,
                                             DigestItem("warning", stored, "warnings"))
            elif _wants_update(prefs, event, stored, set()):
                target = items[event.study_id] = DigestItem("update", stored)
            else:
                continue
        target.events.append(event)
        target.keys.append(f"event:{event.id}")
    for item in list(warnings.values()) + list(items.values()):
        item.section = _section_of(item)
        item.group = group_of(item.study.study, [])
    selection = Selection(week, warnings=_ordered(list(warnings.values())),
                          shown=_ordered(list(items.values())))
    selection.sections = build_sections(selection.warnings + selection.shown,
                                        warnings_title=ARCHIVE_WARNINGS_TITLE)
    return selection


def _study(store: Any, study_id: int) -> Any:
    found = store.get_studies([study_id])
    return found[0] if found else None


def _wants_update(prefs: Preferences, event: Any, stored: Any, sent_studies: set[int],
                  matched: tuple[bool, bool] | None = None) -> bool:
    """Whether an update event belongs in the digest; ``matched``: ``Candidates.judge``'s
    answer for the study, when the caller has it."""
    if matched is None:
        matched = (prefs.matches_study(stored.study), prefs.matches_topic(stored.study))
    if not matched[1]:
        return False
    if event.kind in TRIAL_KINDS:
        return prefs.include_trial_updates
    # a preprint that became a paper: news to whoever got the preprint, and to whoever wants
    # papers like it
    return stored.id in sent_studies or matched[0]


_SECTION_RANK = {key: i for i, (key, _) in enumerate(SECTIONS)}
_GROUP_RANK = {c: i for i, c in enumerate(CONDITIONS)}


def _ordered(items: list[DigestItem]) -> list[DigestItem]:
    """Sections in order, groups in vocabulary order, newest first inside a group."""
    # one sort, newest first: ranks are negated so that sections and groups come in order
    return sorted(items, key=lambda i: (-_SECTION_RANK[i.section], -_GROUP_RANK.get(i.group, 99),
                                        i.sort_date, i.study.first_seen, i.study.id),
                  reverse=True)


def build_sections(items: list[DigestItem], *, warnings_title: str | None = None
                   ) -> list[Section]:
    """Ordered items as sections of condition groups (sections without items left out)."""
    sections: list[Section] = []
    titles = dict(SECTIONS)
    if warnings_title:
        titles["warnings"] = warnings_title
    for item in items:
        if not sections or sections[-1].key != item.section:
            sections.append(Section(item.section, titles[item.section], []))
        groups = sections[-1].groups
        if not groups or groups[-1].condition != item.group:
            groups.append(Group(item.group, label(item.group), []))
        groups[-1].items.append(item)
    return sections


def search_url(base_url: str, prefs: Preferences) -> str:
    """The web search showing what a subscriber follows, newest first ("and N more")."""
    params: list[tuple[str, str]] = [("condition", c) for c in prefs.conditions]
    params += [("drug", d) for d in prefs.drugs]
    if prefs.design_min:
        params += [("design", d) for d in DESIGNS if at_least(d, prefs.design_min)]
    if not prefs.include_preprints:
        params.append(("preprint", "0"))
    params.append(("sort", "newest"))
    return f"{base_url.rstrip('/')}/search?{urlencode(params)}"
