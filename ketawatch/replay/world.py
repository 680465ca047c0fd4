"""A replay server that speaks every source's wire format over one sample corpus.

The demo and the end-to-end tests point KetaWatch's source URLs at it; nothing leaves
127.0.0.1.
"""

from __future__ import annotations

from typing import Any

from ketawatch.replay.crossref import CrossrefHandler
from ketawatch.replay.ctgov import ClinicalTrialsHandler
from ketawatch.replay.europepmc import EuropePMCHandler
from ketawatch.replay.eutils import EutilsHandler, ReplayArticle
from ketawatch.replay.medrxiv import MedrxivHandler
from ketawatch.replay.server import ReplayServer

#: path prefix of each source on the replay server
PREFIXES = {
    "pubmed_url": "eutils/",
    "clinicaltrials_url": "ctgov/",
    "medrxiv_url": "biorxiv/",
    "europepmc_url": "europepmc/",
    "crossref_url": "crossref/",
}


def handlers_for(corpus) -> dict[str, Any]:
    """One handler per source prefix, serving a sample corpus."""
    articles = [a if isinstance(a, ReplayArticle) else ReplayArticle(*a) for a in corpus.pubmed]
    return {
        PREFIXES["pubmed_url"]: EutilsHandler(articles),
        PREFIXES["clinicaltrials_url"]: ClinicalTrialsHandler(corpus.clinicaltrials),
        PREFIXES["medrxiv_url"]: MedrxivHandler(corpus.medrxiv),
        PREFIXES["europepmc_url"]: EuropePMCHandler(corpus.europepmc),
        PREFIXES["crossref_url"]: CrossrefHandler(corpus.crossref),
    }


def serve_corpus(corpus) -> ReplayServer:
    """Start a replay server for a corpus (the caller stops it)."""
    server = ReplayServer(handlers_for(corpus))
    server.start()
    return server


def source_urls(server: ReplayServer) -> dict[str, str]:
    """Config overrides that point every source at the replay server."""
    return {key: server.url + prefix for key, prefix in PREFIXES.items()}
