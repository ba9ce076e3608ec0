"""A search run by its kind (documents or annotations) from parameters as a URL carries them:
the annotation tab of the search page and saved searches take this one path, so a saved
search runs exactly as the search it was saved from."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import ceil
from typing import Any

from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe
from rest_framework import serializers

from annotations.models import Annotation
from annotations.selectors import AnnotationFilters
from kaynak.errors import KaynakError
from kaynak.users import Requester
from search.analysis import WORD_PATTERN, fold_term, split_apostrophe
from search.annotation_search import AnnotationSearch, annotation_query_words, annotation_search
from search.models import SearchKind
from search.search_requests import FACET_PARAMETERS, SearchPage, run_search
from search.serializers import AnnotationSearchParamsSerializer, SearchParamsSerializer

DOCUMENT_FILTERS = (
    *FACET_PARAMETERS,
    "language",
    "published_from",
    "published_to",
    "reprinted_from",
    "reprinted_to",
)
ANNOTATION_FILTERS: tuple[str, ...] = tuple(
    name
    for name in map(str, AnnotationSearchParamsSerializer().fields)
    if name not in ("q", "sort")
)
FILTERS: dict[str, tuple[str, ...]] = {
    SearchKind.DOCUMENTS: DOCUMENT_FILTERS,
    SearchKind.ANNOTATIONS: ANNOTATION_FILTERS,
}
# Filters that take several values (document search's facets); the others take one.
LIST_FILTERS: dict[str, frozenset[str]] = {
    SearchKind.DOCUMENTS: frozenset({*FACET_PARAMETERS, "year"}),
    SearchKind.ANNOTATIONS: frozenset(),
}
MAX_FILTER_VALUES = 50
MAX_VALUE_LENGTH = 200
_WORD = re.compile(WORD_PATTERN)


def _first_error(errors: Any) -> str:
    if isinstance(errors, Mapping):
        field, messages = next(iter(errors.items()))
        return f"{field}: {_first_error(messages)}"
    if isinstance(errors, list | tuple) and errors:
        return _first_error(errors[0])
    return str(errors)


def normalized_filters(kind: str, filters: Mapping[str, Any]) -> dict[str, list[str]]:
    """`filters` as a saved search keeps them: each known name with its values as strings,
    empty values left out, names in a fixed order. An unknown name, or several values for a
    filter that takes one, is refused."""
    known = FILTERS[SearchKind(kind)]
    unknown = sorted(set(filters) - set(known))
    if unknown:
        raise KaynakError(
            f"unknown filter {', '.join(map(repr, unknown))} for a search of {kind}; "
            f"known: {', '.join(known)}",
            code="bad_filter",
        )
    normal: dict[str, list[str]] = {}
    for name in known:
        value = filters.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        texts = [str(item).lower() if isinstance(item, bool) else str(item) for item in values]
        texts = [text for text in texts if text and text != "None"]
        if not texts:
            continue
        if len(texts) > (MAX_FILTER_VALUES if name in LIST_FILTERS[kind] else 1):
            raise KaynakError(f"{name}: too many values", code="bad_filter")
        if any(len(text) > MAX_VALUE_LENGTH for text in texts):
            raise KaynakError(f"{name}: a value is too long", code="bad_filter")
        normal[name] = texts
    return normal


def search_parameters(
    kind: str, *, query: str, filters: Mapping[str, list[str]], sort: str
) -> QueryDict:
    """The URL parameters of the search (without paging)."""
    params = QueryDict(mutable=True)
    if query:
        params["q"] = query
    for name, values in filters.items():
        params.setlist(name, values)
    if sort:
        params["sort"] = sort
    return params


def validated_parameters(
    kind: str, params: QueryDict, *, page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    """`params` checked as the search API checks them; refused with the first error."""
    data = params.copy()
    data["page"], data["page_size"] = str(page), str(page_size)
    serializer: serializers.Serializer = (
        SearchParamsSerializer(data=data)
        if kind == SearchKind.DOCUMENTS
        else AnnotationSearchParamsSerializer(data=data)
    )
    if not serializer.is_valid():
        raise KaynakError(_first_error(serializer.errors), code="bad_search")
    return {**serializer.validated_data, "page": page, "page_size": page_size}


@dataclass(frozen=True)
class AnnotationPage:
    """One page of an annotation search, with the query's words to mark in each hit."""

    query: str
    found: AnnotationSearch
    annotations: list[Annotation]
    total: int
    page: int
    page_size: int
    words: frozenset[str]

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.page_size))


def run_annotation_search(params: Mapping[str, Any], *, user: Requester) -> AnnotationPage:
    """`params` as validated_parameters gives them for annotations; a page past the last is
    empty."""
    options = dict(params)
    query = options.pop("q", "")
    page, page_size = options.pop("page", 1), options.pop("page_size", 20)
    sort = options.pop("sort", None)
    found = annotation_search(
        user=user, filters=AnnotationFilters(**options), query=query, sort=sort
    )
    start = (page - 1) * page_size
    annotations = found.annotations.select_related(
        "document__original_outlet", "document__reprinter"
    )
    if found.ranked_ids is None:
        total = annotations.count()
        hits = list(annotations[start : start + page_size])
    else:
        total = len(found.ranked_ids)
        ids = found.ranked_ids[start : start + page_size]
        loaded = annotations.filter(pk__in=ids).in_bulk()
        hits = [loaded[pk] for pk in ids if pk in loaded]
    return AnnotationPage(
        query=query,
        found=found,
        annotations=hits,
        total=total,
        page=page,
        page_size=page_size,
        words=annotation_query_words(query),
    )


@dataclass(frozen=True)
class SearchRun:
    kind: str
    total: int
    documents: SearchPage | None = None
    annotations: AnnotationPage | None = None


def run(
    kind: str, params: QueryDict, *, user: Requester, page: int = 1, page_size: int = 20
) -> SearchRun:
    """Run a search of `kind` with its URL parameters. Raises KaynakError for parameters or a
    query the search refuses, SearchIndexUnavailable as the document search does."""
    validated = validated_parameters(kind, params, page=page, page_size=page_size)
    if kind == SearchKind.DOCUMENTS:
        documents = run_search(validated, user=user)
        return SearchRun(kind=kind, total=documents.results.total, documents=documents)
    annotations = run_annotation_search(validated, user=user)
    return SearchRun(kind=kind, total=annotations.total, annotations=annotations)


def _matches(word: str, words: frozenset[str]) -> bool:
    forms = split_apostrophe(word) or (word,)
    return any(form and fold_term(form) in words for form in (word, *forms))


def marked(text: str, words: Iterable[str]) -> SafeString:
    """`text` HTML-escaped, with each word the query looks for (folded as the index folds
    it) in a <mark>."""
    wanted = frozenset(words)
    out, position = [], 0
    if wanted:
        for match in _WORD.finditer(text):
            if _matches(match.group(), wanted):
                out.append(html.escape(text[position : match.start()], quote=False))
                out.append(f"<mark>{html.escape(match.group(), quote=False)}</mark>")
                position = match.end()
    out.append(html.escape(text[position:], quote=False))
    return mark_safe("".join(out))  # every piece is escaped above
