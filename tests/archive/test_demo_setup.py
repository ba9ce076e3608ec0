from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from archive.models import Document, ProvenanceEvent, Source

pytestmark = pytest.mark.django_db


def demo_setup(tmp_path: Path) -> str:
    out = StringIO()
    call_command("demo_setup", "--credentials", str(tmp_path / "credentials.json"), stdout=out)
    return out.getvalue()


def test_demo_setup_loads_samples_and_accounts(tmp_path: Path) -> None:
    out = demo_setup(tmp_path)

    assert Document.objects.count() == 10
    assert Document.objects.filter(layout="avim_reprint").count() == 8
    assert Document.objects.filter(language="tr").count() >= 2
    assert Source.objects.filter(kind="outlet").count() >= 3
    assert any("🚢" in text for text in Document.objects.values_list("text", flat=True))
    curator = get_user_model().objects.get(username="curator")
    assert curator.is_staff and curator.groups.filter(name="curator").exists()
    assert not get_user_model().objects.get(username="researcher").is_staff
    passwords = json.loads((tmp_path / "credentials.json").read_text())
    assert f"curator     password: {passwords['curator']}" in out
    assert curator.check_password(passwords["curator"])


def test_demo_setup_twice_adds_nothing(tmp_path: Path) -> None:
    demo_setup(tmp_path)
    counts = (Document.objects.count(), ProvenanceEvent.objects.count(), Source.objects.count())
    out = demo_setup(tmp_path)
    assert "0 ingested, 10 already present" in out
    after = (Document.objects.count(), ProvenanceEvent.objects.count(), Source.objects.count())
    assert after == counts


def test_demo_passwords_can_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KAYNAK_RESEARCHER_PASSWORD", "chosen-by-the-operator")
    demo_setup(tmp_path)
    researcher = get_user_model().objects.get(username="researcher")
    assert researcher.check_password("chosen-by-the-operator")
