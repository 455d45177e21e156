"""Courses, modules and lessons for tests, built straight in the database (the authoring
services have their own tests)."""

import itertools

from django.utils import timezone

from accounts.models import Role, User
from courses.models import Category, Course, H5PContent, H5PLibrary, Lesson, Module
from tests.factories import make_user

_seq = itertools.count(1)


def make_course(
    *,
    author: User | None = None,
    published: bool = True,
    modules: tuple[tuple[str, ...], ...] = (("text", "video"), ("h5p",)),
    **fields: object,
) -> Course:
    """A course whose modules hold lessons of the given kinds, in order."""
    n = next(_seq)
    fields.setdefault("slug", f"course-{n}")
    fields.setdefault("title", f"Course {n}")
    fields.setdefault("summary", "What you will learn.")
    fields.setdefault("language", "en")
    fields.setdefault("category", Category.LANGUAGE)
    fields.setdefault("estimated_hours", 3)
    course = Course.objects.create(
        author=author or make_user(Role.AUTHOR),
        status=Course.Status.PUBLISHED if published else Course.Status.DRAFT,
        published_at=timezone.now() if published else None,
        **fields,
    )
    for m, kinds in enumerate(modules):
        module = Module.objects.create(course=course, title=f"Module {m + 1}", position=m)
        for position, kind in enumerate(kinds):
            make_lesson(module=module, kind=kind, position=position)
    return course


def make_h5p_content(*, uploader: User | None = None) -> H5PContent:
    library, _created = H5PLibrary.objects.get_or_create(name="H5P.PassageTrueFalse", major=1, minor=1)
    content = H5PContent.objects.create(
        content_id=f"{next(_seq):032x}",
        title="An exercise",
        main_library=library,
        uploaded_by=uploader or make_user(Role.AUTHOR),
        size_bytes=12_345,
    )
    content.libraries.add(library)
    return content


def make_lesson(*, module: Module, kind: str = "text", position: int = 0, **fields: object) -> Lesson:
    fields.setdefault("title", f"Lesson {next(_seq)}")
    if kind == Lesson.Kind.TEXT:
        fields.setdefault("body", "# Hello\n\nSome text.")
    if kind == Lesson.Kind.VIDEO:
        fields.setdefault("video", "courses/videos/demo.mp4")
    if kind == Lesson.Kind.H5P and "h5p" not in fields:
        fields["h5p"] = make_h5p_content(uploader=module.course.author)
    return Lesson.objects.create(module=module, kind=kind, position=position, **fields)


def lessons_of(course: Course) -> list[Lesson]:
    return list(Lesson.objects.filter(module__course=course).order_by("module__position", "position"))
