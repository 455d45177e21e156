"""Test data for the people and reports tests, made directly with the models and `ledger_post`
(the way the period-closing and payments services post: entitlement = Dr entitlements / Cr
payable; delivered = Dr payable / Cr funding; fee = Dr fees / Cr funding)."""

import itertools
import uuid
from datetime import date

from accounts.models import Organisation, Role, User
from allowances.models import (
    Batch,
    Consent,
    Entitlement,
    LedgerAccount,
    LedgerTransaction,
    Payment,
    Period,
    Programme,
    RuleVersion,
)
from allowances.services.ledger import Leg, account_for, ledger_post, ledger_reverse
from tests.factories import make_user

_n = itertools.count(1)


def programme_for(coordinator: User, *, currency: str = "EUR", name: str = "Connect") -> Programme:
    return Programme.objects.create(
        name=name,
        funding_source="Demo donor",
        grant_code="GR-1",
        currency=currency,
        period=Programme.Period.MONTHLY,
        amount_per_period_minor=1000,
        cap_per_period_minor=1500,
        lifetime_cap_minor=100_000,
        methods=["airtime", "data_bundle"],
        organisation=coordinator.organisation
        or Organisation.objects.create(name=f"Org {next(_n)}", country="DE"),
        created_by=coordinator,
    )


def period_of(programme: Programme, month: int = 3, year: int = 2025) -> Period:
    rule = RuleVersion.objects.filter(programme=programme).first() or RuleVersion.objects.create(
        programme=programme, version=1, min_lessons_completed=1, created_by=programme.created_by
    )
    starts = date(year, month, 1)
    ends = date(year + (month == 12), month % 12 + 1, 1).replace(day=1)
    from datetime import timedelta

    return Period.objects.get_or_create(
        programme=programme,
        starts_on=starts,
        defaults={"ends_on": ends - timedelta(days=1), "rule_version": rule},
    )[0]


def consent(user: User, programme: Programme, **fields: object) -> Consent:
    return Consent.objects.create(user=user, programme=programme, **fields)


def entitle(user: User, period: Period, amount: int = 1000, evidence: dict | None = None) -> Entitlement:
    programme = period.programme
    entitlement = Entitlement.objects.create(
        period=period,
        beneficiary=user,
        rule_version=period.rule_version,
        amount_minor=amount,
        currency=programme.currency,
        evidence=evidence or {"lessons": [], "active_days": [], "sessions": []},
    )
    ledger_post(
        kind=LedgerTransaction.Kind.ENTITLEMENT,
        memo="granted",
        legs=[
            Leg(account_for(programme=programme, kind=LedgerAccount.Kind.ENTITLEMENTS), amount),
            Leg(account_for(programme=programme, kind=LedgerAccount.Kind.PAYABLE, beneficiary=user), -amount),
        ],
        idempotency_key=f"entitlement:{entitlement.pk}",
        entitlement=entitlement,
    )
    return entitlement


def batch_for(period: Period, *, approved: bool = True) -> Batch:
    maker = make_user(Role.COORDINATOR, mfa=False, organisation=period.programme.organisation)
    checker = make_user(Role.COORDINATOR, mfa=False, organisation=period.programme.organisation)
    return Batch.objects.create(
        programme=period.programme,
        period=period,
        provider="simulated",
        status=Batch.Status.APPROVED if approved else Batch.Status.SUBMITTED,
        prepared_by=maker,
        approved_by=checker if approved else None,
    )


def pay(
    entitlement: Entitlement,
    batch: Batch,
    *,
    status: str = Payment.Status.DELIVERED,
    fee: int = 0,
    reissue_of: Payment | None = None,
    method: str = "airtime",
) -> Payment:
    programme = entitlement.period.programme
    payment = Payment.objects.create(
        entitlement=entitlement,
        batch=batch,
        method=method,
        amount_minor=entitlement.amount_minor,
        fee_minor=fee,
        currency=entitlement.currency,
        idempotency_key=uuid.uuid4(),
        status=status,
        reissue_of=reissue_of,
    )
    funding = account_for(programme=programme, kind=LedgerAccount.Kind.FUNDING)
    if status == Payment.Status.DELIVERED:
        payable = account_for(
            programme=programme, kind=LedgerAccount.Kind.PAYABLE, beneficiary=entitlement.beneficiary
        )
        ledger_post(
            kind=LedgerTransaction.Kind.DISBURSEMENT,
            memo="delivered",
            legs=[Leg(payable, payment.amount_minor), Leg(funding, -payment.amount_minor)],
            idempotency_key=f"delivered:{payment.pk}",
            payment=payment,
        )
    if fee:
        fees = account_for(programme=programme, kind=LedgerAccount.Kind.FEES)
        ledger_post(
            kind=LedgerTransaction.Kind.FEE,
            memo="fee",
            legs=[Leg(fees, fee), Leg(funding, -fee)],
            idempotency_key=f"fee:{payment.pk}",
            payment=payment,
        )
    return payment


def reverse_delivery(payment: Payment) -> None:
    original = LedgerTransaction.objects.get(idempotency_key=f"delivered:{payment.pk}")
    ledger_reverse(original=original, memo="wrong delivery")
