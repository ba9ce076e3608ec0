"""Checkpoints over every hash chain, their export, and the checks against them.

A checkpoint records the head of each document's, annotation's and source's chain and a
Merkle root over those heads, chained to the previous checkpoint. Chains may grow after it,
but every chain it names must still start with the entries it recorded: a chain cut short, a
chain rewritten with recomputed hashes and a document deleted with its events all fail that.
An export of the newest checkpoint, kept outside the database, carries its hash (and the
Merkle root): a database in which every table, the checkpoints' too, was rewritten no
longer matches it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from archive.models import EventType, ProvenanceCheckpoint, ProvenanceEvent
from kaynak.chain import (
    Chain,
    canonical_json,
    merkle_root,
    registered_chains,
    sha256_hex,
    signature,
    signature_matches,
)
from kaynak.errors import KaynakError

EXPORT_FORMAT = "kaynak-checkpoint/1"

# The checkpoint's count columns for each registered chain: (owners, entries).
_COUNT_FIELDS = {
    "document": ("document_count", "event_count"),
    "annotation": ("annotation_count", "revision_count"),
    "source": ("source_count", "source_event_count"),
}


class CheckpointRefused(KaynakError):
    code = "checkpoint_refused"


def _current_heads() -> dict[str, list[list[Any]]]:
    return {chain.name: [list(head) for head in chain.heads()] for chain in registered_chains()}


def latest_checkpoint() -> ProvenanceCheckpoint | None:
    return ProvenanceCheckpoint.objects.order_by("-number").first()


@transaction.atomic
def provenance_checkpoint() -> ProvenanceCheckpoint:
    """Record a checkpoint over every chain's head now. Refused when today's chains no longer
    extend the previous checkpoint's (a new one would bless the tampering)."""
    previous = latest_checkpoint()
    if previous is not None:
        problems = checkpoint_problems(previous)
        if problems:
            raise CheckpointRefused(
                f"no checkpoint made: the chains no longer extend checkpoint {previous.number}: "
                + "; ".join(problems[:5])
                + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""),
                problems=problems,
            )
    heads = _current_heads()
    counts: dict[str, int] = {}
    for chain in registered_chains():
        owners_field, entries_field = _COUNT_FIELDS[chain.name]
        counts[owners_field], counts[entries_field] = chain.count()
    checkpoint = ProvenanceCheckpoint(
        number=previous.number + 1 if previous else 1,
        created_at=timezone.now(),
        heads=heads,
        merkle_root=merkle_root(heads),
        previous_hash=previous.checkpoint_hash if previous else "",
        **{name: counts.get(name, 0) for fields in _COUNT_FIELDS.values() for name in fields},
    )
    checkpoint.checkpoint_hash = checkpoint.compute_hash()
    checkpoint.save(force_insert=True)
    return checkpoint


def provenance_checkpoint_if_due(
    *, min_interval: timedelta = timedelta(seconds=60)
) -> ProvenanceCheckpoint | None:
    """A checkpoint if some chain changed since the newest one and that one is at least
    `min_interval` old (the background worker calls this); otherwise None. Raises
    CheckpointRefused, as `provenance_checkpoint` does, when the chains no longer extend the
    newest checkpoint: the worker's failure then shows the tampering."""
    previous = latest_checkpoint()
    if previous is not None:
        if timezone.now() - previous.created_at < min_interval:
            return None
        if merkle_root(_current_heads()) == previous.merkle_root:
            return None
    try:
        with transaction.atomic():
            return provenance_checkpoint()
    except IntegrityError:
        return None  # another process made this checkpoint meanwhile (the number is unique)


# --- Checks ---------------------------------------------------------------------------------


@dataclass
class CheckpointAudit:
    """What a check against the checkpoints found: problems of one chain's owner by
    (kind, owner id), and problems of the checkpoints themselves."""

    checkpoint: ProvenanceCheckpoint | None = None
    by_owner: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, kind: str, owner: int, problem: str) -> None:
        self.by_owner.setdefault((kind, owner), []).append(problem)

    @property
    def ok(self) -> bool:
        return not self.by_owner and not self.general


def _chain_named(name: str) -> Chain | None:
    return next((chain for chain in registered_chains() if chain.name == name), None)


