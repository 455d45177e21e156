"""The home page on a 360 px phone, in a left-to-right and a right-to-left language."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.e2e.journeys import switch_language

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_home_page_fits_a_phone_and_shows_the_three_services_in_the_chosen_language(
    page: Page, snap: Callable[..., object], language: str, direction: str
) -> None:
    page.goto("/")
    if language != "en":
        switch_language(page, language)
    snap(page)

    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == direction
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, f"the page scrolls sideways: {scroll_width} px wide"
    services = page.locator("ul.services > li.service a")
    assert services.count() == 3
    for index in range(3):
        entry = services.nth(index)
        assert entry.is_visible()
        box = entry.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, f"service {index + 1} is cut off: {box}"
