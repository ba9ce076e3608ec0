"""Our matchers (adjacent-word phrases, ranges of kept values) against Whoosh's own queries on
the same index."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import index
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.query import And, NumericRange, Or, Phrase, Term

from search.analysis import stemming_analyzer
from search.matchers import (
    AdjacentPhrase,
    AdjacentWordsMatcher,
    KeptValuesRange,
    whoosh_matchers,
)
from tests.search.conftest import index_of_segments

WORDS = ["prime", "minister", "the", "harbour", "board", "said", "very", "iraq's", "iraqs"]


def several_segments(folder: Path) -> index.Index:
    """Three segments of short texts from a small vocabulary (so phrases occur, repeat, and
    nearly occur), with deletions; the stemmed field indexes `iraq's` twice at one position."""
    schema = Schema(
        id=ID(stored=True, unique=True),
        body=TEXT(),
        stemmed=TEXT(analyzer=stemming_analyzer("en")),
    )
    draw = random.Random(20261205)
    texts = [" ".join(draw.choices(WORDS, k=draw.randint(1, 30))) for _ in range(240)]
    documents = [
        {"id": str(number), "body": text, "stemmed": text} for number, text in enumerate(texts, 1)
    ]
    segments = [documents[:80], documents[80:160], documents[160:]]
    deleted = [str(number) for number in draw.sample(range(1, 241), 30)]
    return index_of_segments(folder, schema, segments, deleted)


def found(searcher, query) -> list[tuple[str, float]]:
    return [(hit["id"], round(hit.score, 9)) for hit in searcher.search(query, limit=None)]


PHRASES = [
    ["prime", "minister"],
    ["the", "harbour", "board"],
    ["very", "very"],
    ["very", "very", "very"],
    ["minister", "prime"],
    ["said", "the", "prime", "minister"],
    ["iraq", "board"],
    ["board", "iraq"],
    ["harbour", "absent"],
]


@pytest.mark.parametrize("words", PHRASES)
@pytest.mark.parametrize("fieldname", ["body", "stemmed"])
@pytest.mark.parametrize("boost", [1.0, 2.5])
def test_an_adjacent_phrase_finds_whooshs_documents_with_whooshs_scores(
    tmp_path, words, fieldname, boost
) -> None:
    ix = several_segments(tmp_path)
    analyzer = ix.schema[fieldname].analyzer
    terms = [token.text for word in words for token in analyzer(word)]
    with ix.searcher() as searcher:
        whooshs = found(searcher, Phrase(fieldname, terms, boost=boost))
        ours = found(searcher, AdjacentPhrase(fieldname, terms, boost=boost))
    assert ours == whooshs
    if words[0] in ("prime", "the", "very"):
        assert whooshs  # the comparison is not of two empty lists


def test_an_adjacent_phrase_reports_whooshs_spans(tmp_path) -> None:
    ix = several_segments(tmp_path)
    with ix.searcher() as searcher:
        whooshs_spans = spans_of(searcher, Phrase("body", ["very", "very", "very"]))
        ours_spans = spans_of(searcher, AdjacentPhrase("body", ["very", "very", "very"]))
    assert ours_spans == whooshs_spans and ours_spans


def spans_of(searcher, query) -> dict[int, list[tuple[int, int]]]:
    spans: dict[int, list[tuple[int, int]]] = {}
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher)
        while matcher.is_active():
            spans[offset + matcher.id()] = [(span.start, span.end) for span in matcher.spans()]
            matcher.next()
    return spans


def test_phrases_with_a_slop_are_left_to_whoosh(tmp_path) -> None:
    ix = several_segments(tmp_path)
    with ix.searcher() as searcher:
        near = AdjacentPhrase("body", ["prime", "minister"], slop=3)
        assert found(searcher, near) == found(
            searcher, Phrase("body", ["prime", "minister"], slop=3)
        )
        [(subsearcher, _), *_] = searcher.leaf_searchers()
        assert not isinstance(near.matcher(subsearcher), AdjacentWordsMatcher)
        assert isinstance(
            AdjacentPhrase("body", ["prime", "minister"]).matcher(subsearcher), AdjacentWordsMatcher
        )


def test_every_phrase_and_range_of_a_query_becomes_ours_and_nothing_else_changes() -> None:
    parsed = Or(
        [
            And([Phrase("title", ["prime", "minister"], boost=2.0), Term("body", "harbour")]),
            Phrase("body", ["prime", "minister"], slop=2),
            NumericRange("published", 20040101, None, startexcl=True, boost=3.0),
        ]
    )
    replaced = whoosh_matchers(parsed)
    [kept] = [node for node in replaced.leaves() if isinstance(node, NumericRange)]
    assert type(kept) is KeptValuesRange
    assert (kept.fieldname, kept.start, kept.end, kept.startexcl, kept.endexcl, kept.boost) == (
        "published",
        20040101,
        None,
        True,
        False,
        3.0,
    )
    phrases = [node for node in replaced.leaves() if isinstance(node, Phrase)]
    assert [type(node) for node in phrases] == [AdjacentPhrase, AdjacentPhrase]
    assert [(node.fieldname, node.words, node.slop, node.boost) for node in phrases] == [
        ("title", ["prime", "minister"], 1, 2.0),
        ("body", ["prime", "minister"], 2, 1.0),
    ]
    assert Term("body", "harbour") in list(replaced.leaves())


def dated_segments(folder: Path) -> index.Index:
    """Three segments of documents with a date (as the index holds them: YYYYMMDD) or none."""
    schema = Schema(
        id=ID(stored=True, unique=True),
        body=TEXT(),
        published=NUMERIC(int, bits=64, sortable=True),
    )
    draw = random.Random(4)
    documents = []
    for number in range(1, 361):
        fields = {"id": str(number), "body": " ".join(draw.choices(WORDS, k=5))}
        if draw.random() < 0.85:
            day = draw.randint(2001, 2006) * 10_000 + draw.randint(101, 1228)
            fields["published"] = day if day % 100 else day + 1
        if number % 40 == 1:
            fields["published"] = 20060101  # a day some documents share
        documents.append(fields)
    return index_of_segments(folder, schema, [documents[:120], documents[120:240], documents[240:]])


RANGES = [
    {"start": 20040101, "end": 20041231},
    {"start": 20060101, "end": 20061231, "startexcl": True},  # not the shared day
    {"start": 20050101, "end": 20060101, "endexcl": True},
    {"start": None, "end": 20030615},
    {"start": 20050301, "end": None},
    {"start": 20060101, "end": 20060101},
    {"start": 19990101, "end": 19991231},
    {"start": 20020101, "end": 20051231, "boost": 2.5},
]


@pytest.mark.parametrize("bounds", RANGES)
def test_a_range_of_kept_values_finds_whooshs_documents_with_whooshs_scores(
    tmp_path, bounds
) -> None:
    ix = dated_segments(tmp_path)
    with ix.searcher() as searcher:
        for whooshs_query, ours_query in [
            (NumericRange("published", **bounds), KeptValuesRange("published", **bounds)),
            (  # scored with words, as `reprinted:[…] music` is
                Or([Term("body", "harbour"), NumericRange("published", **bounds)]),
                Or([Term("body", "harbour"), KeptValuesRange("published", **bounds)]),
            ),
            (
                And([Term("body", "board"), NumericRange("published", **bounds)]),
                And([Term("body", "board"), KeptValuesRange("published", **bounds)]),
            ),
        ]:
            assert found(searcher, ours_query) == found(searcher, whooshs_query)
        if bounds["start"] != 19990101:
            assert found(searcher, KeptValuesRange("published", **bounds))


def test_documents_deleted_after_their_values_were_kept_match_no_range(tmp_path) -> None:
    ix = dated_segments(tmp_path)
    everything = KeptValuesRange("published", 20000101, 20091231)
    with ix.searcher() as searcher:
        before = {hit["id"] for hit in searcher.search(everything, limit=None)}
    writer = ix.writer()
    deleted = sorted(before)[::3]
    for document_id in deleted:
        writer.delete_by_term("id", document_id)
    writer.commit(merge=False)  # the same segments, now with deletions
    with ix.searcher() as searcher:
        after = {hit["id"] for hit in searcher.search(everything, limit=None)}
        whooshs = {
            hit["id"]
            for hit in searcher.search(NumericRange("published", 20000101, 20091231), limit=None)
        }
    assert after == whooshs == before - set(deleted)


def test_a_range_scored_term_by_term_is_left_to_whoosh(tmp_path) -> None:
    ix = dated_segments(tmp_path)
    with ix.searcher() as searcher:
        [(subsearcher, _), *_] = searcher.leaf_searchers()
        scored = KeptValuesRange("published", 20040101, 20041231, constantscore=False)
        assert found(searcher, scored) == found(
            searcher, NumericRange("published", 20040101, 20041231, constantscore=False)
        )
        kept = KeptValuesRange("published", 20040101, 20041231).matcher(subsearcher)
        assert type(kept).__name__ == "ListMatcher"
        assert type(scored.matcher(subsearcher)).__name__ != "ListMatcher"
