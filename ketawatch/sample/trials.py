"""Trial registrations: the facts of a ClinicalTrials.gov record and its texts.

A registration is either linked to a published (or preprinted) trial, whose dates and enrollment
it must agree with, or open: a study with no publication yet, in any status.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from ketawatch.sample import vocab
from ketawatch.sample.prose import cap, regimen, strip_tags, title_case, values
from ketawatch.sample.world import Trial, WorldStudy, clamp, weighted


def _trial_phases(rng: random.Random, s: WorldStudy) -> list[str]:
    if s.design == "clinical-trial":
        return rng.choice((["PHASE1"], ["PHASE2"], ["PHASE1", "PHASE2"], ["EARLY_PHASE1"]))
    if s.cond.setting == "perioperative":
        return ["PHASE4"]
    return rng.choice((["PHASE2"], ["PHASE3"], ["PHASE4"], ["PHASE2", "PHASE3"]))


def _sponsor(rng: random.Random, s: WorldStudy) -> tuple[str, str]:
    if s.drug in ("esketamine", "arketamine") and rng.random() < 0.3:
        return rng.choice(vocab.CT_SPONSORS)
    city = rng.choice(vocab.PLACES)[0]
    return rng.choice(vocab.CT_ACADEMIC).format(city=city), "OTHER"


def _base_trial(rng: random.Random, s: WorldStudy) -> Trial:
    t = Trial()
    t.randomized = s.design == "rct"
    t.masking = rng.choice(("QUADRUPLE", "TRIPLE", "DOUBLE")) if t.randomized else "NONE"
    t.phases = _trial_phases(rng, s)
    t.sponsor = _sponsor(rng, s)
    t.org_study_id = rng.choice((f"IRB-{rng.randint(2015, 2026)}-{rng.randint(100, 9999):04d}",
                                 f"{s.drug[:3].upper()}-{rng.randint(100, 999)}",
                                 f"{rng.randint(10000, 99999)}"))
    name, other = rng.choice(vocab.CT_DRUG_NAMES[s.drug])
    t.intervention, t.other_names = name, other
    t.sites = [rng.choice(vocab.PLACES) for _ in range(rng.randint(1, 4))]
    t.official = f"{rng.choice(vocab.FORE_NAMES)[0]} {rng.choice(vocab.LAST_NAMES)}, MD"
    return t


def linked_trial(rng: random.Random, s: WorldStudy, end: date,
                 preprint_only: bool = False) -> Trial:
    """The registration of a trial that has been published (or preprinted)."""
    t = _base_trial(rng, s)
    anchor = s.edat or (s.preprint.dates[0] if s.preprint else end)
    t.first_post = clamp(anchor - timedelta(days=rng.randint(700, 2000)), date(2005, 1, 10), anchor)
    t.first_submit = t.first_post - timedelta(days=rng.randint(1, 20))
    t.start = t.first_post + timedelta(days=rng.randint(0, 120))
    t.primary_completion = max(t.start + timedelta(days=120),
                               anchor - timedelta(days=rng.randint(120, 500)))
    t.completion = t.primary_completion + timedelta(days=rng.randint(0, 90))
    t.status = "COMPLETED" if rng.random() < 0.9 else "TERMINATED"
    if t.status == "TERMINATED":
        t.why_stopped = rng.choice(vocab.WHY_STOPPED)
    t.enrollment = (s.sample_size or 40) + (rng.randint(0, 6) if rng.random() < 0.4 else 0)
    posted = t.completion + timedelta(days=rng.randint(200, 420))
    t.has_results = rng.random() < 0.4 and not preprint_only and posted < end
    if t.has_results:
        t.results_first_post = posted
    last = max(t.completion, t.results_first_post or t.completion) + timedelta(days=rng.randint(10, 400))
    t.last_update = min(last, end - timedelta(days=1))
    return t


#: the statuses of the first registrations, so that a small corpus shows each kind of change
_FIRST_STATUSES = ("RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING", "TERMINATED", "RECRUITING",
                   "NOT_YET_RECRUITING")


def open_trial(rng: random.Random, s: WorldStudy, end: date, index: int) -> Trial:
    """A registration with no publication yet, in any status."""
    randomized = s.comparator is not None
    if randomized and s.routes == ["intranasal"]:
        s.comparator = vocab.COMPARATORS["intranasal"][0]
    t = _base_trial(rng, s)
    s.design = "trial-registration"
    t.randomized = randomized
    t.masking = rng.choice(("QUADRUPLE", "TRIPLE", "DOUBLE")) if t.randomized else "NONE"
    t.status = weighted(rng, {"RECRUITING": 35, "NOT_YET_RECRUITING": 10, "ACTIVE_NOT_RECRUITING": 15,
                              "COMPLETED": 25, "TERMINATED": 10, "WITHDRAWN": 5})
    if index < len(_FIRST_STATUSES):
        t.status = _FIRST_STATUSES[index]
    t.enrollment = rng.choice((20, 30, 40, 60, 80, 100, 120, 150, 200, 300))
    if t.status == "NOT_YET_RECRUITING":
        t.first_post = end - timedelta(days=rng.randint(0, 200))
        t.start, t.start_actual = end + timedelta(days=rng.randint(30, 200)), False
        t.enrollment_actual = False
    elif t.status == "RECRUITING":
        t.first_post = end - timedelta(days=rng.randint(30, 1100))
        t.start = min(t.first_post + timedelta(days=rng.randint(0, 120)), end - timedelta(days=1))
        t.enrollment_actual = False
    elif t.status == "ACTIVE_NOT_RECRUITING":
        t.first_post = end - timedelta(days=rng.randint(400, 1600))
        t.start = t.first_post + timedelta(days=rng.randint(0, 120))
        t.enrollment = round(t.enrollment * rng.uniform(0.8, 1.1))
    else:
        t.first_post = end - timedelta(days=rng.randint(500, 2500))
        t.start = t.first_post + timedelta(days=rng.randint(0, 120))
        if t.status == "TERMINATED":
            t.why_stopped = rng.choice(vocab.WHY_STOPPED)
            t.enrollment = max(2, round(t.enrollment * rng.uniform(0.1, 0.6)))
        elif t.status == "WITHDRAWN":
            t.why_stopped = rng.choice(vocab.WHY_STOPPED)
            t.enrollment = 0
            t.start_actual = False
    t.first_submit = t.first_post - timedelta(days=rng.randint(1, 20))
    if t.status in ("NOT_YET_RECRUITING", "RECRUITING"):
        t.primary_completion = end + timedelta(days=rng.randint(90, 900))
        t.completion_actual = False
    elif t.status == "ACTIVE_NOT_RECRUITING":
        t.primary_completion = end + timedelta(days=rng.randint(-120, 200))
        t.completion_actual = t.primary_completion < end
    else:
        t.primary_completion = clamp(end - timedelta(days=rng.randint(30, 700)),
                                     t.start + timedelta(days=60), end - timedelta(days=10))
    t.completion = t.primary_completion + timedelta(days=rng.randint(0, 120))
    if not t.completion_actual or t.completion >= end:
        t.completion_actual = t.completion < end and t.status in ("COMPLETED", "TERMINATED")
    if t.status in ("COMPLETED", "TERMINATED"):
        t.completion = min(t.completion, end - timedelta(days=5))
        t.completion_actual = True
        t.has_results = t.status == "COMPLETED" and rng.random() < 0.35
        if t.has_results:
            t.results_first_post = min(t.completion + timedelta(days=rng.randint(60, 400)),
                                       end - timedelta(days=2))
    t.last_update = clamp(end - timedelta(days=rng.randint(0, 365)), t.first_post,
                          end - timedelta(days=1))
    if t.results_first_post:
        t.last_update = max(t.last_update, t.results_first_post)
    return t


def compose_registration(s: WorldStudy, rng: random.Random) -> None:
    """Brief and official titles, summary and description of the study's registration."""
    t = s.trial
    assert t is not None
    v = values(s, rng)
    drug = strip_tags(v["Drug"] if s.drug != "arketamine" else "Arketamine")
    route = v["Route"]
    cond_ct = s.cond.ct_name
    t.acronym = None
    if rng.random() < 0.3:
        stem = {"ketamine": "KET", "esketamine": "ESK", "arketamine": "ARK"}[s.drug]
        code = {"depression": "MDD", "trd": "TRD", "bipolar-depression": "BD", "ptsd": "PTSD",
                "ocd": "OCD", "suicidal-ideation": "SI", "anxiety": "ANX", "substance-use": "SUD",
                "chronic-pain": "PAIN", "other": "X"}[s.cond.key]
        t.acronym = f"{stem}-{code}" + rng.choice(("", "", "-2", "-R", "-PRO"))
    brief = rng.choice((f"{route} {drug} for {cond_ct}", f"{drug} for {cond_ct} in {v['pop']}",
                        f"Efficacy of {route} {drug} in {cond_ct}"))
    t.brief_title = title_case(brief) + (f" ({t.acronym})" if t.acronym else "")
    if t.randomized:
        blind = {"NONE": "Open-label", "SINGLE": "Single-blind", "DOUBLE": "Double-blind",
                 "TRIPLE": "Triple-blind", "QUADRUPLE": "Double-blind"}[t.masking]
        comp = "Placebo-controlled" if (s.comparator or ("", "placebo"))[1] in (
            "placebo", "saline") else "Active-controlled"
        official = (f"A Randomized, {blind}, {comp} Trial of {route} {drug} in "
                    f"{cap(v['pop'])} With {cond_ct}")
    else:
        official = f"An Open-label, Single-arm Study of {route} {drug} in {cap(v['pop'])} With {cond_ct}"
    t.official_title = title_case(official)
    comparison = f" compared with {v['comp']}" if t.randomized else ""
    tp = rng.choice(("24 hours", "day 28", "week 6", "week 4"))
    if s.cond.setting == "perioperative":
        tp = rng.choice(("postoperative day 3", "postoperative day 7", "day 42"))
        t.brief_summary = (
            f"The purpose of this study is to find out whether {v['route']} {s.drug} given during "
            f"surgery{comparison} prevents {v['cond']} in {v['pop']}. Participants will receive "
            f"{strip_tags(regimen(s, v, rng))}. {v['Cond']} will be assessed with the "
            f"{v['scale']} ({v['scale_abbr']}) at {tp}.")
    else:
        t.brief_summary = (
            f"The purpose of this study is to evaluate the efficacy and safety of {v['route']} "
            f"{s.drug}{comparison} in {v['pop']} with {v['cond']}{v['abbr']}. Participants will "
            f"receive {strip_tags(regimen(s, v, rng))}. The main question it aims to answer is "
            f"whether {s.drug} reduces {v['symptoms']} as measured by the {v['scale']} "
            f"({v['scale_abbr']}) at {tp}.")
    phases = "/".join(p.replace("PHASE", "phase ") for p in t.phases) or "interventional"
    t.detailed_description = (
        f"This {phases} study will enroll approximately {t.enrollment} participants. "
        f"{'Participants will be randomized to ' + s.drug + ' or ' + v['comp'] + '. ' if t.randomized else ''}"
        "Vital signs and dissociative symptoms are monitored for two hours after each dose. "
        f"Secondary outcomes include response and remission rates and adverse events.\n\n"
        f"{vocab.SAMPLE_MARK}")
    t.primary_outcome = (f"Change From Baseline in {v['scale']} ({v['scale_abbr']}) Score", tp)
