"""Learning on a phone (issue "a learner enrols, completes an H5P exercise and sees the lesson,
module and course progress change"): the catalogue, enrolling, text lessons that complete when
read to the end, H5P exercises played in the sandboxed frame, pass scores, resuming inside an
activity, "My learning", and the certificate with its public check.

Each journey signs in a learner of its own, made with `manage.py shell` in the server's
database, so that the counts it asserts start from nothing whatever ran before.
"""

import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, FrameLocator, Locator, Page, expect

from tests.e2e.journeys import DEMO_PASSWORD, path_of, sign_in, switch_language
from tests.e2e.server import REPO_ROOT, Server

pytestmark = pytest.mark.browser

GERMAN = "german-a1-first-steps"
PERSIAN = "job-interview-skills"
MIGRANT2 = "migrant2@demo.test"
# Screenshots looked at by people (not compared), at 360x800.
SCREENSHOT_DIR = Path("/tmp")  # noqa: S108 - screenshots only, nothing read back

MAKE_LEARNER = """
from accounts import services
email = EMAIL
services.user_create(email=email, password=PASSWORD, display_name=NAME, email_verified=True)
print("OK")
"""


def make_learner(server: Server, name: str) -> str:
    """A new learner with no enrolment, in the server's own database; returns the e-mail."""
    email = f"learner-{uuid.uuid4().hex[:8]}@e2e.test"
    script = (
        MAKE_LEARNER.replace("EMAIL", repr(email))
        .replace("PASSWORD", repr(DEMO_PASSWORD))
        .replace("NAME", repr(name))
    )
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c", script],
        cwd=REPO_ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return email


def learner_page(server: Server, context: BrowserContext, name: str) -> Page:
    page = context.new_page()
    page.on("pageerror", lambda error: print("pageerror:", error))
    sign_in(page, make_learner(server, name))
    assert path_of(page) == "/dashboard/"
    return page


def count_of(page: Page, bar: str) -> tuple[int, int]:
    """(done, total) of a progress row as the page shows it, checked against its <progress>."""
    row = page.locator(bar)
    match = re.fullmatch(r"(\d+) of (\d+) done", row.locator("[data-count]").inner_text().strip())
    assert match, row.inner_html()
    done, total = int(match[1]), int(match[2])
    assert row.locator("progress").evaluate("p => [p.value, p.max]") == [done, total]
    return done, total


def expect_count(page: Page, bar: str, done: int, total: int) -> None:
    row = page.locator(bar)
    expect(row.locator("[data-count]")).to_have_text(f"{done} of {total} done")
    expect(row.locator("progress")).to_have_attribute("value", str(done))
    assert row.locator("progress").evaluate("p => p.value") == done


def enrol(page: Page, slug: str) -> None:
    page.goto(f"/courses/{slug}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Start this course").click()


def open_lesson(page: Page, slug: str, title: str) -> None:
    """Open a lesson from the outline of the course page, as a learner would."""
    page.goto(f"/courses/{slug}/")
    with page.expect_navigation():
        page.locator(".outline-lesson a", has_text=title).click()
    expect(page.locator("h1")).to_have_text(title)


def player(page: Page) -> FrameLocator:
    frame = page.frame_locator("iframe.h5p-frame")
    expect(frame.locator(".passage-q")).to_be_visible(timeout=20_000)
    return frame


def status(page: Page) -> Locator:
    return page.locator("[data-lesson-status]")


def check(frame: FrameLocator, page: Page) -> None:
    """Press Check and wait until the page has asked the server what it made of the answer."""
    with page.expect_response(lambda r: "/progress" in r.url and r.request.method == "GET"):
        frame.locator(".passage-q__button--main").click()


