from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme

from config import files, health
from config.api import api


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin has no password form of its own: everyone signs in through allauth, so that
    rate limits and two-step sign-in apply to the admin site too."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if not request.user.is_authenticated:
        return redirect_to_login(next_url or request.get_full_path())
    if request.user.is_active and request.user.is_staff:
        return redirect(next_url or "admin:index")
    raise PermissionDenied


admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.site_header = "Passage"
admin.site.site_title = "Passage"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("media/<path:path>", files.media, name="media"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("booking.urls")),
    path("", include("counselling.urls")),
    path("", include("courses.urls")),
    path("", include("allowances.urls")),
    path("", include("frontend.urls")),
]
