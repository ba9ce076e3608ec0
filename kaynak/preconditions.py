"""Conditional requests, in one place: the entity tag of a resource's version, If-Match on
every change (428 without it, 412 with the current representation when it is stale) and
If-None-Match on reads (304). Each resource only says what its version is; the header
grammar (RFC 9110 §8.8.3, §13.1) lives here, so no view compares header text by substring."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from kaynak.errors import KaynakError

# One entity tag of a list: `*`, or an optionally weak quoted opaque value.
_TAG = re.compile(r'\s*(?:(\*)|(W/)?"([^"]*)")\s*(?:,|$)')


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send If-Match with the ETag you read, so no one else's change is lost."
    default_code = "precondition_required"


class Stale(KaynakError):
    """The client changed a version that is no longer current."""

    code = "stale"
    status_code = status.HTTP_412_PRECONDITION_FAILED


@dataclass(frozen=True)
class EntityTag:
    opaque: str  # without quotes; "*" for the wildcard
    weak: bool = False

    @property
    def is_any(self) -> bool:
        return self.opaque == "*"


def entity_tag(version: str) -> str:
    """The ETag header value (strong, quoted) of a resource's version."""
    return f'"{version}"'


def parse_tags(header: str) -> list[EntityTag]:
    """The entity tags of an If-Match or If-None-Match value; a malformed entry ends the
    list (it cannot match anything, so it is read as no tag rather than guessed at)."""
    tags: list[EntityTag] = []
    position = 0
    header = header.strip()
    while position < len(header):
        found = _TAG.match(header, position)
        if not found or found.end() == position:
            break
        star, weak, opaque = found.groups()
        tags.append(EntityTag("*") if star else EntityTag(opaque, weak=bool(weak)))
        position = found.end()
    return tags


def if_match_versions(request: Request) -> list[str]:
    """The versions If-Match names (weak tags compared by their value too); 428 when there
    are none, or only `*`: a change must say which version it was made to."""
    tags = [tag for tag in parse_tags(request.headers.get("If-Match", "")) if not tag.is_any]
    if not tags:
        raise PreconditionRequired()
    return [tag.opaque for tag in tags]


def require_version(request: Request, current: str) -> str:
    """The version of If-Match that names this resource's current one, else the first named
    (which the service then refuses as stale). 428 when If-Match is missing."""
    versions = if_match_versions(request)
    return current if current in versions else versions[0]


def none_match(request: Request, current: str) -> bool:
    """Whether If-None-Match names the current version (weak comparison, `*` matches any)."""
    tags = parse_tags(request.headers.get("If-None-Match", ""))
    return any(tag.is_any or tag.opaque == current for tag in tags)


def not_modified(request: Request, current: str) -> HttpResponse | None:
    """304 when the client's copy is the current version, else None (answer normally)."""
    if none_match(request, current):
        return HttpResponse(
            status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": entity_tag(current)}
        )
    return None


def tagged(body: Any, current: str, *, code: int = status.HTTP_200_OK) -> Response:
    """A representation with the ETag of its version."""
    return Response(body, status=code, headers={"ETag": entity_tag(current)})


def stale_response(stale: KaynakError, representation: Any, current: str) -> Response:
    """412 for a change made to an old version: the refusal, the current representation (so
    the client can redo its change on it without another read) and its ETag."""
    body = {**stale.as_dict(), "current": representation}
    return tagged(body, current, code=status.HTTP_412_PRECONDITION_FAILED)
