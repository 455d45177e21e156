"""Course authors' pages through HTTP: who gets in, what every form does, and uploads that are
refused with a clear page (4xx, never 500) and leave nothing behind."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from courses.models import Course, H5PContent, Lesson, LessonImage, Module
from courses.views import authoring as views
from tests.courses.factories import LessonFactory, ModuleFactory, enrol, make_h5p_content, published
from tests.courses.test_authoring_services import MP4, PNG, VTT
from tests.courses.test_h5p_package import HOSTILE, pack, valid_files
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stores(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.H5P_ROOT = tmp_path / "h5p"
    return settings


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def author():
    return make_user(Role.AUTHOR)


@pytest.fixture
def client(author) -> Client:
    client = Client()
    client.force_login(author)
    return client


@pytest.fixture
def course(author):
    from tests.courses.factories import CourseFactory

    return CourseFactory(author=author, title="Everyday German", slug="everyday-german")


@pytest.fixture
def module(course):
    return ModuleFactory(course=course, title="Greetings")


def url(name: str, *args) -> str:
    return reverse(f"courses:{name}", args=args)


def page(response) -> str:
    return html.unescape(response.content.decode())


COURSE_FORM = {
    "title": "Arabic for counsellors",
    "summary": "Greetings and first questions.",
    "language": "en",
    "language_taught": "ar",
    "level": "a1",
    "category": "counsellor_training",
    "audience": "Counsellors in training",
    "estimated_hours": "6",
}


# --- Who gets in ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(url("author_home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", [Role.MIGRANT, Role.COUNSELLOR])
def test_people_who_are_not_authors_are_refused(role, course):
    client = Client()
    client.force_login(make_user(role))

    assert client.get(url("author_home")).status_code == 403
    assert client.get(url("author_course", course.slug)).status_code == 403
    assert client.post(url("author_course_publish", course.slug)).status_code == 403


def test_another_authors_course_does_not_exist_for_an_author(course, module):
    lesson = LessonFactory(module=module)
    client = Client()
    client.force_login(make_user(Role.AUTHOR))

    assert client.get(url("author_course", course.slug)).status_code == 404
    assert client.get(url("author_lesson", course.slug, lesson.pk)).status_code == 404
    assert client.post(url("author_module_delete", course.slug, module.pk)).status_code == 404
    assert client.post(url("author_lesson_delete", course.slug, lesson.pk)).status_code == 404
    assert Lesson.objects.filter(pk=lesson.pk).exists()


def test_a_lesson_of_another_course_is_not_found_under_mine(client, course, author):
    elsewhere = LessonFactory()

    assert client.get(url("author_lesson", course.slug, elsewhere.pk)).status_code == 404


def test_an_administrator_edits_any_course(course):
    client = Client()
    client.force_login(make_user(Role.ADMIN))

    assert client.get(url("author_course", course.slug)).status_code == 200


# --- My courses and the course editor ---------------------------------------------------------


def test_my_courses_lists_my_courses_with_learners_and_completion_rate(client, course, module):
    LessonFactory(module=module)
    enrol(course, completed=True)
    enrol(course)

    response = client.get(url("author_home"))

    assert response.status_code == 200
    text = page(response)
    assert "Everyday German" in text
    assert "50%" in text


def test_an_author_creates_a_course_and_lands_in_its_editor(client):
    response = client.post(url("author_course_new"), COURSE_FORM)

    course = Course.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(url("author_course", course.slug))
    assert (course.language_taught, course.category) == ("ar", "counsellor_training")


def test_a_course_form_with_mistakes_is_shown_again_with_them(client):
    response = client.post(url("author_course_new"), {**COURSE_FORM, "title": "", "language": "xx"})

    assert response.status_code == 400
    assert not Course.objects.exists()


def test_a_cover_that_is_not_an_image_is_refused_with_a_clear_message(client, stores):
    cover = SimpleUploadedFile("cover.png", b"<?php echo 1;")

    response = client.post(url("author_course_new"), {**COURSE_FORM, "cover": cover})

    assert response.status_code == 400
    assert "This is not a PNG, JPEG or WebP image." in page(response)
    assert not Course.objects.exists()
    assert files_under(stores.MEDIA_ROOT) == []


def test_a_cover_over_two_megabytes_is_refused(client):
    cover = SimpleUploadedFile("cover.png", PNG + b"\0" * (2 * 1024 * 1024))

    response = client.post(url("author_course_new"), {**COURSE_FORM, "cover": cover})

    assert response.status_code == 400
    assert "the limit is 2 MB" in page(response)


def test_a_request_larger_than_the_page_allows_is_answered_413_before_it_is_read(client, monkeypatch):
    monkeypatch.setattr(views, "COURSE_REQUEST_MAX", 10_000)
    cover = SimpleUploadedFile("cover.png", PNG + b"\0" * 20_000)

    response = client.post(url("author_course_new"), {**COURSE_FORM, "cover": cover})

    assert response.status_code == 413
    assert "Nothing was saved" in page(response)
    assert not Course.objects.exists()


def test_an_upload_that_grows_past_the_limit_while_streaming_is_stopped():
    handler = views._LimitHandler(None, limit=100)
    handler.receive_data_chunk(b"x" * 60, 0)

    with pytest.raises(views._TooLarge):
        handler.receive_data_chunk(b"x" * 60, 60)


def test_the_editor_shows_modules_lessons_their_download_size_and_what_stops_publishing(
    client, course, module
):
    LessonFactory(module=module, title="Saying hello", body="x" * 3000)
    LessonFactory(module=module, title="The market", kind="video", body="")

    text = page(client.get(url("author_course", course.slug)))

    assert "Saying hello" in text
    assert "3 KB" in text
    assert "The video lesson “The market” has no video." in text


def test_the_editor_saves_course_details(client, course):
    response = client.post(url("author_course", course.slug), {**COURSE_FORM, "title": "Better"})

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Better"


def test_publishing_an_incomplete_course_says_what_is_missing(client, course):
    response = client.post(url("author_course_publish", course.slug), follow=True)

    assert "Add at least one module with at least one lesson." in page(response)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


def test_publishing_and_unpublishing(client, course, module):
    LessonFactory(module=module)

    client.post(url("author_course_publish", course.slug))
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED

    client.post(url("author_course_unpublish", course.slug))
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


def test_publishing_takes_posts_only(client, course):
    assert client.get(url("author_course_publish", course.slug)).status_code == 405


# --- Modules ----------------------------------------------------------------------------------


def test_modules_are_added_renamed_moved_and_deleted(client, course):
    client.post(url("author_module_new", course.slug), {"title": "One"})
    client.post(url("author_module_new", course.slug), {"title": "Two"})
    one, two = course.modules.all()

    client.post(url("author_module", course.slug, one.pk), {"title": "First"})
    client.post(url("author_module_move", course.slug, two.pk), {"direction": "up"})

    assert [(m.title, m.position) for m in course.modules.all()] == [("Two", 0), ("First", 1)]
    assert client.get(url("author_module_delete", course.slug, one.pk)).status_code == 200
    client.post(url("author_module_delete", course.slug, two.pk))
    assert [(m.title, m.position) for m in course.modules.all()] == [("First", 0)]


def test_a_module_learners_have_started_cannot_be_deleted_while_published(client, course, module):
    lesson = LessonFactory(module=module)
    published(course)
    enrol(course, lesson=lesson)

    response = client.post(url("author_module_delete", course.slug, module.pk), follow=True)

    assert "unpublish the course first" in page(response)
    assert Module.objects.filter(pk=module.pk).exists()


# --- Lessons ----------------------------------------------------------------------------------


def test_a_text_lesson_is_added_previewed_and_saved(client, course, module):
    response = client.post(
        url("author_lesson_new", course.slug, module.pk, "text"),
        {"title": "Hello", "minutes": "5", "body": "Hi"},
    )
    lesson = Lesson.objects.get()
    assert response.status_code == 302

    preview = client.post(
        url("author_lesson", course.slug, lesson.pk),
        {"title": "Hello", "minutes": "5", "body": "**Bold** <script>alert(1)</script>", "preview": "1"},
    )
    lesson.refresh_from_db()

    assert preview.status_code == 200
    assert "<strong>Bold</strong> &lt;script&gt;" in preview.content.decode()
    assert lesson.body == "Hi"  # a preview saves nothing


def test_an_unknown_lesson_kind_does_not_exist(client, course, module):
    assert client.get(url("author_lesson_new", course.slug, module.pk, "pdf")).status_code == 404


def test_lessons_move_up_down_and_to_another_module(client, course, module):
    other = ModuleFactory(course=course, title="Shopping")
    a = LessonFactory(module=module, title="A")
    b = LessonFactory(module=module, title="B")

    client.post(url("author_lesson_move", course.slug, b.pk), {"direction": "up"})
    assert [(x.title, x.position) for x in module.lessons.all()] == [("B", 0), ("A", 1)]

    client.post(url("author_lesson_move", course.slug, b.pk), {"module": str(other.pk)})
    assert [(x.title, x.position) for x in module.lessons.all()] == [("A", 0)]
    assert [(x.title, x.position) for x in other.lessons.all()] == [("B", 0)]
    assert a.pk


def test_a_lesson_is_deleted_after_confirmation(client, course, module):
    lesson = LessonFactory(module=module)

    assert client.get(url("author_lesson_delete", course.slug, lesson.pk)).status_code == 200
    client.post(url("author_lesson_delete", course.slug, lesson.pk))

    assert not Lesson.objects.exists()


def test_a_video_lesson_is_added_with_its_files_and_the_player_never_autoplays(client, course, module):
    data = {
        "title": "At the market",
        "minutes": "4",
        "video": SimpleUploadedFile("v.mp4", MP4),
        "captions": SimpleUploadedFile("c.vtt", VTT),
        "poster": SimpleUploadedFile("p.png", PNG),
    }
    response = client.post(url("author_lesson_new", course.slug, module.pk, "video"), data)
    lesson = Lesson.objects.get()
    text = client.get(url("author_lesson", course.slug, lesson.pk)).content.decode()

    assert response.status_code == 302
    assert lesson.video.name.endswith(".mp4")
    assert "<video" in text
    assert "autoplay" not in text
    assert 'preload="none"' in text


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("video", PNG, "This is not an MP4 or WebM video."),
        ("captions", b"1\n00:00:01,000 --> 00:00:02,000\nHi", "it must start with WEBVTT"),
        ("captions", b"WEBVTT\n" + b"a" * (512 * 1024), "the limit is 512 KB"),
        ("poster", MP4, "This is not a PNG, JPEG or WebP image."),
    ],
)
def test_a_bad_video_file_is_refused_with_a_clear_message_and_nothing_written(
    client, course, module, stores, field, data, message
):
    files = {"video": SimpleUploadedFile("v.mp4", MP4), field: SimpleUploadedFile("f", data)}

    response = client.post(
        url("author_lesson_new", course.slug, module.pk, "video"), {"title": "Watch", "minutes": "4", **files}
    )

    assert response.status_code == 400
    assert message in page(response)
    assert not Lesson.objects.exists()
    assert files_under(stores.MEDIA_ROOT) == []


def test_a_video_over_the_limit_is_refused(client, course, module, monkeypatch):
    from courses import uploads

    monkeypatch.setattr(uploads, "VIDEO_MAX_BYTES", 1024 * 1024)
    video = SimpleUploadedFile("v.mp4", MP4 + b"\0" * (1024 * 1024))

    response = client.post(
        url("author_lesson_new", course.slug, module.pk, "video"),
        {"title": "Watch", "minutes": "4", "video": video},
    )

    assert response.status_code == 400
    assert "the limit is 1 MB" in page(response)


def test_lesson_images_are_uploaded_and_removed(client, course, module, stores):
    lesson = LessonFactory(module=module)

    response = client.post(
        url("author_lesson_image_add", course.slug, lesson.pk),
        {"image": SimpleUploadedFile("m.webp", b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 50), "alt": "A map"},
        follow=True,
    )
    image = LessonImage.objects.get()

    assert f"![A map](image:{image.pk})" in page(response)
    client.post(url("author_lesson_image_remove", course.slug, lesson.pk, image.pk))
    assert not LessonImage.objects.exists()


def test_a_lesson_image_that_is_not_an_image_is_refused(client, course, module, stores):
    lesson = LessonFactory(module=module)

    response = client.post(
        url("author_lesson_image_add", course.slug, lesson.pk),
        {"image": SimpleUploadedFile("m.png", b"GIF89a"), "alt": "A map"},
    )

    assert response.status_code == 400
    assert "This is not a PNG, JPEG or WebP image." in page(response)
    assert files_under(stores.MEDIA_ROOT) == []


# --- H5P --------------------------------------------------------------------------------------


def upload_h5p(client, course, module, data: bytes, **fields):
    return client.post(
        url("author_lesson_new", course.slug, module.pk, "h5p"),
        {"title": "Quiz", "minutes": "5", "package": SimpleUploadedFile("quiz.h5p", data), **fields},
    )


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_package_uploaded_through_the_page_is_refused_and_nothing_is_stored(
    client, course, module, stores, case
):
    build, _code, named = HOSTILE[case]

    response = upload_h5p(client, course, module, build())

    assert 400 <= response.status_code < 500
    assert named in page(response)
    assert not Lesson.objects.exists()
    assert not H5PContent.objects.exists()
    assert files_under(stores.H5P_ROOT) == []


def test_a_valid_package_becomes_an_exercise(client, course, module, stores):
    response = upload_h5p(client, course, module, pack(valid_files()), pass_score="80")

    lesson = Lesson.objects.get()
    assert response.status_code == 302
    assert lesson.h5p.title == "Is Berlin in Germany?"
    assert lesson.pass_score == 80
    assert files_under(stores.H5P_ROOT)


def test_a_package_over_the_validators_limit_is_answered_413(client, course, module, monkeypatch):
    from courses.h5p import Limits

    data = pack(valid_files())
    small = Limits(archive_bytes=len(data) - 1)
    monkeypatch.setattr("courses.h5p_store.DEFAULT_LIMITS", small)
    monkeypatch.setattr("courses.h5p.DEFAULT_LIMITS", small)
    original = __import__("courses.h5p_store", fromlist=["package_store"]).package_store

    def store_with_small_limits(file, *, size, root, limits=small):
        return original(file, size=size, root=root, limits=limits)

    monkeypatch.setattr("courses.services.package_store", store_with_small_limits)

    response = upload_h5p(client, course, module, data)

    assert response.status_code == 413
    assert "The package is larger than" in page(response)


def test_an_exercise_can_reuse_a_package_the_author_uploaded(client, course, module, author):
    content = make_h5p_content(uploader=author, title="Greetings quiz")

    response = client.post(
        url("author_lesson_new", course.slug, module.pk, "h5p"),
        {"title": "Quiz", "minutes": "5", "existing": str(content.pk)},
    )

    assert response.status_code == 302
    assert Lesson.objects.get().h5p == content


def test_someone_elses_package_cannot_be_picked(client, course, module):
    theirs = make_h5p_content(uploader=make_user(Role.AUTHOR))

    response = client.post(
        url("author_lesson_new", course.slug, module.pk, "h5p"),
        {"title": "Quiz", "minutes": "5", "existing": str(theirs.pk)},
    )

    assert response.status_code == 400
    assert not Lesson.objects.exists()


def test_an_exercise_without_a_package_asks_for_one(client, course, module):
    response = client.post(
        url("author_lesson_new", course.slug, module.pk, "h5p"), {"title": "Quiz", "minutes": "5"}
    )

    assert response.status_code == 400
    assert "Upload an H5P package or choose one you uploaded before." in page(response)


# --- Dashboard and navigation -----------------------------------------------------------------


def test_authors_see_a_courses_link_and_a_dashboard_card(client, course):
    enrol(course, completed=True)

    text = page(client.get(reverse("frontend:dashboard")))

    assert url("author_home") in text
    assert "Everyday German" in text


def test_migrants_see_no_courses_authoring_link():
    client = Client()
    client.force_login(make_user(Role.MIGRANT))

    assert url("author_home") not in client.get(reverse("frontend:dashboard")).content.decode()


def test_an_author_reaches_the_progress_table_of_a_course_with_learners(client_for):
    from courses.services.progress import enrolment_create
    from tests.courses.factories import make_course

    course = make_course()
    page = client_for(course.author).get(reverse("courses:author_course", args=[course.slug]))
    assert reverse("courses:progress", args=[course.slug]) not in page.content.decode()
    enrolment_create(user=make_user(), course=course)
    page = client_for(course.author).get(reverse("courses:author_course", args=[course.slug]))
    assert reverse("courses:progress", args=[course.slug]) in page.content.decode()
