"""One programme through its whole life, with the real services only: people take part, a
period is closed, a batch is prepared, approved by someone else and sent, the provider reports
back; the report for the period equals the ledger, and the next period is untouched."""

from datetime import date

import pytest

from accounts.models import Role
from allowances.models import Entitlement, LedgerAccount, Payment
from allowances.selectors.reports import ledger_amounts
from allowances.services import payments
from allowances.services.audit import audit_verify
from allowances.services.contacts import payout_contact_set
from allowances.services.ledger import account_balance, account_for, ledger_is_balanced
from allowances.services.periods import period_close, period_for
from tests.allowances.factories import make_participant, make_programme
from tests.allowances.payment_helpers import a_phone
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_month_from_participation_to_delivery_is_reported_as_the_ledger_says():
    maker = make_user(Role.COORDINATOR)
    checker = make_user(Role.COORDINATOR, organisation=maker.organisation)
    programme = make_programme(coordinator=maker, amount=1000)
    january, february = date(2026, 1, 14), date(2026, 2, 10)
    learners = [make_participant(programme=programme, lessons_on=[january]) for _ in range(4)]
    make_participant(programme=programme)  # took part in nothing: no entitlement
    make_participant(programme=programme, lessons_on=[february])  # February only
    for person in learners:
        payout_contact_set(user=person, method="airtime", value=a_phone())

    period = period_for(programme=programme, day=january)
    period_close(programme=programme, period=period, actor=maker)
    assert Entitlement.objects.filter(period=period).count() == 4

    batch = payments.batch_prepare(period=period, provider="simulated", actor=maker).batch
    payments.batch_submit(batch=batch, actor=maker)
    payments.batch_approve(batch=batch, actor=checker, acknowledge_duplicates=True)
    payments.batch_send(batch=batch, actor=checker)

    delivered = Payment.objects.filter(batch=batch, status=Payment.Status.DELIVERED)
    amounts = ledger_amounts(programme=programme, period=period)
    assert amounts.entitled == 4000
    assert amounts.entitled == account_balance(
        account_for(programme=programme, kind=LedgerAccount.Kind.ENTITLEMENTS)
    )
    assert amounts.delivered == sum(p.amount_minor for p in delivered)
    assert amounts.owed == 4000 - amounts.delivered
    assert (
        ledger_amounts(programme=programme, period=period_for(programme=programme, day=february)).entitled
        == 0
    )
    assert ledger_is_balanced()
    assert audit_verify().intact
