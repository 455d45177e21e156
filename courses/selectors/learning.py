"""Reads for learners: the catalogue, a course's outline with their progress, "My learning".

Progress is rolled up here rather than stored: a module is its lessons, a course its modules.
Each function makes a fixed number of queries whatever the size of the course.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Length
from django.http import Http404

from accounts.models import User
from courses.models import (
    Certificate,
    Course,
    Enrolment,
    H5PUserState,
    Lesson,
    LessonImage,
    LessonProgress,
    Module,
)


def course_catalogue(
    *, language: str = "", level: str = "", category: str = "", user: User | None = None
) -> QuerySet[Course]:
    """Published courses with at least one lesson, filtered; `enrolled` tells whether `user`
    takes each one."""
    courses = (
        Course.objects.filter(status=Course.Status.PUBLISHED)
        .annotate(lesson_count=Count("modules__lessons", distinct=True))
        .filter(lesson_count__gt=0)
        .order_by("title", "pk")
    )
    if language:
        courses = courses.filter(Q(language=language) | Q(language_taught=language))
    if level:
        courses = courses.filter(level=level)
    if category:
        courses = courses.filter(category=category)
    if user is not None and user.is_authenticated:
        courses = courses.annotate(
            enrolled=Exists(Enrolment.objects.filter(course=OuterRef("pk"), user=user))
        )
    return courses


def course_published(*, slug: str) -> Course:
    return _get_or_404(Course.objects.select_related("author"), slug=slug, status=Course.Status.PUBLISHED)


def _get_or_404(queryset: QuerySet[Course], **lookup: object) -> Course:
    course = queryset.filter(**lookup).first()
    if course is None:
        raise Http404
    return course


@dataclass
class Tally:
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0


@dataclass
class LessonRow:
    lesson: Lesson
    progress: LessonProgress | None

    @property
    def content_bytes(self) -> int:
        """What the lesson's own content weighs: its text and images, its video, or its
        exercise (the page around it and the player are cached after the first lesson)."""
        lesson = self.lesson
        if lesson.kind == Lesson.Kind.VIDEO:
            try:
                return lesson.video.size if lesson.video else 0
            except OSError:  # a file missing from storage weighs nothing, it does not crash
                return 0
        if lesson.kind == Lesson.Kind.H5P:
            return int(getattr(lesson, "h5p_bytes", 0) or 0)
        return int(getattr(lesson, "text_bytes", 0) or 0) + int(getattr(lesson, "image_bytes", 0) or 0)

    @property
    def complete(self) -> bool:
        return self.progress is not None and self.progress.completed_at is not None

    @property
    def started(self) -> bool:
        return self.progress is not None


@dataclass
class ModuleRow:
    module: Module
    lessons: list[LessonRow]
    tally: Tally


@dataclass
class Outline:
    """A course as one learner sees it: modules, lessons, their progress and where to go next."""

    course: Course
    modules: list[ModuleRow]
    tally: Tally
    enrolment: Enrolment | None
    certificate: Certificate | None
    lessons: list[LessonRow] = field(default_factory=list)

    @property
    def next_lesson(self) -> Lesson | None:
        """Where "Continue" goes (see `lesson_to_continue`)."""
        done = {row.lesson.pk for row in self.lessons if row.complete}
        last = self.enrolment.last_lesson_id if self.enrolment else None
        return lesson_to_continue([row.lesson for row in self.lessons], done=done, last=last)

    def row(self, lesson: Lesson) -> tuple[ModuleRow, LessonRow]:
        for module in self.modules:
            for row in module.lessons:
                if row.lesson.pk == lesson.pk:
                    return module, row
        raise Http404

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        order = [row.lesson for row in self.lessons]
        at = next(i for i, candidate in enumerate(order) if candidate.pk == lesson.pk)
        return (order[at - 1] if at > 0 else None), (order[at + 1] if at + 1 < len(order) else None)


def course_outline(*, course: Course, user: User | None) -> Outline:
    """The outline of `course` with `user`'s progress (none for visitors). Four queries."""
    # The outline needs a lesson's title and kind, not its body (up to 50,000 characters each).
    outline_fields = (
        "pk",
        "module_id",
        "title",
        "position",
        "kind",
        "minutes",
        "pass_score",
        "h5p_id",
        "video",
    )
    lesson_list = (
        Lesson.objects.only(*outline_fields)
        .annotate(
            text_bytes=Length("body"),
            image_bytes=Coalesce(
                Subquery(
                    LessonImage.objects.filter(lesson=OuterRef("pk"))
                    .values("lesson")
                    .annotate(total=Sum("size_bytes"))
                    .values("total")[:1]
                ),
                0,
            ),
            h5p_bytes=Coalesce("h5p__size_bytes", 0),
        )
        .order_by("position", "pk")
    )
    modules = list(
        Module.objects.filter(course=course).prefetch_related(Prefetch("lessons", queryset=lesson_list))
    )
    signed_in = user is not None and user.is_authenticated
    progress: dict[int, LessonProgress] = {}
    enrolment = certificate = None
    if signed_in:
        progress = {
            row.lesson_id: row
            for row in LessonProgress.objects.filter(user=user, lesson__module__course=course)
        }
        enrolment = Enrolment.objects.filter(user=user, course=course).first()
        if enrolment is not None and enrolment.completed_at is not None:
            certificate = Certificate.objects.filter(user=user, course=course).first()
    rows: list[ModuleRow] = []
    flat: list[LessonRow] = []
    total = Tally()
    for module in modules:
        lessons = [
            LessonRow(lesson=lesson, progress=progress.get(lesson.pk)) for lesson in module.lessons.all()
        ]
        tally = Tally(done=sum(row.complete for row in lessons), total=len(lessons))
        total.done += tally.done
        total.total += tally.total
        rows.append(ModuleRow(module=module, lessons=lessons, tally=tally))
        flat.extend(lessons)
    return Outline(
        course=course, modules=rows, tally=total, enrolment=enrolment, certificate=certificate, lessons=flat
    )


