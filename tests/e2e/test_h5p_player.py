"""The H5P player as a lesson uses it: a page of our origin frames the embed page in
`<iframe sandbox="allow-scripts">`, starts it with an "init" message, and receives the xAPI
statements, the learner's state and the height by postMessage. Our own content types are
answered like a learner would; a saved state brings the answers back; script in the player
cannot read the site's cookies."""

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from tests.courses.h5p_samples import SAMPLES
from tests.e2e.journeys import MIGRANT, sign_in
from tests.e2e.server import REPO_ROOT, Server
from tests.e2e.test_learning_offline import enrol, make_course, make_h5p_lesson

pytestmark = pytest.mark.browser
# Where the phone screenshots of each type go (looked at by people, not compared).
SCREENSHOT_DIR = Path("/tmp")  # noqa: S108 - screenshots only, nothing read back

# A stand-in for the lesson page (the lead's lesson template speaks the same protocol), served
# at an address of the site itself, so the frame relation is the real one: same-origin parent,
# opaque-origin player.
PARENT = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Lesson</title>
<style>body{{margin:0}} iframe{{border:0;width:100%;display:block}}</style></head>
<body>
<iframe id="player" title="Activity" sandbox="allow-scripts" src="{src}"></iframe>
<script>
  window.received = [];
  window.initState = {state};
  const frame = document.getElementById("player");
  // Like lesson.js: fetch the player's files (HTTP cache) and hand them over with "init".
  const handOver = {send_files} ? fetch("{assets}").then((r) => r.json()).then((list) =>
    Promise.all(list.files.map((file) => fetch(file.url).then((r) => r.blob())
      .then((blob) => ({{url: new URL(file.url, location.href).href, blob}}))))
      .then((files) => ({{player: list.player, files}})))
    : Promise.resolve({{player: null, files: []}});
  window.addEventListener("message", (event) => {{
    if (event.source !== frame.contentWindow) return;
    const data = event.data;
    if (!data || data.source !== "passage-h5p") return;
    window.received.push({{origin: event.origin, data: data}});
    if (data.type === "ready") {{
      handOver.then(({{player, files}}) => frame.contentWindow.postMessage({{
        source: "passage", type: "init", state: window.initState, lang: "{lang}", dir: "{dir}",
        player, files}}, "*"));
    }}
    if (data.type === "resize") frame.style.height = data.height + "px";
  }});
</script>
</body></html>"""


def upload_samples(server: Server) -> dict[str, str]:
    """Upload every sample package into the running server as the demo author; {sample: id}."""
    code = (
        "import io, json\n"
        "from accounts.models import User\n"
        "from courses.h5p_pack import demo_package\n"
        "from courses.services import h5p_content_upload\n"
        "from tests.courses.h5p_samples import SAMPLES\n"
        "author = User.objects.get(email='author@demo.test')\n"
        "ids = {}\n"
        "for name, (kind, title, language, params) in SAMPLES.items():\n"
        "    data = demo_package(kind, title=title, language=language, params=params)\n"
        "    upload = h5p_content_upload(uploader=author, file=io.BytesIO(data), size=len(data))\n"
        "    ids[name] = upload.content_id\n"
        "print('IDS=' + json.dumps(ids))\n"
    )
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c", code],
        cwd=REPO_ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("IDS="))
    return dict(json.loads(line[4:]))


@pytest.fixture(scope="module")
def content_ids(server: Server) -> dict[str, str]:
    return upload_samples(server)


@pytest.fixture
def open_lesson(phone: BrowserContext, server: Server) -> Iterator[Callable[..., tuple[Page, Frame]]]:
    """Open the stand-in lesson page for a sample; returns the page and the player's frame."""
    pages: list[Page] = []

    def open_(
        content_id: str,
        *,
        lang: str = "en",
        state: str | None = None,
        send_files: bool = True,
        before: Callable[[Page], None] | None = None,
    ) -> tuple[Page, Frame]:
        page = phone.new_page()
        pages.append(page)
        if before is not None:
            before(page)
        page.on("console", lambda message: print("console:", message.type, message.text))
        page.on("pageerror", lambda error: print("pageerror:", error))
        url = f"{server.base_url}/e2e-lesson/{content_id}/"
        html = PARENT.format(
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            src=f"/courses/h5p/{content_id}/embed/",
            assets=f"/courses/h5p/{content_id}/assets.json",
            state=json.dumps(state),
            send_files=json.dumps(send_files),
        )
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.goto(url)
        frame = page.frame_locator("#player")
        expect(frame.locator(".passage-q")).to_be_visible(timeout=20_000)
        player = next(f for f in page.frames if "/embed/" in f.url)
        return page, player

    yield open_
    for page in pages:
        page.close()


