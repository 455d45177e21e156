"""Course reports for the course's author, coordinators and administrators: the courses with
their learners and completion rate, a course's progress table (and the same rows as CSV), one
learner's progress, and a chart of enrolments and completions.

These are staff pages about named learners: nothing is pseudonymised, and the CSV says in its
file name that it holds personal data. Someone who may not see a course's report is told the
course does not exist (404).
"""

import csv
from collections.abc import Iterator
from datetime import datetime

from babel.dates import format_date
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.permissions import role_required
from accounts.reference import locale_for, zone_for
from courses.charts import Line, line_chart_svg
from courses.selectors import reports as selectors
from courses.selectors.reports import ProgressRow, SeriesPoint
from courses.services.certificates import certificate_code_display

PER_PAGE = 50
# Spreadsheets run a cell starting with one of these as a formula ("CSV injection"): a name
# like "=HYPERLINK(...)" typed at sign-up must stay text when a coordinator opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def stamp(moment: datetime | None, zone: str) -> str:
    """A time as both the CSV and the table's `datetime` attributes write it: local, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone(zone_for(zone)).strftime("%Y-%m-%d %H:%M")


def _date_text(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(zone_for(zone)).date()
    return format_date(local, "medium", locale=locale_for(get_language() or "en"))


def _table_row(row: ProgressRow, zone: str) -> dict[str, object]:
    return {
        "row": row,
        **{
            f"{name}_{kind}": fn(getattr(row, name), zone)
            for name in ("enrolled_at", "last_activity_at", "completed_at")
            for kind, fn in (("stamp", stamp), ("text", _date_text))
        },
    }


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@role_required(*selectors.REPORT_ROLES)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """The courses the viewer may follow, with learners, completions and completion rate."""
    courses = list(selectors.course_report_list(viewer=_viewer(request)))
    for course in courses:
        course.rate = course.completions * 100 // course.learners if course.learners else 0  # type: ignore[attr-defined]
    return render(request, "courses/reports/list.html", {"courses": courses})


def _chart(step: str, points: list[SeriesPoint]) -> tuple[str, list[dict[str, object]]]:
    locale = locale_for(get_language() or "en")
    pattern = "d MMM" if step == "day" else "d MMM yy"
    labels = [format_date(p.day, pattern, locale=locale) for p in points]
    if step == "day":
        desc = _("Learners enrolled and learners who completed the course, in total, day by day.")
    else:
        desc = _("Learners enrolled and learners who completed the course, in total, week by week.")
    if points:
        last = points[-1]
        desc += " " + _("By %(period)s: %(enrolled)s enrolled, %(completed)s completed.") % {
            "period": labels[-1],
            "enrolled": last.enrolled,
            "completed": last.completed,
        }
    svg = line_chart_svg(
        title=_("Enrolments and completions over time"),
        desc=desc,
        labels=labels,
        lines=[
            Line(_("Enrolled"), [p.enrolled for p in points], "#0b5a7a"),
            Line(_("Completed"), [p.completed for p in points], "#b54708", dash="6 4"),
        ],
        rtl=get_language_bidi(),
    )
    table = [
        {"label": label, "full": format_date(p.day, "long", locale=locale), "point": p}
        for label, p in zip(labels, points, strict=True)
    ]
    return svg, table


@role_required(*selectors.REPORT_ROLES)
@require_GET
def progress(request: HttpRequest, slug: str) -> HttpResponse:
    """The course's progress table, a page of learners at a time, with the chart above it."""
    viewer = _viewer(request)
    course = selectors.course_report_get(viewer=viewer, slug=slug)
    rows = selectors.course_progress_rows(course=course)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    zone = zone_for(viewer.time_zone)
    step, points = selectors.course_enrolment_series(
        course=course, zone=zone, today=timezone.now().astimezone(zone).date()
    )
    chart, chart_rows = _chart(step, points) if points else ("", [])
    learners = page.paginator.count
    completions = points[-1].completed if points else 0
    return render(
        request,
        "courses/reports/progress.html",
        {
            "course": course,
            "page": page,
            "rows": [_table_row(row, viewer.time_zone) for row in page.object_list],
            "lessons_total": rows.lessons_total,
            "learners": learners,
            "completions": completions,
            "rate": completions * 100 // learners if learners else 0,
            "chart": chart,
            "chart_rows": chart_rows,
            "chart_weekly": step == "week",
            "zone": viewer.time_zone,
        },
    )


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_header(zone: str) -> list[str]:
    return [
        _("Name"),
        _("Lessons completed"),
        _("Lessons in the course"),
        _("Average score (%)"),
        _("Course progress (%)"),
        _("Enrolled (%(zone)s)") % {"zone": zone},
        _("Last activity (%(zone)s)") % {"zone": zone},
        _("Completed (%(zone)s)") % {"zone": zone},
    ]


def csv_cells(row: ProgressRow, zone: str) -> list[str]:
    return [
        csv_safe(value)
        for value in (
            row.name,
            row.lessons_done,
            row.lessons_total,
            "" if row.mean_score is None else row.mean_score,
            row.percent,
            stamp(row.enrolled_at, zone),
            stamp(row.last_activity_at, zone),
            stamp(row.completed_at, zone),
        )
    ]


@role_required(*selectors.REPORT_ROLES)
@require_GET
def progress_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Every row of the progress table as CSV, streamed (a large course never sits in memory)."""
    viewer = _viewer(request)
    course = selectors.course_report_get(viewer=viewer, slug=slug)
    rows = selectors.course_progress_rows(course=course)
    zone = viewer.time_zone
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        # A byte-order mark, so that spreadsheet programs read Arabic and Persian names as UTF-8.
        yield "\ufeff" + writer.writerow(csv_header(zone))
        for row in rows:
            yield writer.writerow(csv_cells(row, zone))

    day = timezone.now().astimezone(zone_for(zone)).strftime("%Y-%m-%d")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="personal-data-progress-{course.slug}-{day}.csv"'
    # Personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*selectors.REPORT_ROLES)
@require_GET
def progress_learner(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """One learner in the course: every module and lesson with status, dates, score, video time."""
    viewer = _viewer(request)
    course = selectors.course_report_get(viewer=viewer, slug=slug)
    detail = selectors.course_learner_detail(course=course, user_id=user_id)
    return render(
        request,
        "courses/reports/learner.html",
        {
            "course": course,
            "detail": detail,
            "summary": _table_row(detail.row, viewer.time_zone),
            "zone": viewer.time_zone,
            "certificate_code": certificate_code_display(detail.certificate.code)
            if detail.certificate
            else "",
        },
    )


urlpatterns: list[URLPattern] = [
    path("courses/reports/", report_list, name="report_list"),
    path("courses/<slug:slug>/progress/", progress, name="progress"),
    path("courses/<slug:slug>/progress.csv", progress_csv, name="progress_csv"),
    path("courses/<slug:slug>/progress/<int:user_id>/", progress_learner, name="progress_learner"),
]
