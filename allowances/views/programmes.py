"""Coordinators' programme pages: the list, a programme and its terms, the eligibility rule with
its version history, periods with "Close now", and a closed period's entitlements.

Everything is scoped to the coordinator's organisation: another organisation's programme does
not exist for them (404); other roles get 403. Money is shown with Babel in the viewer's language.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Organisation, Role, User
from accounts.permissions import role_required
from allowances.forms_programmes import FIELD_FOR, ProgrammeForm, RuleForm
from allowances.models import Period, Programme
from allowances.money import money, number
from allowances.selectors import programmes as selectors
from allowances.selectors.eligibility import evidence_summary
from allowances.services.periods import period_bounds, period_close, period_preview, periods_ensure, today_utc
from allowances.services.programmes import (
    RULE_FIELDS,
    methods_label,
    programme_create,
    programme_update,
    rule_current,
    rule_update,
)
from frontend.forms import apply_errors

PER_PAGE = 50
View = Callable[..., HttpResponse]


def coordinator_view(view: View) -> View:
    """Coordinators only (others 403, visitors sign in), called with their organisation."""

    @role_required(Role.COORDINATOR)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organisation = request.user.organisation  # type: ignore[union-attr]
        if organisation is None:
            return render(request, "booking/organisation/no_organisation.html")
        return view(request, organisation, *args, **kwargs)

    return wrapper


def _programme(organisation: Organisation, programme_id: int) -> Programme:
    programme = selectors.programme_get_for_organisation(organisation=organisation, programme_id=programme_id)
    if programme is None:
        raise Http404
    return programme


def _period(programme: Programme, period_id: int) -> Period:
    period = selectors.period_get(programme=programme, period_id=period_id)
    if period is None:
        raise Http404
    return period


def _decorate_period(period: Period, currency: str, today: Any) -> Period:
    period.total_label = money(period.total_minor or 0, currency)  # type: ignore[attr-defined]
    period.granted_label = number(period.granted)  # type: ignore[attr-defined]
    period.ended = period.ends_on < today  # type: ignore[attr-defined]
    return period


@coordinator_view
@require_GET
def programme_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The organisation's programmes: current period, people who joined, last closed period."""
    programmes = list(selectors.programme_list_for_organisation(organisation=organisation))
    last = selectors.last_closed_periods(programmes=programmes)
    today = today_utc()
    rows = []
    for programme in programmes:
        starts_on, ends_on = period_bounds(kind=programme.period, day=today)
        closed = last.get(programme.pk)
        rows.append(
            {
                "programme": programme,
                "current": (starts_on, ends_on),
                "people": number(programme.people),  # type: ignore[attr-defined]
                "amount": money(programme.amount_per_period_minor, programme.currency),
                "last": closed and _decorate_period(closed, programme.currency, today),
            }
        )
    return render(request, "allowances/programmes/list.html", {"organisation": organisation, "rows": rows})


@coordinator_view
@require_http_methods(["GET", "POST"])
def programme_new(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = programme_create(actor=user, **form.values())
        except ValidationError as error:
            apply_errors(form, error, FIELD_FOR)
        else:
            messages.success(request, _("Programme created. Now set who is eligible."))
            return redirect("allowances:programme_rules", programme_id=programme.pk)
    return render(request, "allowances/programmes/edit.html", {"form": form, "programme": None})


@coordinator_view
@require_GET
def programme_detail(request: HttpRequest, organisation: Organisation, programme_id: int) -> HttpResponse:
    programme = _programme(organisation, programme_id)
    today = today_utc()
    # Period rows are made by the hourly task too; making them here shows "Close now" at once.
    periods_ensure(programme=programme, today=today)
    periods = [
        _decorate_period(p, programme.currency, today) for p in selectors.period_list(programme=programme)
    ]
    current = period_bounds(kind=programme.period, day=today)
    return render(
        request,
        "allowances/programmes/detail.html",
        {
            "programme": programme,
            "people": number(programme.people),  # type: ignore[attr-defined]
            "amount": money(programme.amount_per_period_minor, programme.currency),
            "cap": money(programme.cap_per_period_minor, programme.currency),
            "lifetime_cap": money(programme.lifetime_cap_minor, programme.currency),
            "methods": methods_label(programme.methods),
            "rule": rule_current(programme=programme),
            "periods": periods,
            "current": current,
        },
    )


@coordinator_view
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, organisation: Organisation, programme_id: int) -> HttpResponse:
    programme = _programme(organisation, programme_id)
    user: User = request.user  # type: ignore[assignment]
    form = ProgrammeForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            programme_update(programme=programme, actor=user, **form.values())
        except ValidationError as error:
            apply_errors(form, error, FIELD_FOR)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("allowances:programme", programme_id=programme.pk)
    return render(request, "allowances/programmes/edit.html", {"form": form, "programme": programme})


