"""The W3C Web Annotation test suite (../shared/conformance/web-annotation-tests), run with
jsonschema: each assertion is a draft-04 schema with an expected result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SUITE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "web-annotation-tests"


@dataclass(frozen=True)
class Assertion:
    path: str
    kind: str  # must, should, may
    title: str
    schema: dict

    def passes(self, instance: object) -> bool:
        valid = Draft4Validator(self.schema, registry=registry()).is_valid(instance)
        return valid == (self.schema.get("expectedResult", "valid") == "valid")


@cache
def registry() -> Registry:
    resources = []
    for path in sorted((SUITE / "definitions").glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append(
            (contents["id"], Resource.from_contents(contents, default_specification=DRAFT4))
        )
    return Registry().with_resources(resources)


def _paths(entries: list) -> list[str]:
    paths = []
    for entry in entries:
        paths.extend(_paths(entry) if isinstance(entry, list) else [entry])
    return paths


@cache
def assertions(test_file: str) -> tuple[Assertion, ...]:
    listed = json.loads((SUITE / test_file).read_text())["assertions"]
    found = []
    for relative in _paths(listed):
        schema = json.loads((SUITE / relative).read_text())
        found.append(
            Assertion(
                relative, schema.get("assertionType", "must"), schema.get("title", ""), schema
            )
        )
    return tuple(found)


def failures(instance: object, test_file: str) -> list[str]:
    return [item.path for item in assertions(test_file) if not item.passes(instance)]


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return path.read_text()  # a sample that is not even JSON (incorrect/anno1)


def samples(kind: str) -> dict[str, object]:
    folder = SUITE / "tools" / "samples" / kind
    return {path.name: _load(path) for path in sorted(folder.glob("*.json"))}
