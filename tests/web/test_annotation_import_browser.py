"""The annotation import page in a real Chromium: a file chosen and sent as a dry run, the
report shown, and axe-core finding nothing on either, at both widths."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation
from tests.factories import DocumentFactory
from tests.web.conftest import NARROW, WIDE
from tests.web.test_accessibility import assert_clean

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "The winter storms moved the sandbar, and the council promised a new survey."


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_a_dry_run_import_reports_each_item_and_the_page_passes_axe(
    visit, reader_user, viewport, tmp_path
) -> None:
    document = DocumentFactory(title="THE SANDBAR MOVED", body=TEXT)

    def item(exact: str) -> dict:
        return {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": {"type": "TextualBody", "value": "Which survey?"},
            "target": {
                "source": f"/documents/{document.pk}/",
                "selector": {"type": "TextQuoteSelector", "exact": exact},
            },
        }

    path = tmp_path / "notes.jsonld"
    path.write_text(json.dumps([item("a new survey"), item("the spring tides")]))
    tab = visit(viewport=viewport)
    tab.go("/accounts/login/")
    tab.sign_in("reader")
    tab.go("/annotations/import/")
    assert_clean(tab.page, "annotation import")

    tab.page.set_input_files("#id_file", str(path))
    tab.page.click("#import-submit")

    expect(tab.page.locator("#import-counts")).to_have_text(
        "0 created, 1 would be created, 0 skipped, 1 failed."
    )
    expect(tab.page.locator('tr[data-status="failed"]')).to_contain_text("does not occur")
    assert_clean(tab.page, "annotation import report")
    assert not Annotation.objects.exists()
    assert not tab.errors
