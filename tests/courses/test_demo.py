"""Demo courses from `seed_demo`: real courses, their exercises, learners with progress."""

import pytest

from accounts import demo as accounts_demo
from courses import demo
from courses.models import Certificate, Course, Enrolment, H5PContent, Lesson, LessonProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.H5P_ROOT = tmp_path / "h5p"
    accounts_demo.seed(write=lambda line: None)
    demo.seed(write=lambda line: None)


def counts() -> tuple[int, ...]:
    return (
        Course.objects.count(),
        Lesson.objects.count(),
        H5PContent.objects.count(),
        Enrolment.objects.count(),
        LessonProgress.objects.count(),
        Certificate.objects.count(),
    )


def test_the_demo_has_three_published_courses_in_three_languages_each_with_exercises(seeded):
    courses = Course.objects.filter(status=Course.Status.PUBLISHED)
    assert courses.count() == 3
    assert set(courses.values_list("language", flat=True)) == {"en", "ar", "fa"}
    for course in courses:
        assert Lesson.objects.filter(module__course=course, kind=Lesson.Kind.H5P).exists(), course.slug
    german = Course.objects.get(slug="german-a1-first-steps")
    assert german.modules.count() == 2
    assert Lesson.objects.filter(module__course=german).count() == 6


def test_demo_exercises_are_real_packages_in_the_content_store(seeded, settings):
    for content in H5PContent.objects.all():
        assert (settings.H5P_ROOT / "content" / content.content_id / "content" / "content.json").is_file()
        assert (settings.H5P_ROOT / "libraries" / content.main_library.folder / "library.json").is_file()


def test_demo_learners_have_progress_and_one_finished_course_with_a_certificate(seeded):
    amina = Enrolment.objects.get(user__email="migrant@demo.test", course__slug="german-a1-first-steps")
    assert LessonProgress.objects.filter(user=amina.user, completed_at__isnull=False).count() >= 3
    assert amina.completed_at is None
    farid = Enrolment.objects.get(user__email="migrant2@demo.test", course__slug="job-interview-skills")
    assert farid.completed_at is not None
    assert Certificate.objects.filter(user=farid.user, course=farid.course).exists()


def test_seeding_twice_changes_nothing(seeded):
    before = counts()
    demo.seed(write=lambda line: None)
    assert counts() == before