def test_a_learner_enrols_completes_an_exercise_and_sees_lesson_module_and_course_progress(
    server: Server, phone: BrowserContext, snap: Callable[..., object]
) -> None:
    page = learner_page(server, phone, "Amina Rahimi")

    # The catalogue, narrowed down to language courses in German.
    page.goto("/courses/")
    search = page.get_by_role("search", name="Find a course")
    search.locator("select[name=category]").select_option("language")
    search.locator("select[name=language]").select_option("de")
    with page.expect_navigation():
        search.get_by_role("button", name="Search").click()
    titles = page.locator(".course-card h3")
    expect(titles).to_have_text(["German A1 — first steps"])
    snap(page, "catalogue")
    with page.expect_navigation():
        titles.get_by_role("link").click()
    assert path_of(page) == f"/courses/{GERMAN}/"

    # Enrolling lands on the first lesson.
    with page.expect_navigation():
        page.get_by_role("button", name="Start this course").click()
    expect(page.locator("h1")).to_have_text("Greetings")
    assert re.fullmatch(rf"/courses/{GERMAN}/lessons/\d+/", path_of(page))

    # Next: the multiple-choice exercise. Straight there, not by the "Next lesson" button at the
    # end of the text: scrolling to it would finish the text lesson too (read to the end), and
    # this test counts the exercise alone.
    page.goto(page.get_by_role("link", name="Next lesson").get_attribute("href") or "")
    expect(page.locator("h1")).to_have_text("Which greeting?")
    exercise_url = path_of(page)
    frame = player(page)
    expect(status(page)).to_have_text("Not done yet")
    module_before = count_of(page, "#bar-module")
    course_before = count_of(page, "#bar-course")
    assert module_before[1] == 3 and course_before[1] == 6

    frame.get_by_label("Guten Tag").check()
    check(frame, page)
    expect(frame.get_by_text("All correct!")).to_be_visible()

    # The same page, no reload: the lesson is done, this part and the course one lesson further.
    expect(status(page)).to_contain_text("Done")
    expect_count(page, "#bar-module", module_before[0] + 1, 3)
    expect_count(page, "#bar-course", course_before[0] + 1, 6)
    # Online, nothing stays waiting on the phone (statements and the saved answer went out).
    expect(page.locator("[data-records-status]")).to_be_hidden()
    assert page.evaluate("passageRecords.pending()") == 0
    snap(page, "exercise-done")

    # The server agrees.
    page.reload()
    expect(status(page)).to_contain_text("Done")
    expect_count(page, "#bar-module", module_before[0] + 1, 3)
    expect_count(page, "#bar-course", course_before[0] + 1, 6)
    expect(player(page).get_by_label("Guten Tag")).to_be_checked()
    assert path_of(page) == exercise_url

    # "My learning": the course, its progress, and the way back in at the next lesson not done.
    page.goto("/learn/")
    card = page.locator(".course-card", has_text="German A1 — first steps")
    expect(card.locator("[data-count]")).to_have_text(f"{course_before[0] + 1} of 6 done")
    snap(page, "my-learning")
    with page.expect_navigation():
        card.get_by_role("link", name="Continue where you left off").click()
    expect(page.locator("h1")).to_have_text("Numbers from 1 to 10")


def test_a_text_lesson_is_done_once_its_end_is_scrolled_into_view(
    server: Server, new_phone: Callable[..., BrowserContext]
) -> None:
    # A short phone, so that the end of "Making an appointment" is below the first screen.
    page = learner_page(server, new_phone(viewport={"width": 360, "height": 480}), "Farid Ahmadi")
    enrol(page, GERMAN)
    open_lesson(page, GERMAN, "Making an appointment")
    end = page.locator("[data-lesson-end]")
    page.wait_for_function("window.passageRecords !== undefined")
    expect(end).not_to_be_in_viewport()
    expect(status(page)).to_have_text("Not done yet")
    module_before = count_of(page, "#bar-module")

    end.scroll_into_view_if_needed()

    expect(status(page)).to_have_text("Done")
    expect_count(page, "#bar-module", module_before[0] + 1, module_before[1])
    page.reload()
    expect(status(page)).to_have_text("Done")
    expect_count(page, "#bar-module", module_before[0] + 1, module_before[1])


