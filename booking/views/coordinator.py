"""Coordinators' pages: their organisation's appointments (by country, language, counsellor,
status and period), utilisation per counsellor, its clients, and giving a client another
counsellor.

Everything is scoped to the coordinator's own organisation: anything outside it does not exist
for them (404). Times are shown in the coordinator's zone. The client's note to their
counsellor is never shown, nor even loaded.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organisation, Role, User
from accounts.permissions import role_required
from accounts.reference import country_name, language_name, zone_for
from booking import selectors
from booking.forms_coordinator import (
    LAST_4_WEEKS,
    NEXT_4_WEEKS,
    AppointmentFilterForm,
    ClientSearchForm,
    Period,
    PeriodForm,
    ReassignForm,
)
from counselling import selectors as counselling_selectors
from counselling.services import client_reassign
from frontend.forms import apply_errors

PER_PAGE = 25
CoordinatorView = Callable[..., HttpResponse]


def coordinator_view(view: CoordinatorView) -> CoordinatorView:
    """Coordinators only (others: 403; visitors: sign in), called with their organisation. A
    coordinator whose account has none is told so, and how to get one, instead."""

    @role_required(Role.COORDINATOR)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organisation = request.user.organisation  # type: ignore[union-attr]
        if organisation is None:
            return render(request, "booking/organisation/no_organisation.html")
        return view(request, organisation, *args, **kwargs)

    return wrapper


def _today(user: User) -> date:
    return timezone.now().astimezone(zone_for(user.time_zone)).date()


def _period_context(period: Period, user: User) -> dict[str, object]:
    # Noon of each day for the `day` filter, which formats instants: on that day in any zone.
    zone = zone_for(user.time_zone)
    return {
        "first_day": datetime.combine(period.first, time(12), tzinfo=zone),
        "last_day": datetime.combine(period.last, time(12), tzinfo=zone),
        "days": (period.last - period.first).days + 1,
    }


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


def _tally(counts: Counter[str], name: Callable[[str], str], unknown: str) -> list[Tally]:
    rows = [Tally(name(code) if code else unknown, n) for code, n in counts.items()]
    return sorted(rows, key=lambda row: (-row.count, row.label.lower()))


# --- Appointments ---------------------------------------------------------------------------


@coordinator_view
@require_GET
def appointments(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The organisation's appointments in a period, filtered, with counts by country and language."""
    user: User = request.user  # type: ignore[assignment]
    countries, languages = selectors.organisation_appointment_options(organisation=organisation)
    counsellors = list(selectors.organisation_counsellor_list(organisation=organisation))
    form = AppointmentFilterForm(
        request.GET or None,
        today=_today(user),
        default=NEXT_4_WEEKS,
        countries=countries,
        languages=languages,
        counsellors=[(c.pk, c.display_name) for c in counsellors],
    )
    period = form.chosen_period()
    start, end = period.bounds(zone_for(user.time_zone))
    found = selectors.appointment_list_for_organisation(
        organisation=organisation, start=start, end=end, **form.filters()
    )
    by_country, by_language = selectors.appointment_tally(appointments=found)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    for appointment in page.object_list:
        appointment.country_label = (  # type: ignore[attr-defined]
            country_name(appointment.client.country_of_origin) if appointment.client.country_of_origin else ""
        )
        appointment.language_label = language_name(appointment.language)  # type: ignore[attr-defined]
    return render(
        request,
        "booking/organisation/appointments.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "total": sum(by_country.values()),
            "by_country": _tally(by_country, country_name, _("Not given")),
            "by_language": _tally(by_language, language_name, _("Not given")),
            "query": urlencode(form.query()),
            "zone": user.time_zone,
            **_period_context(period, user),
        },
    )


# --- Utilisation ----------------------------------------------------------------------------


def _hours(duration: timedelta) -> float:
    return duration.total_seconds() / 3600


