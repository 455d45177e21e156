"""Learner views of the courses app: catalogue, course page, lessons, "My learning"."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.reference import language_name
from courses.markdown import markdown_render
from courses.models import Category, Course, Enrolment, Lesson, Level
from courses.selectors import learning as selectors
from courses.services import progress as services
from courses.services.progress import LESSON_EXTENSION

PAGE_SIZE = 12


class CatalogueFilterForm(forms.Form):
    """GET filters of the catalogue; every field may be left at "any"."""

    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    level = forms.ChoiceField(
        label=gettext_lazy("Level"), required=False, choices=[("", gettext_lazy("Any level")), *Level.choices]
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Subject"),
        required=False,
        choices=[("", gettext_lazy("Any subject")), *Category.choices],
    )

    def __init__(self, *args: Any, languages: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only languages some course is taught in or teaches, so no choice leads nowhere.
        named = sorted(
            ((code, language_name(code)) for code in languages if code), key=lambda c: c[1].lower()
        )
        self.fields["language"].choices = [("", _("Any language")), *named]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    languages = set(
        Course.objects.filter(status=Course.Status.PUBLISHED).values_list("language", flat=True)
    ) | set(
        Course.objects.filter(status=Course.Status.PUBLISHED)
        .exclude(language_taught="")
        .values_list("language_taught", flat=True)
    )
    form = CatalogueFilterForm(request.GET or None, languages=languages)
    filters = form.filters()
    courses = selectors.course_catalogue(**filters, user=request.user)  # type: ignore[arg-type]
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return render(
        request,
        "courses/learn/catalogue.html",
        {"form": form, "page": page, "any_filter": bool(filters), "filter_query": query},
    )


@require_GET
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.course_published(slug=slug)
    outline = selectors.course_outline(course=course, user=request.user)  # type: ignore[arg-type]
    return render(request, "courses/learn/course.html", {"course": course, "outline": outline})


@require_POST
@login_required
def enrol(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.course_published(slug=slug)
    try:
        services.enrolment_create(user=request.user, course=course)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("courses:course", slug=slug)
    outline = selectors.course_outline(course=course, user=request.user)  # type: ignore[arg-type]
    lesson = outline.next_lesson
    if lesson is None:
        return redirect("courses:course", slug=slug)
    return redirect("courses:lesson", slug=slug, lesson_id=lesson.pk)


@require_GET
@login_required
def lesson_page(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = selectors.course_published(slug=slug)
    lesson = selectors.lesson_for_learner(course=course, lesson_id=lesson_id)
    if not Enrolment.objects.filter(user=request.user, course=course).exists():
        messages.info(request, _("Enrol in this course to open its lessons. It is free."))
        return redirect("courses:course", slug=slug)
    services.lesson_open(user=request.user, lesson=lesson)  # type: ignore[arg-type]
    outline = selectors.course_outline(course=course, user=request.user)  # type: ignore[arg-type]
    module_row, row = outline.row(lesson)
    previous, following = outline.neighbours(lesson)
    from courses.selectors.offline import lesson_download_size  # being written (offline lessons)

    data_saver = bool(getattr(request.user, "data_saver", False))
    context: dict[str, Any] = {
        "course": course,
        "lesson": lesson,
        "outline": outline,
        "module_row": module_row,
        "row": row,
        "previous": previous,
        "next": following,
        "data_saver": data_saver,
        "download_bytes": lesson_download_size(lesson=lesson),
        "video_bytes": lesson.video.size if lesson.kind == Lesson.Kind.VIDEO and _exists(lesson.video) else 0,
        "lesson_config": {
            "lesson": lesson.pk,
            "kind": lesson.kind,
            "progressUrl": reverse("api:lesson_progress", kwargs={"lesson_id": lesson.pk}),
            "stateUrl": reverse("api:lesson_h5p_state", kwargs={"lesson_id": lesson.pk}),
            "xapiUrl": reverse("api:xapi_statements"),
            "lessonExtension": LESSON_EXTENSION,
            "complete": row.complete,
            "resumeAt": row.progress.resume_at if row.progress else 0,
        },
    }
    if lesson.kind == Lesson.Kind.TEXT:
        context["body"] = markdown_render(
            lesson.body, images={image.pk: image for image in lesson.images.all()}, data_saver=data_saver
        )
    if lesson.kind == Lesson.Kind.H5P and lesson.h5p is not None:
        context["embed_url"] = reverse("courses:h5p_embed", kwargs={"content_id": lesson.h5p.content_id})
        context["lesson_config"] |= {
            "state": selectors.h5p_state_for(user=request.user, lesson=lesson),  # type: ignore[arg-type]
            "lang": course.language_taught or course.language,
            "dir": "rtl" if (course.language_taught or course.language) in ("ar", "fa", "ps") else "ltr",
        }
    context["lesson_config_json"] = json.dumps(context["lesson_config"])
    context["rtl"] = get_language_bidi()
    return render(request, "courses/learn/lesson.html", context)


def _exists(file: Any) -> bool:
    try:
        file.size  # noqa: B018 - reading the size is the check
    except (OSError, ValueError):
        return False
    return True


@require_GET
@login_required
def my_learning(request: HttpRequest) -> HttpResponse:
    cards = selectors.learner_enrolments(user=request.user)  # type: ignore[arg-type]
    certificates = selectors.learner_certificates(user=request.user)  # type: ignore[arg-type]
    return render(request, "courses/learn/my_learning.html", {"cards": cards, "certificates": certificates})


urlpatterns: list[URLPattern] = [
    path("courses/", catalogue, name="catalogue"),
    path("learn/", my_learning, name="my_learning"),
    path("courses/<slug:slug>/", course_detail, name="course"),
    path("courses/<slug:slug>/enrol/", enrol, name="enrol"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/", lesson_page, name="lesson"),
]
