"""Full-text search over the archive and its annotations: the index (the only code in Kaynak
that imports Whoosh), its background updates, the search requests, the search API and the
`search_index` command. It reads `archive` and `annotations`; they announce their changes
through `kaynak.hooks`, and this app subscribes in SearchConfig.ready()."""
