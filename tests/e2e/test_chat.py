"""Live chat in two real browsers: messages arrive without a reload, "Read" follows, a message
left waiting in the outbox is sent once when the page comes back, and without JavaScript the
same page works by form posts."""

import json
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.journeys import DEMO_TOTP_SECRET, fresh_totp, sign_in, submit

pytestmark = pytest.mark.browser

MIGRANT2 = "migrant2@demo.test"  # Farid Ahmadi: the demo data has his conversation with Mariam
COUNSELLOR2 = "counsellor2@demo.test"


def open_conversation(page: Page) -> str:
    page.goto("/conversations/")
    page.locator(".conversation-link").first.click()
    page.wait_for_load_state()
    return page.evaluate("location.pathname")


def test_two_people_chat_live_and_the_sender_sees_read(
    new_phone: Callable[..., BrowserContext], snap: Callable[..., object]
) -> None:
    migrant = new_phone(timezone_id="Europe/Athens").new_page()
    sign_in(migrant, MIGRANT2)
    url = open_conversation(migrant)
    counsellor = new_phone(timezone_id="Asia/Kabul").new_page()
    sign_in(counsellor, COUNSELLOR2)
    counsellor.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(counsellor)
    counsellor.goto(url)
    assert counsellor.evaluate("location.pathname") == url
    expect(counsellor.locator(".chat-status")).not_to_be_empty()  # the migrant is online
    expect(migrant.locator(".chat-status")).not_to_be_empty(timeout=10_000)  # and so is she

    text = f"Is Thursday 10:00 fine? {uuid.uuid4().hex[:6]}"
    migrant.fill("textarea[name=body]", text)
    migrant.locator(".chat-form button[type=submit]").click()

    expect(counsellor.locator(".chat-log")).to_contain_text(text)  # no reload
    mine = migrant.locator(".chat-message--mine", has_text=text)
    read = migrant.locator("[data-chat]").get_attribute("data-t-read")
    assert read and read != "Read"  # Farid reads Persian
    expect(mine.locator(".chat-state")).to_have_text(read)
    assert migrant.evaluate("location.pathname") == url  # no form post happened
    snap(migrant, "live")

    counsellor.fill("textarea[name=body]", "Yes, Thursday is fine.")
    counsellor.locator(".chat-form button[type=submit]").click()
    expect(migrant.locator(".chat-log")).to_contain_text("Yes, Thursday is fine.")


def test_a_message_waiting_in_the_outbox_is_sent_once_when_the_page_comes_back(
    new_phone: Callable[..., BrowserContext],
) -> None:
    migrant = new_phone().new_page()
    sign_in(migrant, MIGRANT2)
    url = open_conversation(migrant)
    conversation_id = url.rstrip("/").split("/")[-1]
    text = f"Typed on the bus {uuid.uuid4().hex[:6]}"
    # What the page keeps when the connection drops before the server acknowledges a message.
    waiting = [{"client_id": str(uuid.uuid4()), "body": text}]
    migrant.evaluate(
        "([key, value]) => localStorage.setItem(key, value)",
        [f"passage-outbox-{conversation_id}", json.dumps(waiting)],
    )

    migrant.reload()
    sent = migrant.locator("[data-chat]").get_attribute("data-t-sent") or "Sent"
    expect(migrant.locator(".chat-message--mine", has_text=text).locator(".chat-state")).to_have_text(sent)
    migrant.wait_for_function(f"() => localStorage.getItem('passage-outbox-{conversation_id}') === '[]'")
    migrant.reload()

    expect(migrant.locator(".chat-message", has_text=text)).to_have_count(1)


def test_without_javascript_the_form_posts_and_the_message_is_shown(
    new_phone: Callable[..., BrowserContext],
) -> None:
    migrant = new_phone(java_script_enabled=False).new_page()
    sign_in(migrant, MIGRANT2)
    open_conversation(migrant)
    text = f"Sent without JavaScript {uuid.uuid4().hex[:6]}"

    migrant.fill("textarea[name=body]", text)
    submit(migrant)

    expect(migrant.locator(".chat-log")).to_contain_text(text)