def test_a_wrong_answer_below_the_pass_score_does_not_complete_and_a_right_one_does(
    server: Server, phone: BrowserContext, snap: Callable[..., object]
) -> None:
    page = learner_page(server, phone, "Yonas Tesfaye")
    enrol(page, GERMAN)
    open_lesson(page, GERMAN, "Fill in the words")
    expect(page.locator(".lesson-h5p .hint")).to_have_text("Reach 60% to finish this exercise.")
    frame = player(page)
    course_before = count_of(page, "#bar-course")

    # One gap of three: 33%, below 60%.
    frame.get_by_label("Blank 1 of 3").fill("Termin")
    frame.get_by_label("Blank 2 of 3").fill("Bauchweh")
    frame.get_by_label("Blank 3 of 3").fill("Karte")
    check(frame, page)
    expect(frame.get_by_text("You got 1 out of 3.")).to_be_visible()
    expect(status(page)).to_have_text("Not done yet · 33%")
    expect_count(page, "#bar-course", *course_before)
    page.reload()
    expect(status(page)).to_have_text("Not done yet · best score 33%")
    expect_count(page, "#bar-course", *course_before)

    # Again, all right (the alternative "Kopfweh" counts too).
    frame = player(page)
    frame.get_by_role("button", name="Try again").click()
    frame.get_by_label("Blank 1 of 3").fill("Termin")
    frame.get_by_label("Blank 2 of 3").fill("kopfweh")
    frame.get_by_label("Blank 3 of 3").fill("Gesundheitskarte")
    check(frame, page)
    expect(frame.get_by_text("All correct!")).to_be_visible()
    expect(status(page)).to_have_text("Done · 100%")
    expect_count(page, "#bar-course", course_before[0] + 1, course_before[1])
    snap(page)
    page.reload()
    expect(status(page)).to_have_text("Done · best score 100%")
    expect_count(page, "#bar-course", course_before[0] + 1, course_before[1])


def test_an_answer_not_yet_checked_is_still_there_after_a_reload(
    server: Server, phone: BrowserContext
) -> None:
    page = learner_page(server, phone, "Leyla Hosseini")
    enrol(page, GERMAN)
    open_lesson(page, GERMAN, "True or false?")
    frame = player(page)

    with page.expect_response(lambda r: "/h5p-state" in r.url and r.request.method == "PUT") as saved:
        frame.get_by_label("False").check()
    assert saved.value.ok, saved.value.text()
    page.reload()

    frame = player(page)
    expect(frame.get_by_label("False")).to_be_checked()
    expect(frame.get_by_label("True")).not_to_be_checked()
    expect(frame.locator(".passage-q__button--main")).to_be_visible()  # not checked yet
    expect(status(page)).to_have_text("Not done yet")


