"""Courses, modules and lessons for tests, written directly (the authoring rules are tested
through the services, not assumed here)."""

import uuid
from collections.abc import Sequence

import factory
from django.utils import timezone

from accounts.models import Role, User
from courses.models import (
    Category,
    Course,
    Enrolment,
    H5PContent,
    H5PLibrary,
    Lesson,
    LessonProgress,
    Module,
)
from tests.factories import make_user


def make_h5p_content(*, uploader: User | None = None, title: str = "Exercise") -> H5PContent:
    """A content row without files in the store (tests of records, not of the player)."""
    library, _created = H5PLibrary.objects.get_or_create(name="H5P.MultiChoice", major=1, minor=16)
    content = H5PContent.objects.create(
        content_id=uuid.uuid4().hex,
        title=title,
        main_library=library,
        uploaded_by=uploader or make_user(Role.AUTHOR),
        size_bytes=1000,
    )
    content.libraries.set([library])
    return content


def make_course(
    *,
    modules: Sequence[Sequence[str]] = (("text",),),
    published: bool = True,
    author: User | None = None,
    **fields: object,
) -> Course:
    """A course with one module per entry of `modules`, each with lessons of those kinds;
    `fields` override the course's own defaults (title, language, level, ...)."""
    author = author or make_user(Role.AUTHOR)
    now = timezone.now()
    defaults: dict[str, object] = {
        "slug": f"course-{uuid.uuid4().hex[:10]}",
        "title": "Everyday German",
        "summary": "Greetings, shopping, the doctor.",
        "language": "en",
        "language_taught": "de",
        "category": Category.LANGUAGE,
        "estimated_hours": 2,
    }
    course = Course.objects.create(
        **(defaults | fields),
        author=author,
        status=Course.Status.PUBLISHED if published else Course.Status.DRAFT,
        published_at=now if published else None,
    )
    for m, kinds in enumerate(modules):
        module = Module.objects.create(course=course, title=f"Module {m + 1}", position=m)
        for n, kind in enumerate(kinds):
            Lesson.objects.create(
                module=module,
                title=f"Lesson {m + 1}.{n + 1}",
                position=n,
                kind=kind,
                body="Hello." if kind == Lesson.Kind.TEXT else "",
                video="courses/videos/sample.mp4" if kind == Lesson.Kind.VIDEO else "",
                h5p=make_h5p_content(uploader=author) if kind == Lesson.Kind.H5P else None,
            )
    return course


def lessons_of(course: Course) -> list[Lesson]:
    """The course's lessons in learning order."""
    return list(Lesson.objects.filter(module__course=course).order_by("module__position", "position", "pk"))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "What learners will be able to do."
    language = "en"
    category = Category.LANGUAGE
    estimated_hours = 3
    author = factory.LazyFunction(lambda: make_user(Role.AUTHOR))


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.LazyAttribute(lambda o: o.course.modules.count())


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    kind = Lesson.Kind.TEXT
    body = "Hello, **world**."
    position = factory.LazyAttribute(lambda o: o.module.lessons.count())


def published(course: Course) -> Course:
    course.status = Course.Status.PUBLISHED
    course.published_at = timezone.now()
    course.save()
    return course


def enrol(course: Course, *, completed: bool = False, lesson: Lesson | None = None) -> Enrolment:
    """A learner in `course`; with `lesson`, they have started it."""
    learner = make_user(Role.MIGRANT)
    enrolment = Enrolment.objects.create(
        user=learner, course=course, completed_at=timezone.now() if completed else None
    )
    if lesson is not None:
        LessonProgress.objects.create(user=learner, lesson=lesson)
    return enrolment
