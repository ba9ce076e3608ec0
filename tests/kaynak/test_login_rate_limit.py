"""Sign-in attempts are limited per account and per address (django-axes): after five failures
the account, or the address, is refused for a while even with the right password, on the
sign-in page and the API's token endpoint alike."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def limit(settings) -> int:
    return settings.AXES_FAILURE_LIMIT


def sign_in(username: str, password: str, *, address: str):
    return Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def obtain_token(username: str, password: str, *, address: str):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": password}
    )


def test_sign_in_works_below_the_limit(researcher, limit: int) -> None:
    for _ in range(limit - 1):
        assert sign_in("researcher", "wrong", address="192.0.2.1").status_code == 200
    assert sign_in("researcher", PASSWORD, address="192.0.2.1").status_code == 302


def test_an_account_is_locked_after_too_many_failures_from_any_address(
    researcher, limit: int
) -> None:
    for attempt in range(limit):
        sign_in("researcher", "wrong", address=f"192.0.2.{attempt + 1}")
    locked = sign_in("researcher", PASSWORD, address="198.51.100.7")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in locked.client.session


def test_an_address_is_locked_after_too_many_failures_on_any_account(
    researcher, limit: int
) -> None:
    for attempt in range(limit):
        sign_in(f"nobody-{attempt}", "wrong", address="203.0.113.9")
    assert sign_in("researcher", PASSWORD, address="203.0.113.9").status_code == 429
    # Another address still signs the same account in.
    assert sign_in("researcher", PASSWORD, address="203.0.113.10").status_code == 302


def test_the_token_endpoint_shares_the_limit(researcher, limit: int) -> None:
    for _ in range(limit - 1):
        assert obtain_token("researcher", "wrong", address="192.0.2.50").status_code == 400
    # The failure that reaches the limit is answered as a lockout already.
    assert obtain_token("researcher", "wrong", address="192.0.2.50").status_code == 429
    refused = obtain_token("researcher", PASSWORD, address="192.0.2.51")
    assert refused.status_code == 429
    assert refused.json()["code"] == "locked_out"
    assert "try again in 15 minutes" in refused.json()["detail"]


def test_behind_a_proxy_the_limit_counts_the_forwarded_address(settings, limit: int) -> None:
    settings.KAYNAK_TRUSTED_PROXIES = 1
    UserFactory(username="reader")
    for attempt in range(limit):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.20").post(
            "/accounts/login/", {"username": f"nobody-{attempt}", "password": "wrong"}
        )
    # Same proxy, another client: not locked out by its neighbour's failures.
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.21").post(
        "/accounts/login/", {"username": "reader", "password": PASSWORD}
    )
    assert other.status_code == 302
