"""Starting points for payment tests: a closed period with entitlements, people with payout
contacts, batches in each state. Rows are written directly where another service owns them."""

import itertools
import uuid
from datetime import UTC, date, datetime

from accounts.models import Role, User
from allowances.models import Batch, Entitlement, Period, Programme
from allowances.services import payments as services
from allowances.services.contacts import payout_contact_set
from tests.allowances.factories import make_programme
from tests.factories import make_user

_phones = itertools.count(1000)


def a_phone() -> str:
    return f"+234803{next(_phones):07d}"


def programme_with_team(**fields: object) -> tuple[Programme, User, User]:
    """A programme and two coordinators of its organisation (maker, checker)."""
    maker = make_user(Role.COORDINATOR)
    checker = make_user(Role.COORDINATOR, organisation=maker.organisation)
    return make_programme(coordinator=maker, **fields), maker, checker


def closed_period(programme: Programme, month: int = 1, year: int = 2026) -> Period:
    end = date(year, month, 28)
    return Period.objects.create(
        programme=programme,
        starts_on=date(year, month, 1),
        ends_on=end,
        rule_version=programme.rule_versions.order_by("-version").first(),
        closed_at=datetime(year, month, 28, 23, tzinfo=UTC),
    )


def entitled(
    period: Period, person: User | None = None, amount: int | None = None, phone: str | None = None
) -> Entitlement:
    """An entitlement of `person` (a new migrant with a payout contact unless given)."""
    if person is None:
        person = make_user(Role.MIGRANT)
        payout_contact_set(user=person, method="airtime", value=phone or a_phone())
    return Entitlement.objects.create(
        period=period,
        beneficiary=person,
        rule_version=period.rule_version,
        amount_minor=amount or period.programme.amount_per_period_minor,
        currency=period.programme.currency,
        evidence={},
    )


def approved_batch(period: Period, maker: User, checker: User, provider: str = "simulated") -> Batch:
    batch = services.batch_prepare(period=period, provider=provider, actor=maker).batch
    services.batch_submit(batch=batch, actor=maker)
    return services.batch_approve(batch=batch, actor=checker, acknowledge_duplicates=True)


def key() -> uuid.UUID:
    return uuid.uuid4()
