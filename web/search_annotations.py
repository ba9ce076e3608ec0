"""The Annotations tab of the search page: annotation search (search.runs) with its facets
and paging, each hit linking to its place in the reader. Only what the user may read: the
search itself decides that."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from annotations.models import CONTEXT_LENGTH, Annotation
from kaynak.errors import KaynakError
from kaynak.users import Requester
from search.models import SearchKind
from search.runs import AnnotationPage, marked, run_annotation_search, validated_parameters

PAGE_SIZE = 20
COMMENT_EXCERPT = 300
SORTS = [
    ("relevance", "Most relevant"),
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("document", "By document"),
]
# Facets of the annotation search, and the filter parameter each sets.
FACETS = (
    ("tag", "tag", "Tag"),
    ("source", "source", "Source"),
    ("author", "creator", "Author"),
    ("visibility", "visibility", "Visibility"),
)
FILTER_PARAMETERS = tuple(parameter for _, parameter, _ in FACETS)


def _url(params: list[tuple[str, str]]) -> str:
    return f"{reverse('pages:search')}?{urlencode([('kind', SearchKind.ANNOTATIONS), *params])}"


def _excerpt(text: str) -> str:
    if len(text) <= COMMENT_EXCERPT:
        return text
    return text[:COMMENT_EXCERPT].rsplit(" ", 1)[0] + " …"


def _from_a_word(prefix: str) -> str:
    """The context before a quote, from its first whole word when it was cut (it is kept
    CONTEXT_LENGTH code points long)."""
    if len(prefix) < CONTEXT_LENGTH or not prefix[:1].strip() or " " not in prefix:
        return prefix
    return prefix.split(" ", 1)[1]


def _to_a_word(suffix: str) -> str:
    if len(suffix) < CONTEXT_LENGTH or not suffix[-1:].strip() or " " not in suffix:
        return suffix
    return suffix.rsplit(" ", 1)[0]


def _hit(annotation: Annotation, words: frozenset[str]) -> dict[str, Any]:
    document = annotation.document
    return {
        "annotation": annotation,
        "document": document,
        "url": reverse("pages:document", kwargs={"pk": document.pk})
        + f"#annotation-{annotation.pk}",
        "prefix": marked(_from_a_word(annotation.prefix), words),
        "quote": marked(annotation.quote, words),
        "suffix": marked(_to_a_word(annotation.suffix), words),
        "comment": marked(_excerpt(annotation.comment), words),
        "tags": [tag.name for tag in annotation.tag_list],
        "author": annotation.creator.get_full_name() or annotation.creator.get_username(),
    }


def annotation_tab(request: HttpRequest, *, user: Requester) -> tuple[dict[str, Any], int]:
    """The tab's context and status: 200, or 400 with `error` for a search refused."""
    current = [
        (key, value)
        for key, values in request.GET.lists()
        for value in values
        if value and key not in ("kind", "saved")
    ]
    without_page = [(key, value) for key, value in current if key not in ("page", "page_size")]
    chosen = dict(without_page)
    context: dict[str, Any] = {
        "query": chosen.get("q", ""),
        "sort": chosen.get("sort", "relevance" if chosen.get("q") else "document"),
        "sorts": SORTS,
        "hidden_filters": [(k, v) for k, v in without_page if k in FILTER_PARAMETERS],
    }
    params = QueryDict(mutable=True)
    for key, value in without_page:
        params.appendlist(key, value)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    try:
        validated = validated_parameters(
            SearchKind.ANNOTATIONS, params, page=page_number, page_size=PAGE_SIZE
        )
        found = run_annotation_search(validated, user=user)
    except KaynakError as error:
        context["error"] = error.message
        return context, 400
    context.update(_results(found, without_page))
    return context, 200


def _results(found: AnnotationPage, without_page: list[tuple[str, str]]) -> dict[str, Any]:
    facets = []
    for name, parameter, label in FACETS:
        values = []
        for item in found.found.facets[name]:
            pair = (parameter, str(item["value"]))
            selected = pair in without_page
            others = [p for p in without_page if p[0] != parameter]
            values.append(
                {
                    **item,
                    "selected": selected,
                    "url": _url(others if selected else [*others, pair]),
                }
            )
        facets.append({"name": parameter, "label": label, "values": values})

    def page_url(number: int) -> str:
        return _url([*without_page, ("page", str(number))] if number > 1 else without_page)

    any_filter = any(key in FILTER_PARAMETERS for key, _ in without_page)
    return {
        "results": found,
        "hits": [_hit(annotation, found.words) for annotation in found.annotations],
        "facets": facets,
        "first_number": (found.page - 1) * found.page_size + 1,
        "previous_url": page_url(found.page - 1) if found.page > 1 else None,
        "next_url": page_url(found.page + 1) if found.page < found.pages else None,
        "any_filter": any_filter,
        "clear_url": _url([(k, v) for k, v in without_page if k not in FILTER_PARAMETERS]),
    }
