"""The Whoosh search index, derived from the store and rebuildable at any time.

Entry points:

- ``index.build.update_index(config, store, rebuild=False) -> IndexStats``: incremental from the
  store's revisions; a rebuild writes a fresh index (in two worker processes from 5,000 studies
  on) and swaps it in atomically.
- ``index.search.open_searcher(config).search(SearchRequest(...)) -> SearchResponse``: the engine
  the CLI, the web app, the feeds and the digest use; ``search_ids`` and ``count`` for exports
  and "and N more" links.

Modules, one job each: ``analysis`` (analyzers, spellings, synonyms), ``schema`` (fields and the
document of a study), ``build`` (writing), ``query`` (the query language), ``facets`` (document
sets as bitmasks: filters, match sets, facet counts), ``rank`` (relevance and evidence ranking
on those sets), ``snippets`` (highlighted passages), ``search`` (requests and responses).

Whoosh stores the index and reads its postings; matching, counting and ranking run on cached
bitmasks of documents, so a search over 100,000 studies costs milliseconds once the words it
uses have been read.
"""
