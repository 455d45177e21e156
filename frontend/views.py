import hashlib
import json
from posixpath import commonpath

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from accounts.sms import read_file_outbox
from frontend.dashboard import dashboard_cards
from frontend.outbox import read_mail_outbox

# Files the service worker keeps so that the shell and the offline page work without a network.
SHELL_FILES = (
    "frontend/css/passage.css",
    "frontend/js/app.js",
    "frontend/img/icon.svg",
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:dashboard")
    return render(request, "frontend/home.html")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/dashboard.html", {"cards": dashboard_cards(request.user)})


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/help.html")


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/offline.html")


# Where the worker keeps its index of lessons saved for offline use, in the cache
# "passage-lessons". No view answers it: it is a key in that cache, read by
# courses/static/courses/offline.js too (keep the two in step).
SAVED_LESSONS_INDEX = "/offline/saved-lessons.json"


@require_GET
@cache_control(no_cache=True, max_age=0)
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [static(path) for path in SHELL_FILES]
    libraries = reverse("courses:h5p_library_file", kwargs={"path": "x"}).rsplit("/", 1)[0] + "/"
    embed = reverse("courses:h5p_embed", kwargs={"content_id": "0" * 32})
    # The worker's own source is part of its version: browsers compare the script byte for
    # byte, and a new version also renews the shell cache.
    source = get_template("frontend/sw.js").template.source  # type: ignore[attr-defined]
    response = render(
        request,
        "frontend/sw.js",
        {
            "shell_json": json.dumps(shell),
            "offline_url": reverse("frontend:offline"),
            "static_prefix": settings.STATIC_URL,
            "media_prefix": settings.MEDIA_URL,
            "h5p_prefix": commonpath([libraries, embed]) + "/",
            "h5p_libraries_prefix": libraries,
            "lessons_index_url": SAVED_LESSONS_INDEX,
            "version": hashlib.sha256("|".join([*shell, source]).encode()).hexdigest()[:12],
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=60 * 60 * 24)
def manifest(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "frontend/manifest.webmanifest",
        {
            "icon": static("frontend/img/icon.svg"),
            "icon_png": static("frontend/img/icon-192.png"),
            "icon_png_large": static("frontend/img/icon-512.png"),
            "description_json": json.dumps(
                _("Talk to a counsellor, learn, and get help with data costs."), ensure_ascii=False
            ),
        },
        content_type="application/manifest+json",
    )
    return response


def _debug_only() -> None:
    if not settings.DEBUG:
        raise Http404


@never_cache
@require_GET
def dev_mail(request: HttpRequest) -> HttpResponse:
    _debug_only()
    return render(request, "frontend/dev_outbox.html", {"kind": "mail", "mails": read_mail_outbox()})


@never_cache
@require_GET
def dev_sms(request: HttpRequest) -> HttpResponse:
    _debug_only()
    return render(request, "frontend/dev_outbox.html", {"kind": "sms", "messages_sent": read_file_outbox()})
