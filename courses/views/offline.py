"""The offline manifest of a lesson: what "Save for offline" caches (courses/static/courses/
offline.js asks the service worker to fetch every URL in it)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from courses.selectors.offline import lesson_for_offline, lesson_offline_manifest


@login_required
@require_GET
@never_cache  # personal (enrolment-dependent), and sizes change when an author edits the lesson
def lesson_offline(request: HttpRequest, slug: str, lesson_id: int) -> JsonResponse:
    """The lesson's offline manifest, for learners enrolled in its published course (else 404:
    a lesson they may not see does not exist for them)."""
    lesson = lesson_for_offline(user=request.user, slug=slug, lesson_id=lesson_id)  # type: ignore[arg-type]
    if lesson is None:
        raise Http404
    return JsonResponse(lesson_offline_manifest(lesson=lesson))


urlpatterns: list[URLPattern] = [
    path("courses/<slug:slug>/lessons/<int:lesson_id>/offline.json", lesson_offline, name="lesson_offline"),
]
