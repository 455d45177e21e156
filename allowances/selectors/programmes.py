"""Reads for coordinators' programme pages, scoped to their organisation and already joined."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import Organisation
from allowances.models import Entitlement, Period, Programme, RuleVersion


def programme_list_for_organisation(*, organisation: Organisation) -> QuerySet[Programme]:
    """The organisation's programmes with the number of people who joined and have not left."""
    return Programme.objects.filter(organisation=organisation).annotate(
        people=Count("consents", filter=Q(consents__withdrawn_at__isnull=True))
    )


def programme_get_for_organisation(*, organisation: Organisation, programme_id: int) -> Programme | None:
    return programme_list_for_organisation(organisation=organisation).filter(pk=programme_id).first()


def period_list(*, programme: Programme) -> QuerySet[Period]:
    """The programme's periods, newest first, with each one's entitlement count and total."""
    return (
        Period.objects.filter(programme=programme)
        .select_related("rule_version", "closed_by")
        .annotate(granted=Count("entitlements"), total_minor=Sum("entitlements__amount_minor"))
        .order_by("-starts_on")
    )


def last_closed_periods(*, programmes: list[Programme]) -> dict[int, Period]:
    """Each programme's most recent closed period, with its totals (one query for all)."""
    found: dict[int, Period] = {}
    closed = (
        Period.objects.filter(programme__in=programmes, closed_at__isnull=False)
        .annotate(granted=Count("entitlements"), total_minor=Sum("entitlements__amount_minor"))
        .order_by("programme_id", "-starts_on")
    )
    for period in closed:
        found.setdefault(period.programme_id, period)
    return found


@dataclass(frozen=True)
class VersionUse:
    version: RuleVersion
    periods: list[Period]


def rule_history(*, programme: Programme) -> list[VersionUse]:
    """Every rule version, newest first, with the closed periods that used it."""
    versions = list(programme.rule_versions.select_related("created_by").order_by("-version"))
    used: dict[int, list[Period]] = {}
    for period in Period.objects.filter(programme=programme, closed_at__isnull=False).order_by("starts_on"):
        if period.rule_version_id is not None:
            used.setdefault(period.rule_version_id, []).append(period)
    return [VersionUse(v, used.get(v.pk, [])) for v in versions]


def entitlement_list(*, period: Period) -> QuerySet[Entitlement]:
    return (
        Entitlement.objects.filter(period=period)
        .select_related("beneficiary")
        .order_by("beneficiary__display_name", "pk")
    )


def period_get(*, programme: Programme, period_id: int) -> Period | None:
    return period_list(programme=programme).filter(pk=period_id).first()


def is_ended(period: Period, today: date) -> bool:
    return period.ends_on < today
