"""The tagger: gives a Study the fixed vocabulary of DESIGN.md (``ketawatch.vocabulary``).

``tag_study(study)`` fills ``conditions``, ``drugs``, ``routes``, ``design``, ``human`` and
``sample_size``, and sets ``retracted``, ``corrected`` and ``preprint`` when the record's own
metadata says so. It works for every source: PubMed records with MeSH and publication types,
new PubMed records without MeSH, Europe PMC and medRxiv preprints (title and abstract only) and
ClinicalTrials.gov registrations (``study.trial``: conditions, interventions, enrollment).

Precision comes before recall: a tag is a badge a clinician trusts, so every rule asks whether
the words describe *this* study (see ``text.Document``), and where the answer is unclear the tag
is left off. The decisions the vocabulary leaves open are documented in the module of each tag:
``conditions`` (trd and bipolar depression also tag depression; ``other`` only alone), ``drugs``
(routes only of the ketamine molecules; Spravato means intranasal), ``design`` (protocols are
clinical-trial; retraction and expression-of-concern notices are other), ``population`` (who
counts as a participant).
"""

from __future__ import annotations

from ketawatch.model import Study
from ketawatch.tagging.conditions import tag_conditions
from ketawatch.tagging.design import is_protocol, notice_design, tag_design
from ketawatch.tagging.drugs import tag_drugs, tag_routes
from ketawatch.tagging.flags import status_flags
from ketawatch.tagging.population import (
    animal_evidence,
    sample_from_text,
    tag_human,
    tag_sample_size,
)
from ketawatch.tagging.text import document

__all__ = ["tag_study"]


def tag_study(study: Study) -> Study:
    """Fill the tags of ``study`` in place from its MeSH, publication types and text; return it."""
    doc = document(study)
    mesh = list(study.mesh or [])
    keywords = list(study.keywords or [])
    ptypes = list(study.publication_types or [])

    study.drugs = tag_drugs(doc, keywords, mesh)
    study.routes = tag_routes(doc, study.drugs, mesh)
    study.conditions = tag_conditions(doc, mesh, keywords)

    evidence = animal_evidence(doc, mesh)
    text_sample = sample_from_text(doc)
    study.design = tag_design(doc, ptypes, mesh, study.source,
                              animal_only=evidence in ("animal", "both"), sample_size=text_sample)
    notice = study.source != "clinicaltrials" and notice_design(ptypes, doc.title) is not None
    study.human = tag_human(evidence, study.design, notice)
    protocol = study.source != "clinicaltrials" and is_protocol(doc, ptypes)
    study.sample_size = tag_sample_size(doc, study.design, study.human, notice=notice,
                                        protocol=protocol, trial=study.trial,
                                        text_sample=text_sample)

    flags = status_flags(ptypes, study.comments_corrections or [], study.title or "")
    # set, never clear: another source may already have flagged the record
    study.retracted = study.retracted or flags["retracted"]
    study.corrected = study.corrected or flags["corrected"]
    study.preprint = study.preprint or flags["preprint"]
    return study
