"""Reads for course reports: who may see them, the progress table (also the CSV), one learner's
detail and the enrolments/completions series of the chart.

Every figure is aggregated by the database (one query per page of the table, one for the whole
CSV), and both the table and the CSV take their rows from `course_progress_rows`, so that they
cannot disagree.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, overload
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.http import Http404

from accounts.models import Role, User
from courses.models import Certificate, Course, Enrolment, Lesson, LessonProgress, Module

REPORT_ROLES = (Role.AUTHOR, Role.COORDINATOR, Role.ADMIN)


def sees_all_courses(user: User) -> bool:
    # Coordinators are programme staff: they follow every course, as administrators do.
    return user.has_role(Role.COORDINATOR) or user.has_role(Role.ADMIN)


def course_report_list(*, viewer: User) -> QuerySet[Course]:
    """Courses whose reports `viewer` may see, with their numbers of learners and completions."""
    courses = Course.objects.all() if sees_all_courses(viewer) else Course.objects.filter(author=viewer)
    return courses.annotate(
        learners=Count("enrolments"),
        completions=Count("enrolments", filter=Q(enrolments__completed_at__isnull=False)),
    ).order_by("title", "pk")


def course_report_get(*, viewer: User, slug: str) -> Course:
    """The course for its reports, or 404 when it does not exist or is not the viewer's."""
    course = Course.objects.filter(slug=slug).select_related("author").first()
    if course is None or not (sees_all_courses(viewer) or course.author_id == viewer.pk):
        raise Http404
    return course


# --- The progress table ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    user_id: int
    name: str
    lessons_done: int
    lessons_total: int
    # Mean of the learner's best scores over the lessons they have a score in; None: no score.
    mean_score: int | None
    percent: int
    enrolled_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None


