"""Facet counts from segment values, against Whoosh's own facets on the same index."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import index, sorting
from whoosh.collectors import SortingCollector, UnlimitedCollector
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.query import Or, Term

from search.facets import MatchesBySegment, facet_counts, segment_values
from tests.search.conftest import index_of_segments

FIELDS = {"outlet": "outlet_id", "language": "language", "tag": "tag_ids"}
MULTI_VALUED = {"tag_ids"}


def several_segments(folder: Path) -> index.Index:
    """An index of three segments, each with documents deleted since, some of them without an
    outlet or tags."""
    schema = Schema(
        id=ID(stored=True, unique=True),
        body=TEXT(),
        published=NUMERIC(sortable=True),
        outlet_id=ID(sortable=True),
        language=ID(),
        tag_ids=KEYWORD(),
    )
    draw = random.Random(20261205)
    documents = []
    for number in range(1, 181):
        fields = {
            "id": str(number),
            "body": " ".join(draw.choices(["harbour", "quay", "tide", "storm"], k=4)),
            "published": draw.randint(20000101, 20091231),
            "language": draw.choice(["en", "tr"]),
            "tag_ids": " ".join(map(str, draw.sample(range(1, 6), draw.randint(0, 3)))),
        }
        if draw.random() < 0.8:
            fields["outlet_id"] = str(draw.randint(1, 7))
        documents.append(fields)
    deleted = [str(number) for number in draw.sample(range(1, 181), 25)]
    return index_of_segments(
        folder, schema, [documents[:60], documents[60:120], documents[120:]], deleted
    )


def whooshs_counts(searcher, query) -> dict[str, dict[str, int]]:
    facets = {
        name: sorting.FieldFacet(
            fieldname, allow_overlap=fieldname in MULTI_VALUED, maptype=sorting.Count
        )
        for name, fieldname in FIELDS.items()
    }
    results = searcher.search(query, limit=None, groupedby=facets)
    return {name: {key: n for key, n in results.groups(name).items() if key} for name in FIELDS}


@pytest.mark.parametrize(
    "query", [Term("body", "harbour"), Or([Term("body", "quay"), Term("body", "storm")])]
)
def test_facet_counts_are_whooshs_own_over_several_segments_with_deletions(tmp_path, query) -> None:
    ix = several_segments(tmp_path)
    with ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 3
        matches = MatchesBySegment(UnlimitedCollector())
        searcher.search_with_collector(query, matches)
        counted = facet_counts(matches, FIELDS, MULTI_VALUED)
        assert {name: dict(counts) for name, counts in counted.items()} == whooshs_counts(
            searcher, query
        )
        assert sum(len(docnums) for _, docnums in matches.segments) == len(
            searcher.search(query, limit=None)
        )


def test_the_matches_kept_are_those_the_wrapped_collector_orders(tmp_path) -> None:
    ix = several_segments(tmp_path)
    with ix.searcher() as searcher:
        matches = MatchesBySegment(SortingCollector("published", limit=5, reverse=True))
        searcher.search_with_collector(Term("body", "tide"), matches)
        page = [hit["id"] for hit in matches.results()]
        expected = searcher.search(
            Term("body", "tide"), limit=5, sortedby="published", reverse=True
        )
        assert page == [hit["id"] for hit in expected]
        found = {
            offset + docnum
            for (_, docnums), (_, offset) in zip(
                matches.segments, searcher.leaf_searchers(), strict=True
            )
            for docnum in docnums
        }
        assert found == set(searcher.docs_for_query(Term("body", "tide")))


def test_a_segments_values_are_read_once_and_kept_across_searchers(tmp_path) -> None:
    ix = several_segments(tmp_path)
    with ix.searcher() as searcher:
        [(first, _), *_] = searcher.leaf_searchers()
        values = segment_values(first.reader(), "outlet_id", multi_valued=False)
        assert len(values) == first.reader().doc_count_all()
    # A searcher opened after a write opens new readers on the segments it did not change.
    writer = ix.writer()
    writer.add_document(id="new", body="harbour", outlet_id="9")
    writer.commit(merge=False)
    with ix.searcher() as reopened:
        [(same, _), *_, (added, _)] = reopened.leaf_searchers()
        assert same.reader() is not first.reader()
        assert segment_values(same.reader(), "outlet_id", multi_valued=False) is values
        assert segment_values(added.reader(), "outlet_id", multi_valued=False) == ["9"]
