"""axe-core finds no serious or critical accessibility problem, in English and in Arabic."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.journeys import MIGRANT, path_of, sign_in, switch_language
from tests.e2e.server import REPO_ROOT, Server

pytestmark = pytest.mark.browser

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Our CSP rightly refuses injected scripts; the context bypasses it for this check only.
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )


def assert_no_blocking_violation(page: Page) -> None:
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    report = "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}" for v in blocking)
    assert not blocking, f"axe on {page.url} ({page.evaluate('document.documentElement.lang')}):\n{report}"


@pytest.fixture
def axe_phone(new_phone: Callable[..., BrowserContext]) -> BrowserContext:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --ignore-scripts`")
    return new_phone(bypass_csp=True)


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_have_no_serious_accessibility_violation(
    server: Server, axe_phone: BrowserContext, snap: Callable[..., object], url: str, language: str
) -> None:
    axe_phone.add_cookies([{"name": "django_language", "value": language, "url": server.base_url}])
    page = axe_phone.new_page()
    page.goto(url)
    snap(page, url.strip("/").replace("/", "-") or "home")
    assert page.locator("html").get_attribute("lang") == language

    assert_no_blocking_violation(page)


@pytest.fixture
def migrant_page(axe_phone: BrowserContext) -> Iterator[Page]:
    page = axe_phone.new_page()
    sign_in(page, MIGRANT)
    assert path_of(page) == "/dashboard/"
    yield page
    # The language menu also changes the profile of a signed-in person: put it back.
    if page.locator("html").get_attribute("lang") != "en":
        page.goto("/dashboard/")
        switch_language(page, "en")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_migrant_dashboard_has_no_serious_accessibility_violation(
    migrant_page: Page, snap: Callable[..., object], language: str
) -> None:
    if language != "en":
        switch_language(migrant_page, language)
    snap(migrant_page)
    assert migrant_page.locator("html").get_attribute("lang") == language

    assert_no_blocking_violation(migrant_page)


def _learner_pages(page: Page) -> list[str]:
    """The pages a learner goes through, as `migrant2@demo.test` (who finished the Persian course
    in the demo data and so has a certificate): catalogue, a course page (the German one, not
    taken, and the Persian one), a text and an H5P lesson, "My learning", the certificate, and the
    public check of its code."""
    page.goto("/courses/job-interview-skills/")
    lessons = page.locator(".outline-lesson a")
    text_lesson, h5p_lesson = lessons.nth(0).get_attribute("href"), lessons.nth(1).get_attribute("href")
    page.goto("/learn/")
    certificate = page.locator(".plain-list a").first.get_attribute("href")
    page.goto(str(certificate))
    code = page.locator(".certificate__code").inner_text().strip()
    return [
        "/courses/",
        "/courses/german-a1-first-steps/",
        "/courses/job-interview-skills/",
        str(text_lesson),
        str(h5p_lesson),
        "/learn/",
        str(certificate),
        f"/courses/verify/?code={code}",
    ]


@pytest.mark.parametrize("language", ["en", "ar", "fa"])
def test_the_learner_pages_have_no_serious_accessibility_violation(
    axe_phone: BrowserContext, snap: Callable[..., object], language: str
) -> None:
    page = axe_phone.new_page()
    sign_in(page, "migrant2@demo.test")
    own = page.locator("html").get_attribute("lang")  # fa in the demo data
    try:
        if own != language:
            switch_language(page, language)
        assert page.locator("html").get_attribute("lang") == language
        reports = []
        for url in _learner_pages(page):
            page.goto(url)
            if page.locator("iframe.h5p-frame").count():
                # The player's own page is checked too: axe reaches into frames that run axe.
                page.frame_locator("iframe.h5p-frame").locator(".passage-q").wait_for()
                frame = next(f for f in page.frames if "/embed/" in f.url)
                frame.add_script_tag(path=str(AXE))
            snap(page, url.strip("/").split("?")[0].replace("/", "-"))
            try:
                assert_no_blocking_violation(page)
            except AssertionError as error:
                reports.append(str(error))
        assert not reports, "\n".join(reports)
    finally:
        # The language menu also changes the profile of a signed-in person: put it back.
        page.goto("/dashboard/")
        if own and page.locator("html").get_attribute("lang") != own:
            switch_language(page, own)
