"""Browser tests: Debian's Chromium driven by Playwright against Django's live server."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from playwright.sync_api import Browser, Page, sync_playwright

from kaynak.tasks import run_pending_tasks
from tests.factories import UserFactory

# Playwright's synchronous API runs an event loop in the test's thread; the test's own
# database calls (factories, assertions) are ordinary synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


class Visit:
    """A signed-in browser tab, remembering dialogs and script errors it met."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def go(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, username: str) -> None:
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base_url}/")


@pytest.fixture
def worker(monkeypatch, transactional_db) -> None:
    """The background worker, run by the live server right after each request (after its
    commit), as `make run`'s worker would run it moments later. The live server's threads
    share one connection to the test database (SQLite in memory), so requests and the
    worker's transactions take turns: a thread of its own would need a second connection,
    which SQLite in memory refuses at once instead of making it wait."""
    handle = WSGIHandler.__call__
    turns = threading.Lock()

    def handle_then_run_tasks(self, environ, start_response):
        with turns:
            response = handle(self, environ, start_response)
            run_pending_tasks()
            return response

    monkeypatch.setattr(WSGIHandler, "__call__", handle_then_run_tasks)


@pytest.fixture
def visit(
    browser: Browser, live_server, transactional_db, worker
) -> Iterator[Callable[..., Visit]]:
    contexts = []

    def open_tab(username: str | None = None, *, viewport: dict = WIDE) -> Visit:
        context = browser.new_context(viewport=viewport, locale="en-GB")
        contexts.append(context)
        tab = Visit(context.new_page(), live_server.url)
        tab.page.set_default_timeout(10_000)
        if username:
            tab.sign_in(username)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def reader_user(transactional_db):
    return UserFactory(username="reader")


@pytest.fixture
def second_user(transactional_db):
    return UserFactory(username="second")


# Pieces of the page's script, evaluated in the page: where characters are on screen.
CHARACTER_BOX = """
([start, end]) => {
  const container = document.getElementById("document-text");
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
  function locate(offset) {
    let node;
    while ((node = walker.nextNode())) {
      if (offset < node.length) return [node, offset];
      offset -= node.length;
    }
    throw new Error("offset past the text");
  }
  const box = (offset) => {
    walker.currentNode = container;
    const [node, at] = locate(offset);
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + 1);
    const rects = range.getClientRects();
    const rect = rects[0];
    return { x: rect.left, y: rect.top, width: rect.width, height: rect.height };
  };
  walker.currentNode = container;
  const [first] = locate(start);
  first.parentElement.scrollIntoView({ block: "center" });
  return [box(start), box(end - 1)];
}
"""


def select_by_mouse(page: Page, start: int, end: int) -> None:
    """Drag across UTF-16 offsets start–end of the document text."""
    first, last = page.evaluate(CHARACTER_BOX, [start, end])
    page.mouse.move(first["x"] + first["width"] * 0.2, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] * 0.8, last["y"] + last["height"] / 2, steps=8)
    page.mouse.up()


def utf16(text: str, code_points: int) -> int:
    return len(text[:code_points].encode("utf-16-le")) // 2


# axe-core from the npm registry, pinned in the Makefile (AXE_VERSION) and installed by
# `make test` (`make axe`): the tests read it from disk and need no network.
NODE_MODULES = Path(__file__).resolve().parents[2] / "var" / "node" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
# Every WCAG A/AA rule up to 2.2 fails a test, and so does any other rule found serious or
# critical, and the moderate best practices that say how a page is found and skipped
# through (an h1, one main, every piece of content in a landmark).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
ALSO_RULES = ["page-has-heading-one", "landmark-one-main", "region", "heading-order"]
AXE_RUN = """
async ([tags, also]) => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((rule) =>
      ["serious", "critical"].includes(rule.impact) || also.includes(rule.id) ||
      rule.tags.some((tag) => tags.includes(tag)))
    .map((rule) => {
      const where = rule.nodes.map((node) => node.target.join(" ")).join(", ");
      return `${rule.id} (${rule.impact}): ${rule.help} at ${where}`;
    });
}
"""


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious, critical and WCAG 2.2 A/AA violations on the page as it is now."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: `make axe` installs the pinned axe-core")
    # Evaluated through the DevTools protocol, so the pages' Content-Security-Policy
    # (scripts from 'self' only) stays as it is in production.
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(AXE_RUN, [WCAG_TAGS, ALSO_RULES])


# The focused element's ring against what is behind it: the contrast of its outline (or
# box-shadow) colour with the nearest opaque background, WCAG's relative luminance formula.
FOCUS_RING = """
() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const parse = (value) => {
    const match = value.match(/rgba?\\(([^)]+)\\)/);
    if (!match) return null;
    const [r, g, b, a = 1] = match[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const luminance = ({ r, g, b }) => {
    const channel = (value) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  let behind = element.parentElement;
  let background = null;
  while (behind) {
    const colour = parse(getComputedStyle(behind).backgroundColor);
    if (colour && colour.a === 1) { background = colour; break; }
    behind = behind.parentElement;
  }
  background = background || { r: 255, g: 255, b: 255, a: 1 };
  const style = getComputedStyle(element);
  let ring = null;
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) {
    ring = parse(style.outlineColor);
  }
  if (!ring && style.boxShadow !== "none") ring = parse(style.boxShadow);
  if (!ring) return { contrast: 0, element: element.outerHTML.slice(0, 80) };
  const [light, dark] = [luminance(ring), luminance(background)].sort((a, b) => b - a);
  const box = element.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(box.top + Math.min(box.height, 20) / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  return {
    contrast: (light + 0.05) / (dark + 0.05),
    covered: !!top && !(element.contains(top) || top.contains(element)),
    element: element.outerHTML.slice(0, 80),
  };
}
"""


def focus_ring_contrast(page: Page) -> dict:
    """The focused element's ring contrast and whether another element covers it."""
    return page.evaluate(FOCUS_RING)
