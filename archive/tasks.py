"""The archive's periodic background work, run by `manage.py db_worker`."""

from __future__ import annotations

from datetime import timedelta

from archive.services.checkpoints import provenance_checkpoint_if_due
from kaynak.tasks import enqueue_once, task

# How often the worker records a provenance checkpoint (only when some chain changed).
CHECKPOINT_INTERVAL = timedelta(minutes=1)


@task()
def record_provenance_checkpoint() -> None:
    """A checkpoint if one is due; then the next run is queued, whatever this one found: a
    refusal (the chains no longer extend the newest checkpoint) fails this run, with its
    message in the task results, and is tried again a minute later."""
    try:
        provenance_checkpoint_if_due(min_interval=CHECKPOINT_INTERVAL)
    finally:
        enqueue_once(record_provenance_checkpoint, run_after=CHECKPOINT_INTERVAL)
