"""What the postgres backend asks of PostgreSQL (a PostgreSQL run only: see `collect_ignore`
in this folder's conftest)."""

from __future__ import annotations

import pytest
from django.db import connection

from search.backends.postgres import (
    RANK_WEIGHTS,
    TABLE,
    _lexemes_held,
    expand_multiterms,
    ranking_query,
    schema,
    translate,
)
from search.engine import search
from search.query import parse_query

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgres_backend(settings) -> None:
    settings.KAYNAK_SEARCH_BACKEND = "postgres"


def test_words_no_entry_holds_leave_the_ranking_and_change_no_score(indexed, researcher) -> None:
    indexed(title="HARBOUR DUES RISE", body="The harbour board met twice.\n\nHarbour fees rose.")
    indexed(title="TIDE TABLES", body="A quay by the harbour.")
    indexed(title="STORM", body="Harbours closed; the harbour master spoke of the harbour.")
    query = 'harbour OR "tide tables" OR quayside'
    ranking = ranking_query(expand_multiterms(parse_query(query, schema())))
    assert ranking is not None
    with connection.cursor() as cursor:
        held = _lexemes_held(cursor, ranking.lexemes(), TABLE, [])
        cursor.execute(
            f"SELECT document_id, ts_rank_cd('{RANK_WEIGHTS}', vector, %s::tsquery) FROM {TABLE}",
            [" | ".join(text for text, _ in ranking.parts)],
        )
        every_word = dict(cursor.fetchall())
    assert {"'harbour'", "'en:harbour'", "'tide'", "'tables'"} <= held
    assert not {"'quayside'", "'o:harbour'", "'tr:harbour'", "'s:harbour'"} & held
    results = search(query, user=researcher)
    assert len(results.hits) == 3
    assert {hit.document_id: hit.score for hit in results.hits} == pytest.approx(every_word)


def test_a_pattern_asked_of_title_and_text_becomes_words_the_index_answers_alone(
    indexed, researcher
) -> None:
    """`harbourmaster` is in no title: asked of the text only, it would need a weight, which
    makes PostgreSQL re-read every candidate's vector; asked of both, it needs none."""
    in_title = indexed(title="HARBOURS", body="Nothing of note.")
    in_text = indexed(title="NEWS", body="The harbourmaster left.")
    parsed = expand_multiterms(parse_query("harbour*", schema()))
    assert translate(parsed).ts == "(('harbourmaster') | ('harbours'))"
    title_only = translate(expand_multiterms(parse_query("title:harbour*", schema())))
    assert title_only.ts == "'harbours':A"
    found = {hit.document_id for hit in search("harbour*", user=researcher).hits}
    assert found == {in_title.pk, in_text.pk}
