"""Group information sessions and webinars: anyone may browse, signed-in people register (or join
the waiting list); counsellors and coordinators offer, change and cancel them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import role_required
from accounts.reference import country_name, language_name, zone_for
from accounts.selectors import user_language_codes
from booking import selectors, services
from booking.forms_groups import GroupCancelForm, GroupFilterForm, GroupSessionForm
from booking.models import GroupRegistration, GroupSession
from booking.services import BookingError
from frontend.forms import apply_errors, flash_errors

PER_PAGE = 20


def _viewer(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None  # type: ignore[return-value]


def _session_or_404(session_id: int) -> GroupSession:
    session = selectors.group_session_get(session_id=session_id)
    if session is None:
        raise Http404
    return session


def _managed_or_404(request: HttpRequest, session_id: int) -> GroupSession:
    """A session the signed-in person may change; others' sessions do not exist for them."""
    session = _session_or_404(session_id)
    if not services.group_session_may_manage(session, request.user):  # type: ignore[arg-type]
        raise Http404
    return session


@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    """Sessions that can still be joined, soonest first; hosts also see their own."""
    viewer = _viewer(request)
    now = timezone.now()
    own_languages = user_language_codes(user=viewer) if viewer is not None else []
    form_languages = [*selectors.group_session_languages(now=now), *own_languages]
    if "language" in request.GET or "topic" in request.GET:
        form = GroupFilterForm(request.GET, languages=form_languages)
    else:
        # First visit: sessions in the person's own language, which they can clear.
        form = GroupFilterForm(
            {"language": own_languages[0] if own_languages else ""}, languages=form_languages
        )
    filters = form.filters()
    sessions = selectors.group_session_list_upcoming(
        viewer=viewer,
        now=now,
        country=viewer.country_of_origin if viewer is not None else "",
        **filters,
    )
    page = Paginator(sessions, PER_PAGE).get_page(request.GET.get("page"))
    hosting = viewer is not None and services.group_session_may_host(viewer)
    return render(
        request,
        "booking/groups/list.html",
        {
            "form": form,
            "page": page,
            "filter_query": urlencode(filters),
            "any_filter": any(filters.values()),
            "zone": viewer.time_zone if viewer is not None else "UTC",
            "hosting": hosting,
            "managed": list(selectors.group_session_list_for_manager(user=viewer, now=now)[:50])
            if hosting and viewer is not None
            else [],
        },
    )


@require_GET
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    viewer = _viewer(request)
    session = _session_or_404(session_id)
    now = timezone.now()
    registration = (
        selectors.group_registration_get(session=session, participant=viewer) if viewer is not None else None
    )
    manages = viewer is not None and services.group_session_may_manage(session, viewer)
    open_ = session.status == GroupSession.Status.SCHEDULED and session.start_at > now
    context = {
        "session": session,
        "registration": registration,
        "position": selectors.group_waitlist_position(registration=registration)
        if registration is not None and registration.status == GroupRegistration.Status.WAITLISTED
        else None,
        "language": language_name(session.language),
        "country": country_name(session.country) if session.country else "",
        "zone": viewer.time_zone if viewer is not None else "UTC",
        "open": open_,
        "manages": manages,
        "is_host": viewer is not None and viewer.pk == session.host_id,
        # The place is for people with a place, and for those who run the session.
        "show_location": bool(session.location)
        and (
            manages
            or (registration is not None and registration.status == GroupRegistration.Status.REGISTERED)
        ),
    }
    if manages:
        context["registrations"] = list(selectors.group_registration_list(session=session))
        context["cancel_form"] = GroupCancelForm() if open_ else None
    return render(request, "booking/groups/detail.html", context)


@require_POST
@login_required
def register(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    try:
        registration = services.group_register(session=session, participant=request.user)  # type: ignore[arg-type]
    except BookingError as error:
        messages.error(request, error.message)
    else:
        if registration.status == GroupRegistration.Status.REGISTERED:
            messages.success(request, _("You have a place. We have sent you the details."))
        else:
            messages.info(
                request,
                _("The session is full: you are on the waiting list. We tell you if a place becomes free."),
            )
    return redirect("booking:group_session", session.pk)


@require_POST
@login_required
def unregister(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    try:
        services.group_unregister(session=session, participant=request.user)  # type: ignore[arg-type]
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You are no longer registered for this session."))
    return redirect("booking:group_session", session.pk)


@role_required(Role.COUNSELLOR, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    host: User = request.user  # type: ignore[assignment]
    zone = zone_for(host.time_zone)
    languages = user_language_codes(user=host)
    form = GroupSessionForm(
        request.POST if request.method == "POST" else None, zone=zone, languages=languages
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.group_session_create(
                host=host,
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                topic=data["topic"],
                language=data["language"],
                country=data["country"],
                location=data["location"],
                start_at=form.start_at,
                duration=data["duration"],
                capacity=data["capacity"],
            )
        except ValidationError as error:
            apply_errors(form, error, renamed={"start_at": "time"})
        else:
            messages.success(request, _("Your session is published. People can register now."))
            return redirect("booking:group_session", session.pk)
    return render(
        request, "booking/groups/form.html", {"form": form, "session": None, "zone": host.time_zone}
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _managed_or_404(request, session_id)
    user: User = request.user  # type: ignore[assignment]
    zone = zone_for(user.time_zone)
    if session.status != GroupSession.Status.SCHEDULED or session.start_at <= timezone.now():
        messages.error(request, _("This session can no longer be changed."))
        return redirect("booking:group_session", session.pk)
    form = GroupSessionForm(
        request.POST if request.method == "POST" else None,
        initial=GroupSessionForm.initial_for(session, zone),
        zone=zone,
        languages=[],
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.group_session_update(
                session=session,
                by=user,
                title=data["title"],
                description=data["description"],
                location=data["location"],
                start_at=form.start_at,
                duration=data["duration"],
                capacity=data["capacity"],
            )
        except ValidationError as error:
            apply_errors(form, error, renamed={"start_at": "time"})
        except BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved. Everyone registered is told if the time changed."))
            return redirect("booking:group_session", session.pk)
    return render(
        request, "booking/groups/form.html", {"form": form, "session": session, "zone": user.time_zone}
    )


@require_POST
@login_required
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _managed_or_404(request, session_id)
    form = GroupCancelForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
        return redirect("booking:group_session", session.pk)
    try:
        services.group_session_cancel(session=session, by=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The session is cancelled. Everyone registered or waiting is told."))
    return redirect("booking:group_session", session.pk)


urlpatterns: list[URLPattern] = [
    path("sessions/", session_list, name="group_sessions"),
    path("sessions/new/", session_new, name="group_session_new"),
    path("sessions/<int:session_id>/", session_detail, name="group_session"),
    path("sessions/<int:session_id>/edit/", session_edit, name="group_session_edit"),
    path("sessions/<int:session_id>/cancel/", session_cancel, name="group_session_cancel"),
    path("sessions/<int:session_id>/register/", register, name="group_register"),
    path("sessions/<int:session_id>/leave/", unregister, name="group_unregister"),
]
