"""A coordinator finds their organisation's pages from the dashboard, on a phone, in English and
in Arabic, and axe finds no serious accessibility problem on them."""

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.journeys import DEMO_TOTP_SECRET, fresh_totp, path_of, sign_in, submit, switch_language
from tests.e2e.test_accessibility import AXE, assert_no_blocking_violation

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.test"  # Sofia Papadopoulou, Demo Partner Lagos


def test_a_coordinator_reaches_appointments_hours_and_clients_in_english_and_arabic(
    new_phone: Callable[..., BrowserContext], snap: Callable[..., object]
) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --ignore-scripts`")
    page = new_phone(bypass_csp=True, timezone_id="Europe/Athens").new_page()
    sign_in(page, COORDINATOR)
    page.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(page)
    assert path_of(page) == "/dashboard/"
    try:
        for language in ("en", "ar"):
            if language != "en":
                switch_language(page, language)
            assert page.locator("html").get_attribute("lang") == language
            for step, link in (
                ("appointments", "a[href='/organisation/appointments/']"),
                ("hours", "a[href='/organisation/utilisation/']"),
                ("clients", "a[href='/organisation/clients/']"),
            ):
                with page.expect_navigation():
                    page.locator(f"main {link}").first.click()
                expect(page.locator("main h1")).to_contain_text("Demo Partner Lagos")
                snap(page, step)
                assert_no_blocking_violation(page)
                page.goto("/dashboard/")
    finally:
        # The language menu also changes the profile of a signed-in person: put it back.
        if page.locator("html").get_attribute("lang") != "en":
            page.goto("/dashboard/")
            switch_language(page, "en")
