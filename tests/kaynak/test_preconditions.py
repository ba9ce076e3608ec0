"""Conditional requests read their headers as lists of entity tags, not as text to search."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory

from kaynak.preconditions import (
    EntityTag,
    PreconditionRequired,
    if_match_versions,
    none_match,
    parse_tags,
)

factory = APIRequestFactory()


def request_with(**headers: str):
    return factory.get("/", **headers)


def test_a_list_of_tags_is_read_tag_by_tag_with_weak_ones_marked() -> None:
    assert parse_tags(' "7.2" , W/"7.3",*') == [
        EntityTag("7.2"),
        EntityTag("7.3", weak=True),
        EntityTag("*"),
    ]


def test_a_malformed_entry_ends_the_list_instead_of_being_guessed_at() -> None:
    assert parse_tags('"7.2", 7.3, "7.4"') == [EntityTag("7.2")]
    assert parse_tags("7.2") == []


def test_if_none_match_does_not_match_a_tag_that_merely_contains_the_version() -> None:
    request = request_with(HTTP_IF_NONE_MATCH='"17.20"')
    assert not none_match(request, "7.2")
    assert none_match(request, "17.20")


def test_if_none_match_compares_weak_tags_and_the_wildcard_matches_any_version() -> None:
    assert none_match(request_with(HTTP_IF_NONE_MATCH='"1.1", W/"7.2"'), "7.2")
    assert none_match(request_with(HTTP_IF_NONE_MATCH="*"), "7.2")
    assert not none_match(request_with(), "7.2")


@pytest.mark.parametrize("header", ["", "*", "  ", "7.2"])
def test_if_match_without_a_named_version_is_refused_as_required(header: str) -> None:
    with pytest.raises(PreconditionRequired):
        if_match_versions(request_with(HTTP_IF_MATCH=header))


def test_if_match_names_each_version_it_lists() -> None:
    assert if_match_versions(request_with(HTTP_IF_MATCH='"7.1", W/"7.2"')) == ["7.1", "7.2"]
