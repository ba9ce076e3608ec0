"""Running searches: results with facets, highlights and suggestions; similar documents."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.conf import settings
from django.db.models.functions import Left
from whoosh import collectors
from whoosh import query as whoosh_query
from whoosh.fields import Schema
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from annotations.selectors import AnnotationFilters
from archive.models import Document
from kaynak.users import Requester
from search.annotation_search import annotation_search
from search.facets import MatchesBySegment, facet_counts
from search.index import searcher_in_step, shared_searcher
from search.matchers import whoosh_matchers
from search.query import (
    SearchQueryError,
    expand_multiterms,
    has_annotated,
    make_spelling_parser,
    parse_query,
)
from search.schema import date_number
from search.snippets import SCAN_CHARS, QueryWords, query_words, snippet
from search.suggestions import (
    STOPWORDS,
    allowed_edits,
    best_correction,
    styled_like,
    typed_as_name,
)

MAX_PAGE_SIZE = 100
# Deeper than this, paging stops; narrow the query instead (as in most search engines).
MAX_RESULT_WINDOW = 10_000
SORTS = {
    "relevance": (None, False),
    "published": ("published", False),
    "-published": ("published", True),
    "reprinted": ("reprinted", False),
    "-reprinted": ("reprinted", True),
}
FACETS = {
    "outlet": "outlet_id",
    "reprinter": "reprinter_id",
    "year": "year",
    "tag": "tag_ids",
    "source": "source_ids",
    "language": "language",
}
_MULTI_VALUED = {"tag_ids", "source_ids"}
SNIPPETS = 3
# Similar documents are found from the key terms of the title and the text's opening: that is
# where a news story's terms are, and what reprints of one story share. The cost of picking
# key terms grows with the number of distinct words, so on a long document the whole text
# made the reader page slow (230 ms for 25,000 characters over the corpus; 75 ms for this).
SIMILAR_TEXT_CHARS = 5_000
SIMILAR_KEY_TERMS = 12


@dataclass(frozen=True)
class SearchFilters:
    """Facet selections (several values of one facet: any of them) and date bounds."""

    outlet: tuple[int, ...] = ()
    reprinter: tuple[int, ...] = ()
    year: tuple[int, ...] = ()
    tag: tuple[int, ...] = ()
    source: tuple[int, ...] = ()
    language: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    reprinted_from: date | None = None
    reprinted_to: date | None = None


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    score: float | None
    snippets: tuple[str, ...]


@dataclass(frozen=True)
class SearchResults:
    total: int
    page: int
    page_size: int
    hits: tuple[SearchHit, ...]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def _filter_query(filters: SearchFilters) -> whoosh_query.Query | None:
    clauses: list[whoosh_query.Query] = []
    for name, fieldname in FACETS.items():
        values = getattr(filters, name)
        if values and name != "language":  # one language, not a tuple of choices
            clauses.append(whoosh_query.Or([whoosh_query.Term(fieldname, str(v)) for v in values]))
    if filters.language:
        clauses.append(whoosh_query.Term("language", filters.language))
    for fieldname, start, end in (
        ("published", filters.published_from, filters.published_to),
        ("reprinted", filters.reprinted_from, filters.reprinted_to),
    ):
        if start or end:
            clauses.append(
                whoosh_query.NumericRange(fieldname, date_number(start), date_number(end))
            )
    return whoosh_query.And(clauses) if clauses else None


def _facet_fields(searcher: Searcher) -> dict[str, str]:
    """The facets counted: those whose fields hold any value at all (a multi-valued field's
    values cost a pass over its postings, wasted when it is empty)."""
    reader = searcher.reader()
    return {
        name: fieldname
        for name, fieldname in FACETS.items()
        if fieldname not in _MULTI_VALUED or next(reader.lexicon(fieldname), None) is not None
    }


def _collector(
    *,
    limit: int,
    sortedby: str | None,
    reverse: bool,
    filter: whoosh_query.Query | None,
    mask: set[int] | None,
) -> tuple[collectors.Collector, MatchesBySegment]:
    """The collector `Searcher.collector` makes for these arguments when it counts facets,
    with the matches kept for them. A relevance search collects every match scored, as Whoosh's
    facets have it do: a top-N collector skips and drops matches that cannot reach the page."""
    ordered: collectors.Collector
    if sortedby:
        ordered = collectors.SortingCollector(sortedby, limit=limit, reverse=reverse)
    else:
        ordered = collectors.UnlimitedCollector(reverse=reverse)
    matches = MatchesBySegment(ordered)
    if filter is None and not mask:
        return matches, matches
    # Filtering wraps last, so it sees the documents first (as in Searcher.collector).
    return collectors.FilterCollector(matches, filter, mask), matches


LEAD = 200


def text_snippets(document: Document | None, wanted: QueryWords) -> tuple[str, ...]:
    """Marked fragments of the text's opening (or the title) where the query matched; the
    first words of the text when the match was elsewhere (outlet, tags, later in the text).
    `document.opening` is the first SCAN_CHARS of its text (see `search`)."""
    if document is None:
        return ()
    # Annotated by the query in `search` (Left("text", SCAN_CHARS)); the model has no such field.
    opening: str = document.opening  # type: ignore[attr-defined]
    for text in (opening, document.title):
        found = snippet(text, wanted, document.language)
        if found:
            return (found,)
    lead = opening[:LEAD].rsplit(" ", 1)[0] if len(opening) > LEAD else opening
    return (html.escape(" ".join(lead.split()), quote=False) + ("…" if lead != opening else ""),)


# Correcting a word walks the index's word list: only short queries get a "did you mean",
# and a correction keeps the first letter (which narrows the walk about twentyfold). A query
# of 120 misspelt words took 5 s on an index of 3,000 words without these bounds.
MAX_SUGGESTION_WORDS = 10
# Where "did you mean" looks for words: the texts, and the names of outlets, reprinters and
# sources (the only words a name typed with a capital may be corrected into).
SPELLING_FIELD = "body"
NAME_FIELDS = ("outlet", "reprinter", "source")


class Lexicon(Protocol):
    """What "did you mean" reads of an index's vocabulary (either backend's)."""

    def field_names(self) -> set[str]: ...

    def doc_frequency(self, fieldname: str, word: str) -> int: ...

    def terms_within(self, fieldname: str, word: str, maxdist: int, prefix: int) -> list[str]: ...

    def has_term(self, fieldname: str, word: str) -> bool: ...


class WhooshLexicon:
    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader

    def field_names(self) -> set[str]:
        return set(self.reader.indexed_field_names())

    def doc_frequency(self, fieldname: str, word: str) -> int:
        return int(self.reader.doc_frequency(fieldname, word))

    def terms_within(self, fieldname: str, word: str, maxdist: int, prefix: int) -> list[str]:
        return list(self.reader.terms_within(fieldname, word, maxdist, prefix=prefix))

    def has_term(self, fieldname: str, word: str) -> bool:
        return (fieldname, word) in self.reader


def suggested_query(
    text: str,
    schema: Schema,
    lexicon: Lexicon,
    *,
    finds_anything: Callable[[str], bool],
) -> str | None:
    """A corrected query for one that found nothing, by the rules of `search.suggestions`,
    offered only if it finds something itself (`finds_anything`, run with the same filters)."""
    parsed = make_spelling_parser(schema).parse(text)
    if sum(1 for _ in parsed.leaves()) > MAX_SUGGESTION_WORDS:
        return None
    # Plain words and the words of phrases are corrected; prefixes and fuzzy words already
    # reach for other spellings.
    tokens = [
        token
        for leaf in parsed.leaves()
        if isinstance(leaf, whoosh_query.Term | whoosh_query.Phrase)
        for token in leaf.tokens()
        if token.fieldname == SPELLING_FIELD
    ]
    # A word the analyser splits (letters either side of an emoji) becomes terms with no place
    # in the query string, and a correction of those cannot be written back into the string:
    # only words with a place are corrected.
    unplaced = {token.text for token in tokens if token.startchar is None or token.endchar is None}
    indexed = lexicon.field_names()
    fields = [SPELLING_FIELD, *(name for name in NAME_FIELDS if name in indexed)]

    def hits(word: str) -> int:
        return max(lexicon.doc_frequency(fieldname, word) for fieldname in fields)

    def neighbours(word: str) -> list[tuple[str, int]]:
        near = {
            found
            for fieldname in fields
            for found in lexicon.terms_within(fieldname, word, allowed_edits(word), 1)
        }
        return [(found, hits(found)) for found in near]

    def is_name(word: str) -> bool:
        return any(lexicon.has_term(fieldname, word) for fieldname in NAME_FIELDS)

    capitals = text.upper() == text
    replacements: dict[tuple[int, int], str] = {}
    for token in tokens:
        if token.text in unplaced or not allowed_edits(token.text):
            continue
        typed = text[token.startchar : token.endchar]
        correction = best_correction(
            token.text,
            hits=hits(token.text),
            neighbours=neighbours(token.text),
            as_name=typed_as_name(typed, query_in_capitals=capitals),
            is_name=is_name,
        )
        if correction:
            replacements[(token.startchar, token.endchar)] = styled_like(correction, typed)
    if not replacements:
        return None
    corrected = text
    for (start, end), word in sorted(replacements.items(), reverse=True):
        corrected = corrected[:start] + word + corrected[end:]
    return corrected if finds_anything(corrected) else None


def _whoosh_query(
    text: str,
    searcher: Searcher,
    *,
    annotated: Callable[[str], whoosh_query.Query] | None = None,
) -> whoosh_query.Query:
    """`text` parsed, its wildcards and fuzzy words expanded over the index, its phrases and
    date ranges matched by our own matchers (search.matchers)."""
    return whoosh_matchers(
        expand_multiterms(parse_query(text, searcher.schema, annotated=annotated), searcher)
    )


def _suggestion(
    searcher: Searcher,
    text: str,
    *,
    filters: SearchFilters,
    mask: set[int] | None = None,
) -> str | None:
    def finds_anything(corrected: str) -> bool:
        try:
            query = _whoosh_query(corrected, searcher)
        except SearchQueryError:
            return False
        return not searcher.search(
            query, limit=1, filter=_filter_query(filters), mask=mask
        ).is_empty()

    return suggested_query(
        text, searcher.schema, WhooshLexicon(searcher.reader()), finds_anything=finds_anything
    )


def annotated_documents(user: Requester) -> Callable[[str], whoosh_query.Query]:
    """`annotated:…` for `user`: the documents with annotations `user` may read that the
    annotation query finds (refused as an annotation query would be)."""

    def documents(inner: str) -> whoosh_query.Query:
        found = annotation_search(user=user, filters=AnnotationFilters(), query=inner)
        ids = found.annotations.order_by().values_list("document_id", flat=True).distinct()
        terms = [whoosh_query.Term("id", str(pk)) for pk in sorted(ids)]
        return whoosh_query.Or(terms) if terms else whoosh_query.NullQuery

    return documents


def check_paging(*, sort: str, page: int, page_size: int) -> None:
    """Refuse a sort or page that cannot be served (either backend)."""
    if sort not in SORTS:
        raise SearchQueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise SearchQueryError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    if page < 1:
        raise SearchQueryError("page numbers start at 1")
    if page * page_size > MAX_RESULT_WINDOW:
        raise SearchQueryError(
            f"page {page} is beyond the first {MAX_RESULT_WINDOW:,} results that can be "
            "paged through; narrow the query or the filters"
        )


def search(
    query: str,
    *,
    user: Requester,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
) -> SearchResults:
    """Search the archive for `user`.

    Raises SearchQueryError for a query or paging request that cannot be run as asked, and
    SearchIndexUnavailable when the index is damaged. Every signed-in user sees every
    document for now; annotation visibility and withdrawal narrow this in their issues.
    """
    check_paging(sort=sort, page=page, page_size=page_size)

    sortedby, reverse = SORTS[sort]
    with searcher_in_step() as in_step:
        searcher = in_step.searcher
        filters = filters or SearchFilters()
        parsed = _whoosh_query(query, searcher, annotated=annotated_documents(user))
        mask = set(in_step.mask) or None
        collector, matches = _collector(
            limit=page * page_size,
            sortedby=sortedby,
            reverse=reverse,
            filter=_filter_query(filters),
            mask=mask,
        )
        searcher.search_with_collector(parsed, collector)
        results = collector.results()
        total = sum(len(docnums) for _, docnums in matches.segments)
        if total and (page - 1) * page_size >= total:
            last = math.ceil(total / page_size)
            raise SearchQueryError(f"page {page} is beyond the last page ({last})")
        wanted = query_words(parsed)
        page_hits = results[(page - 1) * page_size : page * page_size]
        ids = [int(hit["id"]) for hit in page_hits]
        # Snippets read only the opening of a text: a page of 20 MiB texts need not be loaded.
        documents = (
            Document.objects.only("id", "title", "language")
            .annotate(opening=Left("text", SCAN_CHARS))
            .in_bulk(ids)
        )
        hits = tuple(
            SearchHit(
                document_id=int(hit["id"]),
                score=hit.score if sortedby is None else None,
                snippets=text_snippets(documents.get(int(hit["id"])), wanted),
            )
            for hit in page_hits
        )
        counted = facet_counts(matches, _facet_fields(searcher), _MULTI_VALUED)
        counts = {
            name: sorted(counted.get(name, {}).items(), key=lambda item: (-item[1], item[0]))
            for name in FACETS
        }
        suggestion = (
            _suggestion(searcher, query, filters=filters, mask=mask)
            # A correction of an `annotated:` clause's query would not be a document query.
            if total == 0 and query.strip() and not has_annotated(query)
            else None
        )
    return SearchResults(
        total=total,
        page=page,
        page_size=page_size,
        hits=hits,
        facets=counts,
        suggestion=suggestion,
    )


def similar_documents(
    document: Document,
    *,
    user: Requester,
    limit: int = 10,
    min_similarity: float | None = None,
) -> list[tuple[int, float]]:
    """Other documents sharing `document`'s key terms (other reprints of the same story),
    most similar first, each with its similarity between 0 and 1: its score against the key
    terms as a fraction of `document`'s own (1: as near as the document is to itself). Only
    those of at least `min_similarity` (by default `settings.KAYNAK_SIMILAR_MIN_SIMILARITY`)
    are listed: a raw score says nothing on its own, and without a floor every document
    sharing one common word was "similar"."""
    floor = settings.KAYNAK_SIMILAR_MIN_SIMILARITY if min_similarity is None else min_similarity
    with shared_searcher() as searcher:
        docnum = searcher.document_number(id=str(document.pk))
        if docnum is None:
            return []
        text = f"{document.title}\n{document.text[:SIMILAR_TEXT_CHARS]}"
        # Function words say nothing of a story, yet in a small archive they rank among its
        # key terms and make unrelated stories look alike.
        key_terms = [
            (word, weight)
            for word, weight in searcher.key_terms_from_text(
                "body", text, numterms=SIMILAR_KEY_TERMS * 2, normalize=False
            )
            if word not in STOPWORDS
        ][:SIMILAR_KEY_TERMS]
        if not key_terms:
            return []
        query = whoosh_query.Or(
            [whoosh_query.Term("body", word, boost=weight) for word, weight in key_terms]
        )
        own = searcher.search(query, limit=1, filter={docnum})
        if own.is_empty() or not own[0].score:
            return []
        own_score = own[0].score
        results = searcher.search(query, limit=limit, mask={docnum})
        scored = [(int(hit["id"]), min(1.0, hit.score / own_score)) for hit in results]
        return [(pk, similarity) for pk, similarity in scored if similarity >= floor]
