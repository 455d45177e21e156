"""Periods of a programme and closing them into entitlements.

A period is a calendar week (Monday to Sunday) or month, in UTC calendar days: an activity at
23:30 UTC on a Sunday belongs to that week whatever the person's zone. Simple, and the same for
every programme and every recomputation.

Closing a period (`period_close`) happens once: the period row is locked, a closed period
returns what it already holds, and the ledger transaction has the key `period:<id>:close`.
Closing computes participation for everyone at once (a few aggregate queries), writes the
entitlements and the payable accounts in bulk, and posts ONE ledger transaction for the period.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allowances.models import (
    Entitlement,
    LedgerAccount,
    LedgerTransaction,
    Period,
    Programme,
    RuleVersion,
)
from allowances.selectors.eligibility import (
    consents_for_period,
    entitlement_amount_from_evidence,
    evidence_build,
    latest_assessments,
    lifetime_totals,
    participation_for_period,
)
from allowances.services.audit import audit_append
from allowances.services.ledger import Leg, account_for, ledger_post

log = logging.getLogger(__name__)


def today_utc() -> date:
    return timezone.now().astimezone(UTC).date()


def period_bounds(*, kind: str, day: date) -> tuple[date, date]:
    """First and last day (inclusive) of the weekly or monthly period holding `day`."""
    if kind == Programme.Period.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == Programme.Period.MONTHLY:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise ValueError(f"unknown period kind {kind!r}")


def period_for(*, programme: Programme, day: date) -> Period:
    """The programme's period holding `day`, created once."""
    starts_on, ends_on = period_bounds(kind=programme.period, day=day)
    try:
        with transaction.atomic():
            period, _created = Period.objects.get_or_create(
                programme=programme, starts_on=starts_on, defaults={"ends_on": ends_on}
            )
    except IntegrityError:
        # Created by someone else at the same moment.
        period = Period.objects.get(programme=programme, starts_on=starts_on)
    return period


def periods_ensure(*, programme: Programme, today: date | None = None) -> list[Period]:
    """Rows for every period of the programme from its creation up to the current one."""
    today = today or today_utc()
    day = programme.created_at.astimezone(UTC).date()
    found = []
    while day <= today:
        period = period_for(programme=programme, day=day)
        found.append(period)
        day = period.ends_on + timedelta(days=1)
    return found


@dataclass(frozen=True)
class Closing:
    period: Period
    entitlements: int
    total_minor: int
    # False when the period was already closed and this call changed nothing.
    closed_now: bool


def _summary(period: Period, *, closed_now: bool) -> Closing:
    totals = period.entitlements.aggregate(total=Sum("amount_minor"))
    return Closing(
        period=period,
        entitlements=period.entitlements.count(),
        total_minor=int(totals["total"] or 0),
        closed_now=closed_now,
    )


@dataclass(frozen=True)
class Draft:
    """One person's computed entitlement before it is written."""

    user_id: int
    amount_minor: int
    evidence: dict[str, Any]


def period_compute(*, programme: Programme, period: Period, rule_version: RuleVersion) -> list[Draft]:
    """Everyone's entitlement for the period under `rule_version` (nothing written)."""
    consents = list(consents_for_period(programme=programme, period=period).order_by("user_id"))
    participation = participation_for_period(programme=programme, period=period)
    assessments = latest_assessments(programme=programme, period=period)
    lifetime = lifetime_totals(programme=programme, before=period)
    drafts = []
    for consent in consents:
        evidence = evidence_build(
            programme=programme,
            rule_version=rule_version,
            period=period,
            consent=consent,
            participation=participation.get(consent.user_id),
            assessment=assessments.get(consent.user_id),
            lifetime_before_minor=lifetime.get(consent.user_id, 0),
        )
        amount = entitlement_amount_from_evidence(
            programme=programme, rule_version=rule_version, evidence=evidence
        )
        if amount > 0:
            drafts.append(Draft(consent.user_id, amount, evidence))
    return drafts


def period_preview(*, programme: Programme, period: Period) -> Closing:
    """What closing now would grant: how many people and how much (nothing written)."""
    if period.closed_at is not None:
        return _summary(period, closed_now=False)
    rule_version = programme.rule_versions.order_by("-version").first()
    if rule_version is None:
        return Closing(period, 0, 0, closed_now=False)
    drafts = period_compute(programme=programme, period=period, rule_version=rule_version)
    return Closing(period, len(drafts), sum(d.amount_minor for d in drafts), closed_now=False)


