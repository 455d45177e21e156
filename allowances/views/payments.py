"""Coordinators' disbursement pages: batches (prepare, submit, approve or reject), sending to
the provider, the payout file, the operator's result file, and re-issuing a failed payment.

Coordinators of the programme's organisation only; a batch of another organisation does not
exist for them (404). Changes are form posts that call a service and come back to the batch.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organisation, Role, User
from accounts.permissions import role_required
from allowances.forms_payments import ApproveForm, BatchPrepareForm, ReissueForm, RejectForm, ResultsForm
from allowances.models import Batch, Payment
from allowances.providers import provider_get
from allowances.selectors import payments as selectors
from allowances.services import payments as services
from allowances.services.contacts import duplicate_contacts
from frontend.forms import apply_errors

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


def _flash(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    for message in getattr(error, "messages", None) or [str(error) or _("You may not do this.")]:
        messages.error(request, message)


@coordinator_view
@require_http_methods(["GET", "POST"])
def batch_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The organisation's batches, newest first, and preparing a new one."""
    user: User = request.user  # type: ignore[assignment]
    form = BatchPrepareForm(
        request.POST or None, periods=selectors.periods_ready_to_pay(organisation=organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            prepared = services.batch_prepare(
                period=form.cleaned_data["period"], provider=form.cleaned_data["provider"], actor=user
            )
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                raise
            apply_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Batch prepared with %(count)d payment.",
                    "Batch prepared with %(count)d payments.",
                    prepared.payments,
                )
                % {"count": prepared.payments},
            )
            if prepared.without_contact:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d person has no payout contact and was left out.",
                        "%(count)d people have no payout contact and were left out.",
                        prepared.without_contact,
                    )
                    % {"count": prepared.without_contact},
                )
            return redirect("allowances:batch", batch_id=prepared.batch.pk)
    batches = selectors.batch_list_for_organisation(organisation=organisation)[:100]
    return render(request, "allowances/payments/batch_list.html", {"batches": batches, "form": form})


@coordinator_view
@require_GET
def batch_detail(request: HttpRequest, organisation: Organisation, batch_id: int) -> HttpResponse:
    """A batch: its payments, statuses, totals, flagged duplicates and the next action."""
    user: User = request.user  # type: ignore[assignment]
    batch = selectors.batch_get_for_organisation(organisation=organisation, batch_id=batch_id)
    duplicates = (
        duplicate_contacts(batch=batch)
        if batch.status in (Batch.Status.DRAFT, Batch.Status.SUBMITTED)
        else {}
    )
    totals, fees = selectors.batch_totals(batch=batch)
    provider = provider_get(batch.provider)
    return render(
        request,
        "allowances/payments/batch_detail.html",
        {
            "batch": batch,
            "payments": selectors.payment_list_for_batch(batch=batch),
            "duplicates": duplicates,
            "totals": totals,
            "fees": fees,
            "provider_label": provider.label if provider else batch.provider,
            "is_maker": batch.prepared_by_id == user.pk,
            "has_file": batch.status == Batch.Status.SENT and batch.provider == "payout_file",
            "approve_form": ApproveForm(),
            "reject_form": RejectForm(),
            "results_form": ResultsForm(),
            "reissue_form": ReissueForm(),
        },
    )


def _batch_action(action: Callable[[HttpRequest, Batch, User], None]) -> View:
    @coordinator_view
    @require_POST
    @wraps(action)
    def view(request: HttpRequest, organisation: Organisation, batch_id: int) -> HttpResponse:
        batch = selectors.batch_get_for_organisation(organisation=organisation, batch_id=batch_id)
        try:
            action(request, batch, request.user)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _flash(request, error)
        return redirect("allowances:batch", batch_id=batch.pk)

    return view


@_batch_action
def batch_submit(request: HttpRequest, batch: Batch, user: User) -> None:
    services.batch_submit(batch=batch, actor=user)
    messages.success(request, _("Sent for approval. Another coordinator approves it."))


