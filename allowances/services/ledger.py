"""The double-entry ledger: every movement of an allowance, in integer minor units.

A transaction is a set of entries (debit positive, credit negative) that sums to zero in each
currency. Rows are never changed or deleted (model guards everywhere, triggers on PostgreSQL,
which also refuse an unbalanced transaction at commit). A mistake is corrected by a reversal: a
new transaction with every entry negated, and a transaction is reversed at most once.

Accounts per programme and currency:
- funding       money the programme holds at its provider (credited when paid out)
- entitlements  allowances granted (debited when a period is closed)
- fees          what providers charge
- payable:<id>  what the programme owes one beneficiary (credited when granted, debited when paid)
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from allowances.models import (
    Entitlement,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Period,
    Programme,
)
from allowances.services.audit import audit_append


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_minor: int


def account_for(*, programme: Programme, kind: str, beneficiary: User | None = None) -> LedgerAccount:
    """The programme's account of `kind` (and, for `payable`, of one beneficiary), created once."""
    if (kind == LedgerAccount.Kind.PAYABLE) != (beneficiary is not None):
        raise ValueError("a payable account belongs to one beneficiary; the others to none")
    code = f"programme:{programme.pk}:{kind}" + (f":{beneficiary.pk}" if beneficiary is not None else "")
    account, _created = LedgerAccount.objects.get_or_create(
        code=code,
        defaults={
            "kind": kind,
            "programme": programme,
            "beneficiary": beneficiary,
            "currency": programme.currency,
        },
    )
    return account


def _check(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise ValidationError(_("A ledger transaction needs at least two entries."), code="too_few_entries")
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if isinstance(leg.amount_minor, bool) or not isinstance(leg.amount_minor, int):
            raise ValidationError(
                _("Amounts are whole numbers of the currency's smallest unit."), code="not_integer"
            )
        if leg.amount_minor == 0:
            raise ValidationError(_("An entry of zero means nothing: leave it out."), code="zero_entry")
        totals[leg.account.currency] += leg.amount_minor
    unbalanced = sorted(currency for currency, total in totals.items() if total != 0)
    if unbalanced:
        raise ValidationError(
            _("The entries do not balance in %(currencies)s.") % {"currencies": ", ".join(unbalanced)},
            code="unbalanced",
        )


def ledger_post(
    *,
    kind: str,
    memo: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    actor: User | None = None,
    period: Period | None = None,
    entitlement: Entitlement | None = None,
    payment: Payment | None = None,
) -> LedgerTransaction:
    """Record a balanced transaction. The same idempotency key again returns the first
    transaction (and changes nothing); the key with other entries is refused."""
    _check(legs)
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_refuse(existing, legs)
    try:
        with transaction.atomic():
            posted = LedgerTransaction.objects.create(
                kind=kind,
                memo=memo[:300],
                idempotency_key=idempotency_key,
                created_by=actor,
                period=period or _period_of(entitlement, payment),
                entitlement=entitlement,
                payment=payment,
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(
                    transaction=posted,
                    account=leg.account,
                    amount_minor=leg.amount_minor,
                    currency=leg.account.currency,
                )
                for leg in legs
            )
            audit_append(
                actor=actor,
                action="ledger.post",
                obj=posted,
                data={"kind": kind, "entries": [[leg.account.code, leg.amount_minor] for leg in legs]},
            )
    except IntegrityError:
        # The same key was posted at the same moment by another request.
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_or_refuse(existing, legs)
    return posted


def _period_of(entitlement: Entitlement | None, payment: Payment | None) -> Period | None:
    if entitlement is None and payment is not None:
        entitlement = payment.entitlement
    return entitlement.period if entitlement is not None else None


def _same_or_refuse(existing: LedgerTransaction, legs: Iterable[Leg]) -> LedgerTransaction:
    stored = sorted(existing.entries.values_list("account_id", "amount_minor"))
    asked = sorted((leg.account.pk, leg.amount_minor) for leg in legs)
    if stored != asked:
        raise ValidationError(
            _("This request was already recorded with other amounts; nothing was changed."),
            code="idempotency_conflict",
        )
    return existing


def ledger_reverse(*, original: LedgerTransaction, memo: str, actor: User | None = None) -> LedgerTransaction:
    """Cancel a transaction by posting its mirror image. A transaction is reversed once, and a
    reversal is never itself reversed (post a new transaction instead)."""
    if original.kind == LedgerTransaction.Kind.REVERSAL:
        raise ValidationError(
            _("A reversal cannot be reversed; record a new transaction."), code="reverse_reversal"
        )
    with transaction.atomic():
        # Lock the original so that two reversals at once queue, and the second one sees the first.
        LedgerTransaction.objects.select_for_update().filter(pk=original.pk).first()
        if LedgerTransaction.objects.filter(reverses=original).exists():
            raise ValidationError(_("This transaction has already been reversed."), code="already_reversed")
        legs = [
            Leg(entry.account, -entry.amount_minor) for entry in original.entries.select_related("account")
        ]
        _check(legs)
        try:
            with transaction.atomic():
                reversal = LedgerTransaction.objects.create(
                    kind=LedgerTransaction.Kind.REVERSAL,
                    memo=memo[:300],
                    idempotency_key=f"reversal:{original.pk}",
                    reverses=original,
                    created_by=actor,
                    period=original.period,
                    entitlement=original.entitlement,
                    payment=original.payment,
                )
        except IntegrityError:
            raise ValidationError(
                _("This transaction has already been reversed."), code="already_reversed"
            ) from None
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                transaction=reversal,
                account=leg.account,
                amount_minor=leg.amount_minor,
                currency=leg.account.currency,
            )
            for leg in legs
        )
        audit_append(actor=actor, action="ledger.reverse", obj=reversal, data={"reverses": original.pk})
    return reversal


def account_balance(account: LedgerAccount) -> int:
    """The sum of an account's entries (debits minus credits), in minor units."""
    return int(account.entries.aggregate(total=Sum("amount_minor"))["total"] or 0)


def ledger_is_balanced() -> bool:
    """Whether every transaction of the whole ledger sums to zero in each currency."""
    return not (
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .exists()
    )
