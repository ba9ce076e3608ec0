"""The backend interface: the setting that chooses one, the system check, and what the
PostgreSQL backend writes (its terms are Whoosh's, as a tsvector literal)."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import connection

from search.backends import backend
from search.backends.postgres import (
    build_entry,
    quote_lexeme,
    ranking_query,
    schema,
    translate,
    tsvector_literal,
)
from search.documents import documents_for_index
from search.engine import search
from search.index import update_search_index
from search.query import parse_query
from search.schema import document_fields
from tests.factories import DocumentFactory
from tests.search.conftest import index_entries

pytestmark = pytest.mark.django_db


def test_the_setting_chooses_the_backend_every_index_write_and_search_goes_to(
    settings, search_backend
) -> None:
    assert backend().name == search_backend
    settings.KAYNAK_SEARCH_BACKEND = "whoosh"
    assert backend().name == "whoosh"


def test_choosing_postgres_on_another_database_is_a_system_check_error(settings) -> None:
    settings.KAYNAK_SEARCH_BACKEND = "postgres"
    errors = [message for message in checks.run_checks() if message.id == "search.E001"]
    if connection.vendor == "postgresql":
        assert errors == []
    else:
        [error] = errors
        assert "needs a PostgreSQL DATABASE_URL" in error.msg
    settings.KAYNAK_SEARCH_BACKEND = "whoosh"
    assert [message for message in checks.run_checks() if message.id == "search.E001"] == []


def test_lexemes_are_quoted_for_a_tsvector_literal() -> None:
    assert quote_lexeme("plain") == "'plain'"
    assert quote_lexeme("o'neill") == "'o''neill'"
    assert quote_lexeme("back\\slash") == "'back\\\\slash'"
    assert tsvector_literal({"plain": "1A", "o'neill": "2A,9B", "back\\slash": "3B"}) == (
        "'plain':1A 'o''neill':2A,9B 'back\\\\slash':3B"
    )
    assert tsvector_literal({"plain": "1A", "word": "2C"}) == "'plain':1A 'word':2C"


def test_an_entry_holds_whooshs_terms_by_field_weight_and_position(indexed) -> None:
    document = indexed(
        title="AVİM ÖĞÜTCÜ ILIK",
        outlet_line="Günlük Ayna (4 Nisan 2018)",
        reprint_date="09.04.2018",
        body="Kuraklığın bahçeleri vurduğunu söyledi.",
    )
    [(loaded, terms)] = documents_for_index([document.pk])
    entry = build_entry(loaded, terms)
    lexemes = dict(part.rsplit(":", 1) for part in entry.vector.split(" "))
    # Title words folded (İ, Ğ, dotless ı), weight A, from position 1.
    assert lexemes["'avim'"] == "1A" and lexemes["'ogutcu'"] == "2A" and lexemes["'ilik'"] == "3A"
    # Text words after the title's positions, weight B; stems in the document's language, C.
    assert lexemes["'kurakligin'"].endswith("B")
    assert int(lexemes["'kurakligin'"][:-1]) > 3
    assert lexemes["'tr:kuraklik'"].endswith("C")
    # The outlet under its prefix, weight D; the vocabulary keeps names and words, not stems.
    assert lexemes["'o:gunluk'"] == "1D"
    assert ("outlet", "gunluk") in entry.vocabulary and ("body", "kurakligin") in entry.vocabulary
    assert not any(field.startswith("stem") for field, _ in entry.vocabulary)


def test_an_entry_holds_each_fields_terms_at_the_analyzers_positions(indexed) -> None:
    document = indexed(
        title="IRAQ'S HARBOUR: THE HARBOUR BOARD",
        body="The harbour board met. Iraq's board, Iraqs harbour; board, boards.",
    )
    [(loaded, terms)] = documents_for_index([document.pk])
    fields = document_fields(loaded, terms)
    assert loaded.language == "en"
    lexemes = {
        lexeme: set(positions.split(","))
        for lexeme, positions in (
            part.rsplit(":", 1) for part in build_entry(loaded, terms).vector.split(" ")
        )
    }
    expected: dict[str, set[str]] = {}

    def add(fieldname: str, prefix: str, start: int, weight: str) -> int:
        tokens = schema()[fieldname].analyzer(fields[fieldname], positions=True, mode="index")
        last = 0
        for token in tokens:
            expected.setdefault(quote_lexeme(prefix + token.text), set()).add(
                f"{start + token.pos}{weight}"
            )
            last = token.pos
        return last

    title_last = add("title", "", 1, "A")
    add("body", "", title_last + 3, "B")  # after the title's, a position apart
    add("stem_en", "en:", 1, "C")
    add("outlet", "o:", 1, "D")
    add("reprinter", "r:", 1, "D")
    assert lexemes == expected
    # Title and text share a word's lexeme, each position with its field's weight.
    assert lexemes["'harbour'"] == {"2A", "4A", "8B", "14B"}
    assert lexemes["'iraq'"] == {"1A", "11B"} and lexemes["'en:iraq'"] >= {"1C", "10C", "12C"}


def test_an_entry_sends_a_lexemes_first_256_positions_and_caps_them_at_16383(indexed) -> None:
    document = indexed(title="CAPS", body="word " * 300 + "filler " * 16_400 + "last")
    [(loaded, terms)] = documents_for_index([document.pk])
    lexemes = dict(part.rsplit(":", 1) for part in build_entry(loaded, terms).vector.split(" "))
    assert lexemes["'word'"].split(",") == [f"{position}B" for position in range(3, 259)]
    assert lexemes["'last'"] == "16383B"
    assert len(lexemes["'filler'"].split(",")) == 256


@pytest.mark.usefixtures("search_backend")
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("AVİM", True),
        ("avim", True),
        ("Öğütcü", True),
        ("ogutcu", True),
        ("ılık", True),
        ("ILIK", True),
        ("ilik", True),
        ("İlik", True),
        ("kuraklik", True),
        ("avım", True),
        ("ogutçu", True),
        ("ogutcuk", False),
    ],
)
def test_the_folding_table_is_the_same_on_each_backend(indexed, researcher, query, found) -> None:
    document = indexed(title="AVİM ÖĞÜTCÜ ILIK", body="Kuraklığın bahçeleri vurduğunu söyledi.")
    assert (document.pk in [hit.document_id for hit in search(query, user=researcher).hits]) is (
        found
    )


@pytest.mark.usefixtures("search_backend")
def test_the_index_task_writes_to_the_chosen_backend(researcher) -> None:
    document = DocumentFactory(title="WRITTEN BY THE TASK ALONE")  # its task not run
    assert document.pk not in index_entries()
    update_search_index.func([document.pk])
    assert document.pk in index_entries()
    assert [hit.document_id for hit in search("task", user=researcher).hits] == [document.pk]


def test_an_entry_stops_taking_new_words_before_the_tsvector_size_limit(
    indexed, monkeypatch
) -> None:
    monkeypatch.setattr("search.backends.postgres.MAX_LEXEMES_BYTES", 40)
    document = indexed(title="FIRST", body="alpha beta gamma delta epsilon zeta eta theta iota")
    [(loaded, terms)] = documents_for_index([document.pk])
    lexemes = [part.rsplit(":", 1)[0] for part in build_entry(loaded, terms).vector.split(" ")]
    assert "'first'" in lexemes and "'alpha'" in lexemes
    assert sum(len(lexeme) - 1 for lexeme in lexemes) <= 40
    assert "'iota'" not in lexemes


@pytest.mark.parametrize(
    ("query", "tsquery"),
    [
        (
            "harbour",
            "(('harbour') | 'en:harbour' | 'tr:harbour' | 'o:harbour' | 'r:harbour' "
            "| 'g:harbour' | 's:harbour')",
        ),
        ('"harbour board"', "(('harbour' <-> 'board') | ('en:harbour' <-> 'en:board')"),
        ("title:harbour", "'harbour':A"),
        ("outlet:ledger", "'o:ledger'"),
    ],
)
def test_a_tsquery_names_a_weight_only_where_its_lexeme_does_not_tell_the_field(
    query: str, tsquery: str
) -> None:
    """A weight makes PostgreSQL re-read each match's vector (its GIN index keeps none): an
    unfielded word, asked of title and text alike, and a prefixed name go without."""
    condition = translate(parse_query(query, schema()))
    assert condition.ts is not None and condition.ts.startswith(tsquery)


def test_a_ranking_keeps_the_words_and_phrases_whose_every_lexeme_some_entry_holds() -> None:
    ranking = ranking_query(parse_query('harbour "tide table" NOT storm', schema()))
    assert ranking is not None
    assert "'storm'" not in ranking.lexemes()  # a word under NOT ranks nothing
    assert {"'harbour'", "'o:harbour'", "'tide'", "'table'", "'en:tabl'"} <= set(ranking.lexemes())
    # 'en:tabl' is not held: the stemmed phrase goes, though its other stem is held.
    held = {"'harbour'", "'en:harbour'", "'tide'", "'table'", "'en:tide'"}
    assert ranking.held(held) == (
        "'harbour':A | 'harbour':B | 'en:harbour' | ('tide':A <-> 'table':A) "
        "| ('tide':B <-> 'table':B)"
    )
    assert ranking.held(set()) is None
