"""A way in without an account: anyone asks a question about return and reintegration and
reads the answer later with a reference code; coordinators triage the questions, counsellors
answer the ones assigned to them.

The reference code is shown once, in the answer to the form's post (never in a URL, never kept
in the session, where the next person on a shared phone would find it); sending the same form
again shows the same code. Checking a code is a form post, limited per connection.
"""

import hashlib
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organisation, Role, User
from accounts.permissions import role_required
from accounts.reference import country_name, language_name
from booking.views.coordinator import coordinator_view
from counselling import crypto
from counselling.forms_intake import (
    AnswerForm,
    AssignForm,
    InformationRequestForm,
    ReferenceForm,
    StatusFilterForm,
)
from counselling.models import InformationRequest
from counselling.selectors import intake as selectors
from counselling.services import intake as services
from frontend.forms import apply_errors

PER_PAGE = 25
# Reference lookups per connection and window: plenty for a person who mistypes, hopeless for
# someone trying codes (each has ~59 bits).
LOOKUPS_PER_WINDOW = 20
LOOKUP_WINDOW_SECONDS = 15 * 60


def lookup_rate_limited(request: HttpRequest, *, scope: str) -> bool:
    """Count one lookup of a reference from this connection; True once over the limit."""
    try:
        ip = get_account_adapter().get_client_ip(request)
    except PermissionDenied:
        ip = "unknown"
    # A hash, so that the cache holds no address.
    key = f"counselling:lookup:{scope}:{hashlib.sha256(ip.encode()).hexdigest()[:32]}"
    cache.add(key, 0, timeout=LOOKUP_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=LOOKUP_WINDOW_SECONDS)
        count = 1
    return count > LOOKUPS_PER_WINDOW