def test_a_learner_finishes_a_course_and_anyone_can_check_the_certificate(
    server: Server, new_phone: Callable[..., BrowserContext], snap: Callable[..., object]
) -> None:
    page = learner_page(server, new_phone(), "Dariush Karimi")
    enrol(page, PERSIAN)

    # 1. The text lesson (enrolling opened it): read to the end.
    expect(page.locator("h1")).to_have_text("معرفی خودتان در یک دقیقه")
    page.locator("[data-lesson-end]").scroll_into_view_if_needed()
    expect(status(page)).to_have_text("Done")
    # 2. Multiple choice.
    with page.expect_navigation():
        page.get_by_role("link", name="Next lesson").click()
    frame = player(page)
    frame.get_by_label("چون در آشپزخانه تجربه دارم و کار تیمی را دوست دارم").check()
    check(frame, page)
    expect(status(page)).to_contain_text("Done")
    # 3. Fill in the blanks (words with a zero-width non-joiner, as a Persian keyboard types them).
    with page.expect_navigation():
        page.get_by_role("link", name="Next lesson").click()
    frame = player(page)
    frame.locator("input[type=text]").nth(0).fill("به\u200cموقع")
    frame.locator("input[type=text]").nth(1).fill("تشکر")
    check(frame, page)
    expect(status(page)).to_contain_text("Done")
    expect_count(page, "#bar-course", 3, 3)

    # The course page says so and leads to the certificate.
    with page.expect_navigation():
        page.get_by_role("link", name="Back to the course").click()
    expect(page.get_by_text("You finished this course.")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Your certificate").click()
    certificate_url = page.url
    certificate = page.locator(".certificate")
    expect(certificate.locator(".certificate__name")).to_have_text("Dariush Karimi")
    expect(certificate.locator(".certificate__course")).to_have_text("مهارت‌های مصاحبهٔ شغلی")
    code = certificate.locator(".certificate__code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    snap(page, "certificate")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF"), pdf[:40]

    # "My learning" lists it as finished, with the certificate.
    page.goto("/learn/")
    card = page.locator(".course-card", has_text="مهارت‌های مصاحبهٔ شغلی")
    expect(card).to_contain_text("You finished this course.")
    expect(card.locator("[data-count]")).to_have_text("3 of 3 done")
    expect(page.locator(".plain-list a", has_text="مهارت‌های مصاحبهٔ شغلی")).to_be_visible()

    # Someone with no account checks the code printed on it.
    stranger = new_phone().new_page()
    stranger.goto(f"/courses/verify/?code={code}")
    result = stranger.locator(".verify-result")
    expect(result.locator("h2")).to_have_text("This certificate is genuine")
    expect(result).to_contain_text("Dariush Karimi")
    expect(result).to_contain_text("مهارت‌های مصاحبهٔ شغلی")
    snap(stranger, "verify")
    stranger.goto("/courses/verify/?code=" + code.replace(code[0], "Z" if code[0] != "Z" else "Y", 1))
    expect(stranger.locator(".verify-result h2")).to_have_text("No certificate has this code")
    # The certificate's own page and its PDF stay its owner's.
    stranger.goto(certificate_url)
    expect(stranger.locator("body")).not_to_contain_text("Dariush Karimi")


def _shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOT_DIR / f"learn-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    print(f"learn-{name}.png: scrollWidth {width}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_screenshots_of_the_learner_pages_on_a_phone(
    server: Server, phone: BrowserContext, language: str
) -> None:
    page = learner_page(server, phone, "Samira Haddad")
    if language != "en":
        switch_language(page, language)
    page.goto("/courses/")
    _shoot(page, f"catalogue-{language}")
    page.goto(f"/courses/{GERMAN}/")
    _shoot(page, f"course-before-{language}")
    with page.expect_navigation():
        page.locator(f"form[action='/courses/{GERMAN}/enrol/'] button[type=submit]").click()
    page.locator("[data-lesson-end]").scroll_into_view_if_needed()
    expect(status(page).locator("strong")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, f"text-lesson-{language}")
    with page.expect_navigation():
        page.locator("a[rel=next]").click()
    frame = player(page)
    frame.locator("input").first.check()
    check(frame, page)
    _shoot(page, f"h5p-lesson-{language}")
    page.goto(f"/courses/{GERMAN}/")
    _shoot(page, f"course-{language}")
    page.goto("/learn/")
    _shoot(page, f"my-learning-{language}")
    for name in ("catalogue", "course", "text-lesson", "h5p-lesson", "my-learning"):
        assert (SCREENSHOT_DIR / f"learn-{name}-{language}.png").is_file()


def test_screenshots_of_the_persian_course_in_persian(server: Server, phone: BrowserContext) -> None:
    page = phone.new_page()
    sign_in(page, MIGRANT2)
    own = page.locator("html").get_attribute("lang")  # fa in the demo data
    if own != "fa":
        switch_language(page, "fa")
    try:
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.goto(f"/courses/{PERSIAN}/")
        _shoot(page, "fa-course")
        lessons = page.locator(".outline-lesson a")
        hrefs = [lessons.nth(i).get_attribute("href") for i in range(lessons.count())]
        page.goto(hrefs[0])
        _shoot(page, "fa-text-lesson")
        page.goto(hrefs[1])
        player(page)
        _shoot(page, "fa-h5p-lesson")
        page.goto("/learn/")
        _shoot(page, "fa-my-learning")
        page.locator(".plain-list a").first.click()
        page.wait_for_load_state()
        _shoot(page, "fa-certificate")
    finally:
        # The language menu also changes the profile: put it back.
        page.goto("/dashboard/")
        if own and own != "fa":
            switch_language(page, own)