def _percent(done: int, total: int) -> int:
    # Rounded down, so that 100% means every lesson.
    return min(100, done * 100 // total) if total else 0


class ProgressRows:
    """The rows of a course's progress table, ordered by name; sliced for a page (what a
    Paginator does) or iterated in chunks for the CSV."""

    def __init__(self, *, course: Course) -> None:
        self.course = course
        self.lessons_total = Lesson.objects.filter(module__course=course).count()
        progress = LessonProgress.objects.filter(user=OuterRef("user_id"), lesson__module__course=course)
        done = progress.filter(completed_at__isnull=False).values("user").annotate(n=Count("pk")).values("n")
        mean = (
            progress.filter(best_score__isnull=False).values("user").annotate(m=Avg("best_score")).values("m")
        )
        self.queryset = (
            Enrolment.objects.filter(course=course)
            .annotate(
                done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
                mean=Subquery(mean),
            )
            .values(
                "user_id",
                "user__display_name",
                "done",
                "mean",
                "enrolled_at",
                "last_activity_at",
                "completed_at",
            )
            .order_by(Lower("user__display_name"), "user_id")
        )

    def _row(self, values: Mapping[str, Any]) -> ProgressRow:
        done = min(values["done"], self.lessons_total)
        mean = values["mean"]
        return ProgressRow(
            user_id=values["user_id"],
            name=values["user__display_name"],
            lessons_done=done,
            lessons_total=self.lessons_total,
            mean_score=None if mean is None else round(mean),
            percent=_percent(done, self.lessons_total),
            enrolled_at=values["enrolled_at"],
            last_activity_at=values["last_activity_at"],
            completed_at=values["completed_at"],
        )

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> ProgressRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[ProgressRow]: ...
    def __getitem__(self, index: int | slice) -> ProgressRow | list[ProgressRow]:
        if isinstance(index, slice):
            return [self._row(values) for values in self.queryset[index]]
        return self._row(self.queryset[index])

    def __iter__(self) -> Iterator[ProgressRow]:
        # In chunks, so that a course with thousands of learners streams in constant memory.
        for values in self.queryset.iterator(chunk_size=500):
            yield self._row(values)


def course_progress_rows(*, course: Course) -> ProgressRows:
    """One row per enrolled learner: lessons completed of all, mean best score, percentage,
    enrolled, last active, completed."""
    return ProgressRows(course=course)


# --- One learner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonLine:
    lesson: Lesson
    progress: LessonProgress | None

    @property
    def status(self) -> str:
        if self.progress is None:
            return "not_started"
        return "complete" if self.progress.completed_at else "started"


@dataclass(frozen=True)
class ModuleLines:
    module: Module
    lessons: list[LessonLine]

    @property
    def done(self) -> int:
        return sum(1 for line in self.lessons if line.status == "complete")


@dataclass(frozen=True)
class LearnerDetail:
    enrolment: Enrolment
    modules: list[ModuleLines]
    certificate: Certificate | None
    row: ProgressRow


def course_learner_detail(*, course: Course, user_id: int) -> LearnerDetail:
    """Each module and lesson of `course` with the learner's progress in it (404: not enrolled)."""
    enrolment = Enrolment.objects.filter(course=course, user_id=user_id).select_related("user").first()
    if enrolment is None:
        raise Http404
    progress = {
        p.lesson_id: p
        for p in LessonProgress.objects.filter(user_id=user_id, lesson__module__course=course).defer(
            "watched"
        )
    }
    modules = [
        ModuleLines(module, [LessonLine(lesson, progress.get(lesson.pk)) for lesson in module.lessons.all()])
        for module in course.modules.prefetch_related("lessons")
    ]
    lessons_total = sum(len(m.lessons) for m in modules)
    done = sum(m.done for m in modules)
    scores = [p.best_score for p in progress.values() if p.best_score is not None]
    row = ProgressRow(
        user_id=enrolment.user_id,
        name=enrolment.user.display_name,
        lessons_done=done,
        lessons_total=lessons_total,
        mean_score=round(sum(scores) / len(scores)) if scores else None,
        percent=_percent(done, lessons_total),
        enrolled_at=enrolment.enrolled_at,
        last_activity_at=enrolment.last_activity_at,
        completed_at=enrolment.completed_at,
    )
    certificate = Certificate.objects.filter(course=course, user_id=user_id).first()
    return LearnerDetail(enrolment=enrolment, modules=modules, certificate=certificate, row=row)


# --- Enrolments and completions over time ---------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    day: date  # the first day of the period (a day or a week)
    enrolled: int  # cumulative, up to the end of the period
    completed: int


# Daily points up to this many days, weekly ones beyond: a readable number of points either way.
DAILY_UP_TO = 31
MAX_WEEKS = 104


def course_enrolment_series(*, course: Course, zone: ZoneInfo, today: date) -> tuple[str, list[SeriesPoint]]:
    """Cumulative enrolments and completions per day (short histories) or per week (from
    Monday), in the viewer's time zone, up to `today`; ("day" or "week", points)."""
    enrolled = dict(
        Enrolment.objects.filter(course=course)
        .annotate(day=TruncDate("enrolled_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    completed = dict(
        Enrolment.objects.filter(course=course, completed_at__isnull=False)
        .annotate(day=TruncDate("completed_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    if not enrolled:
        return "day", []
    first = min(enrolled)
    step = "day" if (today - first).days < DAILY_UP_TO else "week"
    if step == "week":
        first -= timedelta(days=first.weekday())
        first = max(first, today - timedelta(days=today.weekday(), weeks=MAX_WEEKS - 1))
    width = timedelta(days=1 if step == "day" else 7)
    points: list[SeriesPoint] = []
    start = first
    while start <= today:
        end = start + width
        points.append(
            SeriesPoint(
                day=start,
                enrolled=sum(n for d, n in enrolled.items() if d < end),
                completed=sum(n for d, n in completed.items() if d < end),
            )
        )
        start = end
    return step, points
