"""Titles and abstracts for sample studies, written from their facts.

Every text names the study's own drugs, conditions and routes in the words clinicians use, and
avoids naming other conditions of the vocabulary, so that the ground truth of a study is what its
text supports: a tagger that reads the text well gets the truth. Sample sizes appear the way
abstracts state them ("Of 124 randomized participants", "18 trials (2,431 participants)").

Inline markup (``<i>``, ``<sup>``) is written as tags; the PubMed renderer keeps it, the
plain-text renderers (medRxiv, ClinicalTrials.gov) strip it.
"""

from __future__ import annotations

import random
import re

from ketawatch.sample import vocab
from ketawatch.sample.world import WorldStudy

_TAG_RE = re.compile(r"</?(?:i|b|sup|sub|u)>")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

#: (label, NlmCategory) variants per part of a structured abstract
LABELS = {
    "background": (("BACKGROUND", "BACKGROUND"), ("INTRODUCTION", "BACKGROUND"),
                   ("CONTEXT", "BACKGROUND")),
    "objective": (("OBJECTIVE", "OBJECTIVE"), ("OBJECTIVES", "OBJECTIVE"), ("AIMS", "OBJECTIVE")),
    "methods": (("METHODS", "METHODS"), ("MATERIALS AND METHODS", "METHODS"),
                ("DESIGN", "METHODS")),
    "results": (("RESULTS", "RESULTS"), ("FINDINGS", "RESULTS")),
    "conclusions": (("CONCLUSIONS", "CONCLUSIONS"), ("CONCLUSION", "CONCLUSIONS"),
                    ("INTERPRETATION", "CONCLUSIONS"), ("DISCUSSION", "CONCLUSIONS")),
    "case": (("CASE PRESENTATION", "METHODS"), ("CASE DESCRIPTION", "METHODS")),
    "registration": (("TRIAL REGISTRATION", None),),
}
JAMA_LABELS = {"background": "IMPORTANCE", "objective": "OBJECTIVE",
               "methods": "DESIGN, SETTING, AND PARTICIPANTS", "results": "RESULTS",
               "conclusions": "CONCLUSIONS AND RELEVANCE", "registration": "TRIAL REGISTRATION",
               "case": "CASE PRESENTATION"}


def strip_tags(text: str) -> str:
    """Text without inline markup."""
    return _TAG_RE.sub("", text)


def cap(text: str) -> str:
    """First letter upper-cased (leaving markup and the rest alone)."""
    if text.startswith("("):
        return text
    return text[:1].upper() + text[1:]


def fmt_n(n: int, rng: random.Random) -> str:
    """A count as abstracts write it: thousands with a comma most of the time."""
    if n >= 1000 and rng.random() < 0.75:
        return f"{n:,}"
    return str(n)


def _p(rng: random.Random, significant: bool) -> str:
    if significant:
        return rng.choice(("< .001", "= .002", "= .01", "= .03", "< .001", "= .004"))
    return rng.choice(("= .21", "= .38", "= .64", "= .09", "= .47"))


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f", and {items[-1]}"


# ---------------------------------------------------------------------------------------------
# the values every template can use
# ---------------------------------------------------------------------------------------------


def values(s: WorldStudy, rng: random.Random) -> dict[str, str]:
    """Template values for a study: drug, route, condition, population, scale, dose."""
    c = s.cond
    drug = s.drug
    drugx = drug
    first = drug
    if drug == "esketamine" and "intranasal" in s.routes and rng.random() < 0.4:
        drugx = "esketamine nasal spray"
    if drug == "esketamine" and rng.random() < 0.1:
        first = "esketamine (S-ketamine)"
    if drug == "arketamine":
        roll = rng.random()
        if roll < 0.15:
            first = "arketamine ((<i>R</i>)-ketamine)"
            s.markup = True
        elif roll < 0.22:
            first = "(<i>R</i>)-ketamine (arketamine)"
            drugx = "(<i>R</i>)-ketamine"
            s.markup = True
    drugs = _join(s.drugs)
    conds = [x.phrase for x in s.conds]
    route_word = vocab.ROUTE_ADJ[s.routes[0]] if s.routes else ""
    # "esketamine nasal spray" already says the route; never write "intranasal esketamine nasal spray"
    rdrugx = drugx if ("nasal spray" in drugx or not route_word) else f"{route_word} {drugx}"
    cond_t = conds[0] if len(conds) == 1 else f"{conds[0]} and comorbid {conds[1]}"
    abbr = f" ({c.abbr})" if c.abbr else ""
    route = vocab.ROUTE_ADJ[s.routes[0]] if s.routes else ""
    routes = _join([vocab.ROUTE_ADJ[r] for r in s.routes])
    comp_long, comp_short = s.comparator or ("placebo", "placebo")
    scale, scale_abbr = c.scale
    return {
        "drug": drug, "Drug": cap(drug), "drugx": drugx, "Drugx": cap(drugx), "first": first,
        "rdrugx": rdrugx, "Rdrugx": cap(rdrugx),
        "First": cap(first), "drugs": drugs, "Drugs": cap(drugs),
        "route": route, "Route": cap(route), "routes": routes,
        "cond": c.phrase, "Cond": cap(c.phrase), "cond_t": cond_t, "abbr": abbr,
        "conds": _join(conds), "symptoms": c.symptoms, "pop": s.population,
        "scale": scale, "scale_abbr": scale_abbr, "comp": comp_long, "comp_short": comp_short,
        "dose": s.dose, "country": s.country,
    }


