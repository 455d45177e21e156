"""Pages for people looking for help: find a counsellor, pick a time, book, see and change
their appointments. Visitors may browse; booking needs an account."""

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.reference import Topic, language_name, zone_for
from accounts.selectors import user_language_codes
from booking import selectors, services
from booking.forms import BookForm, CancelForm, DirectoryFilterForm, MoveForm
from booking.models import Appointment, Modality
from booking.services import BookingError
from booking.slots import Slot, iso_utc

PER_PAGE = 20
DAYS_SHOWN = 14
ALTERNATIVES = 3
# Booking errors about a choice on the form (shown on it); others are about the time itself.
FORM_ERRORS = frozenset({"invalid_modality", "invalid_topic", "invalid_language"})


# --- Helpers --------------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None  # type: ignore[return-value]


def _viewer_zone(request: HttpRequest) -> str:
    # Visitors have no saved zone and pages work without JavaScript: UTC, and we say so.
    user = _viewer(request)
    return user.time_zone if user is not None else "UTC"


def _positive_int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _parse_start(value: str | None) -> datetime | None:
    """An ISO 8601 instant with its offset (`2026-06-02T09:00:00Z`); anything else is None."""
    try:
        moment = datetime.fromisoformat((value or "").strip().replace(" ", "+"))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        return None
    return moment.astimezone(UTC)


def _modality(value: str | None) -> str:
    return value if value in Modality.values else ""


def _counsellor_or_404(counsellor_id: int) -> User:
    counsellor = selectors.counsellor_get(counsellor_id=counsellor_id)
    if counsellor is None:
        raise Http404
    return counsellor


def _appointment_or_404(user: User, appointment_id: int) -> Appointment:
    appointment = selectors.appointment_get_for_party(user=user, appointment_id=appointment_id)
    if appointment is None:
        raise Http404
    return appointment


def _appointment_to_move(request: HttpRequest, counsellor: User) -> Appointment | None:
    """The appointment named by `?reschedule=`: only its two people may move it, and only to
    another time with the same counsellor."""
    raw = request.GET.get("reschedule")
    if not raw:
        return None
    user = _viewer(request)
    appointment_id = _positive_int(raw)
    if user is None or appointment_id is None:
        raise Http404
    appointment = _appointment_or_404(user, appointment_id)
    if appointment.counsellor_id != counsellor.pk:
        raise Http404
    return appointment


def _other_zone(viewer: User | None, counsellor: User, moving: Appointment | None) -> str:
    """The zone shown beside the viewer's: the counsellor's, or the client's for a counsellor
    who moves an appointment."""
    if moving is not None and viewer is not None and viewer.pk == counsellor.pk:
        return moving.client.time_zone
    return counsellor.time_zone