def messages(page: Page, kind: str) -> list[dict]:
    return [m["data"] for m in page.evaluate("window.received") if m["data"]["type"] == kind]


def statements(page: Page, verb: str) -> list[dict]:
    return [
        s["statement"] for s in messages(page, "xapi") if s["statement"]["verb"]["id"].endswith("/" + verb)
    ]


def wait_for_state(page: Page) -> str:
    page.wait_for_function("window.received.some(m => m.data.type === 'state')")
    return str(messages(page, "state")[-1]["state"])


def test_a_multiple_choice_answer_is_scored_reported_and_resumed(open_lesson, content_ids, server):
    page, _player = open_lesson(content_ids["multichoice-en"])
    frame = page.frame_locator("#player")

    frame.get_by_label("Table").check()
    frame.get_by_role("button", name="Check").click()
    expect(frame.get_by_text("Not correct")).to_be_visible()
    page.wait_for_function("window.received.some(m => m.data.type === 'xapi')")
    answered = statements(page, "answered")
    assert answered[-1]["result"]["score"] == {"min": 0, "max": 1, "raw": 0, "scaled": 0}
    assert answered[-1]["result"]["success"] is False
    assert not statements(page, "completed")

    frame.get_by_role("button", name="Try again").click()
    frame.get_by_label("Hello").check()
    frame.get_by_role("button", name="Check").click()
    page.wait_for_function("window.received.filter(m => m.data.type === 'xapi').length >= 3")
    assert statements(page, "answered")[-1]["result"]["score"]["raw"] == 1
    completed = statements(page, "completed")
    assert completed and completed[-1]["result"]["success"] is True
    assert completed[-1]["object"]["id"].startswith(server.base_url + "/courses/h5p/")
    # Everything after "ready" went to the lesson's origin only, and the height came too.
    assert {m["origin"] for m in page.evaluate("window.received")} == {"null"}
    assert messages(page, "resize")[-1]["height"] > 100
    state = wait_for_state(page)
    assert json.loads(state)["answers"] == [0]

    # The learner comes back: the lesson passes the saved state, the answer is there again.
    again, _player = open_lesson(content_ids["multichoice-en"], state=state)
    expect(again.frame_locator("#player").get_by_label("Hello")).to_be_checked()
    expect(again.frame_locator("#player").get_by_text("All correct!")).to_be_visible()


def test_several_right_answers_use_checkboxes_and_partial_scores(open_lesson, content_ids):
    page, _player = open_lesson(content_ids["multichoice-many-en"])
    frame = page.frame_locator("#player")

    frame.get_by_label("Passport").check()
    frame.get_by_role("button", name="Check").click()
    page.wait_for_function("window.received.some(m => m.data.type === 'xapi')")

    assert statements(page, "answered")[-1]["result"]["score"]["raw"] == 1
    assert statements(page, "answered")[-1]["result"]["score"]["max"] == 2
    frame.get_by_role("button", name="Show solution").click()
    expect(frame.get_by_text("Right answer")).to_be_visible()
    page.wait_for_function("window.received.filter(m => m.data.type === 'xapi').length >= 2")
    assert statements(page, "completed")[-1]["result"]["success"] is False


