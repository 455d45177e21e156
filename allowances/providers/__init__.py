"""Payment providers: adapters behind one interface.

A provider receives the payments of an approved batch (`submit`) and reports what became of each
one as `ProviderOutcome`s, whatever the channel: a signed callback to the API, a result file
uploaded by a coordinator, or (the simulated provider) at once. Every outcome goes through the
same service, `allowances.services.payments.provider_event_apply`, which records it as a
`ProviderEvent` keyed by (provider, event id): the same outcome twice changes nothing.

- `payout_file`: a CSV for a mobile-money or top-up operator, and the operator's result CSV.
- `simulated`: for the demo and tests; delivers or fails deterministically.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

from allowances.models import Payment


@dataclass(frozen=True)
class ProviderOutcome:
    """What a provider says about one payment. `reference` is the payment's idempotency key;
    amounts are integer minor units (None when the provider did not say)."""

    event_id: str
    reference: str
    status: str  # "delivered" or "failed"
    amount_minor: int | None = None
    currency: str | None = None
    fee_minor: int = 0
    transaction_id: str = ""
    reason: str = ""


@dataclass
class Submission:
    """What handing payments to a provider produced: a file for an operator, and/or outcomes
    already known (the simulated provider)."""

    file: bytes | None = None
    filename: str = ""
    content_type: str = "text/csv; charset=utf-8"
    outcomes: list[ProviderOutcome] = field(default_factory=list)


class Provider(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def label(self) -> "str | _StrPromise": ...

    def submit(self, payments: Sequence[Payment]) -> Submission:
        """Hand these payments (all `sent`) to the provider."""
        ...


def providers() -> dict[str, Provider]:
    from allowances.providers.payout_file import PayoutFileProvider
    from allowances.providers.simulated import SimulatedProvider

    found: list[Provider] = [PayoutFileProvider(), SimulatedProvider()]
    return {p.name: p for p in found}


def provider_get(name: str) -> Provider | None:
    return providers().get(name)


def provider_choices() -> "list[tuple[str, str | _StrPromise]]":
    return [(p.name, p.label) for p in providers().values()]