@coordinator_view
@require_GET
def utilisation(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Per counsellor: hours offered and booked in a period, and how the appointments went."""
    user: User = request.user  # type: ignore[assignment]
    form = PeriodForm(request.GET or None, today=_today(user), default=LAST_4_WEEKS)
    period = form.chosen_period()
    start, end = period.bounds(zone_for(user.time_zone))
    rows = selectors.utilisation_list(organisation=organisation, start=start, end=end)
    offered = sum((row.offered for row in rows), timedelta(0))
    held = sum((row.held for row in rows), timedelta(0))
    return render(
        request,
        "booking/organisation/utilisation.html",
        {
            "organisation": organisation,
            "form": form,
            "rows": [
                {
                    "row": row,
                    "offered_hours": _hours(row.offered),
                    "held_hours": _hours(row.held),
                    "percent": row.percent,
                    # The bar stops at full; the figure beside it says by how much it is over.
                    "bar": min(row.percent or 0, 100),
                }
                for row in rows
            ],
            "offered_hours": _hours(offered),
            "held_hours": _hours(held),
            "percent": round(100 * (held / offered)) if offered else None,
            "totals": {
                "booked": sum(row.booked for row in rows),
                "completed": sum(row.completed for row in rows),
                "no_shows": sum(row.no_shows for row in rows),
                "cancelled": sum(row.cancelled for row in rows),
            },
            # The same period on the appointments page, for the links to each counsellor's.
            "appointments_query": urlencode(form.query()),
            "zone": user.time_zone,
            **_period_context(period, user),
        },
    )


# --- Clients --------------------------------------------------------------------------------


@coordinator_view
@require_GET
def clients(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """People who talk to the organisation's counsellors, by name; search by name or counsellor."""
    counsellors = list(selectors.organisation_counsellor_list(organisation=organisation))
    form = ClientSearchForm(request.GET or None, counsellors=[(c.pk, c.display_name) for c in counsellors])
    filters = form.filters() if form.is_bound else {"search": "", "counsellor_id": None}
    found = selectors.organisation_client_list(organisation=organisation, **filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    for client in page.object_list:
        client.country_label = country_name(client.country_of_origin) if client.country_of_origin else ""  # type: ignore[attr-defined]
    query = {"q": filters["search"], "counsellor": filters["counsellor_id"] or ""}
    return render(
        request,
        "booking/organisation/clients.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "any_filter": bool(filters["search"] or filters["counsellor_id"]),
            "query": urlencode({k: v for k, v in query.items() if v}),
        },
    )


def _client_or_404(organisation: Organisation, client_id: int) -> User:
    client = selectors.organisation_client_get(organisation=organisation, client_id=client_id)
    if client is None:
        raise Http404
    return client


def _reassign_form(
    organisation: Organisation, client: User, data: Any = None
) -> tuple[ReassignForm, dict[int, User]]:
    """The form, and every counsellor it offers by id (the view turns choices back into people)."""
    conversations = client.organisation_conversations  # type: ignore[attr-defined]
    current = [conversation.counsellor for conversation in reversed(conversations)]
    speaking, others = selectors.reassignment_candidate_list(organisation=organisation, client=client)
    if len(current) == 1:
        # The only counsellor now cannot be the new one.
        speaking = [c for c in speaking if c.pk != current[0].pk]
        others = [c for c in others if c.pk != current[0].pk]

    def label(counsellor: User) -> str:
        spoken = ", ".join(language_name(lang.code) for lang in counsellor.languages.all())
        profile = getattr(counsellor, "counsellor_profile", None)
        paused = profile is not None and not profile.accepting_new_clients
        text = f"{counsellor.display_name} ({spoken})" if spoken else counsellor.display_name
        return f"{text} · {_('not taking new clients')}" if paused else text

    form = ReassignForm(
        data,
        # Newest conversation first: after a change, the counsellor the client has now.
        current=[(c.pk, c.display_name) for c in current],
        speaking=[(c.pk, label(c)) for c in speaking],
        others=[(c.pk, label(c)) for c in others],
    )
    people = {c.pk: c for c in [*current, *speaking, *others]}
    return form, people


def _client_page(
    request: HttpRequest, organisation: Organisation, client: User, form: ReassignForm | None = None
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if form is None:
        form, _people = _reassign_form(organisation, client)
    history = selectors.appointment_list_for_organisation_client(organisation=organisation, client=client)
    page = Paginator(history, PER_PAGE).get_page(request.GET.get("page"))
    for appointment in page.object_list:
        appointment.language_label = language_name(appointment.language)  # type: ignore[attr-defined]
    reassignments = counselling_selectors.reassignment_list_for_organisation_client(
        organisation=organisation, client=client
    )
    return render(
        request,
        "booking/organisation/client.html",
        {
            "organisation": organisation,
            "client": client,
            "origin": country_name(client.country_of_origin) if client.country_of_origin else "",
            "residence": country_name(client.country_of_residence) if client.country_of_residence else "",
            # Not `languages`: base.html's language menu sets that name.
            "client_languages": [language_name(lang.code) for lang in client.languages.all()],
            "conversations": client.organisation_conversations,  # type: ignore[attr-defined]
            "reassignments": list(reassignments),
            "form": form,
            "page": page,
            "zone": user.time_zone,
        },
    )


@coordinator_view
@require_GET
def client_detail(request: HttpRequest, organisation: Organisation, client_id: int) -> HttpResponse:
    """One client's history with the organisation (appointments with any of its counsellors,
    changes of counsellor), and the form to give them another counsellor."""
    return _client_page(request, organisation, _client_or_404(organisation, client_id))


@coordinator_view
@require_POST
def reassign(request: HttpRequest, organisation: Organisation, client_id: int) -> HttpResponse:
    client = _client_or_404(organisation, client_id)
    form, people = _reassign_form(organisation, client, request.POST)
    if form.is_valid():
        try:
            done = client_reassign(
                by=request.user,  # type: ignore[arg-type]
                client=client,
                from_counsellor=people[form.cleaned_data["from_counsellor"]],
                to_counsellor=people[form.cleaned_data["to_counsellor"]],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            items = list(done.appointments.all())
            moved = sum(1 for item in items if item.new_id)
            parts = [
                _("%(client)s now has %(name)s as counsellor.")
                % {"client": client.display_name, "name": done.to_counsellor.display_name}
            ]
            if moved:
                parts.append(
                    ngettext(
                        "%(n)d appointment moved to the same time.",
                        "%(n)d appointments moved to the same times.",
                        moved,
                    )
                    % {"n": moved}
                )
            if len(items) - moved:
                parts.append(
                    ngettext(
                        "%(n)d appointment cancelled: the new counsellor is not free then.",
                        "%(n)d appointments cancelled: the new counsellor is not free then.",
                        len(items) - moved,
                    )
                    % {"n": len(items) - moved}
                )
            parts.append(_("The client is told by e-mail or SMS."))
            messages.success(request, " ".join(parts))
            return redirect("booking:org_client", client.pk)
    return _client_page(request, organisation, client, form)


urlpatterns: list[URLPattern] = [
    path("organisation/appointments/", appointments, name="org_appointments"),
    path("organisation/utilisation/", utilisation, name="org_utilisation"),
    path("organisation/clients/", clients, name="org_clients"),
    path("organisation/clients/<int:client_id>/", client_detail, name="org_client"),
    path("organisation/clients/<int:client_id>/reassign/", reassign, name="org_reassign"),
]
