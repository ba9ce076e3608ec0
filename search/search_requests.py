"""A search as the API and the search page make it: validated parameters in; the results with
their documents and labelled facets out. The one path both take to `archive.search`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from annotations.selectors import tag_ids_by_slug, tags_by_id
from archive.models import Document
from archive.selectors import documents_in_order, source_ids_by_slug, sources_by_id
from kaynak.errors import KaynakError
from kaynak.users import Requester
from search.engine import SearchFilters, SearchHit, SearchResults, search

FACET_PARAMETERS = ("outlet", "reprinter", "year", "tag", "source")
# Languages by the codes documents carry; any other code is shown as it is.
LANGUAGE_NAMES = {"en": "English", "tr": "Turkish", "und": "Unknown"}


@dataclass(frozen=True)
class SearchPage:
    query: str
    sort: str
    results: SearchResults
    hits: list[tuple[Document, SearchHit]]
    facets: dict[str, list[dict[str, Any]]]


def _index_ids_for_slugs(params: dict[str, Any], name: str) -> tuple[int, ...]:
    """Filter slugs as the index's ids; an unknown slug is an error, not an empty result."""
    slugs = params.get(name, [])
    found = tag_ids_by_slug(slugs) if name == "tag" else source_ids_by_slug(slugs)
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise KaynakError(f"unknown {name} {', '.join(map(repr, unknown))}", code="bad_filter")
    return tuple(found[slug] for slug in slugs)


def _facets(results: SearchResults) -> dict[str, list[dict[str, Any]]]:
    """Facet keys are ids in the index; clients filter by slug and read names."""
    labelled: dict[str, Mapping[int, Any]] = {
        "source": sources_by_id(
            [
                int(key)
                for name in ("outlet", "reprinter", "source")
                for key, _ in results.facets[name]
            ]
        ),
        "tag": tags_by_id([int(key) for key, _ in results.facets["tag"]]),
    }
    facets: dict[str, list[dict[str, Any]]] = {}
    for name, counts in results.facets.items():
        values = []
        for key, count in counts:
            if name in ("year", "language"):
                label = LANGUAGE_NAMES.get(key, key) if name == "language" else key
                values.append({"value": key, "label": label, "count": count})
                continue
            item = labelled["tag" if name == "tag" else "source"].get(int(key))
            if item is not None:  # None: removed since it was indexed
                values.append({"value": item.slug, "label": item.name, "count": count})
        facets[name] = values
    return facets


def run_search(params: dict[str, Any], *, user: Requester) -> SearchPage:
    """`params` as SearchParamsSerializer validates them."""
    filters = SearchFilters(
        outlet=_index_ids_for_slugs(params, "outlet"),
        reprinter=_index_ids_for_slugs(params, "reprinter"),
        source=_index_ids_for_slugs(params, "source"),
        tag=_index_ids_for_slugs(params, "tag"),
        year=tuple(params.get("year", [])),
        language=params.get("language"),
        published_from=params.get("published_from"),
        published_to=params.get("published_to"),
        reprinted_from=params.get("reprinted_from"),
        reprinted_to=params.get("reprinted_to"),
    )
    query = params.get("q", "")
    results = search(
        query,
        user=user,
        filters=filters,
        sort=params["sort"],
        page=params["page"],
        page_size=params["page_size"],
    )
    documents = {
        document.pk: document
        for document in documents_in_order([hit.document_id for hit in results.hits], user=user)
    }
    return SearchPage(
        query=query,
        sort=params["sort"],
        results=results,
        hits=[
            (documents[hit.document_id], hit)
            for hit in results.hits
            if hit.document_id in documents
        ],
        facets=_facets(results),
    )