def lesson_for_learner(*, course: Course, lesson_id: int) -> Lesson:
    """A lesson of a published course, with what its page shows."""
    lesson = (
        Lesson.objects.select_related("module__course", "h5p")
        .prefetch_related("images")
        .filter(pk=lesson_id, module__course=course)
        .first()
    )
    if lesson is None:
        raise Http404
    return lesson


def h5p_state_for(*, user: User, lesson: Lesson) -> str | None:
    row = H5PUserState.objects.filter(user=user, lesson=lesson).only("state").first()
    return row.state if row else None


@dataclass
class LearningCard:
    enrolment: Enrolment
    tally: Tally
    continue_lesson: Lesson | None


def learner_enrolments(*, user: User) -> list[LearningCard]:
    """The courses a learner takes, most recently active first, each with its progress and the
    lesson "Continue" opens. Three queries, however many courses."""
    enrolments = list(
        Enrolment.objects.filter(user=user, course__status=Course.Status.PUBLISHED)
        .select_related("course", "last_lesson")
        .order_by("-last_activity_at", "-pk")
    )
    course_ids = [e.course_id for e in enrolments]
    lessons = list(
        Lesson.objects.filter(module__course_id__in=course_ids)
        .select_related("module")
        .only("pk", "title", "module__course_id", "module__position", "position")
        .order_by("module__position", "module_id", "position", "pk")
    )
    done = set(
        LessonProgress.objects.filter(
            user=user, lesson__module__course_id__in=course_ids, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    by_course: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        by_course.setdefault(lesson.module.course_id, []).append(lesson)
    cards = []
    for enrolment in enrolments:
        course_lessons = by_course.get(enrolment.course_id, [])
        tally = Tally(done=sum(lesson.pk in done for lesson in course_lessons), total=len(course_lessons))
        cards.append(
            LearningCard(
                enrolment=enrolment,
                tally=tally,
                continue_lesson=lesson_to_continue(course_lessons, done=done, last=enrolment.last_lesson_id),
            )
        )
    return cards


def lesson_to_continue(lessons: list[Lesson], *, done: set[int], last: int | None) -> Lesson | None:
    """The last lesson opened if it is not done, else the next one not done after it (wrapping
    round), else the first lesson: a finished course opens at its start."""
    if not lessons:
        return None
    order = [lesson.pk for lesson in lessons]
    start = order.index(last) if last in order else 0
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.pk not in done:
            return lesson
    return lessons[0]


def learner_certificates(*, user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(user=user).order_by("-issued_at")