@coordinator_view
@require_http_methods(["GET", "POST"])
def programme_rules(request: HttpRequest, organisation: Organisation, programme_id: int) -> HttpResponse:
    """The rule editor, with every version and the periods that used it."""
    programme = _programme(organisation, programme_id)
    user: User = request.user  # type: ignore[assignment]
    current = rule_current(programme=programme)
    initial = {name: getattr(current, name) for name in RULE_FIELDS} if current else {}
    if current:
        initial["any_activity"] = "1" if current.any_activity else "0"
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rule_update(programme=programme, actor=user, **form.values())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if current is not None and saved.pk != current.pk:
                messages.success(
                    request,
                    _("Version %(old)s was used to close a period, so your change is version %(new)s.")
                    % {"old": current.version, "new": saved.version},
                )
            else:
                messages.success(request, _("Rule saved (version %(n)s).") % {"n": saved.version})
            return redirect("allowances:programme_rules", programme_id=programme.pk)
    return render(
        request,
        "allowances/programmes/rules.html",
        {
            "programme": programme,
            "form": form,
            "current": current,
            "history": selectors.rule_history(programme=programme),
        },
    )


@coordinator_view
@require_GET
def programme_period(
    request: HttpRequest, organisation: Organisation, programme_id: int, period_id: int
) -> HttpResponse:
    """A period: its totals and, once closed, each entitlement with why."""
    programme = _programme(organisation, programme_id)
    period = _decorate_period(_period(programme, period_id), programme.currency, today_utc())
    page = Paginator(selectors.entitlement_list(period=period), PER_PAGE).get_page(request.GET.get("page"))
    for entitlement in page.object_list:
        entitlement.amount_label = money(entitlement.amount_minor, entitlement.currency)  # type: ignore[attr-defined]
        entitlement.why = evidence_summary(entitlement.evidence)  # type: ignore[attr-defined]
    return render(
        request, "allowances/programmes/period.html", {"programme": programme, "period": period, "page": page}
    )


@coordinator_view
@require_http_methods(["GET", "POST"])
def programme_period_close(
    request: HttpRequest, organisation: Organisation, programme_id: int, period_id: int
) -> HttpResponse:
    """GET: how many people and how much closing would grant; POST: close."""
    programme = _programme(organisation, programme_id)
    period = _period(programme, period_id)
    user: User = request.user  # type: ignore[assignment]
    if period.closed_at is not None:
        messages.info(request, _("This period is already closed."))
        return redirect("allowances:programme_period", programme_id=programme.pk, period_id=period.pk)
    if request.method == "POST":
        try:
            result = period_close(programme=programme, period=period, actor=user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("allowances:programme", programme_id=programme.pk)
        messages.success(
            request,
            ngettext(
                "Period closed: %(count)s person is entitled to %(total)s.",
                "Period closed: %(count)s people are entitled to %(total)s in all.",
                result.entitlements,
            )
            % {"count": number(result.entitlements), "total": money(result.total_minor, programme.currency)},
        )
        return redirect("allowances:programme_period", programme_id=programme.pk, period_id=period.pk)
    preview = period_preview(programme=programme, period=period)
    return render(
        request,
        "allowances/programmes/close.html",
        {
            "programme": programme,
            "period": period,
            "ended": period.ends_on < today_utc(),
            "people": number(preview.entitlements),
            "count": preview.entitlements,
            "total": money(preview.total_minor, programme.currency),
            "rule": rule_current(programme=programme),
        },
    )


urlpatterns: list[URLPattern] = [
    path("allowances/", programme_list, name="programme_list"),
    path("allowances/programmes/new/", programme_new, name="programme_new"),
    path("allowances/programmes/<int:programme_id>/", programme_detail, name="programme"),
    path("allowances/programmes/<int:programme_id>/edit/", programme_edit, name="programme_edit"),
    path("allowances/programmes/<int:programme_id>/rules/", programme_rules, name="programme_rules"),
    path(
        "allowances/programmes/<int:programme_id>/periods/<int:period_id>/",
        programme_period,
        name="programme_period",
    ),
    path(
        "allowances/programmes/<int:programme_id>/periods/<int:period_id>/close/",
        programme_period_close,
        name="programme_period_close",
    ),
]
