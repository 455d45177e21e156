"""The booking journey across two time zones: a migrant in Athens books a Pashto-speaking
counsellor in Kabul, both see the appointment in their own time, the migrant cancels, and the
time is offered again."""

from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from playwright.sync_api import BrowserContext, expect

from tests.e2e.journeys import DEMO_TOTP_SECRET, fresh_totp, path_of, sign_in, submit

pytestmark = pytest.mark.browser

MIGRANT2 = "migrant2@demo.test"  # Farid Ahmadi, Athens, reads Persian
COUNSELLOR2 = "counsellor2@demo.test"  # Mariam Karimi, Kabul: Dari, Pashto, Persian, English


def test_a_migrant_books_a_pashto_speaking_counsellor_and_both_see_their_own_time(
    new_phone: Callable[..., BrowserContext], snap: Callable[..., object]
) -> None:
    migrant = new_phone(timezone_id="Europe/Athens").new_page()
    sign_in(migrant, MIGRANT2)

    migrant.goto("/counsellors/?language=ps&country=AF")
    card = migrant.locator("article, li, section").filter(has_text="Mariam Karimi").last
    expect(card).to_be_visible()
    snap(migrant, "1-directory")
    card.locator("a", has_text="").last.click()
    migrant.wait_for_load_state()
    assert path_of(migrant).startswith("/counsellors/")

    slot = migrant.locator("a.slot").first
    href = slot.get_attribute("href")
    start = datetime.fromisoformat(parse_qs(urlparse(href).query)["start"][0].replace("Z", "+00:00"))
    snap(migrant, "2-times")
    slot.click()
    migrant.wait_for_load_state()
    migrant.check("input[name=modality][value=video]")
    migrant.check("input[name=topic][value=return]")
    snap(migrant, "3-confirm")
    submit(migrant)

    assert path_of(migrant).startswith("/booking/")
    athens = format_time(start, "short", tzinfo=ZoneInfo("Europe/Athens"), locale="fa")
    kabul = format_time(start, "short", tzinfo=ZoneInfo("Asia/Kabul"), locale="fa")
    expect(migrant.locator("main")).to_contain_text(athens)
    expect(migrant.locator("main")).to_contain_text(kabul)
    appointment_url = path_of(migrant)
    snap(migrant, "4-booked")

    counsellor = new_phone(timezone_id="Asia/Kabul").new_page()
    sign_in(counsellor, COUNSELLOR2)
    counsellor.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(counsellor)
    day = start.astimezone(ZoneInfo("Asia/Kabul")).date().isoformat()
    counsellor.goto(f"/booking/agenda/?day={day}")
    entry = counsellor.locator("main").get_by_text("Farid Ahmadi").first
    expect(entry).to_be_visible()
    expect(counsellor.locator("main")).to_contain_text(kabul)
    snap(counsellor, "5-agenda")

    migrant.goto(appointment_url)
    migrant.locator("details.cancel-box summary").click()
    with migrant.expect_navigation():
        migrant.locator("details.cancel-box button[type=submit]").click()
    snap(migrant, "6-cancelled")

    migrant.goto(href.split("book/")[0])
    offered = [a.get_attribute("href") for a in migrant.locator("a.slot").all()]
    assert href in offered, "the cancelled time is offered again"
