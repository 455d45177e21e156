"""Disbursements: batches (maker-checker), payments (idempotent, one active per entitlement,
within the programme's caps), their state machine, and what providers report.

Payment states: pending -> sent -> delivered | failed; pending -> cancelled. A failed payment
stays failed; re-issuing makes a new payment linked to it (`reissue_of`).

Batch states: draft -> submitted -> approved | rejected; approved -> sent -> closed (when every
payment is final). The person who prepared a batch never approves or rejects it (here and the
`batch_checker_is_not_maker` constraint).

Concurrency: a payment request locks the beneficiary's row (SELECT ... FOR UPDATE) before it
reads what they already have, so concurrent requests for one person queue and each sees the
others' payments: the caps hold. The database adds `payment_one_active` and the unique
idempotency key; a request that loses a race on them gets the first payment (same key) or a clear
refusal, never a 500.

Ledger: a delivered payment posts Dr payable (beneficiary) / Cr funding for the amount, and
Dr fees / Cr funding for the fee, under the key `payment:<id>:delivered`; a failure posts nothing.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from allowances.models import (
    ACTIVE_PAYMENT,
    Batch,
    Entitlement,
    LedgerAccount,
    LedgerTransaction,
    Payment,
    PayoutContact,
    Period,
    Programme,
    ProviderEvent,
)
from allowances.money import KNOWN_CURRENCIES
from allowances.providers import ProviderOutcome, Submission, provider_get
from allowances.services.audit import audit_append
from allowances.services.contacts import duplicate_contacts
from allowances.services.ledger import Leg, account_for, ledger_post

S = Payment.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED, S.FAILED}),
    S.DELIVERED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset({S.DELIVERED, S.FAILED, S.CANCELLED})


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _require_coordinator(actor: User, programme: Programme) -> None:
    if not actor.has_role(Role.COORDINATOR) or actor.organisation_id != programme.organisation_id:
        raise PermissionDenied(_("Only coordinators of the programme's organisation may do this."))


# --- Payments ----------------------------------------------------------------------------------


def _same_request(existing: Payment, entitlement: Entitlement) -> Payment:
    if existing.entitlement_id != entitlement.pk:
        raise _refuse(
            _("This request id was already used for another payment; nothing was changed."),
            "idempotency_conflict",
        )
    return existing


def payment_request(
    *,
    entitlement: Entitlement,
    batch: Batch,
    actor: User,
    idempotency_key: uuid.UUID,
    method: str | None = None,
    reissue_of: Payment | None = None,
) -> Payment:
    """A payment of `entitlement` in `batch`; the same key again returns the first payment."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_request(existing, entitlement)
    try:
        with transaction.atomic():
            # Every request for one person queues here (see the module docstring).
            User.objects.select_for_update().filter(pk=entitlement.beneficiary_id).values_list("pk").first()
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_request(existing, entitlement)
            payment = _payment_create(
                entitlement=entitlement,
                batch=batch,
                actor=actor,
                idempotency_key=idempotency_key,
                method=method,
                reissue_of=reissue_of,
            )
    except IntegrityError:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, entitlement)
        raise _refuse(
            _("This allowance already has a payment that is waiting, sent or delivered."), "already_active"
        ) from None
    return payment


def _payment_create(
    *,
    entitlement: Entitlement,
    batch: Batch,
    actor: User,
    idempotency_key: uuid.UUID,
    method: str | None,
    reissue_of: Payment | None,
) -> Payment:
    period = Period.objects.select_related("programme").get(pk=entitlement.period_id)
    programme = period.programme
    if batch.period_id != period.pk:
        raise _refuse(_("This allowance belongs to another period than the batch."), "wrong_period")
    if Payment.objects.filter(entitlement=entitlement, status__in=ACTIVE_PAYMENT).exists():
        raise _refuse(
            _("This allowance already has a payment that is waiting, sent or delivered."), "already_active"
        )
    mine = Payment.objects.filter(
        entitlement__beneficiary_id=entitlement.beneficiary_id,
        entitlement__period__programme=programme,
        status__in=ACTIVE_PAYMENT,
    )
    in_period = mine.filter(entitlement__period=period).aggregate(t=Sum("amount_minor"))["t"] or 0
    in_all = mine.aggregate(t=Sum("amount_minor"))["t"] or 0
    amount = entitlement.amount_minor
    if in_period + amount > programme.cap_per_period_minor:
        raise _refuse(_("This payment would go over the most one person may get in a period."), "cap_period")
    if in_all + amount > programme.lifetime_cap_minor:
        raise _refuse(_("This payment would go over the most one person may get in all."), "cap_lifetime")
    if method is None:
        contact = PayoutContact.objects.filter(user_id=entitlement.beneficiary_id).first()
        if contact is None:
            raise _refuse(_("This person has not said where to send their allowance."), "no_contact")
        method = contact.method
    if programme.methods and method not in programme.methods:
        raise _refuse(_("The programme does not pay this way."), "method")
    now = timezone.now()
    with transaction.atomic():
        payment = Payment.objects.create(
            entitlement=entitlement,
            batch=batch,
            method=method,
            amount_minor=amount,
            currency=entitlement.currency,
            idempotency_key=idempotency_key,
            reissue_of=reissue_of,
            created_at=now,
            updated_at=now,
        )
        audit_append(
            actor=actor,
            action="payment.create",
            obj=payment,
            data={
                "batch": batch.pk,
                "entitlement": entitlement.pk,
                "amount_minor": amount,
                "currency": payment.currency,
                "reissue_of": reissue_of.pk if reissue_of else None,
            },
        )
    return payment


