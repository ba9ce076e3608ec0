"""The friendly 404, 403 and 500 pages (issue 14, point 7): the app's style, a way back, and
the same templates as production (DEBUG is off in the tests, as it is there)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

from kaynak import views
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_friendly_404_in_the_apps_style(client: Client) -> None:
    client.force_login(UserFactory(username="reader"))
    response = client.get("/documents/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Page not found</h1>" in page
    assert "kaynak/app.css" in page and 'href="/"' in page
    assert "Traceback" not in page and "Using the URLconf" not in page


def test_an_unknown_address_is_a_friendly_404_even_signed_out(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_a_refusal_is_a_friendly_403(rf: RequestFactory) -> None:
    request = rf.get("/documents/1/")
    request.user = UserFactory(username="reader")
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot open this page" in page and "kaynak/app.css" in page


def test_a_server_error_is_a_friendly_500_that_needs_no_request_context(
    rf: RequestFactory,
) -> None:
    response = views.server_error(rf.get("/documents/1/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "kaynak/app.css" in page
    assert "Nothing you saved before it was lost" in page


def test_the_api_still_answers_errors_in_json(client: Client) -> None:
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
