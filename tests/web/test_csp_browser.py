"""The pages run under the Content-Security-Policy without a violation: no inline script or
style, nothing from elsewhere. Chromium reports each violation as a `securitypolicyviolation`
event and a console error; both are collected."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.models import Visibility
from annotations.services import annotation_create
from tests.factories import CuratorFactory, DocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The ferry left Kadıköy at dawn; the captain said the fare would double.\n\n"
    "A spokesman for the port authority denied that the fare would double."
)

# Installed before any of the page's own scripts run.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class Watched:
    def __init__(self, tab) -> None:
        self.tab = tab
        self.page = tab.page
        self.console: list[str] = []
        self.page.add_init_script(COLLECT_VIOLATIONS)
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def go(self, path: str):
        response = self.page.goto(self.tab.base_url + path)
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy
        return self.page

    def violations(self) -> list[str]:
        return [*self.page.evaluate("window.__cspViolations || []"), *self.console]


@pytest.fixture
def admin_user(transactional_db):
    return CuratorFactory(username="keeper")


@pytest.fixture
def annotated(reader_user):
    document = DocumentFactory(title="FERRY FARES DISPUTE IN KADIKÖY", body=TEXT)
    annotation = annotation_create(
        document=document,
        creator=reader_user,
        quote="the captain said",
        comment="Repeated word for word in the second paragraph.",
        visibility=Visibility.PUBLIC,
    )
    return document, annotation


def test_sign_in_search_reader_and_upload_pages_raise_no_csp_violation(visit, annotated) -> None:
    document, annotation = annotated
    tab = Watched(visit())
    page = tab.go("/accounts/login/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{tab.tab.base_url}/")
    assert tab.violations() == []

    page = tab.go("/?q=ferry")
    expect(page.locator(f"a[href='/documents/{document.pk}/']").first).to_be_visible()
    assert tab.violations() == []

    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    page.click(f"#annotation-{annotation.pk}")
    expect(page.locator("#annotation-panel")).to_be_visible()
    expect(page.locator("#panel-comment")).to_have_text(
        "Repeated word for word in the second paragraph."
    )
    assert tab.violations() == []

    page = tab.go("/upload/")
    expect(page.locator("#id_file")).to_be_attached()
    assert tab.violations() == []


def test_admin_pages_raise_no_csp_violation(visit, annotated, admin_user) -> None:
    document, _ = annotated
    tab = Watched(visit("keeper"))
    for path in (
        "/admin/",
        "/admin/archive/document/",
        f"/admin/archive/document/{document.pk}/change/",
        "/admin/archive/source/",
    ):
        page = tab.go(path)
        expect(page.locator("#content")).to_be_visible()
        assert tab.violations() == [], path