def payment_transition(
    *, payment: Payment, to: str, actor: User | None, data: dict[str, object] | None = None
) -> Payment:
    """Move a payment to state `to` when the state machine allows it; refuse otherwise."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if to not in TRANSITIONS.get(locked.status, frozenset()):
            raise _refuse(
                _("A payment that is “%(now)s” cannot become “%(to)s”.")
                % {"now": S(locked.status).label, "to": S(to).label if to in S.values else to},
                "transition",
            )
        before = locked.status
        locked.status = to
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        audit_append(actor=actor, action=f"payment.{to}", obj=locked, data={"from": before, **(data or {})})
    payment.status, payment.updated_at = locked.status, locked.updated_at
    return locked


def payment_cancel(*, payment: Payment, actor: User) -> Payment:
    """Cancel a payment that has not been sent."""
    return payment_transition(payment=payment, to=S.CANCELLED, actor=actor)


def payment_reissue(*, payment: Payment, actor: User, idempotency_key: uuid.UUID) -> Payment:
    """A new payment for a failed one, linked to it, in a draft batch of the actor's (to be
    approved by someone else like any other); the failed payment stays failed."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.reissue_of_id != payment.pk:
            raise _refuse(
                _("This request id was already used for another payment; nothing was changed."),
                "idempotency_conflict",
            )
        return existing
    batch = Batch.objects.select_related("programme").get(pk=payment.batch_id)
    _require_coordinator(actor, batch.programme)
    with transaction.atomic():
        original = Payment.objects.select_for_update().select_related("entitlement").get(pk=payment.pk)
        if original.status != S.FAILED:
            raise _refuse(_("Only a failed payment can be sent again."), "not_failed")
        if Payment.objects.filter(reissue_of=original).exists():
            raise _refuse(_("This payment has already been sent again."), "already_reissued")
        target = (
            Batch.objects.filter(
                period_id=batch.period_id,
                provider=batch.provider,
                status=Batch.Status.DRAFT,
                prepared_by=actor,
            )
            .order_by("-pk")
            .first()
        )
        if target is None:
            target = Batch.objects.create(
                programme=batch.programme,
                period_id=batch.period_id,
                provider=batch.provider,
                prepared_by=actor,
            )
            audit_append(actor=actor, action="batch.prepare", obj=target, data={"reissue_of_batch": batch.pk})
        reissued = payment_request(
            entitlement=original.entitlement,
            batch=target,
            actor=actor,
            idempotency_key=idempotency_key,
            method=original.method,
            reissue_of=original,
        )
    return reissued


# --- Batches -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    batch: Batch
    payments: int
    without_contact: int