def test_blanks_accept_alternatives_in_any_case_and_come_back(open_lesson, content_ids):
    page, _player = open_lesson(content_ids["fillblanks-en"])
    frame = page.frame_locator("#player")

    frame.get_by_label("Blank 1 of 2").fill("  HAVE ")
    frame.get_by_label("Blank 2 of 2").fill("10")
    frame.get_by_role("button", name="Check").click()
    page.wait_for_function("window.received.filter(m => m.data.type === 'xapi').length >= 2")

    assert statements(page, "answered")[-1]["result"]["score"]["raw"] == 2
    assert statements(page, "completed")[-1]["result"]["success"] is True
    state = wait_for_state(page)

    again, _ = open_lesson(content_ids["fillblanks-en"], state=state)
    expect(again.frame_locator("#player").get_by_label("Blank 2 of 2")).to_have_value("10")


def test_true_false_in_arabic_runs_right_to_left(open_lesson, content_ids):
    page, player = open_lesson(content_ids["truefalse-ar"], lang="ar")
    frame = page.frame_locator("#player")

    expect(frame.locator(".passage-q")).to_have_attribute("dir", "rtl")
    frame.get_by_label("صحيح").check()
    frame.get_by_role("button", name="تحقق").click()
    page.wait_for_function("window.received.filter(m => m.data.type === 'xapi').length >= 2")

    assert statements(page, "answered")[-1]["result"]["score"]["raw"] == 1
    assert player.evaluate("document.documentElement.dir") == "rtl"


def test_script_in_the_player_cannot_reach_the_sites_cookies(open_lesson, content_ids, phone, server):
    phone.add_cookies([{"name": "probe", "value": "site-secret", "url": server.base_url}])
    page, player = open_lesson(content_ids["truefalse-en"])

    assert "site-secret" in page.evaluate("document.cookie")
    seen = player.evaluate(
        "() => { try { return document.cookie; } catch (e) { return 'refused: ' + e.name; } }"
    )
    parent = player.evaluate(
        "() => { try { return window.parent.document.cookie; } catch (e) { return 'refused'; } }"
    )
    status = player.evaluate(
        "() => fetch('/accounts/profile/', {redirect: 'manual'})"
        ".then(r => r.type + ' ' + r.status, e => 'refused')"
    )

    assert "site-secret" not in seen
    assert parent == "refused"
    assert player.evaluate("window.origin") == "null"
    assert status != "basic 200"  # no same-origin answer with the learner's session
    # The package's script came from the files the lesson handed over, and still runs there.
    sources = player.evaluate("[...document.scripts].map((s) => s.src).filter(Boolean)")
    assert sources and all(src.startswith("blob:null/") for src in sources), sources
    assert player.evaluate("typeof H5P.PassageTrueFalse") == "function"


def test_without_files_from_the_lesson_the_player_loads_from_the_network(open_lesson, content_ids):
    page, player = open_lesson(content_ids["truefalse-en"], send_files=False)
    frame = page.frame_locator("#player")

    frame.get_by_label("True").check()
    frame.get_by_role("button", name="Check").click()
    page.wait_for_function("window.received.filter(m => m.data.type === 'xapi').length >= 2")

    assert statements(page, "answered")[-1]["result"]["score"]["raw"] == 1
    sources = player.evaluate("[...document.scripts].map((s) => s.src).filter(Boolean)")
    assert any("/courses/h5p/files/libraries/" in src for src in sources), sources


def network_bytes(phone: BrowserContext, page: Page) -> dict[str, int]:
    """Start counting what `page` downloads: {url: bytes over the network}, filled as it loads.
    Answers from the HTTP cache or a service worker count 0 (CDP sees the sandboxed player's
    requests too: it runs in the page's process)."""
    cdp = phone.new_cdp_session(page)
    urls: dict[str, str] = {}
    cached: set[str] = set()
    downloaded: dict[str, int] = {}

    def received(event: dict) -> None:
        urls[event["requestId"]] = event["response"]["url"]
        if event["response"].get("fromDiskCache") or event["response"].get("fromServiceWorker"):
            cached.add(event["requestId"])

    def finished(event: dict) -> None:
        request = event["requestId"]
        if request in urls and request not in cached:
            downloaded[urls[request]] = downloaded.get(urls[request], 0) + int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.requestServedFromCache", lambda event: cached.add(event["requestId"]))
    cdp.on("Network.loadingFinished", finished)
    cdp.send("Network.enable")
    return downloaded


