"""Screenshots of the researcher's pages, to look at before a change to them is called done.

    make screenshots

Builds a throwaway archive under var/screenshots/work/ (its own SQLite database and data
folder): the sample documents through `demo_setup` (the one ingest path), a few overlapping
annotations with tags and source tags through the annotation services, and an invented scan
attached as a facsimile. Then it serves it with `manage.py runserver` on a free port, signs
in as the researcher in Debian's Chromium and writes full-page PNGs of the search page (with
facets; on a phone folded behind "Filters", then opened), its Annotations tab, the saved
searches, the reader (overlapping highlights, the annotation panel open, the list of
annotations with the legend, the editor with a source typed but not added), the facsimile
viewer, the upload page, an upload's summary and what it read (with the missing-provenance
warning), focus states (the skip link to the results, a result and a highlight reached with
Tab), the 404 page, and, signed in as the curator, the admin's source list and a document's
history, 1280 and 390 pixels wide, to var/screenshots/.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "screenshots"
WORK = OUT / "work"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "screenshots-only"
WIDTHS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 390, "height": 844}}
SEARCH = "/?q=government+OR+ferry+OR+tariffs"
READER_TITLE = "ARMED GROUP CLAIMS CEASEFIRE"


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kaynak.settings",
        # Debug off, as `make run` serves it: the 404 page is the app's, not Django's debug
        # page; runserver --insecure serves the static files all the same.
        "KAYNAK_DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "kaynak-screenshots-only"),
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "KAYNAK_DATA_DIR": str(WORK / "data"),
        "KAYNAK_CURATOR_PASSWORD": PASSWORD,
        "KAYNAK_RESEARCHER_PASSWORD": PASSWORD,
    }


def build_archive() -> int:
    """The sample archive with annotations; returns the id of the document to read."""
    os.environ.update(environment())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotations.models import SourceRole, Visibility
    from annotations.services import SourceTagInput, annotation_create, tag_create
    from archive.models import Document, SourceKind
    from archive.services import source_create
    from kaynak.tasks import run_pending_tasks

    call_command("migrate", verbosity=0)
    call_command("demo_setup", credentials=WORK / "credentials.json", stdout=io.StringIO())
    researcher = get_user_model().objects.get(username="researcher")
    curator = get_user_model().objects.get(username="curator")
    document = Document.objects.get(title__startswith=READER_TITLE)
    front = source_create(name="Northern Valley Front", kind=SourceKind.ARMED_GROUP)
    government = source_create(name="Regional government", kind=SourceKind.GOVERNMENT)
    tag_create(name="ceasefire", actor=curator, curated=True)
    tag_create(name="denial", actor=curator, curated=True)
    spans = [
        # (quote, comment, tags, source tags, visibility, creator)
        (
            "it had ordered its fighters to hold fire for ten days",
            "The group's own claim; no independent confirmation in this reprint.",
            ["ceasefire"],
            [SourceTagInput(source=front.slug, role=SourceRole.CLAIMED_BY)],
            Visibility.PUBLIC,
            researcher,
        ),
        (
            "hold fire for ten days, a claim the regional government rejected within hours",
            "The denial arrives in the same sentence as the claim.",
            ["denial"],
            [SourceTagInput(source=government.slug, role=SourceRole.DENIED_BY)],
            Visibility.PUBLIC,
            curator,
        ),
        (
            "There are no negotiations and there will be no negotiations with this group",
            "Quoted directly; compare the Turkish reprint.",
            ["denial"],
            [SourceTagInput(source=government.slug, role=SourceRole.QUOTED)],
            Visibility.PUBLIC,
            researcher,
        ),
        (
            "no negotiations with this group",
            "Check against the briefing transcript.",
            [],
            [],
            Visibility.PRIVATE,
            researcher,
        ),
        (
            "Aid workers said they could not confirm whether fighting had stopped",
            "",
            ["ceasefire"],
            [],
            Visibility.PUBLIC,
            researcher,
        ),
    ]
    for quote, comment, tags, source_tags, visibility, creator in spans:
        annotation_create(
            document=document,
            creator=creator,
            quote=quote,
            comment=comment,
            tags=tags,
            source_tags=source_tags,
            visibility=visibility,
        )
    attach_clipping(document, curator)
    corrected_upload(researcher, curator)
    from search.services import saved_search_create

    saved_search_create(
        owner=researcher, name="Ceasefire claims", kind="documents", query="ceasefire"
    )
    saved_search_create(
        owner=researcher,
        name="Denials in my notes",
        kind="annotations",
        query="negotiations",
        filters={"tag": ["denial"]},
    )
    run_pending_tasks()
    return document.pk


UPLOAD_TEXT = (
    "Notes on the harbour dredging\n\n"
    "The invented harbour board met on Tuesday and agreed to dredge the northern channel "
    "before the ferry season, after two fishing boats ran aground in the autumn.\n"
)


def corrected_upload(researcher, curator) -> None:
    """A plain-text upload with no outlet or date, then a curator's correction: the admin
    history's before and after."""
    from datetime import date

    from archive.models import SourceKind
    from archive.services import IngestMethod, document_ingest, document_update, source_create

    document = document_ingest(
        data=UPLOAD_TEXT.replace("dredging", "dredging (board minutes)").encode(),
        filename="harbour-notes.txt",
        actor=researcher,
        method=IngestMethod.WEB,
    ).document
    document_update(
        document=document,
        actor=curator,
        agent="admin",
        original_outlet=source_create(name="Harbour Gazette", kind=SourceKind.OUTLET),
        original_published_on=date(2016, 3, 3),
        byline="Deniz Kaya",
    )


