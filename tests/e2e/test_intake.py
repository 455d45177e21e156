"""A way in without an account: an anonymous visitor asks a question on a phone, gets a
reference code, and checking the code shows that the question was received."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.journeys import submit

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")


def test_an_anonymous_visitor_asks_a_question_and_checks_its_reference(page: Page, snap) -> None:
    page.goto("/")
    page.get_by_role("link", name="Ask a question", exact=True).click()
    page.wait_for_load_state()
    page.select_option("select[name=country]", "NG")
    page.select_option("select[name=topic]", "work")
    page.fill("textarea[name=question]", "Can someone help me find training in Lagos after I return?")
    snap(page, "1-form")
    submit(page)

    code = page.locator(".reference-code")
    expect(code).to_have_text(REFERENCE)
    reference = code.inner_text()
    snap(page, "2-reference")

    page.get_by_role("link", name="Check your answer").click()
    page.wait_for_load_state()
    page.fill("input[name=reference]", reference.lower().replace("-", " "))
    submit(page)

    expect(page.locator("main")).to_contain_text(reference)
    expect(page.locator("main .badge")).to_have_text("Received")
    expect(page.locator("main")).to_contain_text("There is no answer yet")
    snap(page, "3-check")