def regimen(s: WorldStudy, v: dict[str, str], rng: random.Random) -> str:
    """How the drug was given, always naming the route the way methods sections do."""
    r = s.routes[0] if s.routes else "iv"
    d, dose = v["first"], s.dose
    if s.cond.setting == "perioperative" and r == "iv":
        return rng.choice((f"intravenous {d} ({dose}) after induction of anesthesia",
                           f"a single intravenous dose of {d} ({dose}) at the end of surgery"))
    options = {
        "iv": (f"a single intravenous infusion of {d} ({dose})",
               f"six intravenous {d} infusions ({dose}) over 2 weeks",
               f"intravenous {d} ({dose}) twice weekly for 2 weeks"),
        "intranasal": (f"{d} nasal spray ({dose}) twice weekly for 4 weeks",
                       f"intranasal {d} ({dose}) twice weekly"),
        "oral": (f"oral {d} ({dose}) daily for 6 weeks", f"oral {d} ({dose}) three times weekly"),
        "im": (f"a single intramuscular injection of {d} ({dose})",
               f"intramuscular {d} ({dose})"),
        "sublingual": (f"sublingual {d} ({dose}) twice weekly for 8 weeks",
                       f"sublingual {d} lozenges ({dose})"),
        "subcutaneous": (f"weekly subcutaneous {d} injections ({dose}) for 4 weeks",
                         f"subcutaneous {d} ({dose}) once or twice weekly"),
    }
    return rng.choice(options[r])


def _background(s: WorldStudy, v: dict[str, str], rng: random.Random) -> str:
    setting = s.cond.setting
    if s.cond.phrase == "postpartum depression":
        return ("Postpartum depression affects up to one in seven women after childbirth and "
                "impairs maternal and infant outcomes.")
    if setting == "perioperative":
        return rng.choice((f"{v['Cond']} is common after major surgery and is associated with "
                           "slower recovery and longer hospital stay.",
                           f"{v['Cond']} remains a frequent complication in older surgical "
                           "patients, and few preventive strategies are effective."))
    if setting == "emergency":
        return rng.choice((f"Patients presenting with {v['cond']} need interventions that act "
                           "within hours rather than weeks.",
                           f"Few treatments rapidly reduce {v['cond']}, a major driver of "
                           "emergency presentations."))
    if setting == "pain":
        return rng.choice((f"{v['Cond']} is often refractory to conventional analgesics.",
                           f"{v['Cond']} involves central sensitization, and N-methyl-D-aspartate "
                           "receptor antagonists may modulate this process."))
    if setting == "addiction":
        return rng.choice((f"Relapse rates in {v['cond']} remain high, and few pharmacotherapies "
                           "are effective.",
                           f"Treatment options for {v['cond']}{v['abbr']} are limited, and "
                           "glutamatergic agents may enhance the effects of psychotherapy."))
    return rng.choice((
        f"{v['Cond']}{v['abbr']} is a leading cause of disability, and many patients do not "
        "improve with currently available treatments.",
        f"Current treatments for {v['cond']} act slowly, and a substantial proportion of patients "
        "do not respond.",
        f"Rapid-acting treatments are needed for {v['cond']}{v['abbr']}, for which standard "
        "pharmacotherapy often takes weeks to work.",
        f"{v['First']} has shown rapid effects in small studies of {v['cond']}, but evidence "
        "from adequately powered trials is limited.",
    ))


def _adverse(s: WorldStudy, rng: random.Random) -> str:
    events = vocab.ADVERSE_EVENTS[s.drug]
    return _join(rng.sample(events, 3))


# ---------------------------------------------------------------------------------------------
# one composer per design; each returns (title, parts) where parts maps part name to text
# ---------------------------------------------------------------------------------------------

Parts = dict[str, str]


