from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema() -> dict:
    out = StringIO()
    # --fail-on-warn: any endpoint whose bodies drf-spectacular cannot describe fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_is_valid_openapi_without_warnings(schema: dict) -> None:
    assert schema["openapi"].startswith("3.")
    assert {"/api/documents/", "/api/documents/{id}/", "/api/sources/"} <= set(schema["paths"])


def test_every_success_response_declares_its_body(schema: dict) -> None:
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("2") and code != "204":
                assert response.get("content"), f"{method.upper()} {path} {code} has no body"


def test_every_authenticated_operation_declares_401(schema: dict) -> None:
    for path, method, operation in operations(schema):
        if not path.startswith(("/api/schema", "/api/auth/token")):
            assert "401" in operation["responses"], f"{method.upper()} {path}"


def test_document_list_is_declared_paginated(schema: dict) -> None:
    response = schema["paths"]["/api/documents/"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"count", "next", "previous", "results"} <= set(
        schema["components"]["schemas"][ref]["properties"]
    )


def test_upload_declares_a_binary_file_field(schema: dict) -> None:
    body = schema["paths"]["/api/documents/"]["post"]["requestBody"]["content"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    file_field = schema["components"]["schemas"][ref]["properties"]["file"]
    assert (file_field["type"], file_field["format"]) == ("string", "binary")


@pytest.mark.django_db
def test_schema_and_docs_are_served(client) -> None:
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_facsimile_attach_declares_a_binary_file_and_both_answers(schema: dict) -> None:
    operation = schema["paths"]["/api/documents/{id}/facsimiles/"]["post"]
    ref = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    file_field = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["file"]
    assert (file_field["type"], file_field["format"]) == ("string", "binary")
    assert {"200", "201", "400", "401", "404"} <= set(operation["responses"])
    thumbnail = schema["paths"]["/api/facsimiles/{id}/thumbnail"]["get"]["responses"]["200"]
    assert list(thumbnail["content"]) == ["image/jpeg"]
