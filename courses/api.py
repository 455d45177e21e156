"""Learning records over JSON (see DESIGN.md, "Learning records API").

- `POST /api/xapi/statements`: one xAPI statement or a list; the actor is the signed-in learner.
- `POST /api/courses/lessons/{id}/progress`: a progress report from a lesson page.
- `PUT /api/courses/lessons/{id}/h5p-state`: the H5P player's state, to resume inside it.

Every write carries an id chosen by the browser, so the offline queue may send it again safely.
"""

import json
import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from config.api import error_response
from courses.models import Lesson, LessonProgress
from courses.services import progress as services

router = Router(tags=["learning"])
MAX_BODY_BYTES = 1_000_000


class ProgressOut(Schema):
    lesson: int
    stored: bool
    complete: bool
    best_score: int | None
    watched_seconds: int
    resume_at: float


class StateIn(Schema):
    state: str = Field(..., max_length=services.MAX_STATE_CHARS)
    saved_at: datetime


def _refused(request: HttpRequest, error: Exception) -> HttpResponse:
    if isinstance(error, services.Conflict):
        return error_response(
            request,
            409,
            "conflict",
            _("This id was already used for something different."),
            ids=error.ids,
        )
    if isinstance(error, PermissionDenied):
        return error_response(request, 403, "forbidden", str(error) or _("You may not do this."))
    code = error.code if isinstance(error, ValidationError) and error.code else "invalid"
    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
    return error_response(request, 400, code, " ".join(messages))


def _json_body(request: HttpRequest) -> Any:
    try:
        body = request.body
    except RequestDataTooBig:
        raise ValidationError(_("This is too large to send at once."), code="too_large") from None
    if len(body) > MAX_BODY_BYTES:
        raise ValidationError(_("This is too large to send at once."), code="too_large")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(_("This is not readable JSON."), code="invalid") from None


def _lesson(lesson_id: int) -> Lesson:
    return get_object_or_404(Lesson.objects.select_related("module__course"), pk=lesson_id)


ONE_OR_MORE = {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}


@router.post(
    "/xapi/statements",
    url_name="xapi_statements",
    response={200: list[str]},
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": ONE_OR_MORE}}}
    },
)
def xapi_statements(request: HttpRequest) -> Any:
    """Store xAPI statements. 200 with the stored ids; an identical replay is a no-op; an id
    used before with different content is a 409 and nothing of the batch is stored."""
    try:
        body = _json_body(request)
        statements = body if isinstance(body, list) else [body]
        ids = services.xapi_statements_store(user=request.user, statements=statements)  # type: ignore[arg-type]
    except (services.Conflict, PermissionDenied, ValidationError) as error:
        return _refused(request, error)
    return ids


@router.post("/courses/lessons/{lesson_id}/progress", url_name="lesson_progress", response={200: ProgressOut})
def lesson_progress(request: HttpRequest, lesson_id: int) -> Any:
    """Report progress in a lesson: `{"event_id": "<uuid>", "read_to_end": true}` (text),
    `{"event_id": ..., "duration": 312, "watched": [[0, 40.5]], "position": 40.5}` (video)."""
    lesson = _lesson(lesson_id)
    try:
        body = _json_body(request)
        if not isinstance(body, dict):
            raise ValidationError(_("This is not readable JSON."), code="invalid")
        try:
            event_id = uuid.UUID(str(body.pop("event_id", "")))
        except ValueError:
            raise ValidationError(_("Each report needs an id (a UUID)."), code="invalid") from None
        outcome = services.progress_report(user=request.user, lesson=lesson, event_id=event_id, data=body)  # type: ignore[arg-type]
    except (services.Conflict, PermissionDenied, ValidationError) as error:
        return _refused(request, error)
    return _progress_out(lesson, outcome.progress, stored=outcome.stored)


@router.get("/courses/lessons/{lesson_id}/progress", url_name="lesson_progress", response={200: ProgressOut})
def lesson_progress_read(request: HttpRequest, lesson_id: int) -> Any:
    """The signed-in learner's progress in a lesson (`stored` is always false here)."""
    lesson = _lesson(lesson_id)
    progress = LessonProgress.objects.filter(user=request.user, lesson=lesson).first()  # type: ignore[misc]
    return _progress_out(lesson, progress, stored=False)


def _progress_out(lesson: Lesson, progress: LessonProgress | None, *, stored: bool) -> dict[str, Any]:
    return {
        "lesson": lesson.pk,
        "stored": stored,
        "complete": bool(progress and progress.completed_at),
        "best_score": progress.best_score if progress else None,
        "watched_seconds": progress.watched_seconds if progress else 0,
        "resume_at": progress.resume_at if progress else 0.0,
    }


@router.put("/courses/lessons/{lesson_id}/h5p-state", url_name="lesson_h5p_state")
def lesson_h5p_state(request: HttpRequest, lesson_id: int, payload: StateIn) -> Any:
    """Save the H5P player's state; an older state than the one stored is ignored."""
    lesson = _lesson(lesson_id)
    saved_at = (
        payload.saved_at if timezone.is_aware(payload.saved_at) else timezone.make_aware(payload.saved_at)
    )
    try:
        stored = services.h5p_state_save(
            user=request.user, lesson=lesson, state=payload.state, saved_at=saved_at
        )  # type: ignore[arg-type]
    except (PermissionDenied, ValidationError) as error:
        return _refused(request, error)
    return {"stored": stored}
