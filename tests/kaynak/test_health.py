"""GET /healthz: what a load balancer asks each app server. 200 when the database, the search
index and the task queue are well; 503 naming whichever is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from kaynak.tasks import DBTaskResult
from search.index import live_generation, update_search_index

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("search_backend")
def test_a_healthy_server_answers_200_with_every_check_to_anyone(
    client, indexed, search_backend
) -> None:
    indexed(title="COUNTED BY THE HEALTH CHECK")
    indexed(title="AND SO IS THIS ONE")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]  # a proxy must not answer for the server
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "queue", "search_index"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["search_index"]["documents"] == 2
    assert body["checks"]["search_index"]["backend"] == search_backend
    assert body["checks"]["database"]["vendor"] == connection.vendor
    assert body["checks"]["queue"]["lag_seconds"] == 0


def test_a_database_that_cannot_be_reached_answers_503_naming_it(client, monkeypatch) -> None:
    def refused(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.5 refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", refused)
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    # The queue is read from the database, so it fails with it; the index is still there.
    assert body["failing"] == ["database", "queue"]
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }
    assert "10.0.0.5" not in response.content.decode()  # no addresses to whoever asks
    assert body["checks"]["search_index"]["ok"] is True


def test_a_damaged_search_index_answers_503_naming_it(client, indexed) -> None:
    indexed(title="IN A DAMAGED INDEX")
    generation = live_generation()
    for path in generation.iterdir():
        if path.name.endswith(".toc"):
            path.write_bytes(b"not an index table of contents")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["search_index"]
    assert body["checks"]["search_index"]["error"] == "SearchIndexUnavailable"
    assert str(generation) not in response.content.decode()


def _queued(*, enqueued_ago: timedelta, run_after: timedelta | None = None) -> DBTaskResult:
    queued = update_search_index.using(
        run_after=timezone.now() + run_after if run_after is not None else None
    ).enqueue([])
    DBTaskResult.objects.filter(pk=queued.id).update(enqueued_at=timezone.now() - enqueued_ago)
    return DBTaskResult.objects.get(pk=queued.id)


def test_a_task_waiting_longer_than_the_limit_answers_503_naming_the_queue(
    client, settings
) -> None:
    settings.KAYNAK_HEALTH_MAX_QUEUE_LAG = 60.0
    _queued(enqueued_ago=timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert 29 <= response.json()["checks"]["queue"]["lag_seconds"] < 60

    _queued(enqueued_ago=timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["queue"]
    assert "has waited 600 s (more than 60 s)" in body["checks"]["queue"]["error"]
    assert "db_worker" in body["checks"]["queue"]["error"]


def test_tasks_due_later_or_just_due_are_not_counted_as_lag(client, settings) -> None:
    settings.KAYNAK_HEALTH_MAX_QUEUE_LAG = 60.0
    # A periodic run queued long ago for tomorrow, and a retry queued long ago whose backoff
    # ended a second ago: neither has been waiting for a worker for long.
    _queued(enqueued_ago=timedelta(hours=2), run_after=timedelta(days=1))
    _queued(enqueued_ago=timedelta(hours=2), run_after=timedelta(seconds=-1))
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["queue"]["lag_seconds"] < 30


def test_load_balancers_probe_over_plain_http_without_a_redirect(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200


def test_only_reads_are_answered(client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
