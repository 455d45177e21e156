"""The service worker: installed on a secure context, it shows the offline page without network."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.journeys import MIGRANT, sign_in

pytestmark = pytest.mark.browser

OFFLINE_TITLE = "You are offline"
OFFLINE_TEXT = "This page needs the internet."


def wait_for_service_worker(page: Page) -> None:
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10_000)


def test_the_service_worker_takes_control_of_the_home_page(page: Page) -> None:
    page.goto("/")
    # 127.0.0.1 is a secure context even over http, so the worker may register.
    assert page.evaluate("window.isSecureContext") is True

    wait_for_service_worker(page)

    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")


@pytest.mark.parametrize("url", ["/dashboard/", "/help/", "/courses/"])
def test_without_network_every_page_shows_the_offline_page(
    page: Page, snap: Callable[..., object], url: str
) -> None:
    sign_in(page, MIGRANT)
    wait_for_service_worker(page)
    page.context.set_offline(True)

    page.goto(url)
    snap(page, url.strip("/").replace("/", "-") or "home")

    expect(page.locator("h1")).to_have_text(OFFLINE_TITLE)
    expect(page.locator("main")).to_contain_text(OFFLINE_TEXT)
