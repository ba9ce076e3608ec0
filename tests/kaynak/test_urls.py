from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_asks_an_anonymous_visitor_to_sign_in(client) -> None:
    page = client.get("/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=/"


def test_home_page_links_a_signed_in_user_to_the_api_docs(client, researcher) -> None:
    client.force_login(researcher)
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/api/docs/"' in page.text


def test_browsable_api_offers_a_sign_in_page(client) -> None:
    assert client.get("/api-auth/login/").status_code == 200
