"""The offline manifest of a lesson (courses:lesson_offline) and the sizes behind "Download size"."""

import io
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.templatetags.static import static
from django.urls import reverse

from accounts.models import Role
from courses.models import Lesson, LessonImage
from courses.selectors.offline import (
    EMBED_PAGE_BYTES,
    H5P_PLAYER_STATIC,
    PAGE_OVERHEAD_BYTES,
    lesson_download_size,
    lesson_for_offline,
    lesson_offline_files,
)
from courses.services import h5p_content_upload
from tests.courses.factories import LessonFactory, enrol, published
from tests.courses.test_h5p_package import pack, valid_files
from tests.factories import make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.H5P_ROOT = tmp_path / "h5p"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def manifest_url(lesson: Lesson) -> str:
    return reverse(
        "courses:lesson_offline", kwargs={"slug": lesson.module.course.slug, "lesson_id": lesson.pk}
    )


def learner_of(lesson: Lesson):
    published(lesson.module.course)
    return enrol(lesson.module.course).user


def get_manifest(client_for, lesson: Lesson, user=None) -> dict:
    response = client_for(user or learner_of(lesson)).get(manifest_url(lesson))
    assert response.status_code == 200, response.content
    return response.json()


def by_url(manifest: dict) -> dict[str, int]:
    return {item["url"]: item["size"] for item in manifest["files"]}


def static_size(path: str) -> int:
    return Path(finders.find(path)).stat().st_size


def test_a_text_lesson_lists_its_page_its_images_and_the_page_scripts(client_for):
    lesson = LessonFactory(body="A" * 500)
    first = LessonImage(lesson=lesson, alt="A map", size_bytes=1)
    first.image.save("map.png", ContentFile(b"p" * 1234), save=True)
    second = LessonImage(lesson=lesson, alt="A bus", size_bytes=1)
    second.image.save("bus.jpg", ContentFile(b"j" * 777), save=True)

    manifest = get_manifest(client_for, lesson)

    files = by_url(manifest)
    page = f"/courses/{lesson.module.course.slug}/lessons/{lesson.pk}/"
    assert manifest["page"] == page
    assert manifest["files"][0] == {
        "url": page,
        "size": PAGE_OVERHEAD_BYTES + 500,
        "kind": "page",
        "immutable": False,
    }
    assert files[first.image.url] == 1234
    assert files[second.image.url] == 777
    assert files[static("courses/records.js")] == static_size("courses/records.js")
    assert files[static("frontend/js/app.js")] == static_size("frontend/js/app.js")
    assert manifest["size"] == sum(files.values())
    assert manifest["video"] is None
    assert manifest["size_with_video"] == manifest["size"]
    assert not any("h5p" in url for url in files)


def test_a_video_lesson_lists_poster_and_captions_and_offers_the_video_apart(client_for):
    lesson = LessonFactory(kind=Lesson.Kind.VIDEO, body="")
    lesson.video.save("talk.mp4", ContentFile(b"v" * 50_000), save=False)
    lesson.poster.save("talk.jpg", ContentFile(b"i" * 3_000), save=False)
    lesson.captions.save("talk.vtt", ContentFile(b"WEBVTT\n\n" + b"c" * 400), save=True)

    manifest = get_manifest(client_for, lesson)

    files = by_url(manifest)
    assert files[lesson.poster.url] == 3_000
    assert files[lesson.captions.url] == 408
    assert lesson.video.url not in files
    assert manifest["video"] == {"url": lesson.video.url, "size": 50_000, "kind": "video", "immutable": False}
    assert manifest["size_with_video"] == manifest["size"] + 50_000
    assert lesson_download_size(lesson=lesson) == manifest["size"]
    assert lesson_download_size(lesson=lesson, with_video=True) == manifest["size"] + 50_000
    assert lesson.video.url in {f.url for f in lesson_offline_files(lesson=lesson, with_video=True)}


def test_a_video_lesson_without_files_lists_only_its_page_and_scripts(client_for):
    lesson = LessonFactory(kind=Lesson.Kind.VIDEO, body="")

    manifest = get_manifest(client_for, lesson)

    assert {item["kind"] for item in manifest["files"]} == {"page", "static"}
    assert manifest["video"] is None


