"""People views of the allowances app: the digital-needs questionnaire, joining and leaving a
programme, and "My allowance". Each shows and changes the signed-in person's own data only."""

from babel.dates import format_date
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.reference import locale_for
from allowances.forms_people import AssessmentForm, ConsentForm
from allowances.models import Device, Method, Programme
from allowances.selectors import people as selectors
from allowances.services import people as services
from frontend.forms import apply_errors


def _person(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    """The questionnaire; answering again adds a new answer (the newest counts)."""
    user = _person(request)
    currencies = selectors.currency_codes_for(user=user)
    latest = selectors.assessment_latest(user=user)
    if request.method == "POST":
        form = AssessmentForm(request.POST, currencies=currencies)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.assessment_record(
                    user=user,
                    devices=data["devices"],
                    connection=data["connection"],
                    monthly_data_cost_minor=data["monthly_data_cost_minor"],
                    currency=data["currency"],
                    needs_tech_support=data["needs_tech_support"] == "yes",
                    needs_connectivity_support=data["needs_connectivity_support"] == "yes",
                )
            except ValidationError as error:
                apply_errors(form, error, {"monthly_data_cost_minor": "monthly_data_cost"})
            else:
                messages.success(request, _("Thank you. Your answers are saved."))
                return redirect("allowances:mine")
    else:
        initial: dict[str, object] = {}
        if latest is not None:
            initial = {
                "devices": latest.devices,
                "connection": latest.connection,
                "needs_tech_support": "yes" if latest.needs_tech_support else "no",
                "needs_connectivity_support": "yes" if latest.needs_connectivity_support else "no",
            }
            if latest.monthly_data_cost_minor is not None and latest.currency in currencies:
                initial["currency"] = latest.currency
                initial["monthly_data_cost"] = selectors.money_plain(
                    latest.monthly_data_cost_minor, latest.currency
                )
        form = AssessmentForm(initial=initial, currencies=currencies)
    return render(request, "allowances/people/assessment.html", {"form": form, "latest": latest})


def _open_programme(programme_id: int) -> Programme:
    programme = selectors.programme_get_open(programme_id=programme_id)
    if programme is None:
        raise Http404
    return programme


@login_required
def join(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Consent to a programme, with optional sex and year of birth, and whether they may be
    counted in reports."""
    user = _person(request)
    programme = _open_programme(programme_id)
    consent = selectors.consent_get(user=user, programme=programme)
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.consent_give(
                    user=user,
                    programme=programme,
                    sex=data["sex"],
                    birth_year=data["birth_year"],
                    share_demographics=data["share_demographics"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("You are taking part in %(name)s.") % {"name": programme.name})
                return redirect("allowances:mine")
    else:
        initial: dict[str, object] = {}
        if consent is not None:
            initial = {
                "agree": consent.withdrawn_at is None,
                "sex": consent.sex,
                "birth_year": consent.birth_year,
                "share_demographics": consent.share_demographics,
            }
        form = ConsentForm(initial=initial)
    return render(
        request,
        "allowances/people/join.html",
        {
            "form": form,
            "programme": programme,
            "consent": consent,
            "joined": consent is not None and consent.withdrawn_at is None,
            "methods": [Method(m).label for m in programme.methods if m in Method.values],
            "amount": selectors.money_text(programme.amount_per_period_minor, programme.currency),
        },
    )


@login_required
@require_POST
def leave(request: HttpRequest, programme_id: int) -> HttpResponse:
    user = _person(request)
    programme = _open_programme(programme_id)
    try:
        services.consent_withdraw(user=user, programme=programme)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("You no longer take part in %(name)s.") % {"name": programme.name})
    return redirect("allowances:mine")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """What the person received, when, how, what is pending or failed, and why they were eligible."""
    user = _person(request)
    locale = locale_for(get_language() or "en")
    items = selectors.my_allowance(user=user)
    rows = []
    received: dict[str, int] = {}
    for item in items:
        entitlement = item.entitlement
        current = item.current
        if current is not None and current.status == "delivered":
            received[entitlement.currency] = received.get(entitlement.currency, 0) + current.amount_minor
        rows.append(
            {
                "item": item,
                "programme": entitlement.period.programme,
                "period": _("%(start)s to %(end)s")
                % {
                    "start": format_date(entitlement.period.starts_on, "medium", locale=locale),
                    "end": format_date(entitlement.period.ends_on, "medium", locale=locale),
                },
                "amount": selectors.money_text(entitlement.amount_minor, entitlement.currency),
                "payment": current,
                "paid_on": format_date(current.updated_at.date(), "long", locale=locale)
                if current is not None
                else "",
                "evidence": [
                    {
                        "line": line,
                        "on": format_date(line.on, "medium", locale=locale) if line.on else "",
                        "number": selectors.number_text(line.number) if line.number is not None else "",
                        "count": line.number or 0,
                    }
                    for line in item.evidence
                ],
            }
        )
    consents = list(selectors.consent_list_for_user(user=user))
    joined = {c.programme_id for c in consents if c.withdrawn_at is None}
    latest = selectors.assessment_latest(user=user)
    return render(
        request,
        "allowances/people/mine.html",
        {
            "rows": rows,
            "received": [selectors.money_text(v, k) for k, v in sorted(received.items())],
            "consents": [c for c in consents if c.withdrawn_at is None],
            "open_programmes": [p for p in selectors.programme_list_open() if p.pk not in joined],
            "latest": latest,
            "latest_devices": [Device(d).label for d in latest.devices if d in Device.values]
            if latest
            else [],
            "latest_cost": selectors.money_text(latest.monthly_data_cost_minor, latest.currency)
            if latest and latest.monthly_data_cost_minor is not None
            else "",
            "latest_on": format_date(latest.answered_at.date(), "long", locale=locale) if latest else "",
        },
    )


urlpatterns: list[URLPattern] = [
    path("allowances/assessment/", assessment, name="assessment"),
    path("allowances/mine/", mine, name="mine"),
    path("allowances/join/<int:programme_id>/", join, name="join"),
    path("allowances/join/<int:programme_id>/leave/", leave, name="leave"),
]