def _payable_accounts(programme: Programme, user_ids: list[int]) -> dict[int, LedgerAccount]:
    """Each beneficiary's payable account, created in bulk (same codes as `account_for`)."""
    prefix = f"programme:{programme.pk}:{LedgerAccount.Kind.PAYABLE}:"
    codes = {prefix + str(user_id): user_id for user_id in user_ids}
    existing = {a.code: a for a in LedgerAccount.objects.filter(code__in=list(codes))}
    missing = [
        LedgerAccount(
            code=code,
            kind=LedgerAccount.Kind.PAYABLE,
            programme=programme,
            beneficiary_id=user_id,
            currency=programme.currency,
        )
        for code, user_id in codes.items()
        if code not in existing
    ]
    if missing:
        LedgerAccount.objects.bulk_create(missing, ignore_conflicts=True, batch_size=2000)
        existing = {a.code: a for a in LedgerAccount.objects.filter(code__in=list(codes))}
    return {user_id: existing[code] for code, user_id in codes.items()}


def period_close(*, programme: Programme, period: Period, actor: User | None) -> Closing:
    """Close an ended period: one entitlement (with its evidence) per eligible person, one
    ledger transaction for them all, the rule version marked used, one audit event. Closing a
    closed period again changes nothing and returns what it holds."""
    if period.programme_id != programme.pk:
        raise ValueError("the period belongs to another programme")
    with transaction.atomic():
        # Lock the period: a second closing waits here, then sees the first one's result.
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.closed_at is not None:
            return _summary(locked, closed_now=False)
        if locked.ends_on >= today_utc():
            raise ValidationError(
                _("This period has not ended yet; it can be closed from %(day)s.")
                % {"day": (locked.ends_on + timedelta(days=1)).isoformat()},
                code="not_ended",
            )
        # Lock the programme too: its rule cannot change while we use it (see rule_update).
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        rule_version = programme.rule_versions.order_by("-version").first()
        if rule_version is None:
            raise ValidationError(_("This programme has no eligibility rule yet."), code="no_rule")
        drafts = period_compute(programme=programme, period=locked, rule_version=rule_version)
        now = timezone.now()
        entitlements = Entitlement.objects.bulk_create(
            [
                Entitlement(
                    period=locked,
                    beneficiary_id=draft.user_id,
                    rule_version=rule_version,
                    amount_minor=draft.amount_minor,
                    currency=programme.currency,
                    evidence=draft.evidence,
                    created_at=now,
                )
                for draft in drafts
            ],
            batch_size=2000,
        )
        total = sum(e.amount_minor for e in entitlements)
        posted: LedgerTransaction | None = None
        if entitlements:
            payable = _payable_accounts(programme, [e.beneficiary_id for e in entitlements])
            legs = [Leg(account_for(programme=programme, kind=LedgerAccount.Kind.ENTITLEMENTS), total)]
            legs += [Leg(payable[e.beneficiary_id], -e.amount_minor) for e in entitlements]
            posted = ledger_post(
                kind=LedgerTransaction.Kind.ENTITLEMENT,
                memo=f"Period {locked.starts_on} to {locked.ends_on} of programme {programme.pk} closed",
                legs=legs,
                idempotency_key=f"period:{locked.pk}:close",
                actor=actor,
                period=locked,
            )
        if rule_version.used_at is None:
            RuleVersion.objects.filter(pk=rule_version.pk, used_at__isnull=True).update(used_at=now)
        locked.rule_version = rule_version
        locked.closed_at = now
        locked.closed_by = actor
        locked.save(update_fields=["rule_version", "closed_at", "closed_by"])
        audit_append(
            actor=actor,
            action="period.close",
            obj=locked,
            data={
                "rule_version": rule_version.pk,
                "entitlements": [e.pk for e in entitlements],
                "total_minor": total,
                "currency": programme.currency,
                "ledger_transaction": posted.pk if posted else None,
            },
        )
    # The caller's instance says what the database now says.
    period.rule_version, period.closed_at, period.closed_by = (
        locked.rule_version,
        locked.closed_at,
        locked.closed_by,
    )
    return Closing(locked, len(entitlements), total, closed_now=True)


def periods_close_ended(*, today: date | None = None) -> int:
    """Close every ended, open period of every active programme (creating period rows as
    needed). Safe to run twice; one programme's failure does not stop the others."""
    today = today or today_utc()
    closed = 0
    for programme in Programme.objects.filter(active=True).order_by("pk"):
        periods_ensure(programme=programme, today=today)
        ended = programme.periods.filter(closed_at__isnull=True, ends_on__lt=today).order_by("starts_on")
        for period in ended:
            try:
                if period_close(programme=programme, period=period, actor=None).closed_now:
                    closed += 1
            except ValidationError as error:
                log.warning(
                    "period %s of programme %s not closed: %s", period.pk, programme.pk, error.messages
                )
    return closed
