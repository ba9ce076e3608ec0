"""Searching annotations: quotes, comments, replies, tag names and source names (with their
aliases), in the query language of document search, over only what the asking user may read.

How: the annotations the user may read, narrowed by the filters, are indexed in memory for the
one request (a Whoosh RAM index with the folding analyzer of document search), and the query
is parsed and run there by the same parser. Why not the shared index: it holds only what
everyone may read, and annotations are mostly private or group-only; a persistent annotation
index would need its own write path on every annotation, reply, tag and alias change, and a
per-user filter — more than could be finished and tested here. Why not SQL: Turkish folding,
phrases, prefixes and fuzzy words would each need a second implementation per database. The
cost is linear in what the user may read (after the filters) per query; a persistent index is
the next step when that grows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from whoosh import query as whoosh_query
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser
from whoosh.qparser.default import QueryParserError

from annotations.models import Annotation, Reply, SourceTag, Visibility
from annotations.selectors import AnnotationFilters, annotation_list
from archive.models import SourceAlias
from archive.roles import can_moderate_annotations
from kaynak.users import Requester
from search.analysis import folding_analyzer
from search.index import FreshIndexStorage
from search.query import (
    SearchQueryError,
    check_query,
    configure,
    expand_multiterms,
    rewrite_fuzzy,
)

# Fields a query may name (`tag:`, `source:`, `quote:`, …); unfielded words search them all.
QUERY_FIELDS = ("quote", "comment", "reply", "tag", "source")
DEFAULT_FIELDS = {"quote": 1.0, "comment": 1.0, "reply": 0.5, "tag": 1.5, "source": 1.5}
# `document`: by document, then place in it (the listing's order before search existed).
SORTS = ("relevance", "newest", "oldest", "document")
# The matches are passed back to the database as a list of ids (`pk__in`), and SQLite takes at
# most 32,766 parameters a statement (PostgreSQL 65,535): more is refused with a message, not
# answered with a 500.
MAX_MATCHES = 30_000


def _schema() -> Schema:
    folded = folding_analyzer()

    def text() -> TEXT:
        # A query word the analyzer splits (`al-Ani`) is searched as a phrase, as for documents.
        return TEXT(analyzer=folded, multitoken_query="phrase")

    return Schema(id=ID(stored=True, unique=True), **{name: text() for name in QUERY_FIELDS})


@dataclass(frozen=True)
class AnnotationSearch:
    """The matching annotations in order (a queryset, or ids with relevance), and facets
    over all of them."""

    annotations: QuerySet[Annotation]
    ranked_ids: list[int] | None  # set when sorted by relevance: ids, best first
    facets: dict[str, list[dict[str, Any]]]
    sort: str


def _readable_replies(
    user: Requester, annotation_ids: QuerySet[Annotation, Any]
) -> QuerySet[Reply]:
    # As `annotations.selectors.reply_list`: deleted replies are gone for everyone, a hidden
    # one is there only for its author and curators.
    replies = Reply.objects.live().filter(annotation__in=annotation_ids)
    if not can_moderate_annotations(user):
        replies = replies.filter(Q(hidden_at__isnull=True) | Q(author_id=user.pk))
    return replies


def _entries(user: Requester, candidates: QuerySet[Annotation]) -> dict[int, dict[str, list[str]]]:
    """The searchable text of each candidate annotation, field by field."""
    ids = candidates.values("pk")
    entries: dict[int, dict[str, list[str]]] = {}
    for pk, quote, comment in Annotation.objects.filter(pk__in=ids).values_list(
        "pk", "quote", "comment"
    ):
        entries[pk] = {"quote": [quote], "comment": [comment], "reply": [], "tag": [], "source": []}
    for annotation_id, body in _readable_replies(user, ids).values_list("annotation_id", "body"):
        entries[annotation_id]["reply"].append(body)
    for annotation_id, name in Annotation.tags.through.objects.filter(
        annotation_id__in=ids
    ).values_list("annotation_id", "tag__name"):
        entries[annotation_id]["tag"].append(name)
    source_tags = list(
        SourceTag.objects.filter(annotation_id__in=ids).values_list(
            "annotation_id", "source_id", "source__name"
        )
    )
    aliases: dict[int, list[str]] = {}
    for source_id, alias in SourceAlias.objects.filter(
        source_id__in={source_id for _, source_id, _ in source_tags}
    ).values_list("source_id", "name"):
        aliases.setdefault(source_id, []).append(alias)
    for annotation_id, source_id, name in source_tags:
        entries[annotation_id]["source"].extend([name, *aliases.get(source_id, [])])
    return entries


def parse_annotation_query(text: str, schema: Schema) -> whoosh_query.Query:
    check_query(text, fields=QUERY_FIELDS)
    parser = configure(MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS))
    try:
        return parser.parse(rewrite_fuzzy(text))
    except QueryParserError as error:
        raise SearchQueryError(f"the query cannot be read: {error}") from None


def _matching(user: Requester, candidates: QuerySet[Annotation], text: str) -> list[int]:
    """Ids of the candidates matching the query `text`, best first."""
    schema = _schema()
    parsed = parse_annotation_query(text, schema)  # refuse a bad query before any reading
    # Its own staging folder: see FreshIndexStorage.
    storage = FreshIndexStorage()
    try:
        index = storage.create_index(schema)
        with index.writer() as writer:
            for pk, fields in _entries(user, candidates).items():
                # Values apart by a line, so a phrase does not run from one reply into the next.
                writer.add_document(
                    id=str(pk), **{name: "\n".join(values) for name, values in fields.items()}
                )
        with index.searcher() as searcher:
            expanded = expand_multiterms(parsed, searcher, fields=frozenset(QUERY_FIELDS))
            return [int(hit["id"]) for hit in searcher.search(expanded, limit=None)]
    finally:
        storage.remove_temporary_files()


def _facets(annotations: QuerySet[Annotation]) -> dict[str, list[dict[str, Any]]]:
    """Counts over the whole result set, commonest first."""
    ids = annotations.values("pk")

    def listing(rows: Counter, labels: dict[str, str]) -> list[dict[str, Any]]:
        ordered = sorted(rows.items(), key=lambda item: (-item[1], labels[item[0]].casefold()))
        return [
            {"value": value, "label": labels[value], "count": count} for value, count in ordered
        ]

    tags: Counter[str] = Counter()
    tag_labels: dict[str, str] = {}
    for slug, name in Annotation.tags.through.objects.filter(annotation_id__in=ids).values_list(
        "tag__slug", "tag__name"
    ):
        tags[slug] += 1
        tag_labels[slug] = name
    # An annotation naming a source twice (two roles) counts once for it.
    sources: Counter[str] = Counter()
    source_labels: dict[str, str] = {}
    for _, slug, name in (
        SourceTag.objects.filter(annotation_id__in=ids)
        .values_list("annotation_id", "source__slug", "source__name")
        .distinct()
    ):
        sources[slug] += 1
        source_labels[slug] = name
    authors = Counter(
        Annotation.objects.filter(pk__in=ids).values_list("creator__username", flat=True)
    )
    visibility = Counter(Annotation.objects.filter(pk__in=ids).values_list("visibility", flat=True))
    return {
        "tag": listing(tags, tag_labels),
        "source": listing(sources, source_labels),
        "author": listing(authors, {name: name for name in authors}),
        "visibility": listing(
            visibility, {value: str(label) for value, label in Visibility.choices}
        ),
    }


def annotation_search(
    *, user: Requester, filters: AnnotationFilters, query: str = "", sort: str | None = None
) -> AnnotationSearch:
    """The annotations `user` may read that match the filters and `query`, sorted by `sort`
    (relevance by default when there is a query, document order otherwise)."""
    annotations = annotation_list(user=user, filters=filters)
    sort = sort or ("relevance" if query.strip() else "document")
    ranked: list[int] | None = None
    if query.strip():
        ranked = _matching(user, annotations, query)
        if len(ranked) > MAX_MATCHES:
            raise SearchQueryError(
                f"the query finds {len(ranked):,} annotations, more than the {MAX_MATCHES:,} "
                "a search can return; narrow it or add filters"
            )
        annotations = annotations.filter(pk__in=ranked)
    if sort == "relevance" and ranked is None:
        sort = "document"  # nothing to rank by without a query
    if sort == "newest":
        annotations, ranked = annotations.order_by("-created_at", "-id"), None
    elif sort == "oldest":
        annotations, ranked = annotations.order_by("created_at", "id"), None
    return AnnotationSearch(
        annotations=annotations, ranked_ids=ranked, facets=_facets(annotations), sort=sort
    )


def _positive_terms(node: whoosh_query.Query) -> list[str]:
    if isinstance(node, whoosh_query.Not):
        return []
    if isinstance(node, whoosh_query.AndNot):
        return _positive_terms(node.a)
    if node.is_leaf():
        terms = []
        for _, term in node.terms(phrases=True):
            terms.append(term.decode() if isinstance(term, bytes) else term)
        return terms
    return [term for child in node.children() for term in _positive_terms(child)]


def annotation_query_words(text: str) -> frozenset[str]:
    """The folded words `text` looks for (not those under NOT), to mark them in a hit; empty
    for an empty query. A query that cannot be read raises SearchQueryError, as the search."""
    if not text.strip():
        return frozenset()
    return frozenset(term for term in _positive_terms(parse_annotation_query(text, _schema())))
