"""Adjacent-word phrases, against Whoosh's own Phrase on the same index."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, Or, Phrase, Term

from search.analysis import stemming_analyzer
from search.phrases import AdjacentPhrase, AdjacentWordsMatcher, adjacent_phrases

WORDS = ["prime", "minister", "the", "harbour", "board", "said", "very", "iraq's", "iraqs"]


def several_segments(folder: Path) -> index.Index:
    """Three segments of short texts from a small vocabulary (so phrases occur, repeat, and
    nearly occur), with deletions; the stemmed field indexes `iraq's` twice at one position."""
    schema = Schema(
        id=ID(stored=True, unique=True),
        body=TEXT(),
        stemmed=TEXT(analyzer=stemming_analyzer("en")),
    )
    ix = index.create_in(str(folder), schema)
    draw = random.Random(20261205)
    number = 0
    for _segment in range(3):
        writer = ix.writer()
        for _ in range(80):
            number += 1
            text = " ".join(draw.choices(WORDS, k=draw.randint(1, 30)))
            writer.add_document(id=str(number), body=text, stemmed=text)
        writer.commit(merge=False)
    writer = ix.writer()
    for deleted in draw.sample(range(1, number + 1), 30):
        writer.delete_by_term("id", str(deleted))
    writer.commit(merge=False)
    return ix


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


def test_every_phrase_of_a_query_becomes_an_adjacent_phrase_and_nothing_else_changes() -> None:
    parsed = Or(
        [
            And([Phrase("title", ["prime", "minister"], boost=2.0), Term("body", "harbour")]),
            Phrase("body", ["prime", "minister"], slop=2),
        ]
    )
    replaced = adjacent_phrases(parsed)
    phrases = [node for node in replaced.leaves() if isinstance(node, Phrase)]
    assert [type(node) for node in phrases] == [AdjacentPhrase, AdjacentPhrase]
    assert [(node.fieldname, node.words, node.slop, node.boost) for node in phrases] == [
        ("title", ["prime", "minister"], 1, 2.0),
        ("body", ["prime", "minister"], 2, 1.0),
    ]
    assert Term("body", "harbour") in list(replaced.leaves())