def batch_prepare(*, period: Period, provider: str, actor: User) -> Prepared:
    """A draft batch with a payment for every entitlement of the closed `period` that has none
    active; people without a payout contact are counted and left out."""
    programme = Programme.objects.get(pk=period.programme_id)
    _require_coordinator(actor, programme)
    if period.closed_at is None:
        raise _refuse(_("Close the period before paying its allowances."), "period_open")
    if provider_get(provider) is None:
        raise _refuse(_("Choose a provider."), "provider")
    entitlements = list(
        Entitlement.objects.filter(period=period).exclude(payments__status__in=ACTIVE_PAYMENT).order_by("pk")
    )
    with_contact = set(
        PayoutContact.objects.filter(user_id__in=[e.beneficiary_id for e in entitlements]).values_list(
            "user_id", flat=True
        )
    )
    payable = [e for e in entitlements if e.beneficiary_id in with_contact]
    if not payable:
        raise _refuse(
            _("Every allowance of this period is already being paid, or nobody can be paid."), "empty"
        )
    with transaction.atomic():
        batch = Batch.objects.create(programme=programme, period=period, provider=provider, prepared_by=actor)
        count = 0
        for entitlement in payable:
            try:
                payment_request(
                    entitlement=entitlement, batch=batch, actor=actor, idempotency_key=uuid.uuid4()
                )
            except ValidationError as error:
                if error.code not in {"already_active", "cap_period", "cap_lifetime", "method"}:
                    raise
                continue  # Left out; it stays unpaid and shows on the next preparation.
            count += 1
        if count == 0:
            raise _refuse(
                _("Nobody in this period can be paid now (caps reached or methods not allowed)."), "empty"
            )
        audit_append(
            actor=actor,
            action="batch.prepare",
            obj=batch,
            data={"period": period.pk, "provider": provider, "payments": count},
        )
    return Prepared(batch, count, len(entitlements) - len(payable))


def _lock_batch(batch: Batch) -> Batch:
    return Batch.objects.select_for_update().get(pk=batch.pk)


def _batch_status(batch: Batch, locked: Batch, to: str, allowed_from: Iterable[str]) -> None:
    if locked.status not in set(allowed_from):
        raise _refuse(
            _("This batch is “%(now)s”: it cannot become “%(to)s”.")
            % {"now": Batch.Status(locked.status).label, "to": Batch.Status(to).label},
            "batch_state",
        )


def batch_submit(*, batch: Batch, actor: User) -> Batch:
    """The maker hands the draft over for approval."""
    _require_coordinator(actor, batch.programme)
    with transaction.atomic():
        locked = _lock_batch(batch)
        _batch_status(batch, locked, Batch.Status.SUBMITTED, [Batch.Status.DRAFT])
        if locked.prepared_by_id != actor.pk:
            raise PermissionDenied(_("Only the person who prepared this batch submits it."))
        if not locked.payments.filter(status=S.PENDING).exists():
            raise _refuse(_("This batch has no payment waiting."), "empty")
        locked.status = Batch.Status.SUBMITTED
        locked.save(update_fields=["status"])
        audit_append(actor=actor, action="batch.submit", obj=locked)
    return locked


def batch_approve(*, batch: Batch, actor: User, acknowledge_duplicates: bool = False) -> Batch:
    """Another coordinator approves; duplicated contacts must be acknowledged explicitly."""
    _require_coordinator(actor, batch.programme)
    with transaction.atomic():
        locked = _lock_batch(batch)
        _batch_status(batch, locked, Batch.Status.APPROVED, [Batch.Status.SUBMITTED])
        if locked.prepared_by_id == actor.pk:
            raise _refuse(
                _("Someone other than the person who prepared this batch must approve it."), "maker_checker"
            )
        duplicates = duplicate_contacts(batch=locked)
        if duplicates and not acknowledge_duplicates:
            raise _refuse(
                _("Some people share a phone number or wallet with someone else: check them, then confirm."),
                "duplicates",
            )
        locked.status = Batch.Status.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        audit_append(
            actor=actor,
            action="batch.approve",
            obj=locked,
            data={"duplicates_acknowledged": {str(k): v for k, v in duplicates.items()}},
        )
    return locked


def batch_reject(*, batch: Batch, actor: User, reason: str) -> Batch:
    """Another coordinator refuses the batch; its payments are cancelled."""
    _require_coordinator(actor, batch.programme)
    with transaction.atomic():
        locked = _lock_batch(batch)
        _batch_status(batch, locked, Batch.Status.REJECTED, [Batch.Status.SUBMITTED])
        if locked.prepared_by_id == actor.pk:
            raise _refuse(
                _("Someone other than the person who prepared this batch must reject it."), "maker_checker"
            )
        locked.status = Batch.Status.REJECTED
        locked.save(update_fields=["status"])
        audit_append(actor=actor, action="batch.reject", obj=locked, data={"reason": reason[:300]})
        for payment in locked.payments.filter(status=S.PENDING):
            payment_transition(
                payment=payment, to=S.CANCELLED, actor=actor, data={"batch_rejected": locked.pk}
            )
    return locked


