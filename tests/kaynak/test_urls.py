from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_links_to_the_api_and_admin(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/api/docs/"' in page.text
    assert 'href="/admin/"' in page.text


def test_browsable_api_offers_a_sign_in_page(client) -> None:
    assert client.get("/api-auth/login/").status_code == 200
