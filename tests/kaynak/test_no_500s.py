"""Requests that used to answer 500: each now gets a clear 4xx (or its page) instead."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_like(researcher) -> Client:
    """A signed-in session, as a browser that wanders onto the API would send."""
    client = Client()
    client.force_login(researcher)
    return client


@pytest.mark.parametrize("query", ["zz😀qq", "kedi𝔘köpek", "a🇹🇷b"])
def test_search_with_an_astral_character_between_letters_answers_without_a_suggestion(
    researcher_client: APIClient, indexed, query: str
) -> None:
    indexed(title="FERRY FARES")
    response = researcher_client.get("/api/search/", {"q": query})
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 0


def test_search_page_with_an_astral_character_answers_the_page(
    browser_like: Client, indexed
) -> None:
    indexed(title="FERRY FARES")
    response = browser_like.get("/", {"q": "zz😀qq"})
    assert response.status_code == 200


def test_deeply_nested_json_body_is_refused_with_a_json_400(
    researcher_client: APIClient,
) -> None:
    response = researcher_client.generic(
        "POST", "/api/tags/", "[" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested" in response.json()["detail"]


def test_json_body_past_the_request_limit_is_refused_with_a_json_413(
    researcher_client: APIClient, settings
) -> None:
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = researcher_client.generic(
        "POST", "/api/tags/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "bytes" in response.json()["detail"]


def test_an_id_filter_past_the_largest_id_is_a_400(researcher_client: APIClient) -> None:
    response = researcher_client.get("/api/annotations/", {"document": "9" * 40})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("document: ")