def batch_send(*, batch: Batch, actor: User) -> Submission:
    """Hand an approved batch to its provider: its payments become `sent`. Outcomes the provider
    knows at once (simulated) are applied afterwards through the callback path."""
    _require_coordinator(actor, batch.programme)
    provider = provider_get(batch.provider)
    if provider is None:
        raise _refuse(_("This batch's provider is not available."), "provider")
    with transaction.atomic():
        locked = _lock_batch(batch)
        _batch_status(batch, locked, Batch.Status.SENT, [Batch.Status.APPROVED])
        for payment in locked.payments.filter(status=S.PENDING):
            payment_transition(payment=payment, to=S.SENT, actor=actor)
        locked.status = Batch.Status.SENT
        locked.save(update_fields=["status"])
        audit_append(actor=actor, action="batch.send", obj=locked, data={"provider": provider.name})
        submission = provider.submit(list(batch_sent_payments(locked)))
    for outcome in submission.outcomes:
        provider_event_apply(provider=provider.name, outcome=outcome, actor=actor)
    return submission


def batch_sent_payments(batch: Batch) -> Iterable[Payment]:
    return batch.payments.filter(status=S.SENT).select_related("entitlement").order_by("pk")


def batch_export(*, batch: Batch, actor: User) -> Submission:
    """The provider's file of a sent batch (payments still waiting for a result), recorded in
    the audit log, since it holds clear phone numbers."""
    _require_coordinator(actor, batch.programme)
    provider = provider_get(batch.provider)
    if provider is None or Batch.objects.get(pk=batch.pk).status != Batch.Status.SENT:
        raise _refuse(_("Only a batch sent to a payout-file provider has a file."), "no_file")
    submission = provider.submit(list(batch_sent_payments(batch)))
    if submission.file is None:
        raise _refuse(_("Only a batch sent to a payout-file provider has a file."), "no_file")
    audit_append(actor=actor, action="batch.export", obj=batch, data={"provider": provider.name})
    return submission


def _batch_close_if_done(batch_id: int) -> None:
    locked = Batch.objects.select_for_update().get(pk=batch_id)
    if locked.status == Batch.Status.SENT and not locked.payments.exclude(status__in=FINAL).exists():
        locked.status = Batch.Status.CLOSED
        locked.save(update_fields=["status"])
        audit_append(actor=None, action="batch.close", obj=locked)


# --- Provider outcomes ----------------------------------------------------------------------------


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def outcome_check(outcome: ProviderOutcome) -> None:
    """Refuse an outcome whose shape is wrong, before looking anything up."""
    if outcome.status not in (S.DELIVERED, S.FAILED):
        raise _refuse(_("The status is “delivered” or “failed”."), "status")
    if outcome.amount_minor is not None and (not _whole(outcome.amount_minor) or outcome.amount_minor <= 0):
        raise _refuse(
            _("The amount is a positive whole number of the currency's smallest unit (cents)."), "amount"
        )
    if not _whole(outcome.fee_minor) or outcome.fee_minor < 0:
        raise _refuse(_("The fee is a whole number of the currency's smallest unit, zero or more."), "fee")
    if outcome.currency is not None and outcome.currency not in KNOWN_CURRENCIES:
        raise _refuse(_("Unknown currency: use an ISO 4217 code such as EUR."), "currency")
    if not outcome.event_id or len(outcome.event_id) > 128:
        raise _refuse(_("Each report needs its own id (at most 128 characters)."), "event_id")


@dataclass(frozen=True)
class Applied:
    payment: Payment
    changed: bool  # False: this event (or this outcome) was already recorded


def _payment_for_reference(reference: str) -> Payment | None:
    try:
        key = uuid.UUID(str(reference))
    except ValueError:
        return None
    return Payment.objects.select_for_update().filter(idempotency_key=key).first()


