"""Reads for course authors: the courses they may edit, with their figures, and what a course
still lacks before it can be published."""

import contextlib
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Role, User
from courses.models import Course, Enrolment, H5PContent, Lesson, LessonImage, Module


def author_may_edit(*, user: User, course: Course) -> bool:
    return course.author_id == user.pk or user.has_role(Role.ADMIN)


def _count(queryset: QuerySet[Any], group: str = "course") -> Subquery:
    """A correlated COUNT: several of them do not multiply each other as joins would."""
    return Subquery(
        queryset.order_by().values(group).annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def course_list_for_author(*, user: User) -> QuerySet[Course]:
    """Courses `user` may edit (administrators: all), each annotated with `module_count`,
    `lesson_count`, `learner_count` and `completed_count`, newest change first."""
    courses = Course.objects.all() if user.has_role(Role.ADMIN) else Course.objects.filter(author=user)
    modules = Module.objects.filter(course=OuterRef("pk"))
    lessons = Lesson.objects.filter(module__course=OuterRef("pk"))
    enrolments = Enrolment.objects.filter(course=OuterRef("pk"))
    zero = Value(0)
    return (
        courses.select_related("author")
        .annotate(
            module_count=Coalesce(_count(modules), zero),
            lesson_count=Coalesce(_count(lessons, "module__course"), zero),
            learner_count=Coalesce(_count(enrolments), zero),
            completed_count=Coalesce(_count(enrolments.filter(completed_at__isnull=False)), zero),
        )
        .order_by("-updated_at", "-pk")
    )


def completion_rate(course: Course) -> int | None:
    """Percent of learners who completed `course` (annotated by `course_list_for_author`);
    None without learners, so that 0% is never shown for a course nobody has started."""
    learners = getattr(course, "learner_count", 0)
    if not learners:
        return None
    return round(100 * getattr(course, "completed_count", 0) / learners)


def course_get_for_author(*, user: User, slug: str) -> Course | None:
    """The course with this slug if `user` may edit it; None otherwise (the view answers 404,
    so that other authors' drafts do not even exist for them)."""
    return course_list_for_author(user=user).filter(slug=slug).first()


def course_outline(*, course: Course) -> list[Module]:
    """The course's modules in order, each with its lessons (their H5P content and images)."""
    lessons = Lesson.objects.select_related("h5p").prefetch_related(
        Prefetch("images", queryset=LessonImage.objects.only("pk", "lesson_id", "size_bytes"))
    )
    return list(course.modules.prefetch_related(Prefetch("lessons", queryset=lessons)))


def lesson_download_bytes(lesson: Lesson) -> int:
    """What a learner downloads for this lesson: the text and its images, the video (with
    poster and captions), or the unpacked H5P content. Needs `images` and `h5p` loaded."""
    if lesson.kind == Lesson.Kind.H5P:
        return lesson.h5p.size_bytes if lesson.h5p else 0
    if lesson.kind == Lesson.Kind.VIDEO:
        total = 0
        for file in (lesson.video, lesson.poster, lesson.captions):
            if file:
                # A file missing from storage counts as nothing, not as a crash.
                with contextlib.suppress(OSError):
                    total += file.size
        return total
    return len(lesson.body.encode()) + sum(image.size_bytes for image in lesson.images.all())


def course_publish_problems(*, course: Course) -> list[str]:
    """What stops `course` from being published, in plain words; empty when it may be."""
    problems: list[str] = []
    outline = course_outline(course=course)
    if not any(module.lessons.all() for module in outline):
        problems.append(_("Add at least one module with at least one lesson."))
    for module in outline:
        for lesson in module.lessons.all():
            if lesson.kind == Lesson.Kind.VIDEO and not lesson.video:
                problems.append(_("The video lesson “%(title)s” has no video.") % {"title": lesson.title})
            elif lesson.kind == Lesson.Kind.H5P and lesson.h5p_id is None:
                problems.append(_("The exercise “%(title)s” has no activity.") % {"title": lesson.title})
            elif lesson.kind == Lesson.Kind.TEXT and not lesson.body.strip():
                problems.append(_("The text lesson “%(title)s” has no text.") % {"title": lesson.title})
    return problems


def h5p_content_list_for_author(*, user: User) -> QuerySet[H5PContent]:
    """Activities this person uploaded, newest first, to reuse in another lesson."""
    return H5PContent.objects.filter(uploaded_by=user).select_related("main_library")


def lesson_learner_count(*, lesson: Lesson) -> int:
    """How many learners have progress in this lesson."""
    return lesson.progress.count()
