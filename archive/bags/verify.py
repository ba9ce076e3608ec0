"""Verifying a bag without touching the database: BagIt completeness and fixity, the
payload's safety (no symlinks, no path out of the bag), the records' shape, every PREMIS
file against the PREMIS 3 schema, every chain recomputed, and the checkpoint matched."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import bagit
from lxml import etree

from archive.bags import BAG_FORMAT_VERSION
from archive.bags.export import original_name
from archive.bags.premis import PREMIS_NS, premis_problem
from archive.bags.records import BagRefused, built, field_names, unknown_fields
from archive.models import (
    Document,
    Facsimile,
    ProvenanceCheckpoint,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
)
from kaynak.chain import ChainedRow, Link, canonical_json, chain_break, merkle_root, sha256_hex
from kaynak.hooks import bag_parts

_KINDS = (Document, ProvenanceEvent, Facsimile, Source, SourceAlias, SourceEvent)


def known_fields() -> dict[str, set[str]]:
    """Every kind of record this Kaynak reads from a bag, with its fields."""
    known = {model._meta.label_lower: field_names(model) for model in _KINDS}
    known["auth.user"] = {"username"}
    known["auth.group"] = {"name"}
    known[ProvenanceCheckpoint._meta.label_lower] = field_names(ProvenanceCheckpoint)
    for part in bag_parts():
        known.update(part.known_fields())
    return known


@dataclass
class BagContents:
    """What a verified bag holds (the records themselves are read again when imported)."""

    path: Path
    info: dict[str, Any]
    document_files: list[Path] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None


def _payload_folder(path: Path) -> Path:
    return path / "data"


def _unsafe_paths(path: Path) -> list[str]:
    """Symlinks anywhere in the bag, and manifest lines naming a path outside it."""
    problems = []
    for folder, folders, files in os.walk(path, followlinks=False):
        for name in folders + files:
            entry = Path(folder) / name
            if entry.is_symlink():
                problems.append(f"{entry.relative_to(path)}: a symlink inside the bag is refused")
    for manifest in sorted(path.glob("*manifest-*.txt")):
        for number, line in enumerate(manifest.read_text(errors="replace").splitlines(), 1):
            _, _, name = line.partition(" ")
            name = name.strip()
            if name.startswith("/") or ".." in Path(name).parts:
                problems.append(f"{manifest.name} line {number}: the path {name!r} escapes the bag")
    return problems


def _bagit_problems(path: Path) -> list[str]:
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagValidationError as error:
        if error.details:
            return [f"{detail}" for detail in error.details]
        # The Payload-Oxum (file count and bytes) disagrees before any file is named: name
        # them, by comparing the manifests with the files and their checksums.
        return _named_differences(bag) or [f"{path.name}: {error.message}"]
    except bagit.BagError as error:
        return [f"{path.name}: not a valid bag ({error})"]
    return []


def _named_differences(bag: bagit.Bag) -> list[str]:
    only_in_manifests, only_on_disk = bag.compare_manifests_with_fs()
    problems = [f"{name}: in the manifest but not in the bag" for name in only_in_manifests]
    problems += [f"{name}: in the bag but not in the manifest" for name in only_on_disk]
    for name, digests in bag.entries.items():
        file = Path(bag.path) / name
        if name in only_in_manifests or "sha256" not in digests or not file.is_file():
            continue
        if sha256_file(file) != digests["sha256"]:
            problems.append(f"{name}: its SHA-256 does not match the manifest (the file changed)")
    return problems


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path, relative: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BagRefused([f"{relative}: cannot be read as JSON ({error})"]) from None


def jsonl(path: Path, relative: Path) -> Iterator[Any]:
    if not path.is_file():
        raise BagRefused([f"{relative}: missing"])
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                yield json.loads(line)
            except ValueError as error:
                raise BagRefused([f"{relative} line {number}: not JSON ({error})"]) from None


def _shape(records: list[Any], known: dict[str, set[str]], name: str) -> list[str]:
    return [f"{name}: {problem}" for r in records if (problem := unknown_fields(r, known))]


def _chain(
    records: list[dict[str, Any]], hash_field: str, owner: str, sequence: str, entry: str
) -> str | None:
    """The first broken link among records of one chain (in order), or None."""
    links = []
    for record in records:
        instance = cast(ChainedRow, built(record).object)
        links.append(
            Link(
                getattr(instance, sequence),
                instance.previous_hash,
                getattr(instance, hash_field),
                instance.compute_hash(),
                f"{entry} {getattr(instance, sequence)}",
            )
        )
    return chain_break(links, entry=entry)


def _heads_of(records: list[dict[str, Any]], sequence: str, hash_field: str) -> dict[int, str]:
    return {record["fields"][sequence]: record["fields"][hash_field] for record in records}


def bag_verify(path: Path) -> BagContents:
    """Verify the bag at `path`; raises BagRefused listing every problem, each naming the
    file it is in (relative to the bag)."""
    path = Path(path)
    if not (path / "bagit.txt").is_file():
        raise BagRefused([f"{path}: not a bag (no bagit.txt)"])
    problems = _unsafe_paths(path)
    if problems:
        raise BagRefused(problems)
    problems = _bagit_problems(path)
    if problems:
        raise BagRefused(problems)
    info = bagit.Bag(str(path)).info
    try:
        version = int(info.get("Kaynak-Bag-Format", ""))
    except ValueError:
        raise BagRefused(["bag-info.txt: no Kaynak-Bag-Format: not a Kaynak bag"]) from None
    if version > BAG_FORMAT_VERSION:
        raise BagRefused(
            [
                f"bag-info.txt: bag format {version} is newer than this Kaynak reads "
                f"({BAG_FORMAT_VERSION}); upgrade Kaynak to import it"
            ]
        )
    contents = BagContents(path=path, info=dict(info))
    known = known_fields()
    data = _payload_folder(path)

    checkpoint_file = data / "checkpoint.json"
    heads: dict[tuple[str, int], tuple[int, str]] = {}
    if checkpoint_file.exists():
        record = read_json(checkpoint_file, Path("data/checkpoint.json")).get("checkpoint")
        if record is not None:
            problems += _shape([record], known, "data/checkpoint.json")
            if not problems:
                problems += _checkpoint_problems(record)
                contents.checkpoint = record
                for kind, owned in (record["fields"].get("heads") or {}).items():
                    for owner, sequence, digest in owned:
                        heads[(kind, owner)] = (sequence, digest)
    matched: set[tuple[str, int]] = set()

    def check_head(kind: str, owner: int, hashes: dict[int, str], name: str) -> None:
        if (kind, owner) not in heads:
            return
        matched.add((kind, owner))
        sequence, digest = heads[(kind, owner)]
        if hashes.get(sequence) != digest:
            problems.append(
                f"{name}: the chain does not extend checkpoint "
                f"{(contents.checkpoint or {}).get('fields', {}).get('number')}'s head for "
                f"{kind} {owner}"
            )

    agents = read_json(data / "agents.json", Path("data/agents.json"))
    problems += _shape(
        agents.get("users", []) + agents.get("groups", []), known, "data/agents.json"
    )

    for record in jsonl(data / "sources.jsonl", Path("data/sources.jsonl")):
        name = "data/sources.jsonl"
        if not isinstance(record, dict) or set(record) != {"source", "aliases", "events"}:
            problems.append(f"{name}: a line is not {{source, aliases, events}}")
            continue
        shaped = _shape([record["source"], *record["aliases"], *record["events"]], known, name)
        if shaped:
            problems += shaped
            continue
        owner = record["source"]["pk"]
        broken = _chain(record["events"], "event_hash", "source", "sequence", "event")
        if broken:
            problems.append(f"{name}: source {owner}'s chain is broken: {broken}")
        check_head("source", owner, _heads_of(record["events"], "sequence", "event_hash"), name)

    for file in sorted((data / "documents").glob("*.json"), key=lambda p: int(p.stem)):
        name = f"data/documents/{file.name}"
        record = read_json(file, Path(name))
        records = [record.get("document"), *record.get("events", []), *record.get("facsimiles", [])]
        shaped = _shape(records, known, name)
        if shaped:
            problems += shaped
            continue
        document = record["document"]
        if str(document["pk"]) != file.stem:
            problems.append(f"{name}: holds document {document['pk']}, not {file.stem}")
        broken = _chain(record["events"], "event_hash", "document", "sequence", "event")
        if broken:
            problems.append(f"{name}: document {document['pk']}'s chain is broken: {broken}")
        check_head(
            "document",
            document["pk"],
            _heads_of(record["events"], "sequence", "event_hash"),
            name,
        )
        for sha256 in [document["fields"]["sha256"]] + [
            facsimile["fields"]["sha256"] for facsimile in record["facsimiles"]
        ]:
            if not (data / original_name(sha256)).is_file():
                problems.append(f"{name}: its original data/{original_name(sha256)} is missing")
        premis_name = f"data/documents/{file.stem}.premis.xml"
        premis_file = data / "documents" / f"{file.stem}.premis.xml"
        if not premis_file.is_file():
            problems.append(f"{premis_name}: missing")
        else:
            premis_data = premis_file.read_bytes()
            invalid = premis_problem(premis_data)
            if invalid:
                problems.append(f"{premis_name}: {invalid}")
            elif _premis_events(premis_data) != [
                e["fields"]["event_hash"] for e in record["events"]
            ]:
                problems.append(f"{premis_name}: its events are not those of {name}")
        contents.document_files.append(file)

    for part in bag_parts():
        file = data / f"{part.name}.jsonl"
        if not file.exists():
            continue
        name = f"data/{part.name}.jsonl"
        records = list(jsonl(file, Path(name)))
        shaped = [
            f"{name}: {problem}"
            for record in records
            for inner in part.records_of(record)
            if (problem := unknown_fields(inner, known))
        ]
        if shaped:
            problems += shaped
            continue
        problems += [f"{name}: {problem}" for problem in part.chain_problems(records)]
        for kind, owner, hashes in part.chain_hashes(records):
            check_head(kind, owner, hashes, name)
        contents.parts.append(part.name)
    if contents.info.get("Kaynak-Scope") == "full":
        # A full bag holds every chain the checkpoint names (annotations when exported).
        kinds = {"document", "source"} | (
            {"annotation"} if "annotations" in contents.parts else set()
        )
        problems += [
            f"data/checkpoint.json: {kind} {owner} is in the checkpoint but not in the bag"
            for kind, owner in sorted(set(heads) - matched)
            if kind in kinds
        ]
    if problems:
        raise BagRefused(problems)
    return contents


def _premis_events(data: bytes) -> list[str]:
    tree = etree.fromstring(data)
    return [
        element.text
        for element in tree.iterfind(
            f"{{{PREMIS_NS}}}event/{{{PREMIS_NS}}}eventIdentifier/{{{PREMIS_NS}}}eventIdentifierValue"
        )
    ]


def _checkpoint_problems(record: dict[str, Any]) -> list[str]:
    checkpoint = cast(ProvenanceCheckpoint, built(record).object)
    problems = []
    if merkle_root(checkpoint.heads) != checkpoint.merkle_root:
        problems.append("data/checkpoint.json: its heads do not give its Merkle root")
    if sha256_hex(canonical_json(checkpoint.summary())) != checkpoint.checkpoint_hash:
        problems.append("data/checkpoint.json: the checkpoint does not give its hash")
    return problems