def too_many_lookups(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


def viewer_of(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None  # type: ignore[return-value]


def request_language() -> str:
    code = (get_language() or "en").split("-")[0]
    return code if code in services.REQUEST_LANGUAGES else "en"


# --- Public pages ---------------------------------------------------------------------------


@sensitive_post_parameters("question", "contact")
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """The public question form; on success, the page with the reference code."""
    countries = selectors.intake_country_codes()
    form = InformationRequestForm(request.POST if request.method == "POST" else None, countries=countries)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.information_request_create(
                country=data["country"],
                language=request_language(),
                topic=data["topic"],
                question=data["question"],
                contact_method=data["contact_method"],
                contact=data["contact"],
                requester=viewer_of(request),
                form_token=data["form_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return render(request, "counselling/intake/sent.html", {"item": created})
    return render(request, "counselling/intake/ask.html", {"form": form, "has_countries": bool(countries)})


@sensitive_post_parameters("reference")
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    """Status and answer of a question, for whoever has its reference code."""
    form = ReferenceForm(request.POST if request.method == "POST" else None)
    found = None
    if request.method == "POST":
        if lookup_rate_limited(request, scope="intake"):
            return too_many_lookups(request)
        if form.is_valid():
            reference = services.reference_normalise(form.cleaned_data["reference"])
            found = selectors.information_request_get_by_reference(reference=reference)
            if found is None:
                form.add_error(
                    "reference",
                    _(
                        "We found no question with this reference code. "
                        "Check each letter and number and try again."
                    ),
                )
    return render(
        request,
        "counselling/intake/check.html",
        {"form": form, "item": found, "country": country_name(found.country) if found else ""},
    )


# --- Coordinators: triage -------------------------------------------------------------------


@coordinator_view
@require_GET
def triage(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Questions about the organisation's countries, filtered by status, newest or oldest first."""
    user: User = request.user  # type: ignore[assignment]
    form = StatusFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {"status": "", "order": ""}
    found = selectors.information_request_list_for_coordinator(
        organisation=organisation, status=filters["status"], oldest_first=filters["order"] == "oldest"
    ).defer("answer")
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "counselling/intake/triage.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "query": query,
            "zone": user.time_zone,
            "new_count": selectors.information_request_new_count(organisation=organisation),
        },
    )


def _triaged_or_404(organisation: Organisation, request_id: int) -> InformationRequest:
    found = selectors.information_request_get_for_coordinator(
        organisation=organisation, request_id=request_id
    )
    if found is None:
        raise Http404
    return found


def _counsellor_choices(found: InformationRequest, organisation: Organisation) -> list[tuple[int, str]]:
    return [
        (c.pk, c.display_name)
        for c in selectors.information_request_counsellor_choices(request=found, organisation=organisation)
    ]


def _contact_for(found: InformationRequest, user: User) -> tuple[str, bool]:
    """The contact in clear (its reading is logged) and whether it could not be read."""
    try:
        return services.information_request_contact_read(request=found, reader=user), False
    except crypto.DecryptionError:
        return "", True


def _triage_page(
    request: HttpRequest, organisation: Organisation, found: InformationRequest, assign_form: AssignForm
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    contact, unreadable = _contact_for(found, user)
    return render(
        request,
        "counselling/intake/triage_detail.html",
        {
            "organisation": organisation,
            "item": found,
            "country": country_name(found.country),
            "language": language_name(found.language),
            "contact": contact,
            "contact_unreadable": unreadable,
            "assign_form": assign_form,
            "can_assign": found.status in selectors.OPEN_STATUSES,
            "zone": user.time_zone,
        },
    )


@coordinator_view
@require_GET
def triage_detail(request: HttpRequest, organisation: Organisation, request_id: int) -> HttpResponse:
    found = _triaged_or_404(organisation, request_id)
    form = AssignForm(
        initial={"counsellor": found.assigned_to_id}, counsellors=_counsellor_choices(found, organisation)
    )
    return _triage_page(request, organisation, found, form)


@coordinator_view
@require_POST
def assign(request: HttpRequest, organisation: Organisation, request_id: int) -> HttpResponse:
    found = _triaged_or_404(organisation, request_id)
    form = AssignForm(request.POST, counsellors=_counsellor_choices(found, organisation))
    if form.is_valid():
        counsellor = User.objects.filter(pk=form.cleaned_data["counsellor"]).first()
        try:
            if counsellor is None:
                raise ValidationError({"counsellor": _("Choose a counsellor.")})
            services.information_request_assign(request=found, counsellor=counsellor, by=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Assigned to %(name)s. They have been told.") % {"name": counsellor.display_name},  # type: ignore[union-attr]
            )
            return redirect("counselling:intake_triage_detail", found.pk)
    return _triage_page(request, organisation, found, form)


@coordinator_view
@require_POST
def close(request: HttpRequest, organisation: Organisation, request_id: int) -> HttpResponse:
    found = _triaged_or_404(organisation, request_id)
    try:
        services.information_request_close(request=found, by=request.user)  # type: ignore[arg-type]
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("The request is closed."))
    return redirect("counselling:intake_triage_detail", found.pk)


# --- Counsellors: requests assigned to them --------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    found = selectors.information_request_list_for_counsellor(counsellor=user)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "counselling/intake/mine.html",
        {
            "page": page,
            "zone": user.time_zone,
            "open_count": selectors.information_request_assigned_count(counsellor=user),
        },
    )


@sensitive_post_parameters("answer")
@role_required(Role.COUNSELLOR)
@require_http_methods(["GET", "POST"])
def mine_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request assigned to the counsellor, and the form to answer it."""
    user: User = request.user  # type: ignore[assignment]
    found = selectors.information_request_get_for_counsellor(counsellor=user, request_id=request_id)
    if found is None:
        raise Http404
    answerable = found.status in (InformationRequest.Status.ASSIGNED, InformationRequest.Status.ANSWERED)
    form = AnswerForm(request.POST if request.method == "POST" else None, initial={"answer": found.answer})
    if request.method == "POST" and form.is_valid():
        try:
            services.information_request_answer(
                request=found, counsellor=user, answer=form.cleaned_data["answer"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your answer is saved. The person can read it with their reference code.")
            )
            return redirect("counselling:intake_mine_detail", found.pk)
    contact, unreadable = _contact_for(found, user)
    return render(
        request,
        "counselling/intake/mine_detail.html",
        {
            "item": found,
            "country": country_name(found.country),
            "language": language_name(found.language),
            "contact": contact,
            "contact_unreadable": unreadable,
            "form": form if answerable else None,
            "zone": user.time_zone,
        },
    )


urlpatterns: list[URLPattern] = [
    path("ask/", ask, name="intake_ask"),
    path("ask/check/", check, name="intake_check"),
    path("organisation/requests/", triage, name="intake_triage"),
    path("organisation/requests/<int:request_id>/", triage_detail, name="intake_triage_detail"),
    path("organisation/requests/<int:request_id>/assign/", assign, name="intake_assign"),
    path("organisation/requests/<int:request_id>/close/", close, name="intake_close"),
    path("requests/", mine, name="intake_mine"),
    path("requests/<int:request_id>/", mine_detail, name="intake_mine_detail"),
]
