"""Signing in the demo people: a migrant (with and without JavaScript) and a counsellor (TOTP)."""

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.journeys import (
    COUNSELLOR,
    DEMO_TOTP_SECRET,
    MIGRANT,
    fresh_totp,
    path_of,
    sign_in,
    submit,
    totp,
)

pytestmark = pytest.mark.browser


def test_totp_matches_the_rfc_6238_reference_values() -> None:
    # RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 of the 8 digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp(secret, at=59) == "287082"
    assert totp(secret, at=1111111109) == "081804"
    assert totp(secret, at=2000000000) == "279037"


def test_the_demo_migrant_signs_in_and_is_greeted_by_name(page: Page, snap: Callable[..., object]) -> None:
    sign_in(page, MIGRANT)
    snap(page)

    assert path_of(page) == "/dashboard/"
    expect(page.locator("h1")).to_have_text("Hello, Amina Bello")


def test_the_demo_counsellor_is_asked_for_the_authenticator_code_after_the_password(
    page: Page, snap: Callable[..., object]
) -> None:
    sign_in(page, COUNSELLOR)
    snap(page, "1-code")
    assert path_of(page) == "/accounts/2fa/authenticate/"
    page.goto("/dashboard/")
    assert path_of(page) == "/accounts/2fa/authenticate/", "the dashboard opened before the second step"

    page.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(page)
    snap(page, "2-dashboard")

    assert path_of(page) == "/dashboard/"
    expect(page.locator("h1")).to_have_text("Hello, Chinedu Okafor")


def test_signing_in_works_without_javascript(
    new_phone: Callable[..., BrowserContext], snap: Callable[..., object]
) -> None:
    page = new_phone(java_script_enabled=False).new_page()
    sign_in(page, MIGRANT)
    snap(page)

    assert path_of(page) == "/dashboard/"
    expect(page.locator("h1")).to_have_text("Hello, Amina Bello")
    assert page.locator("html.js").count() == 0, "the page's own scripts ran"
