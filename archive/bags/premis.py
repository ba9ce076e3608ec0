"""A document's provenance as PREMIS 3 XML: the object (its stored original, with fixity),
one event per provenance event, and the agents that acted (people and Kaynak's software)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path

from django.conf import settings
from lxml import etree

from archive.models import Document, ProvenanceEvent

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_P = f"{{{PREMIS_NS}}}"
_ID_TYPE = "kaynak"


def _add(
    parent: etree._Element, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, _P + name, **attributes)
    if text is not None:
        element.text = text
    return element


def _identifier(
    parent: etree._Element, kind: str, value: str, *, role: str | None = None
) -> etree._Element:
    """<kindIdentifier> with its type and value (agent links may add a role)."""
    element = _add(parent, f"{kind}Identifier")
    _add(element, f"{kind}IdentifierType", _ID_TYPE)
    _add(element, f"{kind}IdentifierValue", value)
    if role:
        _add(element, f"{kind}Role", role)
    return element


def document_premis(
    document: Document, events: Sequence[ProvenanceEvent], usernames: dict[int, str]
) -> bytes:
    """The PREMIS 3 document for `document` and its `events` (in sequence order);
    `usernames` names the people among the events' actors."""
    root = etree.Element(_P + "premis", nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0")
    obj = _add(root, "object", **{f"{{{XSI_NS}}}type": "premis:file"})
    _identifier(obj, "object", f"document/{document.pk}")
    _identifier(obj, "object", f"sha256:{document.sha256}")
    characteristics = _add(obj, "objectCharacteristics")
    fixity = _add(characteristics, "fixity")
    _add(fixity, "messageDigestAlgorithm", "SHA-256")
    _add(fixity, "messageDigest", document.sha256)
    _add(characteristics, "size", str(document.size_bytes))
    designation = _add(_add(characteristics, "format"), "formatDesignation")
    _add(designation, "formatName", document.media_type or "application/octet-stream")
    _add(obj, "originalName", document.original_filename)

    agents: dict[str, tuple[str, str]] = {}  # identifier: (name, type)
    for event in events:
        element = _add(root, "event")
        _identifier(element, "event", event.event_hash)
        _add(element, "eventType", event.event_type)
        _add(
            element,
            "eventDateTime",
            event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        )
        _add(
            _add(element, "eventDetailInformation"),
            "eventDetail",
            f"sequence {event.sequence}; previous hash {event.previous_hash or '(none)'}",
        )
        outcome = _add(element, "eventOutcomeInformation")
        _add(outcome, "eventOutcome", event.outcome)
        _add(
            _add(outcome, "eventOutcomeDetail"),
            "eventOutcomeDetailNote",
            json.dumps(event.detail, sort_keys=True, ensure_ascii=False),
        )
        software = f"software/{event.agent}"
        agents.setdefault(software, (event.agent, "software"))
        _identifier(element, "linkingAgent", software, role="executing program")
        if event.actor_id is not None:
            person = f"user/{event.actor_id}"
            agents.setdefault(person, (usernames.get(event.actor_id, ""), "person"))
            _identifier(element, "linkingAgent", person, role="implementer")
        _identifier(element, "linkingObject", f"document/{document.pk}")
    for identifier, (name, kind) in agents.items():
        agent = _add(root, "agent")
        _identifier(agent, "agent", identifier)
        if name:
            _add(agent, "agentName", name)
        _add(agent, "agentType", kind)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


_schema: etree.XMLSchema | None = None


def premis_schema_path() -> Path:
    """The official PREMIS 3.0 schema, kept in the repository (no network at run time)."""
    return Path(settings.KAYNAK_PREMIS_SCHEMA)


def premis_schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(premis_schema_path())))
    return _schema


def premis_problem(data: bytes) -> str | None:
    """Why `data` is not a valid PREMIS 3 document, or None."""
    try:
        tree = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        return f"not well-formed XML ({error})"
    schema = premis_schema()
    if not schema.validate(tree):
        return f"not valid PREMIS 3 ({schema.error_log.last_error})"
    return None
