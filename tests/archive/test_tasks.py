"""The archive's periodic work as the worker runs it: a provenance checkpoint at most once a
minute, its next run always queued."""

from __future__ import annotations

import pytest
from django.utils import timezone

from archive.models import ProvenanceCheckpoint
from archive.services import checkpoints
from archive.tasks import CHECKPOINT_INTERVAL, record_provenance_checkpoint
from kaynak.tasks import (
    PERIODIC_TASKS,
    DBTaskResult,
    TaskResultStatus,
    run_pending_tasks,
    schedule_periodic_tasks,
)
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def checkpoint_runs() -> DBTaskResult:
    return DBTaskResult.objects.filter(task_path=record_provenance_checkpoint.module_path)


def test_the_checkpoint_is_registered_as_periodic_work_of_the_worker() -> None:
    assert (record_provenance_checkpoint, CHECKPOINT_INTERVAL) in PERIODIC_TASKS


def test_a_worker_starting_records_a_checkpoint_and_queues_the_next_a_minute_later() -> None:
    DocumentFactory()
    schedule_periodic_tasks()
    run_pending_tasks()

    assert ProvenanceCheckpoint.objects.count() == 1
    assert checkpoint_runs().filter(status=TaskResultStatus.SUCCESSFUL).count() == 1
    [waiting] = checkpoint_runs().filter(status=TaskResultStatus.READY)
    assert waiting.run_after > timezone.now() + CHECKPOINT_INTERVAL * 0.9
    # Not due yet: draining the queue now runs nothing more.
    assert run_pending_tasks() == 0
    # A second worker starting meanwhile does not queue a second cycle.
    schedule_periodic_tasks()
    assert checkpoint_runs().filter(status=TaskResultStatus.READY).count() == 1


def test_a_refused_checkpoint_fails_its_run_and_the_next_is_still_queued(
    triggers_dropped, monkeypatch
) -> None:
    document = DocumentFactory()
    schedule_periodic_tasks()
    run_pending_tasks()
    document.events.all().delete()  # as a database administrator could
    # A minute and more later, the next run is due.
    later = timezone.now() + 2 * CHECKPOINT_INTERVAL
    monkeypatch.setattr(checkpoints.timezone, "now", lambda: later)
    checkpoint_runs().filter(status=TaskResultStatus.READY).update(run_after=timezone.now())

    run_pending_tasks()

    [failed] = checkpoint_runs().filter(status=TaskResultStatus.FAILED)
    assert "CheckpointRefused" in failed.exception_class_path
    assert f"document {document.pk} had 1 event" in failed.traceback
    assert checkpoint_runs().filter(status=TaskResultStatus.READY).count() == 1
    assert ProvenanceCheckpoint.objects.count() == 1
