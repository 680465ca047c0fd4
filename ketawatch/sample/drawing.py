"""Drawing the sample world: study facts, cross-source overlap, identifiers and texts.

All randomness of the generator lives here and in ``prose``; one ``random.Random`` is passed
along in a fixed order, so a (size, seed, end_date) triple always gives the same world.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from ketawatch.sample import identifiers, noise, prose, trials, vocab
from ketawatch.sample.vocab import Condition, Journal
from ketawatch.sample.world import (
    HUMAN_DESIGNS,
    MEDRXIV_START,
    PPR,
    PREPRINT_DESIGNS,
    Author,
    Preprint,
    Update,
    World,
    WorldStudy,
    clamp,
    make_authors,
    weighted,
)

SYNTHESIS = ("meta-analysis", "systematic-review", "review", "guideline")
CLINICAL = ("rct", "clinical-trial", "observational", "case-report", "meta-analysis",
            "systematic-review")
_OTHER_CONDITION_OK = {"trd": ("suicidal-ideation",), "depression": ("anxiety",),
                       "ptsd": ("depression",), "chronic-pain": ("depression",),
                       "substance-use": ("depression",), "bipolar-depression": ("suicidal-ideation",)}


# ---------------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------------


def draw_edat(rng: random.Random, end: date) -> date:
    """When PubMed first listed an article: most in the last three years, some in the last weeks."""
    roll = rng.random()
    if roll < 0.08:
        return end - timedelta(days=rng.randint(0, 27))
    if roll < 0.75:
        return end - timedelta(days=rng.randint(0, 3 * 365))
    last = end.year - 3
    years = list(range(2000, last + 1))
    year = rng.choices(years, weights=[(y - 1999) ** 1.5 for y in years])[0]
    return date(year, 1, 1) + timedelta(days=rng.randint(0, 364))


# ---------------------------------------------------------------------------------------------
# one study's facts
# ---------------------------------------------------------------------------------------------


def _pick_condition(rng: random.Random, key: str, design: str, drug: str) -> Condition:
    variants = list(vocab.CONDITIONS_BY_KEY[key])
    if design == "preclinical":
        variants = [c for c in variants if c.model]
    else:
        # prevention of perioperative conditions is studied in trials, cohorts and syntheses
        if design not in ("rct", "observational", "meta-analysis", "systematic-review"):
            variants = [c for c in variants if c.setting not in ("perioperative",)] or variants
        if drug == "arketamine":
            variants = [c for c in variants if c.setting not in ("perioperative", "emergency")] or variants
    if key == "other" and drug == "esketamine":
        variants = [c for c in variants if c.phrase == "postoperative delirium"] or variants
    return rng.choice(variants)


def _sample_size(rng: random.Random, design: str, setting: str) -> int | None:
    if design == "rct":
        if setting == "perioperative":
            return rng.randint(90, 420)
        roll = rng.random()
        return rng.randint(20, 60) if roll < 0.4 else rng.randint(60, 200) if roll < 0.8 else rng.randint(200, 700)
    if design == "clinical-trial":
        return rng.randint(8, 80)
    if design == "observational":
        if setting in ("psychiatric", "addiction") and rng.random() < 0.3:
            return rng.randint(1000, 48000)
        return rng.randint(30, 500)
    if design == "meta-analysis":
        return rng.randint(300, 6500)
    if design == "systematic-review":
        return rng.randint(200, 5000) if rng.random() < 0.7 else None
    if design == "case-report":
        return 1 if rng.random() < 0.88 else rng.randint(3, 6)
    return None


def journal_for(rng: random.Random, s: WorldStudy) -> Journal:
    """A journal that publishes studies of this design and setting."""
    kinds: tuple[str, ...] = vocab.JOURNAL_KINDS_BY_DESIGN.get(s.design, ("psychiatry",))
    setting = s.cond.setting
    if s.design in HUMAN_DESIGNS or s.design in ("meta-analysis", "systematic-review"):
        if setting == "perioperative":
            kinds = ("perioperative",)
        elif setting == "pain" and rng.random() < 0.7:
            kinds = ("pain",)
        elif setting == "addiction" and rng.random() < 0.7:
            kinds = ("substance",)
        elif s.cond.key == "bipolar-depression" and rng.random() < 0.3:
            kinds = ("bipolar",)
    if (s.design in ("rct", "observational", "clinical-trial", "review")
            and s.cond.key in ("trd", "depression", "suicidal-ideation")
            and s.drug != "arketamine" and setting == "psychiatric" and rng.random() < 0.04):
        kinds = ("foreign",)
    pool = [j for j in vocab.JOURNALS if set(j.kinds) & set(kinds)]
    return rng.choice(pool)


def _routes(rng: random.Random, s: WorldStudy, forced: str | None) -> list[str]:
    if s.design in ("preclinical", "editorial") or (s.design == "systematic-review" and s.human is False):
        return []
    weights = vocab.ROUTE_WEIGHTS[s.drug]
    if forced:
        return [forced]
    if s.design in HUMAN_DESIGNS:
        if s.cond.setting == "perioperative":
            return ["iv"]
        if s.cond.phrase == "acute agitation" and s.drug == "ketamine":
            return ["im"] if rng.random() < 0.7 else ["iv"]
        return [weighted(rng, weights)]
    if s.cond.setting == "perioperative":
        return ["iv"] if rng.random() < 0.6 else []
    roll = rng.random()
    none_share = {"guideline": 0.5}.get(s.design, 0.42)
    if roll < none_share:
        return []
    first = weighted(rng, weights)
    if s.design != "guideline" and roll > 0.82 and len(weights) > 1:
        second = weighted(rng, {k: w for k, w in weights.items() if k != first})
        return [first, second]
    return [first]


def draw_study(rng: random.Random, sid: str, end: date, spec: dict[str, str],
               kind: str = "article", edat: date | None = None) -> WorldStudy:
    """The facts of one study (not yet its identifiers, other sources, or texts)."""
    drug = spec.get("drug") or weighted(rng, vocab.DRUG_WEIGHTS)
    design = spec.get("design")
    cond_key = spec.get("condition")
    route = spec.get("route")
    if route and route not in vocab.ROUTE_WEIGHTS[drug]:
        drug = "ketamine"
    if route and design not in HUMAN_DESIGNS:
        design = rng.choice(HUMAN_DESIGNS)
    if design and design not in vocab.DESIGN_WEIGHTS[drug]:
        drug = "ketamine"
    if cond_key and cond_key not in vocab.CONDITION_WEIGHTS[drug]:
        drug = "ketamine"
    if kind == "preprint":
        design = design or rng.choice(PREPRINT_DESIGNS[:3])
        if drug == "arketamine":
            drug = "ketamine"
    design = design or weighted(rng, vocab.DESIGN_WEIGHTS[drug])
    cond_key = cond_key or weighted(rng, vocab.CONDITION_WEIGHTS[drug])
    if design == "preclinical" and not any(c.model for c in vocab.CONDITIONS_BY_KEY[cond_key]):
        design = rng.choice(("rct", "observational", "review"))
    s = WorldStudy(sid=sid, kind=kind, drugs=[drug], design=design)
    s.conds = [_pick_condition(rng, cond_key, design, drug)]
    if route and s.cond.setting == "perioperative":
        # a forced route other than IV does not fit a perioperative study
        s.conds = [next(c for c in vocab.CONDITIONS_BY_KEY[cond_key] if c.setting != "perioperative")
                   if any(c.setting != "perioperative" for c in vocab.CONDITIONS_BY_KEY[cond_key])
                   else s.cond]
    if design == "preclinical" or (design == "systematic-review" and drug == "arketamine"):
        s.human = False
    # a second drug for syntheses, a second condition for some clinical studies
    if design in SYNTHESIS and rng.random() < 0.25 and s.human is not False:
        other = {"ketamine": "esketamine", "esketamine": "ketamine", "arketamine": "ketamine"}[drug]
        s.drugs = [drug, other]
    if (s.cond.setting == "psychiatric" or s.cond.setting in ("pain", "addiction")) \
            and design not in ("preclinical", "editorial") and rng.random() < 0.18:
        options = _OTHER_CONDITION_OK.get(cond_key, ())
        if options:
            key2 = rng.choice(options)
            variants = [c for c in vocab.CONDITIONS_BY_KEY[key2] if c.setting in ("psychiatric", "emergency")
                        and c.phrase not in ("depression",)]
            variants = [c for c in variants if c.setting == "psychiatric"] or variants
            s.conds.append(rng.choice(variants))
    s.routes = _routes(rng, s, route)
    s.population = rng.choice(s.cond.population)
    s.sample_size = _sample_size(rng, design, s.cond.setting) if s.human is not False else None
    city, _region, country = rng.choice(vocab.PLACES)
    s.country = {"USA": "the United States", "UK": "the United Kingdom"}.get(country, country)
    if design == "preclinical":
        s.species = rng.choice(vocab.SPECIES)
    if design in HUMAN_DESIGNS and s.routes:
        s.dose = rng.choice(vocab.DOSES[(drug, s.routes[0])])
        if s.cond.phrase == "acute agitation" and s.routes == ["im"]:
            s.dose = "4 mg/kg"  # a sedating dose, not an antidepressant one
    if design == "rct":
        if s.cond.setting == "perioperative":
            s.comparator = vocab.COMPARATORS["perioperative"][0]
        elif s.routes == ["intranasal"]:
            s.comparator = vocab.COMPARATORS["intranasal"][0]
        elif rng.random() < 0.15 and s.cond.key in ("trd", "depression"):
            s.comparator = rng.choice(vocab.COMPARATORS["active"])
        else:
            s.comparator = rng.choice(vocab.COMPARATORS["default"])
    if kind in ("registration", "preprint"):
        s.style = "plain" if rng.random() < 0.15 else "nlm"
        return s
    s.edat = edat or draw_edat(rng, end)
    # esketamine and arketamine studies of mood disorders, and perioperative prevention trials,
    # are a literature of the last decade: keep them out of the early 2000s
    earliest = 2019 if s.cond.setting == "perioperative" else 2015 if drug != "ketamine" else 2000
    if edat is None and s.edat.year < earliest:
        s.edat = end - timedelta(days=rng.randint(0, 3 * 365))
    s.edat_time = (rng.randint(0, 23), rng.randint(0, 59))
    s.journal = journal_for(rng, s)
    s.language = s.journal.language
    if s.journal.slug == "jamapsychiatry" and design not in ("review", "editorial", "preclinical"):
        s.style = "jama"
    elif design == "preclinical":
        s.style = "plain" if rng.random() < 0.5 else "nlm"
    else:
        s.style = "plain" if rng.random() < 0.15 else "nlm"
    return s


# ---------------------------------------------------------------------------------------------
# publication details of a PubMed article
# ---------------------------------------------------------------------------------------------


def publish(rng: random.Random, s: WorldStudy, end: date) -> None:
    """Issue date, volume, pages, indexing status and history dates of a PubMed article."""
    j = s.journal
    assert j is not None and s.edat is not None
    age = (end - s.edat).days
    if not j.medline:
        s.status, s.has_mesh = "PubMed-not-MEDLINE", False
    elif age < 10 and rng.random() < 0.5:
        s.status, s.has_mesh = "Publisher", False
    elif age < 75:
        s.status, s.has_mesh = rng.choice(("In-Process", "In-Data-Review")), False
    else:
        s.status, s.has_mesh = "MEDLINE", True
    s.received = s.edat - timedelta(days=rng.randint(60, 300))
    s.accepted = s.edat - timedelta(days=rng.randint(5, 45))
    if s.status == "Publisher":
        s.pub_date, s.date_style = s.edat, "ymd"
        return
    if j.electronic_only:
        s.pub_date, s.date_style = s.edat, "ymd"
        s.volume = str(max(1, s.edat.year - 2009))
        s.pages = str(rng.randint(1_000_000, 1_600_000)) if j.slug == "fpsyt" else str(rng.randint(100, 999))
        return
    lag = rng.randint(0, 80)
    pub = s.edat + timedelta(days=lag)
    if pub.year > end.year:
        pub = date(end.year, 12, 1)
    s.pub_date = pub
    roll = rng.random()
    s.date_style = "ym" if roll < 0.8 else "ymd" if roll < 0.92 else "medline" if roll < 0.97 else "y"
    # volumes grow by one a year from a per-journal offset
    s.volume = str(max(1, pub.year - 1990 + sum(map(ord, j.slug)) % 60))
    s.issue = str(pub.month if rng.random() < 0.8 else rng.randint(1, 24))
    start = rng.randint(1, 1800)
    s.pages = f"{start}-{start + rng.randint(5, 14)}"


def pubtypes_for(rng: random.Random, s: WorldStudy) -> list[str]:
    """PublicationTypeList: full for indexed records, often just 'Journal Article' before."""
    d = s.design
    year = s.edat.year if s.edat else 2024
    if s.kind == "erratum":
        return ["Published Erratum"]
    if s.kind == "retraction-notice":
        return ["Retraction of Publication"]
    if not s.has_mesh and s.status != "PubMed-not-MEDLINE" and rng.random() < 0.7:
        return ["Journal Article"]
    types = {"rct": ["Journal Article", "Randomized Controlled Trial"],
             "clinical-trial": ["Journal Article", rng.choice(("Clinical Trial", "Clinical Trial, Phase II",
                                                                "Clinical Trial, Phase I"))],
             "observational": ["Journal Article"] + (["Observational Study"] if year >= 2014 else []),
             "meta-analysis": ["Journal Article", "Meta-Analysis"] + (
                 ["Systematic Review"] if year >= 2019 else ["Review"]),
             "systematic-review": ["Journal Article"] + (["Systematic Review"] if year >= 2019 else ["Review"]),
             "case-report": ["Case Reports", "Journal Article"],
             "review": ["Journal Article", "Review"],
             "guideline": ["Journal Article", "Practice Guideline"] + (["Guideline"] if rng.random() < 0.3 else []),
             "preclinical": ["Journal Article"],
             "editorial": ["Editorial"] + (["Comment"] if s.comment_on else []),
             }[d]
    if d == "rct" and rng.random() < 0.3:
        types.append("Multicenter Study")
    if d == "rct" and rng.random() < 0.3:
        types.append(rng.choice(("Clinical Trial, Phase II", "Clinical Trial, Phase III")))
    if d not in ("editorial",) and rng.random() < 0.35:
        types.append("Research Support, Non-U.S. Gov't")
    if s.grants:
        types.append("Research Support, N.I.H., Extramural")
    if s.language != "eng":
        types.append("English Abstract")
    return sorted(dict.fromkeys(types))


def _author_count(rng: random.Random, design: str) -> int:
    lo, hi = {"rct": (5, 14), "clinical-trial": (4, 10), "observational": (4, 9),
              "meta-analysis": (4, 8), "systematic-review": (3, 7), "case-report": (2, 4),
              "review": (2, 5), "guideline": (3, 8), "preclinical": (5, 10),
              "editorial": (1, 2)}.get(design, (2, 5))
    return rng.randint(lo, hi)


def people(rng: random.Random, s: WorldStudy) -> None:
    """Authors and grants."""
    if s.kind in ("erratum", "retraction-notice"):
        s.authors = []
        return
    collective = None
    if s.design == "guideline":
        collective = f"{rng.choice(vocab.SOCIETIES)} Task Force"
    elif s.design == "rct" and rng.random() < 0.06:
        collective = rng.choice(vocab.COLLECTIVES)
    s.authors = make_authors(rng, _author_count(rng, s.design), collective)
    if s.design == "guideline" and rng.random() < 0.3:
        s.authors = [Author(collective=collective)]
    us_based = bool(s.authors) and "USA" in s.authors[0].affiliation
    if (us_based or rng.random() < 0.1) and rng.random() < 0.35:
        acr, agency = rng.choice(vocab.GRANT_AGENCIES)
        s.grants = [(f"R01 {acr}{rng.randint(100000, 139999)}", acr, agency)]


# ---------------------------------------------------------------------------------------------
# the whole world
# ---------------------------------------------------------------------------------------------


def _plan(size: int) -> dict[str, int]:
    big = size >= 20

    def share(x: float) -> int:
        n = round(size * x)
        return max(1, n) if big else n

    plan = {"registration": share(0.05), "preprint-medrxiv": share(0.025),
            "preprint-ppr": share(0.015), "erratum": share(0.03), "retraction-notice": share(0.01)}
    plan["article"] = max(0, size - sum(plan.values()))
    return plan


def _forced_specs() -> list[dict[str, str]]:
    """Specs that make every value of the vocabulary appear in a corpus of a few dozen studies."""
    specs: list[dict[str, str]] = [{"drug": "arketamine"}, {"drug": "esketamine"}]
    for d in ("meta-analysis", "systematic-review", "rct", "clinical-trial", "observational",
              "case-report", "review", "guideline", "preclinical", "editorial"):
        specs.append({"design": d})
    for c in ("depression", "trd", "bipolar-depression", "ptsd", "ocd", "suicidal-ideation",
              "anxiety", "substance-use", "chronic-pain", "other"):
        specs.append({"condition": c})
    for r in ("iv", "intranasal", "oral", "im", "sublingual", "subcutaneous"):
        specs.append({"route": r})
    return specs


def draw_world(size: int, seed: int, end: date) -> World:
    """Draw ``size`` underlying studies and everything every source says about them."""
    rng = random.Random(seed)
    world = World(seed=seed, size=size, end_date=end)
    plan = _plan(size)
    forced = _forced_specs()
    articles: list[WorldStudy] = []
    for i in range(plan["article"]):
        spec = forced[i] if i < len(forced) else {}
        articles.append(draw_study(rng, world.new_sid(), end, spec))
    registrations = [draw_study(rng, world.new_sid(), end,
                                {"design": rng.choice(("rct", "rct", "clinical-trial"))},
                                kind="registration")
                     for _ in range(plan["registration"])]
    pre_medrxiv = [draw_study(rng, world.new_sid(), end, {}, kind="preprint")
                   for _ in range(plan["preprint-medrxiv"])]
    pre_ppr = [draw_study(rng, world.new_sid(), end, {}, kind="preprint")
               for _ in range(plan["preprint-ppr"])]
    for s in articles:
        publish(rng, s, end)
    # notices need targets that exist before them
    notices: list[WorldStudy] = []
    eligible = [s for s in articles if s.edat and s.edat <= end - timedelta(days=150)
                and s.design not in ("editorial",)]
    retract_targets = [s for s in eligible if s.design in ("rct", "clinical-trial", "observational",
                                                           "meta-analysis", "preclinical")]
    rng.shuffle(retract_targets)
    n_crossref_only = (max(1, round(size * 0.004)) if size >= 50 else 0)
    for i, target in enumerate(retract_targets[: plan["retraction-notice"]]):
        notices.append(_notice(rng, world, target, "retraction-notice", end, everywhere=i == 0))
    for target in retract_targets[plan["retraction-notice"]: plan["retraction-notice"] + n_crossref_only]:
        target.updates.append(Update("retraction", end - timedelta(days=rng.randint(1, 45)),
                                     known_to={"crossref"}))
    erratum_targets = [s for s in eligible if not s.updates]
    rng.shuffle(erratum_targets)
    for i, target in enumerate(erratum_targets[: plan["erratum"]]):
        notices.append(_notice(rng, world, target, "erratum", end, everywhere=i == 0))
    if size >= 100:
        spare = [s for s in erratum_targets[plan["erratum"]:] if not s.updates]
        if len(spare) >= 2:
            spare[0].updates.append(Update("correction", end - timedelta(days=rng.randint(5, 90)),
                                           known_to={"crossref"}))
            spare[1].updates.append(Update("expression_of_concern",
                                           end - timedelta(days=rng.randint(5, 90)),
                                           known_to={"crossref"}))
    world.studies = articles + registrations + pre_medrxiv + pre_ppr + notices
    _overlap(rng, world, articles, registrations, pre_medrxiv, pre_ppr, end)
    _editorial_links(rng, articles)
    for s in articles + pre_medrxiv + pre_ppr:
        people(rng, s)
    identifiers.assign_ids(rng, world)
    for s in articles + pre_medrxiv + pre_ppr:
        prose.compose(s, rng)
    for s in world.studies:
        if s.trial:
            trials.compose_registration(s, rng)
        if s.preprint:
            _preprint_text(rng, s)
    by_sid = world.by_sid()
    for s in notices:
        prose.compose_notice(s, by_sid[s.notice_for or ""], rng)
    for s in articles + notices:
        s.pubtypes = pubtypes_for(rng, s)
    _references(rng, articles)
    world.noise = noise.draw_noise(rng, world, end)
    return world


def _notice(rng: random.Random, world: World, target: WorldStudy, kind: str, end: date,
            everywhere: bool = False) -> WorldStudy:
    """A PubMed erratum or retraction notice about ``target``, and the update it records.

    Every source that can know of it does when ``everywhere`` is set (the first notice of each
    kind), so that even a small corpus shows a retraction in PubMed, Europe PMC and Crossref."""
    assert target.edat is not None
    delay = rng.randint(20, 200) if kind == "erratum" else rng.randint(120, 700)
    edat = clamp(target.edat + timedelta(days=delay), target.edat + timedelta(days=14),
                 end - timedelta(days=1))
    n = WorldStudy(sid=world.new_sid(), kind=kind, drugs=list(target.drugs),
                   conds=list(target.conds), design="erratum" if kind == "erratum" else "other",
                   human=None)
    n.edat = edat
    n.edat_time = (rng.randint(0, 23), rng.randint(0, 59))
    n.journal = target.journal
    n.language = "eng"
    n.notice_for = target.sid
    publish(rng, n, end)
    n.pages = n.pages.split("-")[0] if n.pages else n.pages
    n.has_mesh = False
    if n.status == "MEDLINE":
        n.status = "PubMed-not-MEDLINE"
    kind_name = "correction" if kind == "erratum" else "retraction"
    known = {"pubmed"}
    if everywhere or rng.random() < (0.5 if kind == "erratum" else 0.85):
        known.add("crossref")
    if kind != "erratum" and (everywhere or rng.random() < 0.8):
        known.add("europepmc")
        target.epmc_med = True
    target.updates.append(Update(kind_name, edat, notice_sid=n.sid, known_to=known))
    return n


def _overlap(rng: random.Random, world: World, articles: list[WorldStudy],
             registrations: list[WorldStudy], pre_medrxiv: list[WorldStudy],
             pre_ppr: list[WorldStudy], end: date) -> None:
    """Which studies also appear as a medRxiv preprint, a registration, Europe PMC records."""
    size = world.size
    # medRxiv preprints of published articles
    eligible = [s for s in articles if s.design in PREPRINT_DESIGNS and s.human
                and s.language == "eng" and s.edat and s.edat >= MEDRXIV_START + timedelta(days=150)]
    chosen = rng.sample(eligible, min(len(eligible), round(size * 0.12)))
    for s in chosen:
        assert s.edat is not None
        v1 = clamp(s.edat - timedelta(days=rng.randint(60, 420)), MEDRXIV_START, s.edat - timedelta(days=30))
        s.preprint = _draw_preprint(rng, s, v1, s.edat - timedelta(days=7))
    for s in pre_medrxiv:
        v1 = end - timedelta(days=rng.randint(3, 700))
        s.preprint = _draw_preprint(rng, s, v1, end)
    # registrations cited by published trials
    eligible = [s for s in articles if s.design in ("rct", "clinical-trial") and s.edat
                and s.edat.year >= 2008 and s.routes]
    chosen = rng.sample(eligible, min(len(eligible), round(size * 0.08)))
    for s in chosen:
        s.trial = trials.linked_trial(rng, s, end)
        roll = rng.random()
        s.nct_in_databank = roll < 0.75
        s.nct_in_abstract = roll > 0.4 or not s.nct_in_databank
    for s in pre_medrxiv:
        if s.design in ("rct", "clinical-trial") and s.routes and rng.random() < 0.5:
            s.trial = trials.linked_trial(rng, s, end, preprint_only=True)
            s.nct_in_abstract = True
    for i, s in enumerate(registrations):
        if not s.routes:
            s.routes = [weighted(rng, vocab.ROUTE_WEIGHTS[s.drug])]
            s.dose = rng.choice(vocab.DOSES[(s.drug, s.routes[0])])
        s.design = "trial-registration"
        s.trial = trials.open_trial(rng, s, end, i)
        s.sample_size = s.trial.enrollment if s.trial.status != "WITHDRAWN" else None
    # Europe PMC: copies of PubMed articles, preprints from other servers, mirrored medRxiv
    for s in articles:
        if rng.random() < 0.12:
            s.epmc_med = True
    for s in pre_ppr:
        server, _pattern = rng.choice(vocab.PPR_SERVERS)
        s.ppr = PPR(server=server, day=end - timedelta(days=rng.randint(2, 3 * 365)),
                    version=rng.choice((1, 1, 1, 2)))
        s.edat = None
    first = True
    for s in world.studies:
        if s.preprint and (first or rng.random() < 0.3):
            s.preprint.mirrored_in_epmc = True
            first = False


def _draw_preprint(rng: random.Random, s: WorldStudy, v1: date, last: date) -> Preprint:
    n_versions = rng.choices((1, 2, 3), weights=(55, 30, 15))[0]
    dates = [v1]
    for _ in range(n_versions - 1):
        nxt = dates[-1] + timedelta(days=rng.randint(14, 120))
        if nxt >= last:
            break
        dates.append(nxt)
    funder: object = "NA"
    if rng.random() < 0.3:
        funder = [{"name": rng.choice(("Wellcome Trust", "National Institutes of Health",
                                       "Canadian Institutes of Health Research",
                                       "National Natural Science Foundation of China")),
                   "id": "NA", "id-type": "NA", "award": "NA"}]
    return Preprint(dates=dates,
                    category=vocab.MEDRXIV_CATEGORIES.get(s.cond.setting, "psychiatry and clinical psychology"),
                    license=rng.choice(vocab.MEDRXIV_LICENSES),
                    type="PUBLISHAHEADOFPRINT" if rng.random() < 0.7 else "new results",
                    funder=funder)


def _editorial_links(rng: random.Random, articles: list[WorldStudy]) -> None:
    """Editorials comment on an earlier trial or meta-analysis of the same drug when there is one."""
    candidates = sorted((s for s in articles if s.design in ("rct", "meta-analysis") and s.edat
                         and s.cond.setting == "psychiatric"),
                        key=lambda s: s.edat or date.min)
    for s in articles:
        if s.design != "editorial" or not s.edat or rng.random() < 0.4:
            continue
        earlier = [c for c in candidates[-200:] if c.edat and c.edat < s.edat and c.drug == s.drug]
        if earlier:
            target = rng.choice(earlier[-20:])
            s.comment_on = target.sid
            s.conds = list(target.conds[:1])
            target.comments_in.append(s.sid)


def _references(rng: random.Random, articles: list[WorldStudy]) -> None:
    """A few articles cite earlier sample articles (their ReferenceList carries other ids)."""
    ordered = sorted((s for s in articles if s.edat and s.pmid), key=lambda s: (s.edat, s.sid))
    for i, s in enumerate(ordered):
        if i < 3 or rng.random() > 0.15:
            continue
        s.references = [ordered[rng.randrange(0, i)].sid for _ in range(rng.randint(2, 5))]
        s.references = list(dict.fromkeys(s.references))


def _preprint_text(rng: random.Random, s: WorldStudy) -> None:
    """The preprint's own title (often the journal title, sometimes worded differently)."""
    p = s.preprint
    assert p is not None
    title = prose.strip_tags(s.title).rstrip(".")
    roll = rng.random()
    if roll < 0.25:
        title = prose.title_case(title)
    elif roll < 0.4 and ":" in title:
        title = title.split(":")[0] + ": preliminary results"
    p.title = title
    abstract = prose.plain_abstract(s, labelled=rng.random() < 0.6)
    p.abstracts = [abstract for _ in p.dates]


