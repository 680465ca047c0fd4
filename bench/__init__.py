"""KetaWatch benchmarks (issue 6): the whole pipeline at 10,000 or 100,000 studies.

``python -m bench [--size N] [--runs K] [--only crawl,parse,index,search,digest,web]
[--json out.json]`` generates a sample corpus (``ketawatch.sample``), serves it on a local
replay server, crawls it with the real crawlers, and measures each stage against a baseline
where one exists (Bio.Entrez's parser, a default-settings Whoosh index, SQLite FTS5). It prints
one table: each figure is the median of ``--runs`` runs, each ratio compares with a baseline
measured in the same invocation, and each step's peak memory comes from its own child process
(``bench.memory``). Benchmarks print figures; they are not timed tests.

One module per benchmark: ``crawl``, ``parse``, ``index``, ``search`` (with ``fts5`` and
``queries``), ``digest``, ``web``; ``world`` prepares the corpus and the fixture data folder,
``table`` prints, ``suite`` runs them in order.
"""
