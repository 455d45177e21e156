"""Who took part in a period, and how much that earns them.

Participation is read for all of a programme's people at once, with one query per source
(completed lessons, learning days from four sources, attended sessions, assessments, lifetime
totals), never per person: closing a period for 10,000 people stays a handful of queries.

Periods are UTC calendar days: an activity counts in the period whose days contain its UTC date.

`entitlement_amount_from_evidence` is a pure function of the evidence snapshot: recomputing an
entitlement from what was stored at closing time gives its amount again.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import TruncDate

from allowances.models import Assessment, Consent, Entitlement, Period, Programme, RuleVersion

EVIDENCE_VERSION = 1


def period_instants(period: Period) -> tuple[datetime, datetime]:
    """The period as [start, end) instants: its first UTC midnight, and the one after its last day."""
    start = datetime.combine(period.starts_on, time(0), tzinfo=UTC)
    end = datetime.combine(period.ends_on + timedelta(days=1), time(0), tzinfo=UTC)
    return start, end


@dataclass
class Participation:
    """What one person did in one period."""

    lessons: list[tuple[int, str]] = field(default_factory=list)  # (lesson id, ISO date)
    active_days: set[str] = field(default_factory=set)  # ISO dates
    sessions: list[tuple[int, str]] = field(default_factory=list)  # (appointment id, ISO date)


def consents_for_period(*, programme: Programme, period: Period) -> QuerySet[Consent]:
    """People counted in a period: they joined by its last day and have not withdrawn."""
    _start, end = period_instants(period)
    return Consent.objects.filter(programme=programme, withdrawn_at__isnull=True, given_at__lt=end)


def participation_for_period(*, programme: Programme, period: Period) -> dict[int, Participation]:
    """Participation of every person counted in the period, by user id (aggregate queries)."""
    from booking.models import Appointment
    from courses.models import LessonProgress, ProgressEvent, XAPIStatement

    start, end = period_instants(period)
    people = consents_for_period(programme=programme, period=period).values("user_id")
    found: dict[int, Participation] = defaultdict(Participation)

    completed = LessonProgress.objects.filter(
        user_id__in=people, completed_at__gte=start, completed_at__lt=end
    ).values_list("user_id", "lesson_id", "completed_at")
    for user_id, lesson_id, completed_at in completed.order_by("user_id", "completed_at", "lesson_id"):
        if completed_at is not None:  # always: filtered on above
            found[user_id].lessons.append((lesson_id, completed_at.astimezone(UTC).date().isoformat()))

    # A learning day: a lesson completed or updated, a progress report or an xAPI statement.
    sources: list[tuple[Any, str]] = [
        (LessonProgress, "completed_at"),
        (LessonProgress, "updated_at"),
        (ProgressEvent, "received_at"),
        (XAPIStatement, "stored_at"),
    ]
    for model, stamp in sources:
        days = (
            model.objects.filter(**{"user_id__in": people, f"{stamp}__gte": start, f"{stamp}__lt": end})
            .annotate(day=TruncDate(stamp, tzinfo=UTC))
            .values_list("user_id", "day")
            .distinct()
        )
        for user_id, day in days:
            found[user_id].active_days.add(day.isoformat())

    attended = Appointment.objects.filter(
        client_id__in=people,
        status=Appointment.Status.COMPLETED,
        start_at__gte=start,
        start_at__lt=end,
    ).values_list("client_id", "id", "start_at")
    for user_id, appointment_id, start_at in attended.order_by("client_id", "start_at", "id"):
        found[user_id].sessions.append((appointment_id, start_at.astimezone(UTC).date().isoformat()))
    return dict(found)


def latest_assessments(*, programme: Programme, period: Period) -> dict[int, tuple[int, bool]]:
    """Each counted person's newest questionnaire answer: (assessment id, needs connectivity)."""
    people = consents_for_period(programme=programme, period=period).values("user_id")
    newest: dict[int, tuple[int, bool]] = {}
    rows = (
        Assessment.objects.filter(user_id__in=people)
        .order_by("user_id", "-answered_at", "-pk")
        .values_list("user_id", "pk", "needs_connectivity_support")
    )
    for user_id, pk, needs in rows:
        newest.setdefault(user_id, (pk, needs))
    return newest


