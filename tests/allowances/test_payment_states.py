"""The payment state machine under random sequences of events: illegal moves are refused and
change nothing, legal ones are applied, and the invariants hold after every step."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allowances.models import ACTIVE_PAYMENT, Batch, LedgerTransaction, Payment
from allowances.providers import ProviderOutcome
from allowances.services import payments as services
from allowances.services.ledger import ledger_is_balanced
from tests.allowances.payment_helpers import closed_period, entitled, programme_with_team

pytestmark = pytest.mark.django_db

OPS = ("request", "send", "deliver", "fail", "cancel", "reissue", "replay")
events = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 1)), min_size=1, max_size=25)


def latest(entitlement) -> Payment | None:
    return entitlement.payments.order_by("-pk").first()


def check_invariants(entitlements) -> None:
    for entitlement in entitlements:
        assert entitlement.payments.filter(status__in=ACTIVE_PAYMENT).count() <= 1
        delivered = entitlement.payments.filter(status="delivered").aggregate(t=Sum("amount_minor"))["t"] or 0
        assert delivered <= entitlement.amount_minor
    assert ledger_is_balanced()
    assert (
        LedgerTransaction.objects.filter(kind="disbursement").count()
        == Payment.objects.filter(status="delivered").count()
    )


def test_the_allowed_transitions_are_exactly_these():
    S = Payment.Status
    allowed = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}
    assert allowed == {
        (S.PENDING, S.SENT),
        (S.PENDING, S.CANCELLED),
        (S.SENT, S.DELIVERED),
        (S.SENT, S.FAILED),
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=events)
def test_random_event_sequences_keep_the_invariants(sequence):
    with transaction.atomic():
        programme, maker, checker = programme_with_team(amount=1000, cap=1000)
        period = closed_period(programme)
        entitlements = [entitled(period), entitled(period)]
        batch = Batch.objects.create(
            programme=programme, period=period, provider="simulated", prepared_by=maker
        )
        seen: list[ProviderOutcome] = []
        for op, index in sequence:
            entitlement = entitlements[index]
            payment = latest(entitlement)
            before = payment.status if payment else None
            if op == "request":
                legal = payment is None or payment.status not in ACTIVE_PAYMENT
                action = lambda e=entitlement: services.payment_request(  # noqa: E731
                    entitlement=e, batch=batch, actor=maker, idempotency_key=uuid.uuid4()
                )
            elif op == "reissue":
                if payment is None:
                    continue
                legal = payment is not None and payment.status == "failed"
                action = lambda p=payment: services.payment_reissue(  # noqa: E731
                    payment=p, actor=checker, idempotency_key=uuid.uuid4()
                )
            elif op == "replay":
                if not seen:
                    continue
                count = Payment.objects.count(), LedgerTransaction.objects.count()
                assert services.provider_event_apply(provider="simulated", outcome=seen[-1]).changed is False
                assert (Payment.objects.count(), LedgerTransaction.objects.count()) == count
                continue
            else:
                if payment is None:
                    continue
                to = {"send": "sent", "deliver": "delivered", "fail": "failed", "cancel": "cancelled"}[op]
                legal = to in services.TRANSITIONS[payment.status]
                if op in ("deliver", "fail"):
                    outcome = ProviderOutcome(
                        f"e{len(seen)}-{uuid.uuid4()}", str(payment.idempotency_key), to, 1000, "EUR", 3
                    )
                    if to == payment.status:
                        legal = True  # the same news again: recorded, nothing changes

                    def action(o=outcome):
                        result = services.provider_event_apply(provider="simulated", outcome=o)
                        seen.append(o)
                        return result
                else:
                    action = lambda p=payment, t=to: services.payment_transition(payment=p, to=t, actor=maker)  # noqa: E731
            if legal:
                action()
            else:
                with pytest.raises(ValidationError):
                    action()
                after = latest(entitlement)
                assert (after.status if after else None) == before
            check_invariants(entitlements)
        transaction.set_rollback(True)
