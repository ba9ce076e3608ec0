"""Running searches: results with facets, highlights and suggestions; similar documents."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import date

from django.db.models.functions import Left
from whoosh import query as whoosh_query
from whoosh import sorting
from whoosh.searching import Searcher

from archive.models import Document
from kaynak.users import Requester
from search.index import searcher_in_step, shared_searcher
from search.query import (
    SearchQueryError,
    expand_multiterms,
    make_spelling_parser,
    parse_query,
)
from search.schema import date_number
from search.snippets import SCAN_CHARS, QueryWords, query_words, snippet

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
}
_MULTI_VALUED = {"tag_ids", "source_ids"}
SNIPPETS = 3
# Similar documents are found from the key terms of the title and the text's opening: that is
# where a news story's terms are, and what reprints of one story share. The cost of picking
# key terms grows with the number of distinct words, so on a long document the whole text
# made the reader page slow (230 ms for 25,000 characters over the corpus; 75 ms for this).
SIMILAR_TEXT_CHARS = 5_000


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
        if values:
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


def _facets(searcher: Searcher) -> dict[str, sorting.FacetType]:
    """Facets over the whole result set, for the fields that hold any value at all (counting
    a multi-valued field costs a pass over its postings, wasted when it is empty)."""
    reader = searcher.reader()
    return {
        name: sorting.FieldFacet(
            fieldname, allow_overlap=fieldname in _MULTI_VALUED, maptype=sorting.Count
        )
        for name, fieldname in FACETS.items()
        if fieldname not in _MULTI_VALUED or next(reader.lexicon(fieldname), None) is not None
    }


LEAD = 200


def _snippets(document: Document | None, wanted: QueryWords) -> tuple[str, ...]:
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


def _suggestion(searcher: Searcher, text: str) -> str | None:
    parsed = make_spelling_parser(searcher.schema).parse(text)
    if sum(1 for _ in parsed.leaves()) > MAX_SUGGESTION_WORDS:
        return None
    # A word the analyser splits (letters either side of an emoji) becomes terms with no place
    # in the query string, and Whoosh cannot write a correction of those back into the string
    # (it fails on their missing offsets): only words with a place are corrected.
    placed: set[tuple[str, str]] = set()
    unplaced: set[tuple[str, str]] = set()
    for token in parsed.all_tokens():
        has_place = token.startchar is not None and token.endchar is not None
        (placed if has_place else unplaced).add((token.fieldname, token.text))
    reader = searcher.reader()
    missing = [term for term in placed - unplaced if term not in reader]
    if not missing:
        return None
    corrected = searcher.correct_query(parsed, text, terms=missing, prefix=1)
    if corrected.query != parsed and corrected.string.strip().lower() != text.strip().lower():
        return corrected.string
    return None


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

    sortedby, reverse = SORTS[sort]
    with searcher_in_step() as in_step:
        searcher = in_step.searcher
        parsed = expand_multiterms(parse_query(query, searcher.schema), searcher)
        facets = _facets(searcher)
        results = searcher.search(
            parsed,
            limit=page * page_size,
            filter=_filter_query(filters or SearchFilters()),
            mask=set(in_step.mask) or None,
            groupedby=facets,
            sortedby=sortedby,
            reverse=reverse,
        )
        total = len(results)
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
                snippets=_snippets(documents.get(int(hit["id"])), wanted),
            )
            for hit in page_hits
        )
        counts = {
            name: sorted(
                ((key, count) for key, count in results.groups(name).items() if key),
                key=lambda item: (-item[1], item[0]),
            )
            if name in facets
            else []
            for name in FACETS
        }
        suggestion = _suggestion(searcher, query) if total == 0 and query.strip() else None
    return SearchResults(
        total=total,
        page=page,
        page_size=page_size,
        hits=hits,
        facets=counts,
        suggestion=suggestion,
    )


def similar_documents(
    document: Document, *, user: Requester, limit: int = 10
) -> list[tuple[int, float]]:
    """Other documents sharing `document`'s key terms (other reprints of the same story)."""
    with shared_searcher() as searcher:
        docnum = searcher.document_number(id=str(document.pk))
        if docnum is None:
            return []
        text = f"{document.title}\n{document.text[:SIMILAR_TEXT_CHARS]}"
        results = searcher.more_like(docnum, "body", text=text, top=limit, numterms=12)
        return [(int(hit["id"]), hit.score) for hit in results]