def _counsellor_url(counsellor: User, **params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    url = reverse("booking:counsellor", args=[counsellor.pk])
    return f"{url}?{query}" if query else url


def _book_url(
    counsellor: User, start: datetime, *, duration: int, modality: str, reschedule: int | None
) -> str:
    params = {"start": iso_utc(start), "duration": duration, "modality": modality, "reschedule": reschedule}
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{reverse('booking:book', args=[counsellor.pk])}?{query}"


@dataclass
class SlotLink:
    start: datetime
    url: str


def _links(
    counsellor: User, slots: list[Slot], *, duration: int, modality: str, reschedule: int | None
) -> list[SlotLink]:
    return [
        SlotLink(
            s.start,
            _book_url(counsellor, s.start, duration=duration, modality=modality, reschedule=reschedule),
        )
        for s in slots
    ]


def _shared_languages(client: User, counsellor: User) -> list[str]:
    """Languages both speak, the client's favourite first; else all the counsellor speaks
    (the client can ask for an interpreter)."""
    theirs = [lang.code for lang in counsellor.languages.all()]
    shared = [code for code in user_language_codes(user=client) if code in theirs]
    return shared or theirs


# --- Directory ------------------------------------------------------------------------------


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """Counsellors who can be booked, those free soonest first."""
    viewer = _viewer(request)
    choices = {
        "languages": selectors.directory_languages(),
        "countries": selectors.directory_countries(),
    }
    if any(name in request.GET for name in DirectoryFilterForm.FIELDS):
        form = DirectoryFilterForm(request.GET, **choices)
    else:
        # First visit: the person's own language and home country, which they can clear.
        preset = {}
        if viewer is not None:
            codes = user_language_codes(user=viewer)
            preset = {"language": codes[0] if codes else "", "country": viewer.country_of_origin}
        form = DirectoryFilterForm(preset, **choices)
    filters = form.filters()
    modality = filters.pop("modality")

    # Free soonest first (the order kept in Schedule.next_free_at), paged in the database; the
    # exact next time, with this person's own appointments left out, only for this page.
    counsellors = selectors.counsellor_directory_list(**filters).order_by(
        F("schedule__next_free_at").asc(nulls_last=True), "display_name", "pk"
    )
    page = Paginator(counsellors, PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    next_slots = selectors.next_free_slot_map(
        counsellors=shown, now=timezone.now(), horizon_days=DAYS_SHOWN, client=viewer
    )
    cards = selectors.counsellor_cards(counsellors=shown)
    for card in cards:
        found = next_slots.get(card.user.pk)
        card.next_slot = found[0] if found else None
        card.url = _counsellor_url(card.user, modality=modality)
    return render(
        request,
        "booking/directory.html",
        {
            "form": form,
            "page": page,
            "cards": cards,
            "filter_query": urlencode({**filters, "modality": modality}),
            "any_filter": any(filters.values()),
            "zone": _viewer_zone(request),
        },
    )


# --- One counsellor -------------------------------------------------------------------------


@require_GET
def counsellor_detail(request: HttpRequest, counsellor_id: int) -> HttpResponse:
    """A counsellor's profile and free times for the next two weeks, by day in the viewer's zone."""
    counsellor = _counsellor_or_404(counsellor_id)
    moving = _appointment_to_move(request, counsellor)
    if moving is not None and moving.status != Appointment.Status.BOOKED:
        messages.error(request, _("This appointment is no longer active."))
        return redirect("booking:appointment", moving.pk)
    viewer = _viewer(request)
    schedule = getattr(counsellor, "schedule", None)
    durations = sorted(schedule.durations) if schedule is not None else []
    if moving is not None:
        # A moved appointment keeps its length.
        duration: int | None = moving.duration_minutes
    else:
        asked = _positive_int(request.GET.get("duration"))
        duration = asked if asked in durations else (durations[0] if durations else None)
    modality = _modality(request.GET.get("modality"))
    (card,) = selectors.counsellor_cards(counsellors=[counsellor])

    # A counsellor who takes no new clients still sees the people they already help.
    closed = (
        card.paused
        and moving is None
        and not (viewer is not None and viewer.client_conversations.filter(counsellor=counsellor).exists())
    )
    days: list[tuple[datetime, list[SlotLink]]] = []
    if duration is not None and not closed:
        now = timezone.now()
        slots = selectors.slot_list(
            counsellor=counsellor,
            duration=duration,
            window_start=now,
            window_end=now + timedelta(days=DAYS_SHOWN),
            client=moving.client if moving is not None else viewer,
            now=now,
            exclude_appointment_id=moving.pk if moving is not None else None,
        )
        links = _links(
            counsellor, slots, duration=duration, modality=modality, reschedule=moving.pk if moving else None
        )
        zone = zone_for(_viewer_zone(request))
        for _day, group in itertools.groupby(links, key=lambda link: link.start.astimezone(zone).date()):
            day_links = list(group)
            days.append((day_links[0].start, day_links))
    duration_links = (
        [(d, _counsellor_url(counsellor, duration=d, modality=modality)) for d in durations]
        if moving is None
        else []
    )
    return render(
        request,
        "booking/counsellor.html",
        {
            "card": card,
            "counsellor": counsellor,
            "days": days,
            "duration": duration,
            "duration_links": duration_links,
            "closed": closed,
            "moving": moving,
            "zone": _viewer_zone(request),
            "other_zone": _other_zone(viewer, counsellor, moving),
            "days_shown": DAYS_SHOWN,
        },
    )


# --- Book or move ---------------------------------------------------------------------------


def _slot_is_open(
    *, counsellor: User, client: User, start: datetime, duration: int, moving: Appointment | None
) -> bool:
    found = selectors.slot_list(
        counsellor=counsellor,
        client=client,
        duration=duration,
        window_start=start - timedelta(minutes=1),
        window_end=start + timedelta(minutes=1),
        exclude_appointment_id=moving.pk if moving is not None else None,
    )
    return any(slot.start == start for slot in found)


def _alternatives(
    *, counsellor: User, client: User, start: datetime, duration: int, moving: Appointment | None
) -> list[Slot]:
    return selectors.slot_list(
        counsellor=counsellor,
        client=client,
        duration=duration,
        window_start=start,
        window_end=start + timedelta(days=DAYS_SHOWN),
        exclude_appointment_id=moving.pk if moving is not None else None,
    )[:ALTERNATIVES]


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, counsellor_id: int) -> HttpResponse:
    """Confirm a time (`?start=<ISO UTC>&duration=<minutes>`), or with `?reschedule=<id>` move
    that appointment to it."""
    counsellor = _counsellor_or_404(counsellor_id)
    moving = _appointment_to_move(request, counsellor)
    user: User = request.user  # type: ignore[assignment]
    start = _parse_start(request.GET.get("start"))
    duration = moving.duration_minutes if moving is not None else _positive_int(request.GET.get("duration"))
    modality = _modality(request.GET.get("modality"))
    if start is None or duration is None:
        messages.error(request, _("Please choose a time from the list."))
        return redirect(_counsellor_url(counsellor, reschedule=moving.pk if moving else None))
    if moving is not None and moving.status != Appointment.Status.BOOKED:
        messages.error(request, _("This appointment is no longer active."))
        return redirect("booking:appointment", moving.pk)

    client = moving.client if moving is not None else user
    context: dict[str, object] = {
        "counsellor": counsellor,
        "card": selectors.counsellor_cards(counsellors=[counsellor])[0],
        "start": start,
        "duration": duration,
        "moving": moving,
        "zone": user.time_zone,
        "other_zone": _other_zone(user, counsellor, moving),
        "back_url": _counsellor_url(
            counsellor, duration=duration, modality=modality, reschedule=moving.pk if moving else None
        ),
    }
    error: BookingError | None = None
    form: BookForm | MoveForm | None = None
    if moving is not None:
        by_counsellor = moving.counsellor_id == user.pk
        form = MoveForm(request.POST if request.method == "POST" else None, reason_required=by_counsellor)
        if request.method == "POST" and form.is_valid():
            try:
                services.appointment_reschedule(
                    appointment=moving, by=user, start_at=start, reason=form.cleaned_data["reason"]
                )
            except BookingError as failure:
                error = failure
            else:
                if by_counsellor:
                    messages.success(request, _("The appointment is moved. The client is told."))
                else:
                    messages.success(request, _("Your appointment is moved to the new time."))
                return redirect("booking:appointment", moving.pk)
    else:
        profile = getattr(counsellor, "counsellor_profile", None)
        topics = [t.topic for t in profile.topics.all()] if profile else []
        form_options = {"topics": topics or Topic.values, "languages": _shared_languages(user, counsellor)}
        if request.method == "POST":
            form = BookForm(request.POST, **form_options)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    result = services.appointment_book(
                        client=user,
                        counsellor=counsellor,
                        start_at=start,
                        duration=duration,
                        modality=data["modality"],
                        topic=data["topic"],
                        language=data["language"],
                        interpreter_requested=data["interpreter"],
                        note=data["note"],
                        idempotency_key=data["idempotency_key"],
                    )
                except BookingError as failure:
                    error = failure
                else:
                    messages.success(request, _("Your appointment is booked."))
                    return redirect("booking:appointment", result.appointment.pk)
        else:
            form = BookForm(
                initial={
                    "modality": modality or (Modality.AUDIO if user.data_saver else Modality.VIDEO),
                    "topic": form_options["topics"][0] if len(form_options["topics"]) == 1 else None,
                    "language": form_options["languages"][0] if form_options["languages"] else None,
                },
                **form_options,
            )

    alternatives: list[Slot] = []
    if error is not None and form is not None and error.code in FORM_ERRORS:
        form.add_error(None, error.message)
    elif error is not None:
        # The time itself cannot be had: offer others instead of the same form again.
        context["error"] = error.message
        context["closed"] = True
        form = None
        alternatives = error.next_slots or _alternatives(
            counsellor=counsellor, client=client, start=start, duration=duration, moving=moving
        )
    elif request.method == "GET" and not _slot_is_open(
        counsellor=counsellor, client=client, start=start, duration=duration, moving=moving
    ):
        # Taken since the list was shown, or a link from long ago: say so before any typing.
        context["error"] = _("This time is not available any more. Please choose another time.")
        form = None
        context["closed"] = True
        alternatives = _alternatives(
            counsellor=counsellor, client=client, start=start, duration=duration, moving=moving
        )
    context["form"] = form
    context["alternatives"] = _links(
        counsellor,
        list(alternatives),
        duration=duration,
        modality=modality,
        reschedule=moving.pk if moving else None,
    )
    return render(request, "booking/book.html", context)


# --- My appointments ------------------------------------------------------------------------


@login_required
@require_GET
def appointment_list(request: HttpRequest) -> HttpResponse:
    """The signed-in person's appointments as a client: coming ones first, then the others."""
    now = timezone.now()
    mine = selectors.appointment_list_for_client(client=request.user)  # type: ignore[arg-type]
    active = Q(status=Appointment.Status.BOOKED, end_at__gt=now)
    return render(
        request,
        "booking/appointments.html",
        {
            "upcoming": list(mine.filter(active).order_by("start_at")),
            # With each one's rating, if any: the list offers to rate the others.
            "past": list(mine.exclude(active).select_related("rating").order_by("-start_at")[:50]),
            "sessions": list(
                selectors.group_registration_list_for_participant(user=request.user, now=now)  # type: ignore[arg-type]
            ),
            "zone": request.user.time_zone,  # type: ignore[union-attr]
        },
    )


@login_required
@require_GET
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One appointment, for its two people only (anyone else: it does not exist)."""
    user: User = request.user  # type: ignore[assignment]
    appointment = _appointment_or_404(user, appointment_id)
    is_client = appointment.client_id == user.pk
    other = appointment.counsellor if is_client else appointment.client
    changeable = appointment.status == Appointment.Status.BOOKED and appointment.start_at > timezone.now()
    return render(
        request,
        "booking/appointment.html",
        {
            "appointment": appointment,
            "other": other,
            "is_client": is_client,
            "zone": user.time_zone,
            "other_zone": other.time_zone,
            "language": language_name(appointment.language) if appointment.language else "",
            "changeable": changeable,
            "cancel_form": CancelForm() if changeable else None,
            "reschedule_url": _counsellor_url(appointment.counsellor, reschedule=appointment.pk)
            if changeable
            else "",
        },
    )


@require_POST
@login_required
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    appointment = _appointment_or_404(user, appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please write at most 300 letters."))
        return redirect("booking:appointment", appointment.pk)
    try:
        services.appointment_cancel(appointment=appointment, by=user, reason=form.cleaned_data["reason"])
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your appointment is cancelled."))
    return redirect("booking:appointment", appointment.pk)


urlpatterns: list[URLPattern] = [
    path("counsellors/", directory, name="directory"),
    path("counsellors/<int:counsellor_id>/", counsellor_detail, name="counsellor"),
    path("counsellors/<int:counsellor_id>/book/", book, name="book"),
    path("booking/", appointment_list, name="appointments"),
    path("booking/<int:appointment_id>/", appointment_detail, name="appointment"),
    path("booking/<int:appointment_id>/cancel/", appointment_cancel, name="cancel"),
]