def h5p_lesson(settings) -> Lesson:
    files = valid_files()
    data = pack(files)
    content = h5p_content_upload(uploader=make_user(Role.AUTHOR), file=io.BytesIO(data), size=len(data))
    return LessonFactory(kind=Lesson.Kind.H5P, body="", h5p=content)


def test_an_h5p_lesson_lists_the_player_every_library_file_and_the_content_files(client_for, settings):
    lesson = h5p_lesson(settings)
    content_id = lesson.h5p.content_id
    store = Path(settings.H5P_ROOT)
    library = store / "libraries" / "Passage.TrueFalse-1.2"

    manifest = get_manifest(client_for, lesson)

    files = by_url(manifest)
    assert files[f"/courses/h5p/{content_id}/embed/"] == EMBED_PAGE_BYTES
    for path in H5P_PLAYER_STATIC:
        assert files[static(path)] == static_size(path)
    expected_library = {
        f"/courses/h5p/files/libraries/Passage.TrueFalse-1.2/{name}": (library / name).stat().st_size
        for name in ("library.json", "truefalse.js", "truefalse.css", "icon.svg")
    }
    folder = store / "content" / content_id
    expected_content = {
        f"/courses/h5p/files/content/{content_id}/{name}": (folder / name).stat().st_size
        for name in ("h5p.json", "content/content.json", "content/images/map.png")
    }
    listed_h5p = {url: size for url, size in files.items() if url.startswith("/courses/h5p/files/")}
    assert listed_h5p == {**expected_library, **expected_content}
    assert expected_content[f"/courses/h5p/files/content/{content_id}/content/images/map.png"] == 72
    immutable = {item["url"] for item in manifest["files"] if item["immutable"]}
    assert set(expected_library) <= immutable
    assert not set(expected_content) & immutable
    assert manifest["size"] == sum(files.values()) == lesson_download_size(lesson=lesson)


def test_every_url_is_listed_once(client_for, settings):
    lesson = h5p_lesson(settings)

    manifest = get_manifest(client_for, lesson)

    urls = [item["url"] for item in manifest["files"]]
    assert len(urls) == len(set(urls))


def test_a_learner_not_enrolled_gets_404(client_for):
    lesson = LessonFactory()
    published(lesson.module.course)

    response = client_for(make_user(Role.MIGRANT)).get(manifest_url(lesson))

    assert response.status_code == 404


def test_an_unpublished_course_gives_404_even_to_its_learners(client_for):
    lesson = LessonFactory()
    learner = enrol(lesson.module.course).user  # enrolled while published, then unpublished

    response = client_for(learner).get(manifest_url(lesson))

    assert response.status_code == 404


def test_the_lesson_must_belong_to_the_course_in_the_url(client_for):
    lesson = LessonFactory()
    other = LessonFactory()
    learner = learner_of(lesson)
    published(other.module.course)
    url = reverse("courses:lesson_offline", kwargs={"slug": lesson.module.course.slug, "lesson_id": other.pk})

    assert client_for(learner).get(url).status_code == 404


def test_the_author_who_is_not_enrolled_gets_404(client_for):
    lesson = LessonFactory()
    published(lesson.module.course)

    assert client_for(lesson.module.course.author).get(manifest_url(lesson)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    lesson = LessonFactory()
    published(lesson.module.course)

    response = client_for(None).get(manifest_url(lesson))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_manifest_is_never_cached_by_the_browser(client_for):
    lesson = LessonFactory()

    response = client_for(learner_of(lesson)).get(manifest_url(lesson))

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_missing_image_file_is_left_out_instead_of_failing(client_for):
    lesson = LessonFactory()
    image = LessonImage(lesson=lesson, alt="Gone", size_bytes=10)
    image.image.save("gone.png", ContentFile(b"x" * 10), save=True)
    Path(image.image.path).unlink()

    manifest = get_manifest(client_for, lesson)

    assert image.image.url not in by_url(manifest)


def test_the_selector_reads_the_lesson_in_a_fixed_number_of_queries(django_assert_max_num_queries, settings):
    lesson = h5p_lesson(settings)
    learner = learner_of(lesson)
    for n in range(3):
        LessonImage.objects.create(lesson=lesson, alt=f"{n}", size_bytes=1, image=f"courses/images/{n}.png")

    with django_assert_max_num_queries(3):
        found = lesson_for_offline(user=learner, slug=lesson.module.course.slug, lesson_id=lesson.pk)
        lesson_offline_files(lesson=found)
