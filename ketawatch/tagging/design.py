"""The design tag: one value, the strongest that applies to *this* study.

Publication types (PubMed, Europe PMC) are curated and come first; title and abstract text are
read where they say nothing specific (new PubMed records, preprints). Text cues count only in
sentences about this study, so a review that cites randomized trials stays a review.

Decisions:

* a study protocol of a trial is ``clinical-trial``, never ``rct``: it reports no randomized
  results, and the RCT badge promises evidence; a protocol of a review is ``other``;
* a post hoc or secondary analysis of randomized trials is ``rct`` (randomized evidence);
* notices are not studies: an erratum notice is ``erratum``; a retraction notice and an
  expression-of-concern notice are ``other`` (they are not opinion pieces, so not
  ``editorial``); the retracted article itself keeps its design and gets the retracted flag;
* Comment, Letter, Editorial and News are ``editorial``, unless the text is a case report;
* a case series of ten patients or fewer is ``case-report``, a larger one ``observational``;
* an animal or in-vitro study is ``preclinical`` unless it is a review or meta-analysis of them;
* a registration (source ``clinicaltrials``) is always ``trial-registration``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ketawatch.tagging.text import Cue, Document
from ketawatch.vocabulary import strongest_design

_I = re.IGNORECASE


@lru_cache(maxsize=4096)
def _norm(value: str) -> str:
    # cached: a record's few publication types are normalized by three rules, and the same
    # few dozen types come back record after record
    return re.sub(r"[\s_-]+", " ", value.lower()).strip()


_PUBTYPES = {
    "meta-analysis": ("meta-analysis", "network meta-analysis", "meta analysis"),
    "systematic-review": ("systematic review", "systematic-review"),
    "rct": ("randomized controlled trial",),
    "clinical-trial": ("clinical trial", "clinical trial, phase i", "clinical trial, phase ii",
                       "clinical trial, phase iii", "clinical trial, phase iv",
                       "controlled clinical trial", "pragmatic clinical trial",
                       "equivalence trial", "adaptive clinical trial",
                       "clinical trial protocol", "clinical-trial"),
    "observational": ("observational study", "twin study", "multicenter observational study"),
    "case-report": ("case reports", "case report", "case-report"),
    "review": ("review", "scoping review", "review-article", "narrative review"),
    "guideline": ("guideline", "practice guideline", "consensus development conference",
                  "consensus development conference, nih", "consensus statement"),
    "preclinical": ("clinical trial, veterinary", "observational study, veterinary",
                    "randomized controlled trial, veterinary"),
    "editorial": ("editorial", "comment", "letter", "news", "newspaper article", "interview",
                  "editorial-article", "commentary"),
}
PUBTYPE_DESIGN = {_norm(p): design for design, names in _PUBTYPES.items() for p in names}
#: publication types of notices about another article: (design of the notice)
NOTICE_PUBTYPES = {_norm(p): d for p, d in (
    ("published erratum", "erratum"), ("correction", "erratum"), ("erratum", "erratum"),
    ("retraction of publication", "other"), ("retraction", "other"),
    ("expression of concern", "other"), ("retraction notice", "other"),
    ("withdrawal notice", "other"))}
PROTOCOL_PUBTYPES = {_norm("clinical trial protocol"), _norm("study protocol")}
_MESH_OBSERVATIONAL = {"retrospective studies", "cohort studies", "prospective studies",
                       "cross-sectional studies", "case-control studies", "registries",
                       "longitudinal studies", "pharmacovigilance"}

_ERRATUM_TITLE = re.compile(r"^\W*(?:erratum|errata|corrigendum|correction)(?:\s+to\b|\s+for\b|"
                            r"\s*[:.\[(]|\s*$)|^\W*(?:author|publisher)\W*s? correction\b", _I)
_RETRACTION_TITLE = re.compile(r"^\W*(?:retraction|notice of retraction|retraction notice|"
                               r"expression of concern|editorial expression of concern)\b", _I)

_PROTOCOL_RE = re.compile(
    r"\b(?:study|trial) protocol\b|\bprotocol (?:for|of) (?:a|an|the)\b|\bwill be "
    r"(?:randomi[sz]ed|randomly|recruited|enrolled|allocated)\b|\bwe will (?:recruit|enrol|"
    r"randomi[sz]e|conduct)", _I)
_SCOPING_RE = re.compile(r"\bscoping review\b|\bevidence map", _I)
_SYNTHESIS_WORDS = re.compile(r"\bsystematic review|\bmeta-?analys|\bscoping review", _I)

_META_TITLE = re.compile(r"\bmeta-?analys[ie]s\b|\bmeta-?regression\b|\bnetwork meta\b", _I)
_META_TEXT = re.compile(
    r"\b(?:we|this|our|present)\s+(?:[\w-]+\s+){0,4}?(?:conducted|performed|carried out|"
    r"undertook|undertaken|did|report|present|pooled)\s+(?:(?:a|an|the|updated|systematic|review|"
    r"and|network|pairwise|random-effects|bayesian)\s+){0,5}meta-?analys|"
    r"\b(?:this|our|the present)\s+(?:(?:systematic|review|and|updated|network)\s+){0,4}"
    r"meta-?analys|(?<!no )(?<!not )\bmeta-?analys[ie]s (?:was|were) (?:conducted|performed|"
    r"carried out)|"
    r"\bmeta-?analys[ie]s (?:of|"
    r"including|pooling) (?:\d+|[a-z]+(?:-[a-z]+)?) (?:[\w-]+ ){0,3}(?:studies|trials|RCTs)\b|"
    r"\brandom[- ]effects?\b|\bpooled (?:effect|estimate|odds|risk|standardi[sz]ed|mean|"
    r"response|remission|prevalence|analysis)", _I)
_DATABASES = (r"\b(?:PubMed|MEDLINE|Embase|EMBASE|PsycINFO|PsycInfo|CENTRAL|Cochrane|"
              r"Web of Science|Scopus|CINAHL|ClinicalTrials\.gov)\b")
_SR_TITLE = re.compile(r"\bsystematic(?:al)?\s+(?:literature\s+)?review\b|\bumbrella review\b",
                       _I)
# a search of one database ("a selective search in PubMed") is how narrative reviews start too;
# a systematic review says so, follows PRISMA, or searches several databases
_SR_TEXT = re.compile(
    r"\b(?:we|this|our|present)\b[^.;]{0,60}\bsystematic(?:ally)? (?:review|search)|"
    r"\bsystematic(?:ally)? (?:searched|search)\b|\bPRISMA\b|"
    r"\b(?:searched|search of|search in)\b[^.;]{0,80}(?:\b(?:four|five|six|seven|eight|three|two|"
    r"\d+|multiple|several|electronic) (?:electronic )?databases\b|" + _DATABASES + r"[^.;]{0,40}"
    + _DATABASES + r")|" + _DATABASES + r"[^.;]{0,40}" + _DATABASES + r"[^.;]{0,40}\bwere searched",
    _I)
# the lookahead comes first so that the seven look-behinds are only tried before a "review"
# (zero-width tests at one position, in any order, accept the same matches)
_REVIEW_TITLE = re.compile(
    r"\b(?=review\b)(?<!chart )(?<!record )(?<!records )(?<!retrospective )(?<!peer )(?<!case )"
    r"(?<!utilization )review\b|\boverview\b|\ban update\b|\bstate of the art\b|"
    r"\bcurrent (?:evidence|status|state|knowledge)\b|\bprimer\b", _I)
_REVIEW_TEXT = re.compile(
    r"\b(?:this|the present|our|in this)\s+(?:[\w-]+\s+){0,2}?review\b|\bwe (?:review|"
    r"summari[sz]e|describe the (?:evidence|literature)|provide an overview|give an overview)\b|"
    r"\breview (?:of )?the (?:literature|evidence)\b|\bthis (?:article|paper|chapter) "
    r"(?:reviews|summari[sz]es|discusses|examines)\b|\bnarrative review\b", _I)
_GUIDELINE_TITLE = re.compile(
    r"\bguidelines?\b|\bconsensus (?:statement|recommendations?|guidance|report)\b|"
    r"\bexpert consensus\b|\brecommendations\b|\bposition (?:statement|paper)\b|"
    r"\bbest practices?\b|\bclinical guidance\b", _I)
_PEOPLE = (r"(?:case|cases|patients?|wom[ae]n|m[ae]n|adults?|individuals|children|adolescents|"
           r"veterans?|girls?|boys?)")
_CASE_RE = re.compile(
    r"\bcase reports?\b|\ba case of\b|\bcase series\b|\bthis case\b|"
    r"\bwe (?:report|describe|present)\s+(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|\d+)\s+)?(?:[\w-]+\s+){0,2}?" + _PEOPLE + r"\b|"
    r"\b(?:a|an) \d+[- ]year[- ]old (?:man|woman|male|female|patient|boy|girl)\b", _I)
# a title about one person: "Abscopal response in a patient with ...", "in an older man"
_CASE_TITLE_RE = re.compile(r"\b(?:in|of) (?:a|an) (?:[\w-]+ ){0,2}?(?:patient|man|woman|boy|"
                            r"girl|child|adolescent|veteran)\b", _I)
_CASE_SERIES_RE = re.compile(r"\bcase series\b", _I)
_RANDOM_RE = re.compile(r"\brandomi[sz](?:ed|ation|ing)\b|\brandomly (?:assigned|allocated)\b",
                        _I)
_NOT_RANDOM_RE = re.compile(r"\b(?:non|not|without|quasi|mendelian)[\s-]*randomi[sz]", _I)
# "unlike randomized trials", "randomized trials are needed": not this study's design
_COMPARED_RE = re.compile(
    r"\b(?:unlike|than|versus|vs\.?|compared (?:with|to)|outside(?: of)?|in contrast to|"
    r"complement\w*|mirror\w*|emulat\w*)\s+(?:[\w-]+\s+){0,2}$", _I)
_RECOMMEND_RE = re.compile(r"\b(?:needed|warrant(?:s|ed)?|required|necessary|future|should|"
                           r"lacking|merits?|remains? to be|are scarce|is scarce|call for|"
                           r"confirm(?:ation|ed)? (?:in|by)|further|larger)\b", _I)
_NOT_THIS_TRIAL = (r"(?!\s+(?:eligibility|participation|enrol\w*|recruit\w*|design|data|"
                   r"registr\w*|emulation|populations?|participants|diversity|representation|"
                   r"sites?|networks?|landscape|access|literacy)\b)")
_TRIAL_RE = re.compile(
    # "open-label ketamine infusions" in a chart review describe treatment, not a trial design
    r"\bopen[- ]label\b(?=[\s,-]+(?:[\w()-]+[\s,]+){0,5}?(?:trial|study|phase|extension|"
    r"design|pilot)\b)|\b(?:an|this|the)\s+open[- ]label\b|\bsingle[- ]arm\b|"
    r"\bnon-?randomi[sz]ed\b|\bdouble[- ]blind\w*|"
    r"\bplacebo[- ]controlled\b|\bsingle[- ]blind\w*|\bphase\s*(?:[1-4]|IV|I{1,3})[ab]?"
    r"(?:/(?:[1-4]|I{1,3})[ab]?)?\s+(?:[\w-]+[,]?\s+){0,4}?(?:study|trial)\b|"
    r"\b(?:pilot|feasibility|dose[- ](?:finding|escalation|ranging)|uncontrolled|open|"
    r"clinical|crossover|cross-over|proof-of-concept)\s+(?:[\w-]+\s+)?(?:trial|study)\b"
    + _NOT_THIS_TRIAL, _I)
_SELF_TRIAL_RE = re.compile(r"(?<!target )\btrial\b" + _NOT_THIS_TRIAL, _I)
_OBSERVATIONAL_RE = re.compile(
    r"\bretrospective(?:ly)?\b|\bcohort\b|\bchart (?:review|s)\b|\bcharts\b|"
    r"\b(?:medical|health|clinical|electronic) records?\b|\bregistry\b|\bregistries\b|"
    r"\bcase[- ]control\b|\bcross[- ]sectional\b|\bobservational\b|\breal[- ]world\b|"
    r"\bnaturalistic\b|\bclaims (?:data(?:base)?)\b|\bpharmacovigilance\b|\bFAERS\b|"
    r"\bdisproportionality\b|\bsurvey\b|\bprospective(?:ly)? (?:[\w-]+\s+)?(?:study|cohort|"
    r"followed)\b|\btarget trial emulation\b|\bpost-?marketing\b|\bpropensity[- ]scores?\b|"
    r"\b(?:health[- ]system|administrative|claims|insurance|national|prescription) "
    r"(?:data(?:bases?)?|records)\b", _I)
_EDITORIAL_RE = re.compile(
    r"\b(?:this|our|in this)\s+(?:brief\s+)?(?:commentary|editorial|viewpoint|opinion piece|"
    r"essay)\b|\bwe argue\b", _I)

# The patterns every sentence is scanned with, behind the words each of their matches contains
# (case-folded; see ``text.Cue``): most sentences hold none, and skip the long scans.
_PROTOCOL_RE = Cue(_PROTOCOL_RE, ("protocol", "will be", "we will"))
_META_TEXT = Cue(_META_TEXT, ("meta", "effect", "pooled"))
_SR_TEXT = Cue(_SR_TEXT, ("systematic", "prisma", "search"))
_REVIEW_TEXT = Cue(_REVIEW_TEXT, ("review", "summari", "describe the", "overview", "discusses",
                                  "examines"))
_CASE_RE = Cue(_CASE_RE, ("case", "report", "describe", "present", "year"))
_CASE_SERIES_RE = Cue(_CASE_SERIES_RE, ("case series",))
_RANDOM_RE = Cue(_RANDOM_RE, ("random",))
_TRIAL_RE = Cue(_TRIAL_RE, ("open", "single", "randomi", "blind", "placebo", "phase", "trial",
                            "study"))
_OBSERVATIONAL_RE = Cue(_OBSERVATIONAL_RE, (
    "retrospective", "cohort", "chart", "record", "registr", "control", "sectional",
    "observational", "world", "naturalistic", "claims", "pharmacovigilance", "faers",
    "disproportionality", "survey", "prospective", "emulation", "marketing", "propensity", "data"))
_EDITORIAL_RE = Cue(_EDITORIAL_RE, ("commentary", "editorial", "viewpoint", "opinion piece",
                                    "essay", "we argue"))

_CLINICAL = {"rct", "clinical-trial", "observational", "case-report"}
_SYNTHESES = {"meta-analysis", "systematic-review", "review", "guideline"}


def notice_design(publication_types: list[str], title: str) -> str | None:
    """``erratum`` or ``other`` when the record is a notice about another article, else None."""
    for ptype in publication_types:
        design = NOTICE_PUBTYPES.get(_norm(ptype))
        if design:
            return design
    if _ERRATUM_TITLE.search(title):
        return "erratum"
    if _RETRACTION_TITLE.search(title):
        return "other"
    return None


def is_protocol(doc: Document, publication_types: list[str]) -> bool:
    """True for a study protocol (no results yet)."""
    if {_norm(p) for p in publication_types} & PROTOCOL_PUBTYPES:
        return True
    return doc.units.any(_PROTOCOL_RE)


def _randomized(sentence: str) -> bool:
    if not _RANDOM_RE.possible(sentence):
        return False
    if _RECOMMEND_RE.search(sentence) or _NOT_RANDOM_RE.search(sentence):
        return False
    for m in _RANDOM_RE.pattern.finditer(sentence):
        if not _COMPARED_RE.search(sentence[max(0, m.start() - 40):m.start()]):
            return True
    return False


def text_designs(doc: Document, sample_size: int | None = None) -> set[str]:
    """Every design the title and this study's sentences point to (before choosing one)."""
    title = doc.title
    main, units = doc.main_texts, doc.units
    found: set[str] = set()
    if _META_TITLE.search(title) or main.any(_META_TEXT):
        found.add("meta-analysis")
    if _SR_TITLE.search(title) or main.any(_SR_TEXT):
        found.add("systematic-review")
    if _REVIEW_TITLE.search(title) or main.any(_REVIEW_TEXT):
        found.add("review")
    if _GUIDELINE_TITLE.search(title):
        found.add("guideline")
    if units.any(_CASE_RE) or _CASE_TITLE_RE.search(title):
        series = units.any(_CASE_SERIES_RE)
        found.add("observational" if series and (sample_size or 0) > 10 else "case-report")
    if any(_randomized(t) for t in units.possible(_RANDOM_RE)):
        found.add("rct")
    if any(not _RECOMMEND_RE.search(t) for t in units.matching(_TRIAL_RE)) or \
            _SELF_TRIAL_RE.search(title):
        found.add("clinical-trial")
    if any(not _RECOMMEND_RE.search(t) for t in units.matching(_OBSERVATIONAL_RE)):
        found.add("observational")
    if units.any(_EDITORIAL_RE):
        # "in this commentary we argue for registries": the article is an opinion piece
        found = (found - {"rct", "clinical-trial", "observational"}) | {"editorial"}
    if found & {"meta-analysis", "systematic-review", "review", "guideline"}:
        # a synthesis or a review talks about trials and cohorts; it is none of them
        found -= {"rct", "clinical-trial", "observational"}
    return found


