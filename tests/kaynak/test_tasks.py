"""The durable queue: a task row commits with the change that causes it and goes with its
rollback; failures are retried with backoff, shown to curators and named by the index check;
tasks of a dead worker run again; periodic work is queued once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.utils import timezone

from archive.models import Document
from kaynak.tasks import (
    DBTaskResult,
    TaskResultStatus,
    enqueue_once,
    requeue_abandoned_tasks,
    retry_delay,
    run_pending_tasks,
)
from search import index as index_module
from search.engine import check_index, index_tasks, pending_document_ids
from search.index import update_search_index
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def index_task_rows() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=update_search_index.module_path).order_by(
            "enqueued_at"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_the_task_row_commits_with_the_change_and_vanishes_with_a_rollback() -> None:
    with transaction.atomic():
        document = DocumentFactory(title="COMMITTED TOGETHER")
        # Inside the transaction, on the same connection: the row is written, not deferred.
        assert [row.args_kwargs["args"] for row in index_task_rows()] == [[[document.pk]]]
    # Another connection sees both, committed together.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {DBTaskResult._meta.db_table} WHERE task_path = %s",
                [update_search_index.module_path],
            )
            assert cursor.fetchone()[0] == 1
    finally:
        other.close()

    with pytest.raises(RuntimeError), transaction.atomic():
        DocumentFactory(title="ROLLED BACK")
        raise RuntimeError("the caller changed its mind")
    assert Document.objects.count() == 1
    assert len(index_task_rows()) == 1  # only the committed change's task


def test_a_failing_index_task_is_retried_with_backoff_then_named_by_the_check(
    settings, monkeypatch
) -> None:
    settings.KAYNAK_TASK_ATTEMPTS = 3
    document = DocumentFactory(title="UNLUCKY HEADLINE")

    def disk_full(ids) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(index_module, "index_documents", disk_full)
    for attempt in (1, 2, 3):
        before = timezone.now()
        assert run_pending_tasks() == 1
        rows = index_task_rows()
        failed = rows[attempt - 1]
        assert failed.status == TaskResultStatus.FAILED
        assert "no space left on device" in failed.traceback
        if attempt < 3:
            retry = rows[attempt]
            assert retry.status == TaskResultStatus.READY
            assert retry.args_kwargs == {
                "args": [[document.pk]],
                "kwargs": {"attempt": attempt + 1},
            }
            assert retry.run_after >= before + retry_delay(attempt)
            assert run_pending_tasks() == 0  # not before its time
            DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    assert len(index_task_rows()) == 3  # no fourth attempt
    assert retry_delay(1) < retry_delay(2) < retry_delay(3)

    # Still read from the database by searches, and named by the check.
    assert pending_document_ids() == {document.pk}
    out = StringIO()
    with pytest.raises(CommandError, match="index tasks failed"):
        call_command("search_index", "check", stdout=out)
    report = out.getvalue()
    assert "missing: 1" in report
    assert "index tasks failed after every retry: 1" in report
    assert f"documents {document.pk}: OSError: no space left on device" in report

    monkeypatch.undo()
    out = StringIO()
    call_command("search_index", "check", "--repair", stdout=out)
    assert "Repaired." in out.getvalue()
    assert index_tasks().failed == [] and pending_document_ids() == set()
    assert not check_index().drifted
    call_command("search_index", "check", stdout=StringIO())  # clean: exits zero


def test_the_check_names_queued_index_tasks(settings) -> None:
    DocumentFactory(title="WAITING FOR THE WORKER")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("search_index", "check", stdout=out)
    assert "index tasks queued or running: 1" in out.getvalue()


def test_tasks_of_a_dead_worker_run_again_and_a_live_ones_do_not() -> None:
    document = DocumentFactory(title="CLAIMED THEN ORPHANED")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = os.uname().nodename[:30]
    row = index_task_rows()[0]
    row.claim(f"{host}:{dead.stdout.strip()}:dead0000")
    other = update_search_index.enqueue([document.pk])
    DBTaskResult.objects.get(pk=other.id).claim(f"{host}:{os.getpid()}:alive000")

    assert requeue_abandoned_tasks() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=other.id).status == TaskResultStatus.RUNNING


def test_a_task_held_too_long_by_another_machines_worker_runs_again(settings) -> None:
    DocumentFactory(title="HELD FAR AWAY")
    row = index_task_rows()[0]
    row.claim("another-machine:123:cafe0000")
    assert requeue_abandoned_tasks() == 0
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(seconds=settings.KAYNAK_TASK_ABANDONED_AFTER + 1)
    )
    assert requeue_abandoned_tasks() == 1


def test_periodic_work_is_queued_once_until_it_has_run() -> None:
    assert enqueue_once(update_search_index, run_after=timedelta(minutes=1), ids=[]) is True
    assert enqueue_once(update_search_index, run_after=timedelta(minutes=1), ids=[]) is False
    [row] = index_task_rows()
    assert row.run_after > timezone.now() + timedelta(seconds=50)


def test_curators_see_task_results_and_their_errors_in_the_admin(
    client, curator, monkeypatch
) -> None:
    DocumentFactory(title="SHOWN IN THE ADMIN")
    monkeypatch.setattr(
        index_module, "index_documents", lambda ids: (_ for _ in ()).throw(OSError("disk gone"))
    )
    run_pending_tasks()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    client.force_login(curator)
    listing = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert listing.status_code == 200
    assert "update_search_index" in listing.content.decode()
    detail = client.get(f"/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/")
    assert detail.status_code == 200
    assert "OSError: disk gone" in detail.content.decode()
