"""The JSON API under /api/, with its OpenAPI schema at /api/openapi.json.

Every error has one shape: {"error": {"code": ..., "message": ..., "fields": {...}}}, with a
translated message; apps add their routers here.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import SessionAuth

api = NinjaAPI(
    title="Passage API",
    version="1",
    description="Booking, conversations and learning records. Session sign-in; POSTs need X-CSRFToken.",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=SessionAuth(),
    urls_namespace="api",
)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")
        ]
        fields.setdefault(".".join(location) or "__all__", []).append(str(error.get("msg", "")))
    return error_response(request, 422, "invalid", _("Some of the information is missing or wrong."), fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "not_signed_in", _("Please sign in first."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("This does not exist, or you may not see it."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "too_many_requests"}
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


from allowances.api import router as allowances_router  # noqa: E402
from booking.api import router as booking_router  # noqa: E402
from courses.api import router as courses_router  # noqa: E402

api.add_router("/", booking_router)
api.add_router("/", courses_router)
api.add_router("/", allowances_router)