def _prefix_problems(checkpoint: ProvenanceCheckpoint, audit: CheckpointAudit) -> None:
    """Every head the checkpoint recorded must still be in its chain, with the same hash."""
    for kind, heads in sorted(checkpoint.heads.items()):
        chain = _chain_named(kind)
        if chain is None:
            audit.general.append(f"checkpoint {checkpoint.number} covers unknown chains {kind!r}")
            continue
        wanted = {(owner, sequence): digest for owner, sequence, digest in heads}
        found: dict[tuple[int, int], str] = {}
        owners = set()
        for owner, sequence, digest in chain.hashes():
            owners.add(owner)
            if (owner, sequence) in wanted:
                found[owner, sequence] = digest
        for (owner, sequence), digest in sorted(wanted.items()):
            if owner not in owners:
                audit.add(
                    kind,
                    owner,
                    f"{kind} {owner} had {sequence} {chain.entry}(s) at checkpoint "
                    f"{checkpoint.number} and has none now: deleted with its history",
                )
            elif (owner, sequence) not in found:
                audit.add(
                    kind,
                    owner,
                    f"{kind} {owner}'s chain is shorter than at checkpoint {checkpoint.number}: "
                    f"{chain.entry} {sequence} is missing (truncated)",
                )
            elif found[owner, sequence] != digest:
                audit.add(
                    kind,
                    owner,
                    f"{kind} {owner}'s {chain.entry} {sequence} differs from checkpoint "
                    f"{checkpoint.number}: the chain was rewritten",
                )


def checkpoint_problems(checkpoint: ProvenanceCheckpoint) -> list[str]:
    """Each way today's chains fail to extend `checkpoint` (its own integrity included)."""
    audit = CheckpointAudit(checkpoint=checkpoint)
    _own_problems(checkpoint, audit)
    if _heads_hold(checkpoint):
        _prefix_problems(checkpoint, audit)
    return audit.general + [problem for problems in audit.by_owner.values() for problem in problems]


def _heads_hold(checkpoint: ProvenanceCheckpoint) -> bool:
    """Whether the stored heads give the stored Merkle root (heads edited into any shape
    at all count as not holding)."""
    try:
        return merkle_root(checkpoint.heads) == checkpoint.merkle_root
    except (TypeError, ValueError, AttributeError):
        return False


def _own_problems(checkpoint: ProvenanceCheckpoint, audit: CheckpointAudit) -> None:
    if not _heads_hold(checkpoint):
        audit.general.append(
            f"checkpoint {checkpoint.number}'s heads do not give its Merkle root: altered"
        )
    if checkpoint.compute_hash() != checkpoint.checkpoint_hash:
        audit.general.append(f"checkpoint {checkpoint.number} was altered after it was recorded")


def _checkpoint_chain_problems(audit: CheckpointAudit) -> None:
    """The checkpoints must run 1, 2, … each naming the previous one's hash."""
    previous_hash, expected = "", 1
    for checkpoint in ProvenanceCheckpoint.objects.order_by("number"):
        if checkpoint.number != expected:
            audit.general.append(
                f"checkpoint chain broken: checkpoint {expected} is missing "
                f"(found {checkpoint.number} next)"
            )
        elif checkpoint.previous_hash != previous_hash:
            audit.general.append(
                f"checkpoint chain broken: checkpoint {checkpoint.number} does not link to "
                f"the hash of checkpoint {expected - 1}"
            )
        _own_problems(checkpoint, audit)
        previous_hash, expected = checkpoint.checkpoint_hash, checkpoint.number + 1


def _witness_problems(audit: CheckpointAudit) -> None:
    """Each fixity check records the checkpoint it verified against, in a document's chain;
    the newest such record must still name an existing checkpoint (so deleting the newest
    checkpoint does not pass unseen once a fixity check has seen it)."""
    witness = (
        ProvenanceEvent.objects.filter(
            event_type=EventType.FIXITY_CHECK, detail__has_key="checkpoint"
        )
        .order_by("-occurred_at", "-pk")
        .first()
    )
    if witness is None:
        return
    named = witness.detail["checkpoint"]
    exists = ProvenanceCheckpoint.objects.filter(
        number=named["number"], checkpoint_hash=named["hash"]
    ).exists()
    if not exists:
        audit.general.append(
            f"checkpoint {named['number']} is missing or altered: document "
            f"{witness.document_id}'s fixity check of "
            f"{witness.occurred_at:%Y-%m-%d %H:%M} UTC (event {witness.sequence}) verified "
            "against it"
        )


