"""The counsellor's private calendar feed: the page to manage it, and the feed itself."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from booking.feeds import calendar_feed_appointments, calendar_feed_revoke, calendar_feed_rotate
from booking.ics import calendar_feed_ics
from booking.models import CalendarFeed


@role_required(Role.COUNSELLOR)
def feed_settings(request: HttpRequest) -> HttpResponse:
    feed = CalendarFeed.objects.filter(counsellor=request.user).first()
    url = request.build_absolute_uri(reverse("booking:feed", args=[feed.token])) if feed else ""
    return render(request, "booking/feed.html", {"feed": feed, "feed_url": url})


@require_POST
@role_required(Role.COUNSELLOR)
def feed_rotate(request: HttpRequest) -> HttpResponse:
    calendar_feed_rotate(counsellor=request.user)
    messages.success(request, _("Your calendar link is ready. An older link no longer works."))
    return redirect("booking:feed_settings")


@require_POST
@role_required(Role.COUNSELLOR)
def feed_revoke(request: HttpRequest) -> HttpResponse:
    calendar_feed_revoke(counsellor=request.user)
    messages.success(request, _("Your calendar link is turned off."))
    return redirect("booking:feed_settings")


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    found = calendar_feed_appointments(token=token)
    if found is None:
        raise Http404
    counsellor, appointments = found
    body = calendar_feed_ics(appointments, name=f"Passage · {counsellor.display_name}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="passage.ics"'
    return response


urlpatterns: list[URLPattern] = [
    path("booking/calendar-feed/", feed_settings, name="feed_settings"),
    path("booking/calendar-feed/new/", feed_rotate, name="feed_rotate"),
    path("booking/calendar-feed/off/", feed_revoke, name="feed_revoke"),
    path("booking/feed/<str:token>.ics", feed, name="feed"),
]