@_batch_action
def batch_approve(request: HttpRequest, batch: Batch, user: User) -> None:
    form = ApproveForm(request.POST)
    form.is_valid()
    services.batch_approve(
        batch=batch, actor=user, acknowledge_duplicates=bool(form.cleaned_data.get("acknowledge_duplicates"))
    )
    messages.success(request, _("Approved."))


@_batch_action
def batch_reject(request: HttpRequest, batch: Batch, user: User) -> None:
    form = RejectForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Say why you reject this batch."))
    services.batch_reject(batch=batch, actor=user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Rejected: its payments are cancelled."))


@_batch_action
def batch_send(request: HttpRequest, batch: Batch, user: User) -> None:
    services.batch_send(batch=batch, actor=user)
    messages.success(request, _("Sent to the provider."))


@coordinator_view
@require_GET
def batch_export(request: HttpRequest, organisation: Organisation, batch_id: int) -> HttpResponse:
    """The payout file of a sent batch (clear phone numbers: never cached)."""
    batch = selectors.batch_get_for_organisation(organisation=organisation, batch_id=batch_id)
    try:
        submission = services.batch_export(batch=batch, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        _flash(request, error)
        return redirect("allowances:batch", batch_id=batch.pk)
    response = HttpResponse(submission.file, content_type=submission.content_type)
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-payout.csv"'
    response["Cache-Control"] = "no-store"
    return response


@coordinator_view
@require_http_methods(["GET", "POST"])
def batch_results(request: HttpRequest, organisation: Organisation, batch_id: int) -> HttpResponse:
    """Upload the operator's result file; applied all or nothing, with every bad line listed."""
    batch = selectors.batch_get_for_organisation(organisation=organisation, batch_id=batch_id)
    form = ResultsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.result_file_apply(
                batch=batch,
                content=form.cleaned_data["file"].read(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            messages.success(
                request,
                _("Results applied: %(applied)d new, %(already)d already recorded.")
                % {"applied": report.applied, "already": report.already},
            )
            return redirect("allowances:batch", batch_id=batch.pk)
    status = 400 if form.errors else 200
    return render(request, "allowances/payments/results.html", {"batch": batch, "form": form}, status=status)


@coordinator_view
@require_POST
def payment_reissue(request: HttpRequest, organisation: Organisation, payment_id: int) -> HttpResponse:
    """Send a failed payment again: a new payment in a draft batch, linked to the failed one."""
    payment = selectors.payment_get_for_organisation(organisation=organisation, payment_id=payment_id)
    form = ReissueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please try again."))
        return redirect("allowances:batch", batch_id=payment.batch_id)
    try:
        new: Payment = services.payment_reissue(
            payment=payment,
            actor=request.user,  # type: ignore[arg-type]
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except (ValidationError, PermissionDenied) as error:
        _flash(request, error)
        return redirect("allowances:batch", batch_id=payment.batch_id)
    messages.success(request, _("A new payment is waiting in this batch; submit it for approval."))
    return redirect("allowances:batch", batch_id=new.batch_id)


urlpatterns: list[URLPattern] = [
    path("allowances/batches/", batch_list, name="batches"),
    path("allowances/batches/<int:batch_id>/", batch_detail, name="batch"),
    path("allowances/batches/<int:batch_id>/submit/", batch_submit, name="batch_submit"),
    path("allowances/batches/<int:batch_id>/approve/", batch_approve, name="batch_approve"),
    path("allowances/batches/<int:batch_id>/reject/", batch_reject, name="batch_reject"),
    path("allowances/batches/<int:batch_id>/send/", batch_send, name="batch_send"),
    path("allowances/batches/<int:batch_id>/export.csv", batch_export, name="batch_export"),
    path("allowances/batches/<int:batch_id>/results/", batch_results, name="batch_results"),
    path("allowances/payments/<int:payment_id>/reissue/", payment_reissue, name="payment_reissue"),
]
