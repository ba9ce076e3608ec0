"""Hash chains and the checkpoints over them, shared by every append-only history.

Three histories are chained: a document's provenance events, an annotation's revisions and a
source's curation events. Each entry hashes its canonical content together with the hash of
the entry before it, so an edit made around the append-only triggers breaks the chain at the
next link. A chain can still be cut short, or rewritten from some entry on with every later
hash recomputed; checkpoints catch that: a Merkle root over every chain's head, which later
chains must extend.

The app that owns a history registers it here (in its AppConfig.ready()), so the checkpoint
service in `archive` covers annotation revisions without importing the app above it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, NamedTuple, Protocol, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, OuterRef, Subquery


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The bytes a hash covers: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded_json(value: Any) -> Any:
    """`value` as a JSON column returns it: a hash must cover exactly what the database will
    give back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def instant(value: datetime | None) -> str | None:
    """A moment as chains record it: UTC, to the microsecond (DjangoJSONEncoder would keep
    only milliseconds)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


class ChainedRow(Protocol):
    """A row of one of the hash chains (events, revisions, checkpoints): it names the hash
    of the row before it and can compute its own."""

    previous_hash: str

    def compute_hash(self) -> str: ...


class Link(NamedTuple):
    """One entry of a chain as stored, with the hash its content gives today."""

    sequence: int
    previous_hash: str
    stored_hash: str
    computed_hash: str
    label: str  # what a report calls it: "event 3 (ingestion)", "revision 2 (updated)"


def chain_break(links: Iterable[Link], *, entry: str = "entry") -> str | None:
    """Describe the first broken link of a chain (ordered by sequence), or None if it holds:
    it starts at 1, runs without gaps, each entry names the previous one's hash, and each
    stored hash matches the entry's content."""
    previous_hash = ""
    expected = 1
    for link in links:
        if link.sequence != expected:
            return f"{entry} {expected} is missing (found {link.sequence} next)"
        if link.previous_hash != previous_hash:
            return f"{entry} {link.sequence} does not link to the hash of {entry} {expected - 1}"
        if link.computed_hash != link.stored_hash:
            return f"{link.label} was altered after it was recorded"
        previous_hash = link.stored_hash
        expected += 1
    return None


def breaks_by_owner(links: Iterable[tuple[int, Link]], *, entry: str = "entry") -> dict[int, str]:
    """{owner id: its chain's first broken link} from (owner id, link) ordered by owner and
    sequence: every chain of a kind checked in one pass."""
    breaks: dict[int, str] = {}
    for owner, owned in groupby(links, key=lambda item: item[0]):
        problem = chain_break((link for _, link in owned), entry=entry)
        if problem:
            breaks[owner] = problem
    return breaks


# --- Chains, as their apps register them ---------------------------------------------------


Head = tuple[int, int, str]  # (owner id, sequence, hash) of a chain's newest entry


@dataclass(frozen=True)
class Chain:
    """A kind of history: `name` is what a report calls its owner ("document"), `entry` what
    it calls one of its links ("event"). `heads()` yields every chain's newest entry;
    `hashes()` every entry's (owner, sequence, hash); `breaks(owner_ids)` describes each
    broken chain among those owners (all when None) as {owner id: problem};
    `count()` the owners and the entries."""

    name: str
    entry: str
    heads: Callable[[], Iterable[Head]]
    hashes: Callable[[], Iterator[Head]]
    breaks: Callable[[Sequence[int] | None], dict[int, str]]
    count: Callable[[], tuple[int, int]]


def model_chain(
    *,
    name: str,
    entry: str,
    owners: type[Model],
    entries: type[Model],
    owner: str,
    sequence: str,
    hash_field: str,
    describe: Callable[[Any], str],
) -> Chain:
    """The chain kept in `entries` rows: each belongs to an `owners` row through the foreign key
    `owner`, is numbered by `sequence`, stores its hash in `hash_field` and the previous one's in
    `previous_hash`, and recomputes its own with `compute_hash()`; `describe(row)` labels it
    in a report ("event 3 (ingestion)")."""
    owner_id = f"{owner}_id"
    rows = entries._default_manager

    def heads() -> list[Head]:
        newest = rows.filter(**{owner: OuterRef(owner)}).order_by(f"-{sequence}")
        return list(
            rows.filter(**{sequence: Subquery(newest.values(sequence)[:1])})
            .order_by(owner_id)
            .values_list(owner_id, sequence, hash_field)
        )

    def hashes() -> Iterator[Head]:
        return (
            rows.order_by(owner_id, sequence)
            .values_list(owner_id, sequence, hash_field)
            .iterator(chunk_size=2000)
        )

    def breaks(ids: Sequence[int] | None = None) -> dict[int, str]:
        chosen = rows.order_by(owner_id, sequence)
        if ids is not None:
            chosen = chosen.filter(**{f"{owner}__in": ids})
        return breaks_by_owner(
            (
                (
                    getattr(row, owner_id),
                    Link(
                        getattr(row, sequence),
                        cast(ChainedRow, row).previous_hash,
                        getattr(row, hash_field),
                        cast(ChainedRow, row).compute_hash(),
                        describe(row),
                    ),
                )
                for row in chosen.iterator(chunk_size=2000)
            ),
            entry=entry,
        )

    def count() -> tuple[int, int]:
        return owners._default_manager.count(), rows.count()

    return Chain(name=name, entry=entry, heads=heads, hashes=hashes, breaks=breaks, count=count)


_chains: dict[str, Chain] = {}


def register_chain(chain: Chain) -> None:
    _chains[chain.name] = chain


def registered_chains() -> list[Chain]:
    """The registered chains, in a fixed order (the Merkle root depends on it)."""
    return [_chains[name] for name in sorted(_chains)]


# --- Merkle roots and signatures ----------------------------------------------------------


def _leaf(kind: str, head: Sequence[Any]) -> bytes:
    owner, sequence, digest = head
    return hashlib.sha256(f"{kind}:{owner}:{sequence}:{digest}".encode()).digest()


def merkle_root(heads: Mapping[str, Sequence[Sequence[Any]]]) -> str:
    """The root of a binary Merkle tree over every head, by kind then owner id. An odd node
    at the end of a level is carried up unchanged. The empty tree's root hashes nothing."""
    level = [
        _leaf(kind, head)
        for kind in sorted(heads)
        for head in sorted(heads[kind], key=lambda head: head[0])
    ]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + left + right).digest()
            for left, right in zip(level[0::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


def signature(payload: Mapping[str, Any], key: str) -> str:
    """HMAC-SHA256 of the payload's canonical JSON, keyed by `key`."""
    return hmac.new(key.encode(), canonical_json(payload), hashlib.sha256).hexdigest()


def signature_matches(payload: Mapping[str, Any], key: str, claimed: str) -> bool:
    return hmac.compare_digest(signature(payload, key), claimed)