def tag_design(doc: Document, publication_types: list[str], mesh: list[str], source: str,
               *, animal_only: bool, sample_size: int | None) -> str:
    """The one design tag of a study.

    ``animal_only``: this study's sentences describe animals or cells, not people; such a study
    is preclinical unless it is a review or synthesis.
    """
    if source == "clinicaltrials":
        return "trial-registration"
    notice = notice_design(publication_types, doc.title)
    if notice:
        return notice
    pub = {PUBTYPE_DESIGN[_norm(p)] for p in publication_types if _norm(p) in PUBTYPE_DESIGN}
    text = text_designs(doc, sample_size)
    protocol = is_protocol(doc, publication_types)
    if protocol:
        if _SYNTHESIS_WORDS.search(doc.title):
            return "other"
        # a trial protocol reports no results: interventional, but never the RCT badge
        return "clinical-trial" if (pub | text) & {"rct", "clinical-trial"} else (
            "observational" if "observational" in text else "other")
    mesh_designs = {"observational"} if {m.lower() for m in mesh} & _MESH_OBSERVATIONAL else set()
    scoping = bool(_SCOPING_RE.search(doc.title)) or any(
        _norm(p) == "scoping review" for p in publication_types)
    if scoping:
        # a scoping review searches systematically but appraises nothing: a review
        text -= {"systematic-review"}
        pub -= {"systematic-review"}
    if pub & _SYNTHESES:
        candidates = pub | (text & {"meta-analysis", "systematic-review"})
    elif pub == {"editorial"}:
        candidates = pub | (text & {"case-report"})
    elif pub:
        candidates = set(pub) | mesh_designs
        if "clinical-trial" in pub:
            candidates |= text & {"rct"}
    else:
        candidates = text | mesh_designs
        if "review" in text:
            candidates -= {"rct", "clinical-trial", "observational"}
    if animal_only and not candidates & {"meta-analysis", "systematic-review", "review"}:
        candidates = (candidates - _CLINICAL) | {"preclinical"}
    return strongest_design(sorted(candidates))
