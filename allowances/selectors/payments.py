"""Reads for disbursements, scoped to a coordinator's organisation and already joined."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from accounts.models import Organisation
from allowances.models import ACTIVE_PAYMENT, Batch, Entitlement, Payment, Period


def batch_list_for_organisation(*, organisation: Organisation) -> QuerySet[Batch]:
    return (
        Batch.objects.filter(programme__organisation=organisation)
        .select_related("programme", "period", "prepared_by", "approved_by")
        .annotate(
            payment_count=Count("payments"),
            total_minor=Sum("payments__amount_minor", filter=~Q(payments__status=Payment.Status.CANCELLED)),
        )
        .order_by("-prepared_at", "-pk")
    )


def batch_get_for_organisation(*, organisation: Organisation, batch_id: int) -> Batch:
    batch = (
        Batch.objects.filter(pk=batch_id, programme__organisation=organisation)
        .select_related("programme", "period", "prepared_by", "approved_by")
        .first()
    )
    if batch is None:
        raise Http404
    return batch


def payment_list_for_batch(*, batch: Batch) -> QuerySet[Payment]:
    return (
        batch.payments.select_related("entitlement__beneficiary", "reissue_of")
        .prefetch_related("reissued_as")
        .order_by("pk")
    )


def payment_get_for_organisation(*, organisation: Organisation, payment_id: int) -> Payment:
    payment = (
        Payment.objects.filter(pk=payment_id, batch__programme__organisation=organisation)
        .select_related("batch__programme", "entitlement")
        .first()
    )
    if payment is None:
        raise Http404
    return payment


@dataclass(frozen=True)
class StatusTotal:
    status: str
    label: str
    count: int
    amount_minor: int


def batch_totals(*, batch: Batch) -> tuple[list[StatusTotal], int]:
    """Count and amount per payment status, and the fees, in one query."""
    rows = {
        r["status"]: r
        for r in batch.payments.values("status").annotate(
            n=Count("pk"), amount=Sum("amount_minor"), fees=Sum("fee_minor")
        )
    }
    totals = [
        StatusTotal(s.value, str(s.label), rows[s.value]["n"], rows[s.value]["amount"] or 0)
        for s in Payment.Status
        if s.value in rows
    ]
    fees = sum(r["fees"] or 0 for r in rows.values())
    return totals, fees


def periods_ready_to_pay(*, organisation: Organisation) -> QuerySet[Period]:
    """Closed periods of the organisation's programmes with an entitlement not being paid."""
    unpaid = Entitlement.objects.exclude(payments__status__in=ACTIVE_PAYMENT).values("period_id")
    return (
        Period.objects.filter(programme__organisation=organisation, closed_at__isnull=False, pk__in=unpaid)
        .select_related("programme")
        .order_by("-starts_on", "programme__name")
    )
