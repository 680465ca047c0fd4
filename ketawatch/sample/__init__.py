"""KetaWatch's built-in sample data: a seeded, scalable world rendered in every source's format.

``generate(size, seed, end_date)`` returns a ``SampleCorpus`` with PubMed efetch records,
ClinicalTrials.gov API v2 studies, medRxiv ``/details`` records, Europe PMC core results and
Crossref work messages, plus the ground truth per underlying study. ``second_snapshot`` renders
the same world one week later. The demo serves ``generate(200)`` through the local replay server;
tests and benchmarks use it at any size.

Everything is synthetic, and says so:

* every record carries the mark ``[KetaWatch sample data]`` in a visible but harmless field:
  PubMed ``<CopyrightInformation>`` (inside ``<Abstract>``; ``<CoiStatement>`` when a record has no
  abstract), the medRxiv ``author_corresponding_institution``, the end of the ClinicalTrials.gov
  ``detailedDescription``, the Europe PMC top-level ``affiliation``, and a Crossref ``assertion``;
* identifiers come from ranges the real services do not use, so that no link of the demo lands on
  a real paper: PMIDs from 90,000,001 (tricky records 89,990,001 and up), PMC ids from
  PMC90000001, NCT numbers from NCT09000001, Europe PMC preprint ids from PPR9000001, journal and
  notice DOIs under Crossref's test prefix ``10.5555``, medRxiv DOIs ``10.1101/...`` with suffixes
  from ``yy900001``; Research Square, SSRN and PsyArXiv DOIs keep their own prefixes;
* journals are real-looking (names, ISO abbreviations, ISSNs), people and institutions are drawn
  from name lists, sponsors and societies are fictional.

Ground-truth conventions (``SampleCorpus.truth``): ``conditions`` are the most specific values
(a study of treatment-resistant depression is ``trd``, not also ``depression``); ``drugs`` are the
molecules studied (an esketamine text saying "esketamine (S-ketamine)" is ``esketamine`` only,
"(R)-ketamine" means ``arketamine``); ``routes`` are the routes the text names; ``design`` is the
strongest design of the study across its sources (``trial-registration`` only for a registration
with no publication); ``human`` is False for animal studies and None for notices; ``sample_size``
is the number randomized, enrolled or pooled (None for reviews, animal studies and notices);
``retracted``/``corrected`` are true whichever source knows it (``update_known_to`` says which).
"""

from ketawatch.sample.corpus import SampleArticle, SampleCorpus
from ketawatch.sample.generator import DEFAULT_END, DEFAULT_SEED, generate
from ketawatch.sample.snapshot import second_snapshot

__all__ = ["DEFAULT_END", "DEFAULT_SEED", "SampleArticle", "SampleCorpus", "generate",
           "second_snapshot"]