def attach_clipping(document, actor) -> None:
    """An invented scan of the printed reprint: the title and grey lines for the body."""
    from PIL import Image, ImageDraw

    from archive.services import IngestMethod, facsimile_attach

    page = Image.new("RGB", (1200, 1700), (246, 241, 228))
    draw = ImageDraw.Draw(page)
    draw.text((90, 90), "CENTER FOR EURASIAN STUDIES", fill=(40, 40, 40))
    draw.text((90, 150), document.title[:60], fill=(20, 20, 20))
    for line in range(40):
        width = 1020 if line % 7 else 640
        draw.rectangle((90, 240 + line * 34, 90 + width, 252 + line * 34), fill=(120, 118, 112))
    scan = io.BytesIO()
    page.save(scan, "JPEG", quality=80)
    facsimile_attach(
        document=document,
        data=scan.getvalue(),
        filename="clipping-scan.jpg",
        actor=actor,
        method=IngestMethod.COMMAND,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"runserver stopped:\n{server.stderr.read()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("runserver did not answer within a minute")


def photograph(base: str, document_id: int) -> list[str]:
    from playwright.sync_api import expect, sync_playwright

    written, problems = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for width_name, viewport in WIDTHS.items():
            context = browser.new_context(viewport=viewport, locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            page.on(
                "response",
                lambda response: (
                    problems.append(f"{response.status} {response.url}")
                    if response.status >= 400
                    else None
                ),
            )

            def shot(name: str, *, full_page: bool = True, page=page, width_name=width_name):
                path = OUT / f"{name}-{width_name}.png"
                page.screenshot(path=str(path), full_page=full_page)
                overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
                if overflow > 0:
                    problems.append(f"{path.name}: the page is {overflow} px wider than the screen")
                written.append(str(path.relative_to(ROOT)))

            page.goto(f"{base}/accounts/login/")
            shot("login")
            page.fill("#id_username", "researcher")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")

            page.goto(base + SEARCH)
            expect(page.locator(".hit").first).to_be_visible()
            shot("search")
            if width_name != "wide":
                # On a phone the filters fold behind a button: the first screen as it is seen,
                # with the first result on it, then the filters opened.
                shot("search-filters-folded", full_page=False)
                page.click("#filters-toggle")
                expect(page.locator(".facet").first).to_be_visible()
                shot("search-filters-open")
                page.goto(base + SEARCH)
            else:
                expect(page.locator(".facet").first).to_be_visible()
            # Focus states (issue 18): the second Tab reaches the skip link to the results.
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            expect(page.locator("a.skip[href='#results']")).to_be_focused()
            shot("search-skip-link", full_page=False)
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            shot("search-focus-first-result", full_page=False)

            # The Annotations tab, with the save form opened, and the saved searches.
            page.goto(f"{base}/?kind=annotations&q=negotiations")
            expect(page.locator(".annotation-hit").first).to_be_visible()
            page.locator("#save-search summary").click()
            shot("search-annotations")
            page.goto(f"{base}/saved-searches/")
            expect(page.locator(".saved-item").first).to_be_visible()
            shot("saved-searches")

            page.goto(f"{base}/documents/{document_id}/")
            expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
            shot("reader")
            # A highlight reached with Tab: the focus ring, and every piece of it marked.
            page.locator("#document-text").focus()
            page.keyboard.press("Tab")
            expect(page.locator("mark.hl.focused").first).to_be_visible()
            page.evaluate("document.activeElement.scrollIntoView({ block: 'center' })")
            shot("reader-focus-highlight", full_page=False)
            nested = page.locator("mark.hl mark.hl").first
            # The passage in the upper part of the screen, as a reader would tap it, so the
            # narrow layout's panel (a sheet over the lower part) leaves it in view.
            nested.evaluate(
                "mark => window.scrollBy(0, mark.getBoundingClientRect().top - innerHeight / 4)"
            )
            nested.click()
            expect(page.locator("#annotation-panel")).to_be_visible()
            expect(page.locator("#panel-replies li").first).to_be_visible()
            # On a phone the panel is a sheet over the text: show it as the screen shows it.
            shot("reader-panel", full_page=width_name == "wide")

            # The list of the document's annotations: beside the text, a sheet on a phone.
            page.goto(f"{base}/documents/{document_id}/")
            expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
            if width_name == "narrow":
                page.click("#list-toggle")
            expect(page.locator("#annotation-list .list-item").first).to_be_visible()
            page.locator("#highlight-legend summary").click()
            shot("reader-annotation-list", full_page=False)

            # The editor with a source typed but not yet added (saving adds it).
            page.goto(f"{base}/documents/{document_id}/")
            expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
            page.locator("#document-text").focus()
            for _ in range(3):
                page.keyboard.press("Control+Shift+ArrowRight")
            page.keyboard.press("a")
            expect(page.locator("#editor")).to_be_visible()
            page.fill("#editor-comment", "Who said this first?")
            page.fill("#editor-tags", "ceasefire")
            page.fill("#editor-source", "Government")
            shot("editor-typed-source", full_page=False)

            page.goto(f"{base}/documents/{document_id}/")
            page.locator(".facsimile-thumb").first.click()
            expect(page.locator("#viewer-image")).to_be_visible()
            shot("facsimile-viewer", full_page=False)

            page.goto(f"{base}/upload/")
            shot("upload")
            # What an upload read (issue 14): plain text, so the warning shows.
            upload_file = WORK / "dredging.txt"
            upload_file.write_text(UPLOAD_TEXT, encoding="utf-8")
            page.set_input_files("#id_file", str(upload_file))
            page.click("#upload-submit")
            expect(page.locator("#upload-summary[data-done]")).to_be_visible()
            shot("upload-summary")
            page.locator("#upload-list li a").first.click()
            expect(page.locator("#read-warning")).to_be_visible()
            shot("upload-result")

            page.goto(f"{base}/documents/999999/")
            problems.pop()  # the 404 itself, wanted here
            shot("not-found")
            context.close()
            photograph_admin(browser, base, viewport, width_name, shot_into=written)
        browser.close()
    for problem in problems:
        print(f"warning: {problem}")
    return written


def photograph_admin(browser, base: str, viewport: dict, width_name: str, *, shot_into: list):
    """The admin as a curator reads it: the source list and a document's history."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()

    def shot(name: str) -> None:
        target = OUT / f"{name}-{width_name}.png"
        page.screenshot(path=str(target), full_page=True)
        shot_into.append(str(target.relative_to(ROOT)))

    page.goto(f"{base}/admin/archive/source/")
    shot("admin-sources")
    # The corrected upload (`corrected_upload`), found as a curator would find it.
    page.goto(f"{base}/admin/archive/document/?q=board+minutes")
    page.locator("#result_list tbody a").first.click()
    expect(page.locator("#events-group")).to_be_visible()
    shot("admin-history")
    context.close()


def main() -> None:
    if not Path(CHROMIUM).exists():
        sys.exit(f"No Chromium at {CHROMIUM}; `make browser` installs Debian's.")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    document_id = build_archive()
    port = free_port()
    server = serve(port)
    try:
        written = photograph(f"http://127.0.0.1:{port}", document_id)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("\n".join(written))


if __name__ == "__main__":
    main()