def provenance_audit(*, against: dict[str, Any] | None = None) -> CheckpointAudit:
    """Check the checkpoint chain, the chains of annotations and sources, and every chain
    against the newest checkpoint, or, given an export, against the checkpoint it names
    (which must match it)."""
    audit = CheckpointAudit()
    _checkpoint_chain_problems(audit)
    _witness_problems(audit)
    checkpoint = latest_checkpoint()
    if against is not None:
        checkpoint = _exported_checkpoint(against, audit)
    audit.checkpoint = checkpoint
    # Heads that do not give their root were altered (reported above): nothing to check by.
    if checkpoint is not None and _heads_hold(checkpoint):
        _prefix_problems(checkpoint, audit)
    for chain in registered_chains():
        if chain.name == "document":
            continue  # each document's chain is checked with its fixity check
        for owner, problem in chain.breaks(None).items():
            audit.add(chain.name, owner, f"{chain.entry} chain broken: {problem}")
    return audit


# --- Exports --------------------------------------------------------------------------------


def checkpoint_export(checkpoint: ProvenanceCheckpoint, path: Path) -> dict[str, Any]:
    """Write `checkpoint` as a small JSON file (its summary and hash, not the heads: the
    Merkle root stands for them), signed with KAYNAK_CHECKPOINT_KEY when it is set."""
    payload: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "checkpoint": checkpoint.summary(),
        "checkpoint_hash": checkpoint.checkpoint_hash,
    }
    if settings.KAYNAK_CHECKPOINT_KEY:
        payload["signature"] = {
            "algorithm": "HMAC-SHA256",
            "value": signature(payload, settings.KAYNAK_CHECKPOINT_KEY),
        }
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return payload


def read_export(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise KaynakError(f"cannot read the checkpoint export {path}: {error}") from None
    if not isinstance(payload, dict) or payload.get("format") != EXPORT_FORMAT:
        raise KaynakError(f"{path} is not a Kaynak checkpoint export ({EXPORT_FORMAT})")
    if not (
        isinstance(payload.get("checkpoint"), dict)
        and isinstance(payload.get("checkpoint_hash"), str)
        and isinstance(payload.get("signature", {}), dict)
    ):
        raise KaynakError(
            f"{path} is damaged: a checkpoint export has a checkpoint, its hash and, when "
            "signed, a signature"
        )
    return payload


def _exported_checkpoint(
    payload: dict[str, Any], audit: CheckpointAudit
) -> ProvenanceCheckpoint | None:
    """The database's checkpoint that the export names, if it matches the export; each
    mismatch is a problem."""
    unsigned = {key: value for key, value in payload.items() if key != "signature"}
    key = settings.KAYNAK_CHECKPOINT_KEY
    signed = payload.get("signature")
    if signed and not key:
        audit.general.append(
            "the export is signed but KAYNAK_CHECKPOINT_KEY is not set: its signature "
            "cannot be checked"
        )
    elif key and not signed:
        audit.general.append("the export is not signed, but KAYNAK_CHECKPOINT_KEY is set")
    elif key and signed and not signature_matches(unsigned, key, str(signed.get("value", ""))):
        audit.general.append("the export's signature does not match: the file was altered")
    summary = payload.get("checkpoint") or {}
    if sha256_hex(canonical_json(summary)) != payload.get("checkpoint_hash"):
        audit.general.append("the export's checkpoint does not give its hash: the file was altered")
    number = summary.get("number")
    stored = (
        ProvenanceCheckpoint.objects.filter(number=number).first()
        if isinstance(number, int)
        else None
    )
    if stored is None:
        audit.general.append(f"checkpoint {number} of the export is missing from the database")
        return None
    if (
        payload.get("checkpoint_hash") != stored.checkpoint_hash
        or summary.get("merkle_root") != stored.merkle_root
    ):
        audit.general.append(
            f"checkpoint {number} in the database differs from the export: the database's "
            "history was rewritten"
        )
        return None
    return stored