def provider_event_apply(*, provider: str, outcome: ProviderOutcome, actor: User | None = None) -> Applied:
    """Apply what a provider says about a payment, once: the same event again changes nothing.
    Refused (ValidationError, nothing changed): a bad shape, an unknown reference (code
    `unknown_reference`), another amount or currency than the payment's, a state change the
    payment cannot make."""
    outcome_check(outcome)
    with transaction.atomic():
        payment = _payment_for_reference(outcome.reference)
        if payment is None or Batch.objects.filter(pk=payment.batch_id, provider=provider).first() is None:
            raise _refuse(_("No payment has this reference."), "unknown_reference")
        seen = ProviderEvent.objects.filter(provider=provider, event_id=outcome.event_id).first()
        if seen is not None:
            if seen.payment_id != payment.pk or seen.outcome != outcome.status:
                raise _refuse(
                    _("This report id was already used for another report; nothing was changed."),
                    "event_conflict",
                )
            return Applied(payment, False)
        if outcome.currency is not None and outcome.currency != payment.currency:
            raise _refuse(
                _("The currency is %(got)s but the payment is in %(expected)s.")
                % {"got": outcome.currency, "expected": payment.currency},
                "wrong_currency",
            )
        if outcome.amount_minor is not None and outcome.amount_minor != payment.amount_minor:
            raise _refuse(_("The amount is not the amount of the payment."), "wrong_amount")
        payload = {
            "status": outcome.status,
            "amount_minor": outcome.amount_minor,
            "currency": outcome.currency,
            "fee_minor": outcome.fee_minor,
            "transaction_id": outcome.transaction_id,
            "reason": outcome.reason[:300],
        }
        if payment.status == outcome.status:
            # The same news under another id (a provider retrying): keep it, change nothing.
            ProviderEvent.objects.create(
                provider=provider,
                event_id=outcome.event_id,
                payment=payment,
                outcome=outcome.status,
                payload=payload,
            )
            return Applied(payment, False)
        payment_transition(
            payment=payment,
            to=outcome.status,
            actor=actor,
            data={"provider": provider, "event": outcome.event_id},
        )
        payment.fee_minor = outcome.fee_minor if outcome.status == S.DELIVERED else 0
        payment.provider_reference = outcome.transaction_id[:128]
        payment.failure_reason = outcome.reason[:300] if outcome.status == S.FAILED else ""
        payment.save(update_fields=["fee_minor", "provider_reference", "failure_reason"])
        ProviderEvent.objects.create(
            provider=provider,
            event_id=outcome.event_id,
            payment=payment,
            outcome=outcome.status,
            payload=payload,
        )
        if outcome.status == S.DELIVERED:
            _post_delivery(payment, actor)
        _batch_close_if_done(payment.batch_id)
    return Applied(payment, True)


def _post_delivery(payment: Payment, actor: User | None) -> LedgerTransaction:
    entitlement = Entitlement.objects.select_related("period__programme", "beneficiary").get(
        pk=payment.entitlement_id
    )
    programme = entitlement.period.programme
    funding = account_for(programme=programme, kind=LedgerAccount.Kind.FUNDING)
    legs = [
        Leg(
            account_for(
                programme=programme, kind=LedgerAccount.Kind.PAYABLE, beneficiary=entitlement.beneficiary
            ),
            payment.amount_minor,
        ),
        Leg(funding, -(payment.amount_minor + payment.fee_minor)),
    ]
    if payment.fee_minor:
        legs.append(Leg(account_for(programme=programme, kind=LedgerAccount.Kind.FEES), payment.fee_minor))
    return ledger_post(
        kind=LedgerTransaction.Kind.DISBURSEMENT,
        memo=f"payment {payment.pk} delivered",
        legs=legs,
        idempotency_key=f"payment:{payment.pk}:delivered",
        actor=actor,
        entitlement=entitlement,
        payment=payment,
    )


@dataclass(frozen=True)
class FileReport:
    applied: int
    already: int


def result_file_apply(*, batch: Batch, content: bytes, actor: User) -> FileReport:
    """Apply an operator's result file to a batch, all or nothing: when any line is refused,
    nothing is applied and the error lists every bad line. Lines already applied count as
    such, so the same file twice changes nothing."""
    from allowances.providers.payout_file import parse_result_file

    _require_coordinator(actor, batch.programme)
    currency_of = {str(k): c for k, c in batch.payments.values_list("idempotency_key", "currency")}
    try:
        lines = parse_result_file(content, currency_of=currency_of)
    except ValueError as error:
        raise _refuse(str(error), "file") from None
    if not lines:
        raise _refuse(_("This file has no lines."), "file")
    errors: list[str] = []
    applied = already = 0
    try:
        with transaction.atomic():
            for line in lines:
                if line.outcome is None:
                    errors.append(_("Line %(n)d: %(error)s") % {"n": line.number, "error": line.error})
                    continue
                try:
                    with transaction.atomic():
                        result = provider_event_apply(
                            provider=batch.provider, outcome=line.outcome, actor=actor
                        )
                except ValidationError as error:
                    errors.append(
                        _("Line %(n)d: %(error)s") % {"n": line.number, "error": " ".join(error.messages)}
                    )
                    continue
                applied += result.changed
                already += not result.changed
            if errors:
                raise _FileRefused
            audit_append(
                actor=actor, action="batch.results", obj=batch, data={"applied": applied, "already": already}
            )
    except _FileRefused:
        raise ValidationError(errors, code="lines") from None
    return FileReport(applied, already)


class _FileRefused(Exception):
    """Rolls back a result file with a bad line."""
