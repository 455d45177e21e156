"""Counsellors' pages: availability (settings, weekly hours, date overrides) and the agenda.

Every time is shown and entered in the counsellor's own zone; the agenda also shows the client's.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.models import Role, User
from accounts.permissions import role_required
from accounts.reference import language_name, zone_for
from booking import selectors, services
from booking.forms_counsellor import (
    CancelForm,
    DateOverrideForm,
    MarkForm,
    ScheduleForm,
    WeeklyHoursForm,
)
from booking.models import Appointment, DateOverride, Schedule
from booking.services import BookingError
from frontend.forms import apply_errors, flash_errors

AGENDA_DAYS = 8  # today and the next 7 days
PREVIEW_SLOTS = 5
PREVIEW_DURATION = 30
# ?day= further away than this is ignored (and cannot overflow a date).
AGENDA_REACH = timedelta(days=3650)


def _zone(user: User) -> ZoneInfo:
    return zone_for(user.time_zone)


def _today(user: User) -> date:
    return timezone.now().astimezone(_zone(user)).date()


def _midday(day: date, zone: ZoneInfo) -> datetime:
    # For the `day` filter, which formats instants: noon is on `day` in any zone, DST or not.
    return datetime.combine(day, time(12), tzinfo=zone)


def _parse_day(value: str | None, *, today: date) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if abs(day - today) <= AGENDA_REACH else None


# --- Availability ---------------------------------------------------------------------------


def _preview(counsellor: User, schedule: Schedule | None) -> tuple[int, list[datetime]]:
    """The next free times a client would see, of 30 minutes (or the first length offered)."""
    if schedule is None or not schedule.durations:
        return 0, []
    duration = PREVIEW_DURATION if PREVIEW_DURATION in schedule.durations else schedule.durations[0]
    now = timezone.now()
    slots = selectors.slot_list(
        counsellor=counsellor,
        duration=duration,
        window_start=now,
        window_end=now + timedelta(days=schedule.horizon_days + 1),
        now=now,
    )
    return duration, [slot.start for slot in slots[:PREVIEW_SLOTS]]


def _override_groups(
    overrides: list[DateOverride], *, since: date, zone: ZoneInfo
) -> list[dict[str, object]]:
    """Date overrides from `since` on, one entry per date."""
    groups: dict[date, dict[str, object]] = {}
    for override in sorted(overrides, key=lambda o: (o.date, o.start or time.min)):
        if override.date < since:
            continue
        group = groups.setdefault(
            override.date,
            {
                "date": override.date,
                "moment": _midday(override.date, zone),
                "day_off": override.is_day_off,
                "ranges": [],
                "note": "",
            },
        )
        if override.start is not None and override.end is not None:
            # Instants of these wall-clock times, so the `clock` filter formats them.
            group["ranges"].append(  # type: ignore[attr-defined]
                (
                    datetime.combine(override.date, override.start, tzinfo=zone),
                    datetime.combine(override.date, override.end, tzinfo=zone),
                )
            )
        group["note"] = group["note"] or override.note
    return list(groups.values())


def _availability_page(
    request: HttpRequest,
    *,
    settings_form: ScheduleForm | None = None,
    hours_form: WeeklyHoursForm | None = None,
    date_form: DateOverrideForm | None = None,
) -> HttpResponse:
    counsellor: User = request.user  # type: ignore[assignment]
    zone, today = _zone(counsellor), _today(counsellor)
    schedule = selectors.schedule_get(counsellor=counsellor)
    rules = list(schedule.rules.all()) if schedule else []
    overrides = list(schedule.overrides.filter(date__gte=today)) if schedule else []
    duration, preview = _preview(counsellor, schedule)
    profile = account_selectors.counsellor_profile_get(user=counsellor)
    context = {
        "settings_form": settings_form or ScheduleForm(initial=ScheduleForm.initial_for(schedule)),
        "hours_form": hours_form or WeeklyHoursForm.for_rules(rules),
        "date_form": date_form or DateOverrideForm(today=today),
        "overrides": _override_groups(overrides, since=today, zone=zone),
        "preview": preview,
        "preview_duration": duration,
        "accepting": profile is None or profile.accepting_new_clients,
        "zone": counsellor.time_zone,
    }
    return render(request, "booking/counsellor/availability.html", context)


def _back_to(section: str) -> HttpResponse:
    return redirect(f"{reverse('booking:availability')}#{section}")


@role_required(Role.COUNSELLOR)
@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    return _availability_page(request)


@role_required(Role.COUNSELLOR)
@require_POST
def availability_settings(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST)
    return _save_section(
        request,
        form,
        lambda: services.schedule_update(counsellor=request.user, **form.service_kwargs()),  # type: ignore[arg-type]
        done=_("Your booking settings are saved."),
        section="settings",
        renamed=ScheduleForm.RENAMED,
    )


@role_required(Role.COUNSELLOR)
@require_POST
def availability_hours(request: HttpRequest) -> HttpResponse:
    schedule = selectors.schedule_get(counsellor=request.user)  # type: ignore[arg-type]
    form = WeeklyHoursForm.for_rules(list(schedule.rules.all()) if schedule else [], request.POST)
    return _save_section(
        request,
        form,
        lambda: services.weekly_rules_set(counsellor=request.user, rules=form.cleaned_data["rules"]),  # type: ignore[arg-type]
        done=_("Your weekly hours are saved."),
        section="hours",
    )


@role_required(Role.COUNSELLOR)
@require_POST
def availability_dates(request: HttpRequest) -> HttpResponse:
    form = DateOverrideForm(request.POST, today=_today(request.user))  # type: ignore[arg-type]
    return _save_section(
        request,
        form,
        lambda: services.date_override_set(
            counsellor=request.user,  # type: ignore[arg-type]
            day=form.cleaned_data["date"],
            ranges=form.cleaned_data["ranges"],
            note=form.cleaned_data["note"],
        ),
        done=_("The date is saved."),
        section="dates",
    )


def _save_section(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[], object],
    *,
    done: str,
    section: str,
    renamed: dict[str, str] | None = None,
) -> HttpResponse:
    """One part of the availability page: valid and saved → back to it with `done`; otherwise
    the page again with the form's (or the service's) errors next to the right fields."""
    if form.is_valid():
        try:
            save()
        except ValidationError as error:
            apply_errors(form, error, renamed)
        else:
            messages.success(request, done)
            return _back_to(section)
    form_argument = {"settings": "settings_form", "hours": "hours_form", "dates": "date_form"}[section]
    return _availability_page(request, **{form_argument: form})


@role_required(Role.COUNSELLOR)
@require_POST
def availability_date_remove(request: HttpRequest, day: str) -> HttpResponse:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    services.date_override_clear(counsellor=request.user, day=parsed)  # type: ignore[arg-type]
    messages.success(request, _("This date follows your weekly hours again."))
    return _back_to("dates")


# --- Agenda ---------------------------------------------------------------------------------


@dataclass
class AgendaDay:
    day: date
    moment: datetime  # noon of `day`, for the `day` filter
    is_today: bool
    appointments: list[Appointment] = field(default_factory=list)


def _agenda_url(day: date | None) -> str:
    url = reverse("booking:agenda")
    return f"{url}?day={day.isoformat()}" if day else url


@role_required(Role.COUNSELLOR)
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    counsellor: User = request.user  # type: ignore[assignment]
    zone, today = _zone(counsellor), _today(counsellor)
    first = _parse_day(request.GET.get("day"), today=today) or today
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(first + timedelta(days=AGENDA_DAYS), time(0), tzinfo=zone)
    days = {
        first + timedelta(days=n): AgendaDay(
            day=first + timedelta(days=n),
            moment=_midday(first + timedelta(days=n), zone),
            is_today=first + timedelta(days=n) == today,
        )
        for n in range(AGENDA_DAYS)
    }
    now = timezone.now()
    appointments = selectors.appointment_list_for_counsellor(counsellor=counsellor).filter(
        start_at__gte=start, start_at__lt=end
    )
    for appointment in appointments.order_by("start_at"):
        local_day = appointment.start_at.astimezone(zone).date()
        if local_day not in days:
            continue
        booked = appointment.status == Appointment.Status.BOOKED
        appointment.can_mark = booked and appointment.start_at <= now  # type: ignore[attr-defined]
        appointment.can_cancel = booked and appointment.start_at > now  # type: ignore[attr-defined]
        appointment.language_label = language_name(appointment.language)  # type: ignore[attr-defined]
        appointment.other_zone = appointment.client.time_zone != counsellor.time_zone  # type: ignore[attr-defined]
        days[local_day].appointments.append(appointment)
    context = {
        "days": list(days.values()),
        "first": first,
        "zone": counsellor.time_zone,
        "nav": [
            (_("Previous week"), _agenda_url(first - timedelta(days=7))),
            (_("Day before"), _agenda_url(first - timedelta(days=1))),
            (_("Today"), _agenda_url(None)),
            (_("Day after"), _agenda_url(first + timedelta(days=1))),
            (_("Next week"), _agenda_url(first + timedelta(days=7))),
        ],
    }
    return render(request, "booking/counsellor/agenda.html", context)


def _own_appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    """The counsellor's own appointment; anyone else's does not exist for them."""
    mine = selectors.appointment_list_for_counsellor(counsellor=request.user)  # type: ignore[arg-type]
    return get_object_or_404(mine, pk=appointment_id)


def _return_to_agenda(request: HttpRequest, appointment: Appointment, *, done: bool) -> HttpResponse:
    """Back to the agenda as it was shown (its first day travels with each form): at the
    appointment when done (its new status says so), at the top to read why when not."""
    user: User = request.user  # type: ignore[assignment]
    today = _today(user)
    first = _parse_day(request.POST.get("day"), today=today)
    if first is None:
        first = appointment.start_at.astimezone(_zone(user)).date()
    url = _agenda_url(None if first == today else first)
    return redirect(f"{url}#appointment-{appointment.pk}" if done else url)


@role_required(Role.COUNSELLOR)
@require_POST
def mark(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Mark the appointment as completed or as not attended."))
        return _return_to_agenda(request, appointment, done=False)
    try:
        services.appointment_mark(
            appointment=appointment,
            by=request.user,  # type: ignore[arg-type]
            status=form.cleaned_data["status"],
        )
    except BookingError as error:
        messages.error(request, error.message)
        return _return_to_agenda(request, appointment, done=False)
    if form.cleaned_data["status"] == Appointment.Status.COMPLETED:
        messages.success(request, _("Saved: the appointment took place."))
    else:
        messages.success(request, _("Saved: the client did not come."))
    return _return_to_agenda(request, appointment, done=True)


@role_required(Role.COUNSELLOR)
@require_POST
def counsellor_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
        return _return_to_agenda(request, appointment, done=False)
    try:
        services.appointment_cancel(
            appointment=appointment,
            by=request.user,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
        )
    except BookingError as error:
        messages.error(request, error.message)
        return _return_to_agenda(request, appointment, done=False)
    messages.success(request, _("The appointment is cancelled."))
    return _return_to_agenda(request, appointment, done=True)


urlpatterns: list[URLPattern] = [
    path("booking/availability/", availability, name="availability"),
    path("booking/availability/settings/", availability_settings, name="availability_settings"),
    path("booking/availability/hours/", availability_hours, name="availability_hours"),
    path("booking/availability/dates/", availability_dates, name="availability_dates"),
    path(
        "booking/availability/dates/<str:day>/remove/",
        availability_date_remove,
        name="availability_date_remove",
    ),
    path("booking/agenda/", agenda, name="agenda"),
    path("booking/<int:appointment_id>/mark/", mark, name="mark"),
    path("booking/<int:appointment_id>/counsellor-cancel/", counsellor_cancel, name="counsellor_cancel"),
]
