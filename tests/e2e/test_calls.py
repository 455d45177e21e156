"""Calls in two real browsers with fake cameras and microphones (Debian Chromium): a video call
connects, switching to audio only keeps it connected and stops video both ways, and a call
forced through a local coturn (`iceTransportPolicy: "relay"`) connects with the credentials the
server mints and gets no relay with expired ones."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from counselling.services.calls import turn_credentials
from tests.e2e.journeys import DEMO_TOTP_SECRET, fresh_totp, sign_in, submit
from tests.e2e.server import CHROMIUM_ARGS, PHONE, Server, chromium_path, running_server
from tests.e2e.turn import Turn, running_turn

pytestmark = pytest.mark.browser

MIGRANT2 = "migrant2@demo.test"  # Farid: the demo data has his conversation with Mariam
COUNSELLOR2 = "counsellor2@demo.test"
CALL_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    # Without it Chromium gathers no candidate on loopback and a call on one machine never connects.
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture(scope="module")
def call_browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CALL_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def turn() -> Iterator[Turn]:
    with running_turn() as running:
        yield running


@pytest.fixture(scope="module")
def relay_server(turn: Turn) -> Iterator[Server]:
    """The platform with every call forced through the local coturn."""
    env = {"TURN_URLS": turn.url, "TURN_SECRET": turn.secret, "ICE_TRANSPORT_POLICY": "relay"}
    with running_server(extra_env=env) as running:
        yield running


def phone_factory(browser: Browser, server: Server) -> Iterator[Callable[[], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(**PHONE, locale="en", base_url=server.base_url)  # type: ignore[arg-type]
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def call_phone(call_browser: Browser, server: Server) -> Iterator[Callable[[], BrowserContext]]:
    yield from phone_factory(call_browser, server)


@pytest.fixture
def relay_phone(call_browser: Browser, relay_server: Server) -> Iterator[Callable[[], BrowserContext]]:
    yield from phone_factory(call_browser, relay_server)


def both_in_the_conversation(make: Callable[[], BrowserContext]) -> tuple[Page, Page]:
    migrant = make().new_page()
    sign_in(migrant, MIGRANT2)
    migrant.goto("/conversations/")
    migrant.locator(".conversation-link").first.click()
    migrant.wait_for_load_state()
    url = migrant.evaluate("location.pathname")
    counsellor = make().new_page()
    sign_in(counsellor, COUNSELLOR2)
    counsellor.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(counsellor)
    counsellor.goto(url)
    expect(counsellor.locator(".call")).to_be_visible()  # call.js found WebRTC and the socket
    expect(migrant.locator(".call")).to_be_visible()
    expect(counsellor.locator(".chat-status")).not_to_be_empty()  # both sockets are live
    return migrant, counsellor


def video_call(migrant: Page, counsellor: Page) -> None:
    counsellor.locator(".call-start-video").click()
    expect(migrant.locator(".call-incoming")).to_be_visible()
    migrant.locator(".call-answer-video").click()
    for page in (migrant, counsellor):
        expect(page.locator(".call-peer[data-connection=connected]")).to_have_count(1)


def test_a_video_call_connects_and_stays_connected_when_one_side_switches_to_audio_only(
    call_phone: Callable[[], BrowserContext], snap: Callable[..., Path]
) -> None:
    migrant, counsellor = both_in_the_conversation(call_phone)

    video_call(migrant, counsellor)
    snap(migrant, "video")
    migrant.locator(".call-video").click()  # "Audio only (saves data)"

    expect(migrant.locator(".call-note")).to_be_visible()
    # Renegotiated, not hung up: the same connection, still connected on both sides...
    for page in (migrant, counsellor):
        expect(page.locator(".call-peer[data-connection=connected]")).to_have_count(1)
    assert migrant.evaluate("document.querySelector('.call-self').srcObject.getVideoTracks().length") == 0
    # ...and video stops in both directions: the counsellor's video to Farid is paused too.
    counsellor.wait_for_function(
        "() => [...document.querySelector('.call-peer video').srcObject.getVideoTracks()]"
        ".every(track => track.muted || track.readyState === 'ended')"
    )
    migrant.wait_for_timeout(1500)
    expect(migrant.locator(".call-peer[data-connection=connected]")).to_have_count(1)
    snap(migrant, "audio-only")

    counsellor.locator(".call-hangup").click()
    expect(migrant.locator(".call-active")).to_be_hidden()
    expect(migrant.locator(".call-start")).to_be_visible()


def test_a_declined_call_tells_the_caller(call_phone: Callable[[], BrowserContext]) -> None:
    migrant, counsellor = both_in_the_conversation(call_phone)

    counsellor.locator(".call-start-audio").click()
    expect(migrant.locator(".call-incoming")).to_be_visible()
    migrant.locator(".call-decline").click()

    declined = counsellor.locator("[data-call]").get_attribute("data-t-declined")
    assert declined  # in Mariam's language
    expect(counsellor.locator(".call-status")).to_have_text(declined)
    expect(counsellor.locator(".call-start")).to_be_visible()


@pytest.mark.turn
def test_a_call_forced_through_coturn_connects_over_the_relay(
    relay_phone: Callable[[], BrowserContext],
) -> None:
    migrant, counsellor = both_in_the_conversation(relay_phone)

    video_call(migrant, counsellor)

    # With iceTransportPolicy "relay" the browsers have no other path: both ends use TURN.
    for page in (migrant, counsellor):
        local_type = page.evaluate(
            """async () => {
                const [pc] = window.passageCall.connections();
                let pair = null, types = {};
                (await pc.getStats()).forEach((s) => {
                    if (s.type === "transport") pair = s.selectedCandidatePairId;
                    if (s.type === "local-candidate") types[s.id] = s.candidateType;
                });
                let local = null;
                (await pc.getStats()).forEach((s) => {
                    if (s.id === pair) local = types[s.localCandidateId];
                });
                return local;
            }"""
        )
        assert local_type == "relay"


GATHER = """async ([url, username, credential]) => {
    const pc = new RTCPeerConnection({
        iceServers: [{urls: url, username, credential}], iceTransportPolicy: "relay"});
    pc.createDataChannel("probe");
    const found = [];
    pc.onicecandidate = (event) => { if (event.candidate) found.push(event.candidate.type); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
        if (pc.iceGatheringState === "complete") return resolve();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
        setTimeout(resolve, 8000);
    });
    pc.close();
    return found.filter((type) => type === "relay").length;
}"""


@pytest.mark.turn
def test_fresh_turn_credentials_get_a_relay_and_expired_ones_do_not(
    relay_phone: Callable[[], BrowserContext], turn: Turn
) -> None:
    page = relay_phone().new_page()
    page.goto("/")
    now = timezone.now()
    fresh = turn_credentials(user_id=1, secret=turn.secret, ttl_seconds=3600, now=now)
    expired = turn_credentials(user_id=1, secret=turn.secret, ttl_seconds=60, now=now - timedelta(hours=2))

    assert page.evaluate(GATHER, [turn.url, *fresh]) >= 1
    assert page.evaluate(GATHER, [turn.url, *expired]) == 0


# Last in this module: it leaves the interpreter in the demo conversation of the relay server.
@pytest.mark.turn
def test_a_three_way_call_with_the_interpreter_connects_everyone_to_everyone(
    relay_phone: Callable[[], BrowserContext], snap: Callable[..., Path]
) -> None:
    migrant, counsellor = both_in_the_conversation(relay_phone)
    conversation_id = migrant.evaluate("location.pathname").rstrip("/").split("/")[-1]
    coordinator = relay_phone().new_page()
    sign_in(coordinator, "coordinator2@demo.test")
    coordinator.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(coordinator)
    coordinator.goto(f"/organisation/conversations/{conversation_id}/interpreters/")
    propose = coordinator.locator("form[action*='propose']")  # not the language switcher
    propose.locator("select[name=interpreter]").select_option(index=1)
    propose.locator("select[name=language]").select_option("fa")
    propose.locator("button[type=submit]").click()
    migrant.reload()
    migrant.locator(".interpreter-consent button[value=allow]").click()
    interpreter = relay_phone().new_page()
    sign_in(interpreter, "interpreter@demo.test")
    interpreter.fill("input[name=code]", fresh_totp(DEMO_TOTP_SECRET))
    submit(interpreter)
    interpreter.goto(f"/conversations/{conversation_id}/")
    expect(interpreter.locator(".call")).to_be_visible()
    migrant.reload()
    counsellor.reload()
    expect(counsellor.locator(".chat-status")).not_to_be_empty()

    counsellor.locator(".call-start-video").click()
    expect(migrant.locator(".call-incoming")).to_be_visible()
    migrant.locator(".call-answer-video").click()
    expect(interpreter.locator(".call-incoming")).to_be_visible()
    interpreter.locator(".call-answer-audio").click()

    # A mesh: each of the three is connected to the two others.
    for page in (migrant, counsellor, interpreter):
        # Three browsers and three relayed connections on one small machine: allow time.
        expect(page.locator(".call-peer[data-connection=connected]")).to_have_count(2, timeout=20_000)
    snap(migrant, "three-way")
