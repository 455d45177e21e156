"""Course authoring services and selectors: permissions, slugs, dense positions, publishing
rules, deletion with learners, upload checks that leave nothing behind."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from courses import uploads
from courses.models import Course, Lesson, LessonProgress, Module
from courses.selectors import authoring as selectors
from courses.services import authoring as services
from tests.courses.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    enrol,
    make_h5p_content,
    published,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100
WEBP = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 100
MP4 = b"\0\0\0\x18ftypmp42" + b"\0" * 100
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\0" * 100
VTT = "\ufeffWEBVTT\n\n00:00.000 --> 00:02.000\nمرحبا\n".encode()  # noqa: RUF001 (Arabic text)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.H5P_ROOT = tmp_path / "h5p"
    return settings.MEDIA_ROOT


def stored_files(media) -> list[str]:
    return (
        sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    )


@pytest.fixture
def author():
    return make_user(Role.AUTHOR)


def new_course(author, **fields):
    values = {
        "title": "Everyday German",
        "summary": "Greetings and shopping.",
        "language": "en",
        "language_taught": "de",
        "category": "language",
        "estimated_hours": 4,
        **fields,
    }
    return services.course_create(author=author, **values)


def positions(items) -> list[tuple[str, int]]:
    return [(item.title, item.position) for item in items]


# --- Courses ----------------------------------------------------------------------------------


def test_an_author_creates_a_draft_course_with_a_slug_from_its_title(author):
    course = new_course(author)

    assert course.slug == "everyday-german"
    assert course.status == Course.Status.DRAFT
    assert course.published_at is None


def test_a_second_course_with_the_same_title_gets_another_slug(author):
    first = new_course(author)
    second = new_course(make_user(Role.AUTHOR))

    assert (first.slug, second.slug) == ("everyday-german", "everyday-german-2")


def test_a_title_without_latin_letters_gets_a_stable_slug(author):
    first = new_course(author, title="اللغة الألمانية")
    second = new_course(author, title="زبان آلمانی")

    assert (first.slug, second.slug) == ("course", "course-2")


def test_a_title_that_would_collide_with_a_page_address_gets_another_slug(author):
    assert new_course(author, title="New").slug == "new-course"


def test_a_migrant_cannot_create_a_course():
    with pytest.raises(PermissionDenied):
        new_course(make_user(Role.MIGRANT))


def test_an_unknown_language_is_refused(author):
    with pytest.raises(ValidationError) as error:
        new_course(author, language="xx")

    assert "language" in error.value.message_dict
    assert not Course.objects.exists()


def test_another_author_cannot_change_a_course(author):
    course = new_course(author)

    with pytest.raises(PermissionDenied):
        services.course_update(user=make_user(Role.AUTHOR), course=course, title="Mine now")


def test_an_administrator_can_change_any_course(author):
    course = new_course(author)

    updated = services.course_update(user=make_user(Role.ADMIN), course=course, title="Better title")

    assert updated.title == "Better title"
    assert updated.slug == "everyday-german"  # addresses stay stable


def test_a_change_keeps_updated_at_current(author):
    course = new_course(author)
    before = course.updated_at

    services.module_create(user=author, course=course, title="Greetings")

    course.refresh_from_db()
    assert course.updated_at > before


def test_a_cover_is_stored_under_a_random_name_with_the_extension_its_bytes_say(author, media):
    course = new_course(author, cover=SimpleUploadedFile("../../evil.png.exe", JPEG))

    assert course.cover.name.startswith("courses/covers/")
    assert course.cover.name.endswith(".jpg")
    assert "evil" not in course.cover.name


def test_a_cover_that_is_not_an_image_is_refused_and_nothing_is_written(author, media):
    with pytest.raises(ValidationError):
        new_course(author, cover=SimpleUploadedFile("cover.png", b"<svg onload=alert(1)>"))

    assert not Course.objects.exists()
    assert stored_files(media) == []


def test_replacing_a_cover_removes_the_old_file_after_commit(
    author, media, django_capture_on_commit_callbacks
):
    course = new_course(author, cover=SimpleUploadedFile("a.png", PNG))
    old = course.cover.name

    with django_capture_on_commit_callbacks(execute=True):
        course = services.course_update(user=author, course=course, cover=SimpleUploadedFile("b.webp", WEBP))

    assert stored_files(media) == [course.cover.name]
    assert course.cover.name != old


def test_a_failed_update_removes_the_file_it_wrote(author, media):
    course = new_course(author)

    with pytest.raises(ValidationError):
        services.course_update(
            user=author, course=course, cover=SimpleUploadedFile("a.png", PNG), estimated_hours=9999
        )

    assert stored_files(media) == []


# --- Upload checks ----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [PNG, JPEG, WEBP])
def test_png_jpeg_and_webp_images_are_accepted(data):
    assert uploads.image_check(io.BytesIO(data)).size == len(data)


@pytest.mark.parametrize("data", [b"GIF89a" + b"\0" * 10, b"<svg/>", b"%PDF-1.7", b"", b"RIFF\0\0\0\0WAVE"])
def test_other_files_are_not_images(data):
    with pytest.raises(ValidationError) as error:
        uploads.image_check(io.BytesIO(data))

    assert error.value.code == "file_type"


def test_an_image_over_two_megabytes_is_refused():
    data = PNG + b"\0" * (2 * 1024 * 1024)

    with pytest.raises(ValidationError) as error:
        uploads.image_check(io.BytesIO(data))

    assert error.value.code == "too_large"
    assert "2 MB" in error.value.message


def test_an_image_of_exactly_two_megabytes_is_accepted():
    data = PNG + b"\0" * (2 * 1024 * 1024 - len(PNG))

    assert uploads.image_check(io.BytesIO(data)).size == 2 * 1024 * 1024


@pytest.mark.parametrize(("data", "kind"), [(MP4, "mp4"), (WEBM, "webm")])
def test_mp4_and_webm_videos_are_accepted(data, kind):
    assert uploads.video_check(io.BytesIO(data)).extension == kind


@pytest.mark.parametrize("data", [b"\x1a\x45\xdf\xa3matroska", b"OggS\0", PNG, b"RIFF\0\0\0\0AVI "])
def test_other_files_are_not_videos(data):
    with pytest.raises(ValidationError):
        uploads.video_check(io.BytesIO(data))


def test_a_video_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "VIDEO_MAX_BYTES", 1000)

    with pytest.raises(ValidationError) as error:
        uploads.video_check(io.BytesIO(MP4 + b"\0" * 1000))

    assert error.value.code == "too_large"


def test_the_video_limit_is_two_hundred_megabytes():
    assert uploads.VIDEO_MAX_BYTES == 200 * 1024 * 1024


@pytest.mark.parametrize("data", [VTT, b"WEBVTT", b"WEBVTT - a title\n", b"WEBVTT\r\n"])
def test_webvtt_captions_are_accepted(data):
    assert uploads.captions_check(io.BytesIO(data)).extension == "vtt"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"1\n00:00:00,000 --> 00:00:02,000\nHello\n", "file_type"),  # SubRip
        (b"WEBVTTX\n", "file_type"),
        (b"WEBVTT\n\xff\xfe bad bytes", "encoding"),
        ("WEBVTT\n".encode("utf-16"), "encoding"),
        (b"WEBVTT\n" + b"a" * (512 * 1024), "too_large"),
    ],
)
def test_captions_that_are_not_utf8_webvtt_within_512_kb_are_refused(data, code):
    with pytest.raises(ValidationError) as error:
        uploads.captions_check(io.BytesIO(data))

    assert error.value.code == code


# --- Modules and positions --------------------------------------------------------------------


def test_modules_are_added_at_the_end(author):
    course = new_course(author)
    for title in ("A", "B", "C"):
        services.module_create(user=author, course=course, title=title)

    assert positions(course.modules.all()) == [("A", 0), ("B", 1), ("C", 2)]


def test_moving_a_module_swaps_it_with_its_neighbour_and_keeps_positions_dense(author):
    course = new_course(author)
    a, _b, c = (services.module_create(user=author, course=course, title=t) for t in "ABC")

    services.module_move(user=author, module=c, direction="up")
    services.module_move(user=author, module=a, direction="up")  # first already: no change

    assert positions(course.modules.all()) == [("A", 0), ("C", 1), ("B", 2)]


def test_positions_with_gaps_become_dense_after_a_move(author):
    course = new_course(author)
    for title, position in (("A", 3), ("B", 7), ("C", 20)):
        Module.objects.create(course=course, title=title, position=position)

    services.module_move(user=author, module=Module.objects.get(title="C"), direction="down")

    assert positions(course.modules.all()) == [("A", 0), ("B", 1), ("C", 2)]


def test_deleting_a_module_renumbers_the_others(author):
    course = new_course(author)
    _a, b, _c = (services.module_create(user=author, course=course, title=t) for t in "ABC")

    services.module_delete(user=author, module=b)

    assert positions(course.modules.all()) == [("A", 0), ("C", 1)]


def test_another_author_cannot_move_a_module(author):
    module = services.module_create(user=author, course=new_course(author), title="A")

    with pytest.raises(PermissionDenied):
        services.module_move(user=make_user(Role.AUTHOR), module=module, direction="down")


# --- Lessons ----------------------------------------------------------------------------------


@pytest.fixture
def module(author):
    return services.module_create(user=author, course=new_course(author), title="Greetings")


def add_text(author, module, title, body="Hello"):
    return services.lesson_create(user=author, module=module, kind="text", title=title, body=body)


def test_lessons_move_up_and_down_within_their_module(author, module):
    a, _b, c = (add_text(author, module, t) for t in "ABC")

    services.lesson_move(user=author, lesson=a, direction="down")
    services.lesson_move(user=author, lesson=c, direction="up")
    services.lesson_move(user=author, lesson=c, direction="up")

    assert positions(module.lessons.all()) == [("C", 0), ("B", 1), ("A", 2)]


def test_a_lesson_moves_to_the_end_of_another_module_and_both_stay_dense(author, module):
    other = services.module_create(user=author, course=module.course, title="Shopping")
    a, _b, _c = (add_text(author, module, t) for t in "ABC")
    d = add_text(author, other, "D")

    services.lesson_move(user=author, lesson=a, to_module=other)

    assert positions(module.lessons.all()) == [("B", 0), ("C", 1)]
    assert positions(other.lessons.all()) == [("D", 0), ("A", 1)]
    assert d.position == 0


def test_a_lesson_cannot_move_to_a_module_of_another_course(author, module):
    lesson = add_text(author, module, "A")
    elsewhere = services.module_create(user=author, course=new_course(author, title="Other"), title="X")

    with pytest.raises(ValidationError):
        services.lesson_move(user=author, lesson=lesson, to_module=elsewhere)


def test_deleting_a_lesson_renumbers_the_others(author, module):
    a, _b, _c = (add_text(author, module, t) for t in "ABC")

    services.lesson_delete(user=author, lesson=a)

    assert positions(module.lessons.all()) == [("B", 0), ("C", 1)]


def test_a_lesson_keeps_only_the_fields_of_its_kind(author, module):
    lesson = services.lesson_create(
        user=author, module=module, kind="video", title="Watch", body="ignored", pass_score=50
    )

    assert (lesson.body, lesson.pass_score) == ("", None)


def test_an_exercise_needs_an_activity(author, module):
    with pytest.raises(ValidationError):
        services.lesson_create(user=author, module=module, kind="h5p", title="Quiz")

    assert not Lesson.objects.exists()


def test_an_author_cannot_use_an_activity_someone_else_uploaded(author, module):
    theirs = make_h5p_content(uploader=make_user(Role.AUTHOR))

    with pytest.raises(PermissionDenied):
        services.lesson_create(user=author, module=module, kind="h5p", title="Quiz", h5p=theirs)


def test_a_video_lesson_stores_video_captions_and_poster(author, module, media):
    lesson = services.lesson_create(
        user=author,
        module=module,
        kind="video",
        title="Watch",
        video=SimpleUploadedFile("v.mp4", WEBM),
        captions=SimpleUploadedFile("c.vtt", VTT),
        poster=SimpleUploadedFile("p.png", PNG),
    )

    assert lesson.video.name.endswith(".webm")
    assert lesson.captions.name.endswith(".vtt")
    assert len(stored_files(media)) == 3
    assert selectors.lesson_download_bytes(lesson) == len(WEBM) + len(VTT) + len(PNG)


def test_a_video_lesson_with_one_bad_file_writes_none_of_them(author, module, media):
    with pytest.raises(ValidationError) as error:
        services.lesson_create(
            user=author,
            module=module,
            kind="video",
            title="Watch",
            video=SimpleUploadedFile("v.mp4", MP4),
            captions=SimpleUploadedFile("c.vtt", b"not captions"),
            poster=SimpleUploadedFile("p.png", PNG),
        )

    assert "captions" in error.value.message_dict
    assert not Lesson.objects.exists()
    assert stored_files(media) == []


def test_images_are_added_to_text_lessons_only(author, module, media):
    text = add_text(author, module, "Read")
    video = services.lesson_create(user=author, module=module, kind="video", title="Watch")

    image = services.lesson_image_add(
        user=author, lesson=text, file=SimpleUploadedFile("m.png", PNG), alt="A map"
    )
    with pytest.raises(ValidationError):
        services.lesson_image_add(user=author, lesson=video, file=SimpleUploadedFile("m.png", PNG), alt="x")

    assert image.size_bytes == len(PNG)
    assert selectors.lesson_download_bytes(Lesson.objects.get(pk=text.pk)) == len(b"Hello") + len(PNG)


def test_removing_an_image_removes_its_file(author, module, media, django_capture_on_commit_callbacks):
    text = add_text(author, module, "Read")
    image = services.lesson_image_add(
        user=author, lesson=text, file=SimpleUploadedFile("m.png", PNG), alt="A"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.lesson_image_remove(user=author, image=image)

    assert stored_files(media) == []


# --- Publishing -------------------------------------------------------------------------------


def test_an_empty_course_cannot_be_published(author):
    course = new_course(author)
    services.module_create(user=author, course=course, title="Empty")

    with pytest.raises(ValidationError) as error:
        services.course_publish(user=author, course=course)

    assert "at least one module with at least one lesson" in error.value.messages[0]
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


def test_a_video_lesson_without_a_video_stops_publishing_and_is_named(author, module):
    add_text(author, module, "Read")
    services.lesson_create(user=author, module=module, kind="video", title="The market")

    with pytest.raises(ValidationError) as error:
        services.course_publish(user=author, course=module.course)

    assert error.value.messages == ["The video lesson “The market” has no video."]


def test_a_text_lesson_without_text_stops_publishing(author, module):
    add_text(author, module, "Empty", body="  ")

    with pytest.raises(ValidationError) as error:
        services.course_publish(user=author, course=module.course)

    assert "Empty" in error.value.messages[0]


def test_a_complete_course_is_published_with_its_time(author, module):
    add_text(author, module, "Read")
    services.lesson_create(
        user=author, module=module, kind="h5p", title="Quiz", h5p=make_h5p_content(uploader=author)
    )

    course = services.course_publish(user=author, course=module.course)

    assert course.status == Course.Status.PUBLISHED
    assert course.published_at is not None


def test_unpublishing_makes_a_draft_again(author, module):
    add_text(author, module, "Read")
    services.course_publish(user=author, course=module.course)

    course = services.course_unpublish(user=author, course=module.course)

    assert course.status == Course.Status.DRAFT


def test_another_author_cannot_publish(author, module):
    add_text(author, module, "Read")

    with pytest.raises(PermissionDenied):
        services.course_publish(user=make_user(Role.AUTHOR), course=module.course)


# --- Deleting what learners have started ------------------------------------------------------


def test_a_started_lesson_of_a_published_course_cannot_be_deleted(author, module):
    started, _other = add_text(author, module, "A"), add_text(author, module, "B")
    published(module.course)
    enrol(module.course, lesson=started)

    with pytest.raises(ValidationError) as error:
        services.lesson_delete(user=author, lesson=started)
    with pytest.raises(ValidationError):
        services.module_delete(user=author, module=module)

    assert "unpublish the course first" in error.value.messages[0]
    assert Lesson.objects.filter(pk=started.pk).exists()


def test_a_lesson_nobody_started_can_be_deleted_from_a_published_course(author, module):
    started, other = add_text(author, module, "A"), add_text(author, module, "B")
    published(module.course)
    enrol(module.course, lesson=started)

    services.lesson_delete(user=author, lesson=other)

    assert positions(module.lessons.all()) == [("A", 0)]


def test_the_last_lesson_of_a_published_course_cannot_be_deleted(author, module):
    only = add_text(author, module, "A")
    published(module.course)

    with pytest.raises(ValidationError) as error:
        services.lesson_delete(user=author, lesson=only)

    assert error.value.code == "last_lesson"


def test_after_unpublishing_a_started_lesson_is_deleted_with_its_progress(author, module):
    started, _other = add_text(author, module, "A"), add_text(author, module, "B")
    published(module.course)
    enrolment = enrol(module.course, lesson=started)
    services.course_unpublish(user=author, course=module.course)

    services.lesson_delete(user=author, lesson=started)

    assert not LessonProgress.objects.exists()
    enrolment.refresh_from_db()  # the enrolment stays


# --- Selectors --------------------------------------------------------------------------------


def test_an_author_sees_only_their_courses_with_their_figures(author):
    mine = CourseFactory(author=author)
    first = ModuleFactory(course=mine)
    LessonFactory(module=first)
    LessonFactory(module=first)
    LessonFactory(module=ModuleFactory(course=mine))
    enrol(mine, completed=True)
    enrol(mine)
    enrol(mine)
    enrol(mine)
    CourseFactory()  # someone else's

    (course,) = selectors.course_list_for_author(user=author)

    assert (course.module_count, course.lesson_count, course.learner_count, course.completed_count) == (
        2,
        3,
        4,
        1,
    )
    assert selectors.completion_rate(course) == 25


def test_a_course_without_learners_has_no_completion_rate(author):
    CourseFactory(author=author)

    (course,) = selectors.course_list_for_author(user=author)

    assert (course.lesson_count, course.learner_count, selectors.completion_rate(course)) == (0, 0, None)


def test_an_administrator_sees_every_course():
    CourseFactory()
    CourseFactory()

    assert selectors.course_list_for_author(user=make_user(Role.ADMIN)).count() == 2


def test_the_course_list_takes_one_query_however_many_courses(author):
    for _ in range(5):
        course = CourseFactory(author=author)
        LessonFactory(module=ModuleFactory(course=course))
        enrol(course)

    with CaptureQueriesContext(connection) as queries:
        courses = list(selectors.course_list_for_author(user=author))
        rates = [(c.author.display_name, selectors.completion_rate(c)) for c in courses]

    assert len(rates) == 5
    assert len(queries) == 1


def test_the_outline_takes_a_fixed_number_of_queries(author):
    course = CourseFactory(author=author)
    for _ in range(3):
        module = ModuleFactory(course=course)
        for _ in range(3):
            LessonFactory(module=module)
    LessonFactory(module=module, kind="h5p", body="", h5p=make_h5p_content(uploader=author))

    with CaptureQueriesContext(connection) as queries:
        outline = selectors.course_outline(course=course)
        sizes = [selectors.lesson_download_bytes(lesson) for m in outline for lesson in m.lessons.all()]

    assert len(sizes) == 10
    assert len(queries) == 3  # modules, lessons (with their activity), images