def lifetime_totals(*, programme: Programme, before: Period) -> dict[int, int]:
    """What each person was granted by the programme in periods other than `before`."""
    from django.db.models import Sum

    rows = (
        Entitlement.objects.filter(period__programme=programme)
        .exclude(period=before)
        .values("beneficiary_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("beneficiary_id", "total")
    )
    return {user_id: int(total) for user_id, total in rows}


def programme_terms(programme: Programme) -> dict[str, Any]:
    """The programme's amounts at closing time, kept in the evidence so that a later change of
    amounts does not change what an old entitlement recomputes to."""
    return {
        "currency": programme.currency,
        "amount_per_period_minor": programme.amount_per_period_minor,
        "cap_per_period_minor": programme.cap_per_period_minor,
        "lifetime_cap_minor": programme.lifetime_cap_minor,
    }


def evidence_build(
    *,
    programme: Programme,
    rule_version: RuleVersion,
    period: Period,
    consent: Consent,
    participation: Participation | None,
    assessment: tuple[int, bool] | None,
    lifetime_before_minor: int,
) -> dict[str, Any]:
    """The JSON snapshot of exactly what counted for one person in one period."""
    done = participation or Participation()
    return {
        "v": EVIDENCE_VERSION,
        "period": {
            "id": period.pk,
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
        },
        "rule_version_id": rule_version.pk,
        "terms": programme_terms(programme),
        "consent_id": consent.pk,
        "lessons": [{"id": lesson_id, "on": day} for lesson_id, day in done.lessons],
        "active_days": sorted(done.active_days),
        "sessions": [{"id": appointment_id, "on": day} for appointment_id, day in done.sessions],
        "assessment": None
        if assessment is None
        else {"id": assessment[0], "needs_connectivity_support": assessment[1]},
        "lifetime_before_minor": lifetime_before_minor,
    }


def rule_passed(*, rule_version: RuleVersion, evidence: Mapping[str, Any]) -> bool:
    """Whether the evidence meets the rule: activity thresholds, consent, connectivity need."""
    if rule_version.require_consent and not evidence.get("consent_id"):
        return False
    if rule_version.require_connectivity_need:
        assessment = evidence.get("assessment")
        if not assessment or assessment.get("needs_connectivity_support") is not True:
            return False
    checks = [
        (rule_version.min_lessons_completed, len({item["id"] for item in evidence.get("lessons", [])})),
        (rule_version.min_active_days, len(set(evidence.get("active_days", [])))),
        (rule_version.min_sessions_attended, len({item["id"] for item in evidence.get("sessions", [])})),
    ]
    # A threshold of 0 asks for nothing: it never decides on its own.
    asked = [(needed, have) for needed, have in checks if needed > 0]
    if not asked:
        return True
    met = [have >= needed for needed, have in asked]
    return any(met) if rule_version.any_activity else all(met)


def entitlement_amount_from_evidence(
    *, programme: Programme, rule_version: RuleVersion, evidence: Mapping[str, Any]
) -> int:
    """The amount (minor units) one person is entitled to from their evidence snapshot: the
    amount per period, limited by the cap per period and what is left of the lifetime cap; 0 when
    the rule is not met. Pure: it reads nothing but its arguments."""
    if evidence.get("rule_version_id") not in (None, rule_version.pk):
        raise ValueError("the evidence was recorded under another rule version")
    if not rule_passed(rule_version=rule_version, evidence=evidence):
        return 0
    terms = evidence.get("terms") or programme_terms(programme)
    left = int(terms["lifetime_cap_minor"]) - int(evidence.get("lifetime_before_minor", 0))
    amount = min(int(terms["amount_per_period_minor"]), int(terms["cap_per_period_minor"]), left)
    return max(amount, 0)


def evidence_summary(evidence: Mapping[str, Any]) -> dict[str, int]:
    """Counts for showing why someone was entitled."""
    return {
        "lessons": len(evidence.get("lessons", [])),
        "active_days": len(evidence.get("active_days", [])),
        "sessions": len(evidence.get("sessions", [])),
    }
