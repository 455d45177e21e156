"""A provider that pays nobody, for the demo and tests.

Deterministic: a payment whose amount in minor units ends in 13 fails ("number not reachable"),
and otherwise a random draw seeded by the payment's idempotency key fails `failure_rate` of the
payments; the others are delivered at once with a fee of 1% (rounded down). Its outcomes go
through the same path as a provider's callback (`provider_event_apply`), so the demo exercises
what production does.
"""

import random
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from allowances.models import Payment
from allowances.providers import ProviderOutcome, Submission


class SimulatedProvider:
    name = "simulated"
    label = _("Simulated (demo, nobody is paid)")

    def __init__(self, failure_rate: float = 0.0) -> None:
        self.failure_rate = failure_rate

    def outcome_for(self, payment: Payment) -> ProviderOutcome:
        reference = str(payment.idempotency_key)
        draw = random.Random(reference).random()  # noqa: S311 - a simulation, not a secret
        fails = payment.amount_minor % 100 == 13 or draw < self.failure_rate
        return ProviderOutcome(
            event_id=f"sim:{reference}",
            reference=reference,
            status=Payment.Status.FAILED if fails else Payment.Status.DELIVERED,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            fee_minor=0 if fails else payment.amount_minor // 100,
            transaction_id="" if fails else f"SIM-{reference[:8].upper()}",
            reason="number not reachable" if fails else "",
        )

    def submit(self, payments: Sequence[Payment]) -> Submission:
        return Submission(outcomes=[self.outcome_for(p) for p in payments])
