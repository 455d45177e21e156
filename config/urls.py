from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from config import health

# The admin signs in through allauth, so that rate limits and MFA apply there too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Passage"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("frontend.urls")),
]
