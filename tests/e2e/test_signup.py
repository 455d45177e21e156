"""Signing up with a phone number only: the SMS code, wrong codes, malformed numbers."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.journeys import path_of, sign_in, submit
from tests.e2e.server import Server

pytestmark = pytest.mark.browser

PASSWORD = "walnut-river-1984"


def fill_signup(page: Page, *, name: str, phone: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=display_name]", name)
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)


def code_from(server: Server, phone: str) -> str:
    sms = server.latest_sms(to=phone)
    assert sms is not None, f"no SMS to {phone}; outbox: {server.sms_outbox()}"
    match = re.search(r"\b(\d{6})\b", sms.body)
    assert match, f"no code in the SMS: {sms.body!r}"
    return match.group(1)


def test_a_migrant_signs_up_with_only_a_phone_number_and_the_sms_code(
    server: Server, new_phone: Callable[..., BrowserContext], snap: Callable[..., object]
) -> None:
    page = new_phone(timezone_id="Europe/Berlin").new_page()
    fill_signup(page, name="Yusuf Adeyemi", phone="+49 151 23456789")
    snap(page, "1-form")
    assert page.input_value("input[name=email]") == ""
    assert page.input_value("input[name=time_zone]") == "Europe/Berlin"

    submit(page)
    snap(page, "2-code")
    assert path_of(page) == "/accounts/phone/verify/"
    code = code_from(server, "+4915123456789")
    page.fill("input[name=code]", code)
    submit(page)
    snap(page, "3-dashboard")

    assert path_of(page) == "/dashboard/"
    expect(page.locator("h1")).to_have_text("Hello, Yusuf Adeyemi")
    page.goto("/accounts/profile/")
    snap(page, "4-profile")
    assert page.input_value("select[name=time_zone]") == "Europe/Berlin"


def test_a_wrong_sms_code_is_refused_with_a_message_and_does_not_sign_in(
    server: Server, page: Page, snap: Callable[..., object]
) -> None:
    fill_signup(page, name="Hamid Noori", phone="+49 151 23456788")
    submit(page)
    code = code_from(server, "+4915123456788")
    wrong = "000000" if code != "000000" else "111111"

    page.fill("input[name=code]", wrong)
    submit(page)
    snap(page)

    assert path_of(page) == "/accounts/phone/verify/"
    code_field = page.locator(".field", has=page.locator("input[name=code]"))
    expect(code_field.locator(".errorlist")).to_contain_text("Incorrect code")
    expect(page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    # Still half-way: the dashboard sends the person back to the code page.
    page.goto("/dashboard/")
    assert path_of(page) == "/accounts/phone/verify/", "a wrong code signed the person in"


def test_a_malformed_phone_number_is_refused_and_nothing_is_sent_or_created(
    server: Server, page: Page, snap: Callable[..., object]
) -> None:
    sent_before = len(server.sms_outbox())
    fill_signup(page, name="Leila Haidari", phone="12345")
    submit(page)
    snap(page, "1-form")

    assert path_of(page) == "/accounts/signup/"
    phone_field = page.locator(".field", has=page.locator("input[name=phone]"))
    expect(phone_field.locator(".errorlist")).to_contain_text("This is not a valid phone number")
    assert len(server.sms_outbox()) == sent_before

    sign_in(page, "12345", PASSWORD)
    snap(page, "2-sign-in")
    assert path_of(page) == "/accounts/login/"
    expect(page.locator("main .form-errors, main [role=alert]").first).to_be_visible()