def test_a_package_made_for_iframe_embedding_plays_in_the_player_page(open_lesson, server):
    """Packages from H5P editors often allow only "iframe" embedding. H5P would write a frame of
    its own inside the player, which the sandbox gives another opaque origin that H5P cannot
    reach; the player page is already the package's own document, so it runs there."""
    content_id = upload_samples(server)["truefalse-en"]
    manifest = server.var_dir / "h5p" / "content" / content_id / "h5p.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["embedTypes"] = ["iframe"]
    manifest.write_text(json.dumps(data), encoding="utf-8")

    page, player = open_lesson(content_id)
    frame = page.frame_locator("#player")
    frame.get_by_label("True").check()
    frame.get_by_role("button", name="Check").click()
    page.wait_for_function("window.received.filter(m => m.data.type === 'xapi').length >= 2")

    assert statements(page, "answered")[-1]["result"]["score"]["raw"] == 1
    assert player.evaluate("document.documentElement.classList.contains('h5p-iframe')")
    assert player.evaluate("window.origin") == "null"


def test_a_second_visit_downloads_nothing_for_the_player(new_phone, server):
    """The probe that showed the problem: every visit downloaded the player, its libraries and the
    content again (about 66 KB), since the sandboxed player's own requests get a cache that lasts
    one page. Now the lesson page fetches them (its HTTP cache) and hands them over.

    The real lesson page, since Playwright's routing (the stand-in above) turns the HTTP cache
    off; without a service worker, so that every download is seen here (the worker's own
    requests are not; test_learning_offline covers the worker)."""
    phone = new_phone(service_workers="block")
    page = phone.new_page()
    course = make_course(server)
    h5p = make_h5p_lesson(server, course["slug"])
    sign_in(page, MIGRANT)
    enrol(page, course["slug"])
    page.close()
    visits: list[dict[str, int]] = []
    for _ in range(2):
        page = phone.new_page()
        visits.append(network_bytes(phone, page))
        page.goto(f"/courses/{course['slug']}/lessons/{h5p['lesson']}/")
        expect(page.frame_locator("iframe[data-h5p-frame]").locator(".passage-q")).to_be_visible(
            timeout=20_000
        )
        page.wait_for_timeout(500)
        page.close()

    player = ("/courses/h5p/", "/static/h5p-standalone/", "/static/courses/h5p-embed")
    first = {url: size for url, size in visits[0].items() if any(p in url for p in player)}
    second = {url: size for url, size in visits[1].items() if any(p in url for p in player)}
    print("first visit:", sum(first.values()), "bytes;", "second visit:", sum(second.values()), "bytes")
    assert sum(first.values()) > 20_000, first  # the player and libraries did come the first time
    assert sum(second.values()) == 0, second


@pytest.mark.parametrize(
    "sample",
    ["multichoice-en", "fillblanks-en", "truefalse-en", "multichoice-ar", "fillblanks-ar", "truefalse-ar"],
)
def test_screenshot_of_each_type_on_a_phone(open_lesson, content_ids, sample):
    lang = SAMPLES[sample][2]
    page, _player = open_lesson(content_ids[sample], lang=lang)
    frame = page.frame_locator("#player")
    first = frame.locator("input").first
    if SAMPLES[sample][0] == "fillblanks":
        first.fill("x")
    else:
        first.check()
    frame.locator(".passage-q__button--main").click()
    page.wait_for_function("window.received.some(m => m.data.type === 'xapi')")
    page.wait_for_timeout(300)

    page.screenshot(path=str(SCREENSHOT_DIR / f"h5p-{sample}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no sideways scrolling on a 360 px phone"
