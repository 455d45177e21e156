"""Browser journeys against the real platform (daphne in a subprocess, see server.py).

These tests never touch pytest-django's database: they talk to the server over HTTP, as a
person would. Every page they reach is saved as a full-page screenshot at 360x800 in
test-results/screenshots/, which is how we look at what we build.
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.server import CHROMIUM_ARGS, PHONE, REPO_ROOT, Server, chromium_path, running_server

SCREENSHOTS = REPO_ROOT / "test-results" / "screenshots"


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with running_server() as running:
        yield running


# Package scope: Playwright's sync API keeps an event loop of its own; it is closed before
# tests in other folders (some of them asyncio) run.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_phone(browser: Browser, server: Server) -> Iterator[Callable[..., BrowserContext]]:
    """Make a fresh phone-sized browser context (own cookies, cache and service workers)."""
    contexts: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        settings: dict[str, object] = {**PHONE, "locale": "en", "base_url": server.base_url}
        settings.update(options)
        context = browser.new_context(**settings)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_phone: Callable[..., BrowserContext]) -> BrowserContext:
    return new_phone()


@pytest.fixture
def page(phone: BrowserContext) -> Page:
    return phone.new_page()


@pytest.fixture
def snap(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """`snap(page, "step")` saves test-results/screenshots/<test>[-<step>]-<lang>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The function's name without its parameters: each test names its step (the page, when
    # parametrized), and the page's own <html lang> completes the file name.
    test = request.node.originalname

    def save(page: Page, step: str = "") -> Path:
        lang = page.evaluate("document.documentElement.lang") or "none"
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(p for p in (test, step, lang) if p))
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
