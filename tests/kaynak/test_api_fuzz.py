"""A bounded fuzz of the whole API (schemathesis over the OpenAPI schema drf-spectacular
serves): every operation, as a researcher and as a curator (token auth), with a fixed seed and
example budget. It fails on any 5xx and on any response the schema does not describe (its
status, its content type or its body)."""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import Group
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from annotations.models import Visibility
from annotations.services import annotation_create, reply_create
from kaynak.wsgi import application
from tests.factories import DocumentFactory, SourceFactory, UserFactory

# Both personas: about 70 s on SQLite; on PostgreSQL 75 s of CPU, 3 minutes with two cores
# shared by a load of 8 (20 took 4.5 minutes there; 40 on SQLite found nothing more). Raise
# it locally with KAYNAK_FUZZ_EXAMPLES to dig deeper.
EXAMPLES = int(os.environ.get("KAYNAK_FUZZ_EXAMPLES", "12"))
SEED = 20_261_204
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Schemathesis's WSGI transport reads a streamed download (a FileResponse) to the end but never
# closes it, as a WSGI server would; the open file is reported when the response is dropped.
# `downloads_closed_here` collects them before the test ends, so the warning is ignored here
# and never surfaces in a later test.
UNCLOSED_DOWNLOADS = [
    pytest.mark.filterwarnings(
        "ignore:unclosed file:ResourceWarning",
        "ignore:Exception ignored in:pytest.PytestUnraisableExceptionWarning",
    ),
    pytest.mark.usefixtures("downloads_closed_here"),
]


# Read once at collection, through the WSGI app (no server, no database: the schema is
# generated from the code).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def _archive_and_token(role: str) -> str:
    """A signed-in persona, and an archive with something in it to read and change."""
    user = UserFactory(username=f"fuzz-{role}", is_staff=role == "curator")
    if role == "curator":
        user.groups.add(Group.objects.get(name="curator"))
    SourceFactory(name="Invented Gazette")
    author = UserFactory(username=f"fuzz-author-of-{role}")
    for number in range(1, 4):
        document = DocumentFactory(title=f"INVENTED REPRINT NUMBER {number}")
        for creator in (user, author):
            annotation = annotation_create(
                document=document,
                creator=creator,
                start=0,
                end=8,
                comment="An invented note.",
                visibility=Visibility.PUBLIC,
            )
            reply_create(annotation=annotation, author=creator, body="An invented reply.")
    return Token.objects.create(user=user).key


@pytest.fixture
def researcher_token(db) -> str:
    return _archive_and_token("researcher")


@pytest.fixture
def curator_token(db) -> str:
    return _archive_and_token("curator")


BOUNDED = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@pytest.mark.usefixtures("wsgi_keeps_the_test_connection")
@UNCLOSED_DOWNLOADS[0]
@UNCLOSED_DOWNLOADS[1]
@BOUNDED
@hypothesis.seed(SEED)
def test_api_answers_a_researcher_as_its_schema_says(case, researcher_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {researcher_token}"}, checks=CHECKS)


@schema.parametrize()
@pytest.mark.usefixtures("wsgi_keeps_the_test_connection")
@UNCLOSED_DOWNLOADS[0]
@UNCLOSED_DOWNLOADS[1]
@BOUNDED
@hypothesis.seed(SEED)
def test_api_answers_a_curator_as_its_schema_says(case, curator_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {curator_token}"}, checks=CHECKS)
