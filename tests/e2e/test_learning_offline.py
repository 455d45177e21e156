"""Learning offline: a learner saves a lesson, loses the network, finishes the lesson, and the
server records it once when the phone is back online (issue "Offline").

The course is made with `manage.py shell` against the server's own database (seed_demo has no
courses), and the records are read back from that SQLite file: the browser talks to the server
only over HTTP, as a phone would.
"""

import json
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import closing

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.journeys import MIGRANT, sign_in
from tests.e2e.server import REPO_ROOT, Server
from tests.e2e.test_offline import wait_for_service_worker

pytestmark = pytest.mark.browser

# Long enough that the end of the lesson is well below the first screen of a 360x800 phone.
BODY = "\n\n".join(f"Paragraph {n}. " + "Words to read on the bus to work. " * 12 for n in range(40))

MAKE_COURSE = """
import json, sys
from django.utils import timezone
from accounts.models import User
from courses.models import Course, Lesson, Module
author = User.objects.get(email="author@demo.test")
slug = sys.argv[-2]
course = Course.objects.create(
    slug=slug, title="Offline " + slug, summary="Read on the bus.", language="en",
    category="digital_literacy", estimated_hours=1, author=author,
    status="published", published_at=timezone.now(),
)
module = Module.objects.create(course=course, title="First part")
first = Lesson.objects.create(
    module=module, title="Reading offline", kind="text", body=sys.argv[-1], position=0
)
second = Lesson.objects.create(module=module, title="Next one", kind="text", body="More.", position=1)
print(json.dumps({"slug": slug, "lesson": first.pk}))
"""


def make_course(server: Server) -> dict:
    """A published course with two text lessons, written straight into the server's database."""
    slug = f"offline-{uuid.uuid4().hex[:8]}"
    script = MAKE_COURSE.replace("sys.argv[-2]", repr(slug)).replace("sys.argv[-1]", repr(BODY))
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c", script],
        cwd=REPO_ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def query(server: Server, sql: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(server.var_dir / "db.sqlite3", timeout=10)) as db:
        return db.execute(sql, params).fetchall()


def records_for(server: Server, lesson: int) -> dict[str, object]:
    user = query(server, "SELECT id FROM accounts_user WHERE email = ?", MIGRANT)[0][0]
    events = query(
        server, "SELECT COUNT(*) FROM courses_progressevent WHERE user_id = ? AND lesson_id = ?", user, lesson
    )[0][0]
    progress = query(
        server,
        "SELECT completed_at, read_to_end FROM courses_lessonprogress WHERE user_id = ? AND lesson_id = ?",
        user,
        lesson,
    )
    return {"events": events, "progress": progress}


def completing_events(server: Server, lesson: int) -> int:
    """Progress events that reported the end of the text (the page may also report positions)."""
    return records_for(server, lesson)["events"]  # type: ignore[return-value]


def wait_pending(page: Page, ok: Callable[[int], bool], timeout: float = 20.0) -> int:
    """Wait until the number of writes in the outbox satisfies `ok`; return it."""
    deadline = time.monotonic() + timeout
    while True:
        count = page.evaluate("passageRecords.pending()")
        if ok(count) or time.monotonic() > deadline:
            assert ok(count), f"{count} writes waiting"
            return count
        page.wait_for_timeout(200)


def enrol(page: Page, slug: str) -> None:
    page.goto(f"/courses/{slug}/")
    with page.expect_navigation():
        page.locator(f"form[action='/courses/{slug}/enrol/'] button[type=submit]").click()


def test_a_progress_report_sent_offline_is_queued_and_recorded_once_when_online(
    page: Page, server: Server
) -> None:
    course = make_course(server)
    logs: list[str] = []
    page.on("console", lambda message: logs.append(message.text))
    sign_in(page, MIGRANT)
    enrol(page, course["slug"])
    page.goto(f"/courses/{course['slug']}/lessons/{course['lesson']}/")
    page.wait_for_function("window.passageRecords !== undefined")
    event_id = str(uuid.uuid4())
    url = f"/api/courses/lessons/{course['lesson']}/progress"
    before = completing_events(server, course["lesson"])

    page.context.set_offline(True)
    queued = page.evaluate(
        "([url, id]) => passageRecords.send(url, {method: 'POST', body: {event_id: id, read_to_end: true},"
        " key: 'progress-' + id})",
        [url, event_id],
    )
    assert queued == {"queued": True}
    assert page.evaluate("passageRecords.pending()") >= 1

    page.context.set_offline(False)
    wait_pending(page, lambda n: n == 0)

    assert completing_events(server, course["lesson"]) == before + 1, logs
    assert records_for(server, course["lesson"])["progress"][0][0] is not None  # complete

    # The same write again (a replayed queue): the server answers, nothing new is stored.
    again = page.evaluate(
        "([url, id]) => passageRecords.send(url, {method: 'POST', body: {event_id: id, read_to_end: true},"
        " key: 'progress-' + id})",
        [url, event_id],
    )
    assert again["sent"] is True
    assert again["response"]["stored"] is False
    assert completing_events(server, course["lesson"]) == before + 1


