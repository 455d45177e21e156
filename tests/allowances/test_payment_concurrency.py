"""Disbursement requests under real concurrency: PostgreSQL (run by .ci/run where reachable)."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from allowances.models import Batch, LedgerTransaction, Payment
from allowances.providers import ProviderOutcome
from allowances.services import payments as services
from allowances.services.contacts import payout_contact_set
from tests.allowances.payment_helpers import closed_period, entitled, programme_with_team
from tests.concurrency import run_together
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcome_of(call) -> str:
    try:
        return f"paid:{call().pk}"
    except ValidationError as error:
        return str(error.code)


def test_ten_simultaneous_requests_for_one_beneficiary_never_exceed_the_caps():
    # Ten closed months owed to one person; the lifetime cap allows three payments. Each thread
    # asks for another month, so only the lock on the person keeps the sum within the cap.
    programme, maker, _checker = programme_with_team(amount=1000, cap=1000, lifetime_cap=3000)
    person = make_user(Role.MIGRANT)
    payout_contact_set(user=person, method="airtime", value="+2348039990000")
    calls = []
    for month in range(1, 11):
        period = closed_period(programme, month)
        entitlement = entitled(period, person)
        batch = Batch.objects.create(
            programme=programme, period=period, provider="simulated", prepared_by=maker
        )
        calls.append(
            lambda e=entitlement, b=batch: outcome_of(
                lambda: services.payment_request(
                    entitlement=e, batch=b, actor=maker, idempotency_key=uuid.uuid4()
                )
            )
        )

    outcomes = run_together(calls)

    assert sum(o.startswith("paid:") for o in outcomes) == 3, outcomes
    assert outcomes.count("cap_lifetime") == 7, outcomes
    assert (
        sum(Payment.objects.filter(entitlement__beneficiary=person).values_list("amount_minor", flat=True))
        == 3000
    )


def test_ten_simultaneous_requests_for_one_entitlement_make_one_active_payment():
    programme, maker, _checker = programme_with_team(amount=1000, cap=1000)
    period = closed_period(programme)
    entitlement = entitled(period)
    batch = Batch.objects.create(programme=programme, period=period, provider="simulated", prepared_by=maker)

    outcomes = run_together(
        [
            lambda: outcome_of(
                lambda: services.payment_request(
                    entitlement=entitlement, batch=batch, actor=maker, idempotency_key=uuid.uuid4()
                )
            )
            for _ in range(10)
        ]
    )

    assert sum(o.startswith("paid:") for o in outcomes) == 1, outcomes
    assert outcomes.count("already_active") == 9, outcomes
    assert Payment.objects.count() == 1


def test_ten_parallel_requests_with_one_key_make_one_payment_and_one_ledger_transaction():
    programme, maker, _checker = programme_with_team(amount=1000, cap=1000)
    period = closed_period(programme)
    entitlement = entitled(period)
    batch = Batch.objects.create(programme=programme, period=period, provider="simulated", prepared_by=maker)
    key = uuid.uuid4()

    outcomes = run_together(
        [
            lambda: outcome_of(
                lambda: services.payment_request(
                    entitlement=entitlement, batch=batch, actor=maker, idempotency_key=key
                )
            )
            for _ in range(10)
        ]
    )

    assert len(set(outcomes)) == 1 and outcomes[0].startswith("paid:"), outcomes
    payment = Payment.objects.get()
    services.payment_transition(payment=payment, to="sent", actor=maker)
    delivered = ProviderOutcome("evt-once", str(key), "delivered", 1000, programme.currency, 7)

    applied = run_together(
        [
            lambda: services.provider_event_apply(provider="simulated", outcome=delivered).changed
            for _ in range(10)
        ]
    )

    assert sorted(applied, key=str) == [False] * 9 + [True], applied
    assert LedgerTransaction.objects.filter(payment=payment).count() == 1
    assert Payment.objects.get().status == "delivered"
