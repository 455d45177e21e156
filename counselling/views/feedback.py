"""Feedback and complaints (anyone, with a reference code to follow them), the coordinators'
queue, and clients' ratings of their appointments with the figures counsellors and
coordinators see."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organisation, User
from accounts.reference import country_name
from booking import selectors as booking_selectors
from booking.views.coordinator import coordinator_view
from counselling import crypto
from counselling.forms_feedback import (
    FeedbackFilterForm,
    FeedbackForm,
    FeedbackUpdateForm,
    RatingCommentForm,
    RatingForm,
)
from counselling.forms_intake import ReferenceForm
from counselling.selectors import feedback as selectors
from counselling.services import feedback as services
from counselling.services.intake import reference_normalise
from counselling.views.intake import lookup_rate_limited, request_language, too_many_lookups, viewer_of
from frontend.forms import apply_errors, flash_errors

PER_PAGE = 25


@sensitive_post_parameters("body", "contact")
@require_http_methods(["GET", "POST"])
def feedback_new(request: HttpRequest) -> HttpResponse:
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.feedback_create(
                kind=data["kind"],
                about=data["about"],
                country=data["country"],
                language=request_language(),
                body=data["body"],
                contact_method=data["contact_method"],
                contact=data["contact"],
                sender=viewer_of(request),
                form_token=data["form_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return render(request, "counselling/feedback/sent.html", {"item": item})
    return render(request, "counselling/feedback/new.html", {"form": form})


@sensitive_post_parameters("reference")
@require_http_methods(["GET", "POST"])
def feedback_check(request: HttpRequest) -> HttpResponse:
    form = ReferenceForm(request.POST if request.method == "POST" else None)
    found = None
    if request.method == "POST":
        if lookup_rate_limited(request, scope="feedback"):
            return too_many_lookups(request)
        if form.is_valid():
            found = selectors.feedback_get_by_reference(
                reference=reference_normalise(form.cleaned_data["reference"])
            )
            if found is None:
                form.add_error(
                    "reference",
                    _(
                        "We found nothing with this reference code. "
                        "Check each letter and number and try again."
                    ),
                )
    return render(request, "counselling/feedback/check.html", {"form": form, "item": found})


# --- Coordinators ---------------------------------------------------------------------------


@coordinator_view
@require_GET
def queue(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = FeedbackFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {"status": "", "kind": ""}
    found = selectors.feedback_list_for_coordinator(organisation=organisation, **filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "counselling/feedback/queue.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "zone": user.time_zone,
        },
    )


@sensitive_post_parameters("response")
@coordinator_view
@require_http_methods(["GET", "POST"])
def queue_detail(request: HttpRequest, organisation: Organisation, feedback_id: int) -> HttpResponse:
    """One item: what was sent, how to reach the sender (its reading is logged), and the form to
    move it on."""
    user: User = request.user  # type: ignore[assignment]
    item = selectors.feedback_get_for_coordinator(organisation=organisation, feedback_id=feedback_id)
    if item is None:
        raise Http404
    form = FeedbackUpdateForm(
        request.POST if request.method == "POST" else None,
        initial={
            "response": item.response,
            "status": "resolved" if item.status == "in_review" else "in_review",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_update(
                feedback=item,
                by=user,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Saved. If the sender left a contact, they are told that the status changed.")
            )
            return redirect("counselling:feedback_item", item.pk)
    try:
        contact, unreadable = services.feedback_contact_read(feedback=item, reader=user), False
    except crypto.DecryptionError:
        contact, unreadable = "", True
    return render(
        request,
        "counselling/feedback/item.html",
        {
            "organisation": organisation,
            "item": item,
            "country": country_name(item.country) if item.country else "",
            "contact": contact,
            "contact_unreadable": unreadable,
            "form": form if item.status != item.Status.RESOLVED else None,
            "zone": user.time_zone,
        },
    )


@coordinator_view
@require_GET
def ratings(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Per counsellor of the organisation: how many ratings and their average."""
    return render(
        request,
        "counselling/feedback/ratings.html",
        {
            "organisation": organisation,
            "rows": selectors.session_rating_summary_for_organisation(organisation=organisation),
        },
    )


# --- Session ratings (the client) -------------------------------------------------------------


def _appointment_or_404(request: HttpRequest, appointment_id: int):  # type: ignore[no-untyped-def]
    appointment = booking_selectors.appointment_get_for_party(
        user=request.user, appointment_id=appointment_id
    )  # type: ignore[arg-type]
    if appointment is None:
        raise Http404
    return appointment


@require_POST
@login_required
def rate(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
        return redirect("booking:appointment", appointment.pk)
    try:
        _rating, created = services.session_rating_create(
            appointment=appointment,
            rater=request.user,  # type: ignore[arg-type]
            stars=form.cleaned_data["stars"],
            now=timezone.now(),
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(request, _("Thank you for your rating."))
        else:
            messages.info(request, _("You have already rated this appointment."))
    return redirect("booking:appointment", appointment.pk)


@require_POST
@login_required
def rate_comment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    rating = selectors.session_rating_get(appointment=appointment)
    if rating is None or rating.rater_id != request.user.pk:
        raise Http404
    form = RatingCommentForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
        return redirect("booking:appointment", appointment.pk)
    try:
        services.session_rating_comment(
            rating=rating, rater=request.user, comment=form.cleaned_data["comment"]
        )  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you. Your comment is saved."))
    return redirect("booking:appointment", appointment.pk)


urlpatterns: list[URLPattern] = [
    path("feedback/", feedback_new, name="feedback_new"),
    path("feedback/check/", feedback_check, name="feedback_check"),
    path("organisation/feedback/", queue, name="feedback_queue"),
    path("organisation/feedback/<int:feedback_id>/", queue_detail, name="feedback_item"),
    path("organisation/ratings/", ratings, name="org_ratings"),
    path("booking/<int:appointment_id>/rating/", rate, name="rate"),
    path("booking/<int:appointment_id>/rating/comment/", rate_comment, name="rate_comment"),
]