def test_a_learner_saves_a_lesson_finishes_it_offline_and_it_counts_once(
    page: Page, server: Server, snap: Callable[..., object]
) -> None:
    course = make_course(server)
    lesson_url = f"/courses/{course['slug']}/lessons/{course['lesson']}/"
    sign_in(page, MIGRANT)
    wait_for_service_worker(page)
    enrol(page, course["slug"])

    # Open the lesson without reaching its end, and save it for offline use.
    page.goto(lesson_url)
    page.get_by_role("button", name="Save for offline").click()
    expect(page.locator(".offline-question")).to_contain_text("Save this lesson for offline use? It needs")
    snap(page, "confirm")
    page.locator(".offline-panel").get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".offline-status")).to_have_text("Saved for offline use", timeout=30_000)
    expect(page.get_by_role("button", name="Remove from this phone")).to_be_visible()
    assert records_for(server, course["lesson"])["events"] == 0

    # No network: the lesson opens from the phone, and reading to the end is kept for later.
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_have_text("Reading offline")
    expect(page.locator(".offline-status")).to_have_text("Saved for offline use")
    page.locator("[data-lesson-end]").scroll_into_view_if_needed()
    wait_pending(page, lambda n: n >= 1)
    expect(page.locator("[data-records-status]")).to_be_visible()
    expect(page.locator("[data-records-status]")).to_contain_text("waiting to be sent")
    snap(page, "waiting")
    assert records_for(server, course["lesson"])["events"] == 0

    # Back online: sent once, the lesson is complete.
    page.context.set_offline(False)
    wait_pending(page, lambda n: n == 0)
    expect(page.locator("[data-records-status]")).to_be_hidden()
    done = records_for(server, course["lesson"])
    assert done["events"] == 1
    assert len(done["progress"]) == 1
    assert done["progress"][0][0] is not None and done["progress"][0][1] == 1

    # A reload sends nothing again (the queue is empty; the page knows the lesson is done).
    page.reload()
    page.wait_for_function("window.passageRecords !== undefined")
    page.locator("[data-lesson-end]").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    assert page.evaluate("passageRecords.pending()") == 0
    assert records_for(server, course["lesson"])["events"] == 1

    # Removing it from the phone empties the saved copy.
    page.get_by_role("button", name="Remove from this phone").click()
    expect(page.get_by_role("button", name="Save for offline")).to_be_visible()
    assert page.evaluate("passageOffline.savedLessons().then((l) => l.length)") == 0


MAKE_H5P_LESSON = """
import io, json
from accounts.models import User
from courses.h5p_pack import demo_package
from courses.models import Course, Lesson, Module
from courses.services import h5p_content_upload
from tests.courses.h5p_samples import SAMPLES
kind, title, language, params = SAMPLES["multichoice-en"]
data = demo_package(kind, title=title, language=language, params=params)
author = User.objects.get(email="author@demo.test")
content = h5p_content_upload(uploader=author, file=io.BytesIO(data), size=len(data))
course = Course.objects.get(slug=SLUG)
module = course.modules.first()
lesson = Lesson.objects.create(module=module, title="Exercise offline", kind="h5p", h5p=content, position=5)
print(json.dumps({"lesson": lesson.pk, "content_id": content.content_id}))
"""


def make_h5p_lesson(server: Server, slug: str) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "manage.py"),
            "shell",
            "-c",
            MAKE_H5P_LESSON.replace("SLUG", repr(slug)),
        ],
        cwd=REPO_ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def statement_count(server: Server, lesson: int, verb: str) -> int:
    return query(
        server,
        "SELECT COUNT(*) FROM courses_xapistatement WHERE lesson_id = ? AND verb LIKE ?",
        lesson,
        f"%/{verb}",
    )[0][0]


def test_a_saved_h5p_lesson_plays_offline(page: Page, server: Server, snap: Callable[..., object]) -> None:
    """The player's iframe is sandboxed (opaque origin): no service worker sees its requests.
    The lesson page fetches the player's files (from the saved lesson when offline) and hands
    them over; the player page itself comes from the HTTP cache."""
    course = make_course(server)
    h5p = make_h5p_lesson(server, course["slug"])
    lesson_url = f"/courses/{course['slug']}/lessons/{h5p['lesson']}/"
    sign_in(page, MIGRANT)
    wait_for_service_worker(page)
    enrol(page, course["slug"])
    page.goto(lesson_url)
    frame = page.frame_locator("iframe[data-h5p-frame]")
    expect(frame.locator(".passage-q")).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Save for offline").click()
    page.locator(".offline-panel").get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".offline-status")).to_have_text("Saved for offline use", timeout=30_000)

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_have_text("Exercise offline")
    expect(frame.locator(".passage-q")).to_be_visible(timeout=20_000)
    expect(frame.locator("[data-failed]")).to_be_hidden()
    snap(page, "offline")

    # Answered offline: the statements wait on the phone.
    frame.get_by_label("Hello").check()
    frame.get_by_role("button", name="Check").click()
    expect(frame.get_by_text("All correct!")).to_be_visible()
    wait_pending(page, lambda n: n >= 2)
    expect(page.locator("[data-records-status]")).to_contain_text("waiting to be sent")
    snap(page, "answered-offline")
    assert statement_count(server, h5p["lesson"], "answered") == 0

    # Back online: each statement is recorded once.
    page.context.set_offline(False)
    wait_pending(page, lambda n: n == 0)
    assert statement_count(server, h5p["lesson"], "answered") == 1
    assert statement_count(server, h5p["lesson"], "completed") == 1