def _rct(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    n = s.sample_size or 60
    setting = s.cond.setting
    if setting == "perioperative":
        title = rng.choice((
            f"Effect of intraoperative {v['drugx']} on {v['cond_t']} in {v['pop']}: a randomized "
            "controlled trial",
            f"Single-dose {v['rdrugx']} and {v['cond_t']}: a randomized, double-blind "
            "trial"))
    elif (setting == "emergency" and "emergency" in s.population and s.routes
          and s.routes[0] in ("iv", "im", "intranasal")):
        title = f"{v['Rdrugx']} for {v['cond_t']} in the emergency department: a randomized clinical trial"
    elif setting == "pain":
        title = f"{v['Rdrugx']} for {v['cond_t']}: a randomized, placebo-controlled crossover trial"
    else:
        options = [
            f"{v['Rdrugx']} versus {v['comp_short']} for {v['cond_t']}: a randomized clinical trial",
            f"{v['Drugx']} for {v['cond_t']} in {v['pop']}: a randomized controlled trial",
            f"Effect of {v['rdrugx']} on {v['symptoms']} in {v['pop']} with {v['cond_t']}: a randomized clinical trial",
        ]
        if v["comp_short"] == "placebo":
            options.append(f"Efficacy and safety of {v['rdrugx']} in {v['cond_t']}: a "
                           "randomized, double-blind, placebo-controlled trial")
        if s.routes and s.routes[0] == "iv":
            options.append(f"Repeated {v['rdrugx']} infusions for {v['cond_t']}: a "
                           "multicentre randomized trial")
        title = rng.choice(options)
    blind = rng.choice(("double-blind", "double-blind", "triple-blind", "assessor-blinded"))
    sites = rng.choice(("a single academic center", f"{rng.randint(3, 24)} sites",
                        "three university hospitals", "two tertiary referral centers"))
    periop = setting == "perioperative"
    tp = rng.choice(("24 hours", "day 7", "day 28", "week 4", "week 6"))
    if periop:
        tp = ("6 weeks after delivery" if "postpartum" in s.cond.phrase
              else rng.choice(("postoperative day 3", "postoperative day 5", "postoperative day 7")))
    ratio = rng.choice(("1:1", "1:1", "2:1"))
    reg = regimen(s, v, rng)
    who = v["pop"] if periop else f"{v['pop']} with {v['conds']}"
    methods = (f"In this {blind} randomized clinical trial conducted at {sites} in {v['country']}, "
               f"{who} were randomly assigned in a {ratio} ratio to receive {reg} or {v['comp']}. ")
    if setting == "perioperative":
        methods += (f"The primary outcome was the incidence of {v['cond']} at {tp}, assessed "
                    f"with the {v['scale']} ({v['scale_abbr']}).")
    else:
        methods += (f"The primary outcome was the change in {v['scale']} ({v['scale_abbr']}) "
                    f"score from baseline to {tp}.")
    positive = rng.random() < 0.72
    n_str = fmt_n(n, rng)
    age, sd = _age(s, rng), round(rng.uniform(8, 15), 1)
    women = round(n * rng.uniform(0.35, 0.7))
    opener = rng.choice((
        f"Of {n_str} randomized participants (mean [SD] age, {age} [{sd}] years; {women} "
        f"[{round(100 * women / n, 1)}%] women), {round(n * rng.uniform(0.82, 0.97))} completed "
        "the trial.",
        f"A total of {n_str} participants were randomized (mean age, {age} years).",
        f"Of {fmt_n(int(n * rng.uniform(1.4, 2.5)), rng)} patients screened, {n_str} were "
        "randomized.",
    ))
    p_italic = "<i>P</i>" if s.style == "jama" else "P"
    s.markup = s.markup or s.style == "jama"
    if setting == "perioperative":
        r1, r2 = rng.randint(8, 18), rng.randint(20, 36)
        rr = round(r1 / r2, 2)
        results = (f"{opener} The incidence of {v['cond']} at {tp} was {r1}% in the {v['drug']} "
                   f"group and {r2}% in the {v['comp_short']} group (relative risk, {rr}; 95% CI, "
                   f"{round(rr * 0.6, 2)} to {round(min(rr * 1.4, 0.98), 2)}). ")
    elif positive:
        md = round(rng.uniform(2.5, 9.0), 1)
        lo, hi = round(md + rng.uniform(2, 4), 1), round(max(md - rng.uniform(2, 4), 0.3), 1)
        r1, r2 = rng.randint(40, 70), rng.randint(15, 38)
        results = (f"{opener} {v['Drug']} was associated with a greater reduction in "
                   f"{v['scale_abbr']} score at {tp} than {v['comp_short']} (mean difference, "
                   f"-{md} points; 95% CI, -{lo} to -{hi}; {p_italic} {_p(rng, True)}). Response "
                   f"rates were {r1}% with {v['drug']} and {r2}% with {v['comp_short']}. ")
    else:
        md = round(rng.uniform(0.2, 2.5), 1)
        results = (f"{opener} The change in {v['scale_abbr']} score at {tp} did not differ "
                   f"significantly between groups (mean difference, -{md} points; 95% CI, "
                   f"-{round(md + 3, 1)} to {round(3 - md, 1)}; {p_italic} {_p(rng, False)}). ")
    results += (f"The most common adverse events were {_adverse(s, rng)}, which were mostly "
                "transient.")
    if periop:
        concl = (f"In {v['pop']}, a single dose of {v['route']} {v['drug']} reduced the incidence "
                 f"of {v['cond']} compared with {v['comp_short']}. " +
                 rng.choice(("Larger multicentre trials are warranted.",
                             "Longer follow-up is needed to establish durability.")))
    elif positive:
        concl = (f"In {v['pop']} with {v['cond']}, {v['route']} {v['drug']} reduced "
                 f"{v['symptoms']} compared with {v['comp_short']}. " +
                 rng.choice(("Larger trials with longer follow-up are warranted.",
                             "These findings support further evaluation in routine care.",
                             "The durability of benefit beyond the trial period requires study.")))
    else:
        concl = (f"{v['Route']} {v['drug']} did not significantly reduce {v['symptoms']} compared "
                 f"with {v['comp_short']} in this trial.")
    objective = (f"To evaluate whether {v['route']} {v['drug']} reduces the incidence of {v['cond']} "
                 f"in {v['pop']}." if periop else
                 f"To evaluate the efficacy and safety of {v['route']} {v['drug']} compared with "
                 f"{v['comp_short']} in {v['pop']} with {v['cond']}.")
    parts = {"background": _background(s, v, rng), "objective": objective,
             "methods": methods, "results": results, "conclusions": concl}
    return title, parts


def _age(s: WorldStudy, rng: random.Random) -> int:
    """A mean age that fits the population."""
    if "older" in s.population:
        return rng.randint(66, 76)
    if "women" in s.population:
        return rng.randint(27, 34)
    return rng.randint(31, 52)


def _clinical_trial(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    n = s.sample_size or 20
    title = rng.choice((
        f"Open-label {v['rdrugx']} for {v['cond_t']}: a pilot study",
        f"{v['Rdrugx']} in {v['pop']} with {v['cond_t']}: an open-label phase 2 trial",
        f"Safety, tolerability and pharmacokinetics of {v['rdrugx']} in {v['cond_t']}: "
        "a phase 1 study",
        f"Feasibility of {v['rdrugx']} for {v['cond_t']}: a single-arm trial",
    ))
    tp = rng.choice(("week 4", "week 6", "day 14", "the end of treatment"))
    methods = (f"In this open-label, single-arm trial, {n} participants with {v['conds']} "
               f"received {regimen(s, v, rng)}. {v['scale']} ({v['scale_abbr']}) scores were "
               f"assessed at baseline, 24 hours after the first dose, and at {tp}.")
    compl = max(1, round(n * rng.uniform(0.7, 0.95)))
    b, e = rng.randint(24, 38), rng.randint(9, 22)
    resp = max(1, round(compl * rng.uniform(0.3, 0.65)))
    results = (f"{compl} participants ({round(100 * compl / n)}%) completed treatment. Mean "
               f"{v['scale_abbr']} scores decreased from {b} at baseline to {e} at {tp} "
               f"(P {_p(rng, True)}), and {resp} participants met response criteria. No serious "
               f"adverse events occurred; {vocab.ADVERSE_EVENTS[s.drug][0]} resolved within 2 "
               "hours of dosing.")
    concl = (f"{v['Route']} {v['drug']} was feasible and well tolerated in {v['cond']}, with signals "
             "of rapid improvement that warrant confirmation in randomized controlled trials.")
    parts = {"background": _background(s, v, rng),
             "objective": f"To assess the feasibility, safety and preliminary efficacy of "
                          f"{v['route']} {v['drug']} in {v['pop']} with {v['cond']}.",
             "methods": methods, "results": results, "conclusions": concl}
    return title, parts


def _observational(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    n = s.sample_size or 100
    n_str = fmt_n(n, rng)
    y2 = s.ref_year - 1
    y1 = y2 - rng.randint(2, 6)
    large = n >= 1000
    if large:
        title = rng.choice((
            f"{v['Drugx']} treatment and all-cause hospitalization in {v['cond_t']}: a nationwide "
            "cohort study",
            f"Real-world effectiveness of {v['rdrugx']} in {v['cond_t']}: a "
            "population-based cohort study"))
        methods = (f"Using a nationwide health-records database from {v['country']}, we identified "
                   f"{n_str} adults with {v['conds']} who initiated {v['route']} {v['first']} "
                   f"between {y1} and {y2}, and compared them with propensity-matched patients "
                   "receiving standard treatment.")
        hr = round(rng.uniform(0.62, 0.93), 2)
        results = (f"Mean age was {rng.randint(35, 58)} years and "
                   f"{rng.randint(48, 66)}% were women. {v['Drug']} initiation was associated "
                   f"with a lower risk of hospitalization over 12 months (hazard ratio, {hr}; 95% "
                   f"CI, {round(hr - 0.08, 2)} to {round(hr + 0.06, 2)}).")
    elif s.cond.setting == "perioperative":
        title = rng.choice((
            f"Intraoperative {v['drugx']} and {v['cond_t']} in {v['pop']}: a retrospective cohort "
            "study",
            f"Association of intraoperative {v['drugx']} with {v['cond_t']}: a propensity-matched "
            "cohort study"))
        methods = (f"We conducted a retrospective cohort study of {n_str} {v['pop']} at "
                   f"{rng.randint(2, 6)} hospitals in {v['country']} between {y1} and {y2}, "
                   f"comparing patients who received {regimen(s, v, rng)} with propensity-matched "
                   f"patients who did not. The outcome was {v['cond']}, assessed with the "
                   f"{v['scale']} ({v['scale_abbr']}).")
        r1, r2 = rng.randint(6, 16), rng.randint(17, 30)
        odds = round((r1 / (100 - r1)) / (r2 / (100 - r2)), 2)
        results = (f"Mean age was {_age(s, rng)} years. {v['Cond']} occurred in {r1}% of patients "
                   f"who received {v['drug']} and {r2}% of those who did not (adjusted odds ratio, "
                   f"{odds}; 95% CI, {round(odds * 0.7, 2)} to {round(min(odds * 1.3, 0.97), 2)}).")
        concl = (f"Intraoperative {v['drug']} was associated with a lower incidence of {v['cond']}; "
                 "randomized trials should confirm this finding.")
        parts = {"background": _background(s, v, rng),
                 "objective": f"To examine whether intraoperative {v['drug']} is associated with "
                              f"a lower incidence of {v['cond']}.",
                 "methods": methods, "results": results, "conclusions": concl}
        return title, parts
    else:
        title = rng.choice((
            f"Real-world effectiveness of {v['rdrugx']} in {v['cond_t']}: a "
            "retrospective cohort study",
            f"{v['Rdrugx']} for {v['cond_t']} in routine clinical practice: an "
            "observational study",
            f"Outcomes of {v['rdrugx']} treatment in {v['pop']} with {v['cond_t']}: a "
            "chart review",
            f"Long-term safety of {v['rdrugx']} in {v['cond_t']}: a prospective "
            "registry study"))
        methods = (f"We conducted a {rng.choice(('retrospective', 'prospective'))} cohort study of "
                   f"{n_str} {v['pop']} with {v['conds']} who received {regimen(s, v, rng)} "
                   f"between {y1} and {y2}. Outcomes included change in {v['scale_abbr']} score, "
                   "response and remission rates, and adverse events.")
        r = rng.randint(35, 68)
        rm = rng.randint(12, r - 10)
        results = (f"Mean age was {_age(s, rng)} years and {rng.randint(40, 70)}% were "
                   f"women. After a median of {rng.randint(4, 12)} treatments, response and "
                   f"remission rates were {r}% and {rm}%, respectively. Adverse events, most "
                   f"commonly {_adverse(s, rng)}, led to discontinuation in "
                   f"{rng.randint(2, 9)}% of patients.")
    concl = rng.choice((f"In routine care, {v['route']} {v['drug']} was associated with "
                        f"improvement in {v['symptoms']} comparable to that reported in trials.",
                        f"These real-world data support the effectiveness and tolerability of "
                        f"{v['drug']} for {v['cond']}, although the absence of a control group "
                        "limits causal inference."))
    parts = {"background": _background(s, v, rng),
             "objective": f"To describe outcomes of {v['route']} {v['drug']} in patients with "
                          f"{v['cond']} treated in routine practice.",
             "methods": methods, "results": results, "conclusions": concl}
    return title, parts


def _synthesis(s: WorldStudy, v: dict[str, str], rng: random.Random, meta: bool) -> tuple[str, Parts]:
    k = rng.randint(6, 42)
    route_opt = f"{v['routes']} " if s.routes else ""
    if meta:
        title = rng.choice((
            f"{v['Drugs']} for {v['cond_t']}: a systematic review and meta-analysis of randomized "
            "controlled trials",
            f"Efficacy and acceptability of {v['drugs']} in {v['cond_t']}: a network meta-analysis",
            f"{cap(route_opt)}{v['drugs']} for {v['cond_t']}: a meta-analysis",
            f"Rapid effects of {v['drugs']} on {v['symptoms']} in {v['cond_t']}: an individual "
            "participant data meta-analysis"))
    elif s.human is False:
        title = (f"{v['Drugs']} in rodent models of {v['cond_t']}: a systematic review of "
                 "preclinical studies")
    else:
        title = rng.choice((
            f"{cap(route_opt)}{v['drugs']} for {v['cond_t']}: a systematic review",
            f"Safety of {v['drugs']} in {v['pop']} with {v['cond_t']}: a systematic review",
            f"{v['Drugs']} in {v['cond_t']}: a systematic review of clinical studies"))
    until = f"{rng.choice(MONTHS)} {s.ref_year - rng.randint(0, 1)}"
    kind = "studies in animal models" if s.human is False else (
        "randomized controlled trials" if meta else "clinical studies")
    methods = (f"We searched PubMed, Embase, PsycINFO and the Cochrane Central Register of "
               f"Controlled Trials from inception to {until} for {kind} of {route_opt}{v['drugs']} "
               f"in {v['conds']}. Two reviewers independently extracted data and assessed risk of "
               "bias" + ("; effects were pooled with random-effects models." if meta else "."))
    n = s.sample_size
    if meta:
        i2 = rng.randint(0, 78)
        het = f"I<sup>2</sup> = {i2}%" if rng.random() < 0.5 else f"I2 = {i2}%"
        if "<sup>" in het:
            s.markup = True
        smd = round(rng.uniform(0.3, 1.1), 2)
        lead = rng.choice((f"A total of {k} RCTs comprising {fmt_n(n or 0, rng)} participants were "
                           "included.",
                           f"{k} trials ({fmt_n(n or 0, rng)} participants) met inclusion "
                           "criteria."))
        results = (f"{lead} {v['Drugs']} {'were' if len(s.drugs) > 1 else 'was'} superior to "
                   f"control in reducing {v['symptoms']} (standardized mean difference [SMD], "
                   f"-{smd}; 95% CI, -{round(smd + 0.3, 2)} to -{round(max(smd - 0.25, 0.05), 2)}; "
                   f"{het}). Effects were largest within 24 hours and attenuated by week 2. "
                   "All-cause discontinuation did not differ from control.")
    else:
        j = rng.randint(1, max(1, k // 3))
        if n and s.human is not False:
            lead = (f"{k} studies met inclusion criteria ({j} randomized controlled trials and "
                    f"{k - j} open-label or observational studies; {fmt_n(n, rng)} participants "
                    "in total).")
        else:
            lead = (f"{k} studies met inclusion criteria, most of them small and at high risk of "
                    "bias.")
        results = (f"{lead} Most studies reported rapid reductions in {v['symptoms']}, with "
                   "considerable heterogeneity in dosing, outcome measures and follow-up. "
                   "Dissociative and hemodynamic effects were common but transient.")
    if s.human is False:
        results = (f"{lead} Most studies, largely in male rodents, reported that {v['drugs']} "
                   "reversed stress-induced behavioral deficits, with considerable heterogeneity "
                   "in models, doses and outcome measures; few were randomized or blinded.")
        concl = (f"Preclinical evidence supports clinical study of {v['drugs']} for {v['cond']}, "
                 "but the reporting quality of animal studies was low.")
        parts = {"background": f"Animal studies of {v['drugs']} in models of {v['cond']} have "
                               "multiplied, with inconsistent results.",
                 "methods": methods, "results": results, "conclusions": concl}
        return title, parts
    concl = rng.choice((f"{v['Drugs']} {'show' if len(s.drugs) > 1 else 'shows'} rapid but "
                        f"short-lived benefits in {v['cond']}; strategies to sustain response are "
                        "needed.",
                        f"The evidence supports the efficacy of {v['drugs']} for {v['cond']}, but "
                        "its certainty is limited by small samples and short follow-up."))
    parts = {"background": f"The efficacy of {v['drugs']} for {v['cond']} has been examined in "
                           "several studies with inconsistent results.",
             "objective": f"To synthesize the evidence on {v['drugs']} for {v['cond']}.",
             "methods": methods, "results": results, "conclusions": concl}
    return title, parts


def _case_report(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    n = s.sample_size or 1
    sex = "woman" if "postpartum" in s.cond.phrase else rng.choice(("woman", "man"))
    age = rng.randint(19, 78)
    if n == 1:
        title = rng.choice((
            f"{v['Rdrugx']} for {v['cond_t']} in a {age}-year-old {sex}: a case report",
            f"Rapid resolution of {v['cond_t']} after {v['rdrugx']}: a case report",
            f"Successful treatment of {v['cond_t']} with {v['rdrugx']}: a case report"))
        case = (f"We describe a {age}-year-old {sex} with a {rng.randint(2, 20)}-year history of "
                f"{v['conds']} and inadequate response to several previous treatments, who "
                f"received {regimen(s, v, rng)}. Within {rng.choice(('24 hours', 'one week', 'two weeks'))}, "
                f"{v['scale_abbr']} scores improved markedly, and the improvement was sustained at "
                f"{rng.randint(3, 12)}-month follow-up with maintenance treatment.")
    else:
        title = f"{v['Rdrugx']} for {v['cond_t']}: a case series"
        case = (f"We report {n} patients with {v['conds']} who received {regimen(s, v, rng)}. "
                f"{n - 1} of the {n} patients showed a clinically meaningful reduction in "
                f"{v['symptoms']} within two weeks.")
    parts = {"background": f"{v['First']} is increasingly used for {v['cond']}, but experience "
                           "outside clinical trials is limited.",
             "case": case,
             "conclusions": f"This {'case suggests' if n == 1 else 'series suggests'} that "
                            f"{v['route']} {v['drug']} may be a useful option for {v['cond']} "
                            "when standard treatments fail, with careful monitoring."}
    return title, parts


def _review(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    options = [f"{v['Drugs']} in the treatment of {v['cond_t']}: a narrative review",
               f"{v['Drugs']} for {v['cond_t']}: current evidence and future directions",
               f"From anesthetic to treatment: {v['drugs']} in {v['cond_t']}"]
    if s.routes:
        options.append(f"{cap(v['routes'])} {v['drugs']} for {v['cond_t']}: a clinical review")
    title = rng.choice(options)
    nmda = ("<i>N</i>-methyl-D-aspartate (NMDA)" if rng.random() < 0.4
            else "N-methyl-D-aspartate (NMDA)")
    if "<i>" in nmda:
        s.markup = True
    plural = len(s.drugs) > 1
    text = [f"{v['Drugs']} {'have' if plural else 'has'} emerged as "
            f"{'rapid-acting treatments' if plural else 'a rapid-acting treatment'} for {v['cond']}.",
            f"This review summarizes preclinical and clinical evidence on "
            f"{'their' if plural else 'its'} mechanisms of action, including blockade of {nmda} "
            "receptors, enhanced AMPA receptor signaling and downstream synaptogenesis."]
    if s.routes:
        text.append(f"We discuss the efficacy of {v['routes']} formulations, the durability of "
                    "response after single and repeated dosing, and strategies to maintain "
                    "benefit.")
    else:
        text.append("We discuss efficacy, durability of response, dosing strategies and the "
                    "selection of patients most likely to benefit.")
    text.append("Safety considerations include dissociative effects, transient hemodynamic changes "
                "and the need for monitoring during administration.")
    text.append(rng.choice(("Finally, we outline open questions for research and clinical "
                            "practice.",
                            "Future research should identify biomarkers of response and "
                            "optimal maintenance strategies.")))
    return title, {"plain": " ".join(text)}


def _guideline(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    society = rng.choice(vocab.SOCIETIES)
    route = f"{v['route']} " if s.routes else ""
    title = rng.choice((
        f"Clinical practice guideline for the use of {route}{v['drugs']} in {v['cond_t']}",
        f"{society} consensus recommendations on {route}{v['drugs']} for {v['cond_t']}"))
    k = rng.randint(8, 24)
    parts = {
        "objective": f"To provide evidence-based recommendations on the use of {route}{v['drugs']} "
                     f"for {v['cond']}.",
        "methods": f"A multidisciplinary task force of the {society} reviewed systematic reviews "
                   "and randomized trials published up to "
                   f"{s.ref_year - 1} and rated the certainty of evidence "
                   "with the GRADE approach.",
        "results": f"The task force issued {k} recommendations. {cap(route + v['drugs'])} "
                   f"{'are' if len(s.drugs) > 1 else 'is'} recommended as a third-line option for {v['cond']} after adequate trials "
                   "of first-line treatments. Treatment should be delivered in settings able to "
                   "monitor blood pressure and dissociative effects for at least 2 hours.",
        "conclusions": f"{cap(route)}{v['drugs']} can be offered to selected patients with "
                       f"{v['cond']} within a structured treatment program.",
    }
    return title, parts


_PRECLINICAL_BEHAVIOUR = {
    "depression": ("depression-like behaviors", "antidepressant-like"),
    "trd": ("depression-like behaviors in a model of treatment-resistant depression",
            "antidepressant-like"),
    "ptsd": ("fear memory and PTSD-like behaviors", "anti-PTSD-like"),
    "ocd": ("compulsive-like behavior in a model of obsessive-compulsive disorder", "anticompulsive"),
    "substance-use": ("alcohol-seeking in a model of alcohol use disorder", "anti-relapse"),
    "chronic-pain": ("mechanical allodynia in a model of chronic neuropathic pain", "analgesic"),
    "anxiety": ("anxiety-like behavior", "anxiolytic-like"),
    "other": ("weight loss and hyperactivity in a model of anorexia nervosa", "protective"),
}


def _preclinical(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    species_long, _species = s.species or vocab.SPECIES[0]
    behaviour, effect_kind = _PRECLINICAL_BEHAVIOUR.get(s.cond.key, _PRECLINICAL_BEHAVIOUR["depression"])
    model = s.cond.model or "chronic social defeat stress (CSDS)"
    mech, finding, regions = rng.choice(vocab.MECHANISMS)
    region = rng.choice(regions) if regions else ""
    title = rng.choice((
        f"{v['Drugx']} ameliorates {behaviour} in {species_long} via {mech}",
        f"Sustained {effect_kind} effects of {v['drugx']} in {species_long}: role of {mech}"
        + (f" in the {region}" if region else ""),
        f"{v['Drugx']} reverses {behaviour} through {mech}",
    ))
    dose = rng.choice(("10", "10", "20", "5"))
    group = f" (n = {rng.randint(6, 12)} per group)" if rng.random() < 0.3 else ""
    text = [
        f"{v['First']} produces rapid and sustained {effect_kind} effects in rodents, but the "
        "underlying mechanisms remain unclear." if s.cond.key in ("depression", "trd") else
        f"{v['Cond']} lacks effective pharmacotherapies, and N-methyl-D-aspartate receptor "
        "antagonists have shown promise in preclinical models.",
        f"Here we examined whether {v['drug']} attenuates {behaviour} in {species_long}{group} "
        f"exposed to {model}.",
        f"A single intraperitoneal injection of {v['drug']} ({dose} mg/kg) reversed these "
        "behavioral deficits for up to 7 days.",
        f"{v['Drug']} also {finding.format(region=region)}, and pharmacological blockade of this "
        "pathway abolished its effects.",
        f"These findings suggest that {mech}" + (f" in the {region}" if region else "") +
        f" contributes to the {effect_kind} effects of {v['drug']}.",
    ]
    if s.style == "plain":
        return title, {"plain": " ".join(text)}
    parts = {"background": text[0], "methods": text[1], "results": " ".join(text[2:4]),
             "conclusions": text[4]}
    return title, parts


def _editorial(s: WorldStudy, v: dict[str, str], rng: random.Random) -> tuple[str, Parts]:
    title = rng.choice((f"{v['Drugx']} for {v['cond_t']}: hope, hype, or both?",
                        f"The promise and pitfalls of {v['drugx']} in {v['cond_t']}",
                        f"Rapid-acting treatment for {v['cond_t']}: what comes after {v['drugx']}?",
                        f"Making {v['drugx']} accessible for {v['cond_t']}"))
    if rng.random() < 0.8:
        return title, {}
    return title, {"plain": f"Recent trials of {v['drug']} in {v['cond']} raise practical "
                            "questions about patient selection, maintenance treatment and access. "
                            "We discuss what the new evidence means for clinicians."}


COMPOSERS = {
    "rct": _rct, "clinical-trial": _clinical_trial, "observational": _observational,
    "meta-analysis": lambda s, v, r: _synthesis(s, v, r, True),
    "systematic-review": lambda s, v, r: _synthesis(s, v, r, False),
    "case-report": _case_report, "review": _review, "guideline": _guideline,
    "preclinical": _preclinical, "editorial": _editorial,
}


def _sections(s: WorldStudy, parts: Parts, rng: random.Random,
              registration: str | None) -> list[tuple[str | None, str | None, str]]:
    """Lay out abstract parts in the study's style (NLM labels, JAMA labels, or plain)."""
    if not parts:
        return []
    if "plain" in parts:
        return [(None, None, parts["plain"])]
    order = [k for k in ("background", "objective", "methods", "case", "results", "conclusions")
             if k in parts]
    if s.style == "plain":
        text = " ".join(parts[k] for k in order)
        if registration:
            text += f" Trial registration: {registration}."
        return [(None, None, text)]
    out: list[tuple[str | None, str | None, str]] = []
    if s.style == "jama":
        for k in order:
            out.append((JAMA_LABELS[k], None, parts[k]))
        if registration:
            out.append(("TRIAL REGISTRATION", None, f"ClinicalTrials.gov Identifier: {registration}."))
        return out
    if "objective" in order and rng.random() < 0.5:
        order.remove("objective")
    for k in order:
        label, cat = rng.choice(LABELS[k])
        out.append((label, cat, parts[k]))
    if registration:
        out.append(("TRIAL REGISTRATION", None, rng.choice((
            f"ClinicalTrials.gov identifier: {registration}.",
            f"ClinicalTrials.gov, {registration}.",
            f"This trial was registered at ClinicalTrials.gov ({registration})."))))
    return out


def compose(s: WorldStudy, rng: random.Random) -> None:
    """Write the title, abstract sections and keywords of an article or preprint."""
    v = values(s, rng)
    title, parts = COMPOSERS[s.design](s, v, rng)
    title = cap(title).rstrip(".")
    s.title = title if title.endswith("?") else title + "."
    registration = s.trial.nct if (s.trial and s.nct_in_abstract) else None
    s.sections = _sections(s, parts, rng, registration)
    keywords = [s.drug, s.cond.phrase]
    keywords += rng.sample(vocab.KEYWORDS_COMMON, 2)
    if s.design in ("rct", "meta-analysis", "systematic-review"):
        keywords.append({"rct": "randomized controlled trial", "meta-analysis": "meta-analysis",
                         "systematic-review": "systematic review"}[s.design])
    s.keywords = keywords


def compose_notice(s: WorldStudy, target: WorldStudy, rng: random.Random) -> None:
    """Title and text of an erratum or retraction notice about ``target``."""
    orig = target.title.rstrip(".")
    if s.kind == "erratum":
        s.title = rng.choice((f"Correction to: {orig}.", f"Erratum: {orig}.",
                              f"Correction to \"{orig}\".", "Correction."))
        s.sections = ([(None, None, f"[This corrects the article DOI: {target.doi}.]")]
                      if rng.random() < 0.5 else [])
        return
    journal = target.journal
    year = target.pub_date.year if target.pub_date else ""
    s.title = rng.choice((
        f"Retraction notice to \"{orig}\" [{journal.iso if journal else ''} {year};"
        f"{target.volume or ''}:{target.pages or ''}].",
        f"Retraction Note: {orig}.", f"Retraction: {orig}.", f"Notice of Retraction: {orig}."))
    reason = rng.choice((
        "concerns were raised about the integrity of the data reported in the results tables, "
        "and the authors were unable to provide the original data",
        "an investigation found that a substantial part of the participant data could not be "
        "verified",
        "the authors identified an error in the randomization code that invalidates the main "
        "findings"))
    s.sections = [(None, None, "This article has been retracted at the request of the "
                   f"Editor-in-Chief. After publication, {reason}. The Editor-in-Chief therefore "
                   "no longer has confidence in the conclusions of the article.")]


def plain_abstract(s: WorldStudy, labelled: bool = True) -> str:
    """The abstract as plain text, sections introduced by 'Label: ' when asked."""
    chunks = []
    for label, _cat, text in s.sections:
        text = strip_tags(text)
        chunks.append(f"{label.capitalize()}: {text}" if (label and labelled) else text)
    return " ".join(chunks)


def title_case(text: str) -> str:
    """Title Case as registries and preprint servers write titles (small words stay lower)."""
    small = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with",
             "versus", "vs"}
    words = text.split(" ")
    out = []
    for i, w in enumerate(words):
        if i and w.lower() in small:
            out.append(w.lower())
        elif w[:1].islower():
            out.append(w[:1].upper() + w[1:])
        else:
            out.append(w)
    return " ".join(out)
