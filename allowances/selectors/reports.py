"""Reads for coordinators' reports: per programme (and period) amounts taken from the ledger,
payment states, unique beneficiaries with demographics where consent allows, learning outcomes
of recipients next to non-recipients, the pseudonymised CSV rows, and the aggregate of the
digital-needs questionnaire.

Amounts come from the ledger itself, so that the report and the ledger cannot disagree:
- entitled  = entries on the programme's `entitlements` account (its balance);
- delivered = entries on `payable` accounts made by disbursements (and their reversals);
- fees      = entries on the `fees` account (its balance);
- owed      = what is still owed to beneficiaries (minus the sum of the `payable` balances).
Payment states (approved, failed, re-issued, waiting) come from the payments themselves.

Counts of people below SMALL are never shown ("fewer than 5"), and when exactly one cell of a
breakdown would be hidden, the next smallest is hidden too, so that it cannot be worked out
from the total.
"""

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Organisation, User
from allowances.models import (
    Assessment,
    Batch,
    Connection,
    Consent,
    Device,
    Entitlement,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Period,
    Programme,
)

SMALL = 5
APPROVED_BATCH = [Batch.Status.APPROVED, Batch.Status.SENT, Batch.Status.CLOSED]
AGE_BANDS = ("under_18", "18_24", "25_34", "35_49", "50_plus")
NOT_SHARED = "not_shared"
NOT_GIVEN = "not_given"


# --- Small cells ------------------------------------------------------------------------------


def suppress(counts: Mapping[str, int]) -> dict[str, int | None]:
    """Counts of 1 to SMALL-1 become None ("fewer than 5"); if that hides exactly one cell, the
    next smallest non-zero cell is hidden too (otherwise total minus the others reveals it)."""
    shown: dict[str, int | None] = {k: (None if 0 < v < SMALL else v) for k, v in counts.items()}
    hidden = [k for k, v in shown.items() if v is None]
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in counts.items() if k not in hidden and v > 0)
        if others:
            shown[others[0][1]] = None
    return shown


# --- Scope ------------------------------------------------------------------------------------


def programme_list_for_coordinator(*, viewer: User) -> QuerySet[Programme]:
    """The programmes of the coordinator's organisation (none without one)."""
    if viewer.organisation_id is None:
        return Programme.objects.none()
    return Programme.objects.filter(organisation_id=viewer.organisation_id).order_by("name", "pk")


def programme_report_get(*, viewer: User, programme_id: int) -> Programme:
    """The programme for its report, or 404 when it is not the viewer's organisation's."""
    programme = programme_list_for_coordinator(viewer=viewer).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    return programme


def period_list(*, programme: Programme) -> QuerySet[Period]:
    return Period.objects.filter(programme=programme).order_by("starts_on")


def period_get(*, programme: Programme, period_id: str | None) -> Period | None:
    """The period named by a query parameter, or None for the whole programme; 404 for one
    that is not the programme's."""
    if not period_id:
        return None
    if not period_id.isdigit():
        raise Http404
    period = Period.objects.filter(programme=programme, pk=int(period_id)).first()
    if period is None:
        raise Http404
    return period


def _instants(period: Period) -> tuple[datetime, datetime]:
    # Periods are UTC calendar days, as when they are closed.
    return (
        datetime.combine(period.starts_on, time(0), tzinfo=UTC),
        datetime.combine(period.ends_on + timedelta(days=1), time(0), tzinfo=UTC),
    )


# --- Ledger figures ---------------------------------------------------------------------------


@dataclass
class Amounts:
    entitled: int = 0
    approved: int = 0
    delivered: int = 0
    failed: int = 0
    reissued: int = 0
    waiting: int = 0
    fees: int = 0
    owed: int = 0


def _ledger_entries(*, programme: Programme, period: Period | None) -> Any:  # annotated queryset
    entries = LedgerEntry.objects.filter(account__programme=programme)
    if period is not None:
        entries = entries.filter(transaction__period=period)
    return entries.annotate(
        # A reversal counts as the kind of what it reverses (a reversed payment is not delivered).
        effective=Coalesce("transaction__reverses__kind", "transaction__kind"),
    )


def _add_ledger(amounts: Amounts, kind: str, effective: str, total: int) -> None:
    if kind == LedgerAccount.Kind.ENTITLEMENTS:
        amounts.entitled += total
    elif kind == LedgerAccount.Kind.FEES:
        amounts.fees += total
    elif kind == LedgerAccount.Kind.PAYABLE:
        amounts.owed -= total
        if effective == LedgerTransaction.Kind.DISBURSEMENT:
            amounts.delivered += total


def ledger_amounts(*, programme: Programme, period: Period | None = None) -> Amounts:
    """Entitled, delivered, fees and still owed, from the ledger (one query)."""
    amounts = Amounts()
    rows = (
        _ledger_entries(programme=programme, period=period)
        .values("account__kind", "effective")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    for row in rows:
        _add_ledger(amounts, row["account__kind"], row["effective"], int(row["total"] or 0))
    return amounts


def _payments(*, programme: Programme, period: Period | None) -> QuerySet[Payment]:
    payments = Payment.objects.filter(entitlement__period__programme=programme)
    if period is not None:
        payments = payments.filter(entitlement__period=period)
    return payments


def _entitlements(*, programme: Programme, period: Period | None) -> QuerySet[Entitlement]:
    entitlements = Entitlement.objects.filter(period__programme=programme)
    if period is not None:
        entitlements = entitlements.filter(period=period)
    return entitlements


def _approved_exists() -> Exists:
    return Exists(
        Payment.objects.filter(entitlement=OuterRef("pk"), batch__status__in=APPROVED_BATCH).exclude(
            status=Payment.Status.CANCELLED
        )
    )


def payment_amounts(*, programme: Programme, period: Period | None, amounts: Amounts) -> None:
    """Approved (entitlements with a payment in an approved batch, once each), failed,
    re-issued and waiting amounts (two queries)."""
    payments = _payments(programme=programme, period=period)
    totals = payments.aggregate(
        failed=Sum("amount_minor", filter=Q(status=Payment.Status.FAILED)),
        reissued=Sum(
            "amount_minor", filter=Q(reissue_of__isnull=False) & ~Q(status=Payment.Status.CANCELLED)
        ),
        waiting=Sum("amount_minor", filter=Q(status__in=[Payment.Status.PENDING, Payment.Status.SENT])),
    )
    amounts.failed = int(totals["failed"] or 0)
    amounts.reissued = int(totals["reissued"] or 0)
    amounts.waiting = int(totals["waiting"] or 0)
    approved = (
        _entitlements(programme=programme, period=period)
        .filter(_approved_exists())
        .aggregate(total=Sum("amount_minor"))["total"]
    )
    amounts.approved = int(approved or 0)


# --- People -----------------------------------------------------------------------------------


def age_band(birth_year: int | None, year: int) -> str:
    if birth_year is None:
        return NOT_GIVEN
    age = year - birth_year
    if age < 18:
        return "under_18"
    if age < 25:
        return "18_24"
    if age < 35:
        return "25_34"
    if age < 50:
        return "35_49"
    return "50_plus"


@dataclass(frozen=True)
class Demographics:
    sex: str
    age_band: str
    nationality: str


def demographics_for(*, programme: Programme, user_ids: Any, year: int) -> dict[int, Demographics]:
    """Sex, age band and nationality of each person who lets them be counted (an active consent
    with `share_demographics`); everyone else is NOT_SHARED in all three."""
    rows = Consent.objects.filter(
        programme=programme, user_id__in=user_ids, share_demographics=True, withdrawn_at__isnull=True
    ).values_list("user_id", "sex", "birth_year", "user__country_of_origin")
    return {
        user_id: Demographics(
            sex=sex or NOT_GIVEN, age_band=age_band(birth_year, year), nationality=origin or NOT_GIVEN
        )
        for user_id, sex, birth_year, origin in rows
    }


@dataclass
class Breakdown:
    total: int
    sex: dict[str, int | None]
    age_band: dict[str, int | None]
    nationality: dict[str, int | None]


def _breakdown(user_ids: list[int], shared: Mapping[int, Demographics]) -> Breakdown:
    sexes: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    origins: Counter[str] = Counter()
    for user_id in user_ids:
        person = shared.get(user_id)
        sexes[person.sex if person else NOT_SHARED] += 1
        ages[person.age_band if person else NOT_SHARED] += 1
        origins[person.nationality if person else NOT_SHARED] += 1
    return Breakdown(
        total=len(user_ids),
        sex=suppress(sexes),
        age_band=suppress({band: ages[band] for band in (*AGE_BANDS, NOT_GIVEN, NOT_SHARED) if ages[band]}),
        nationality=suppress(dict(origins.most_common())),
    )


@dataclass
class Outcomes:
    people: int | None  # None: fewer than SMALL, nothing shown
    lessons: int = 0
    courses: int = 0
    learners: int = 0  # people with at least one lesson completed

    @property
    def lessons_per_person(self) -> float:
        return self.lessons / self.people if self.people else 0.0

    @property
    def learner_share(self) -> float:
        return self.learners / self.people if self.people else 0.0


def learning_outcomes(
    *, programme: Programme, period: Period | None, recipients: set[int]
) -> tuple[Outcomes, Outcomes]:
    """Lessons and courses completed (in the period) by people who take part and received an
    allowance, next to people who take part and did not (three queries)."""
    from courses.models import Enrolment, LessonProgress

    consents = Consent.objects.filter(programme=programme, withdrawn_at__isnull=True)
    if period is not None:
        _start, end = _instants(period)
        consents = consents.filter(given_at__lt=end)
    people = set(consents.values_list("user_id", flat=True))
    lessons = LessonProgress.objects.filter(user_id__in=people, completed_at__isnull=False)
    courses = Enrolment.objects.filter(user_id__in=people, completed_at__isnull=False)
    if period is not None:
        start, end = _instants(period)
        lessons = lessons.filter(completed_at__gte=start, completed_at__lt=end)
        courses = courses.filter(completed_at__gte=start, completed_at__lt=end)
    lesson_counts = dict(
        lessons.values("user_id").annotate(n=Count("pk")).values_list("user_id", "n").order_by()
    )
    course_counts = dict(
        courses.values("user_id").annotate(n=Count("pk")).values_list("user_id", "n").order_by()
    )

    def group(members: set[int]) -> Outcomes:
        if len(members) < SMALL:
            return Outcomes(people=None)
        return Outcomes(
            people=len(members),
            lessons=sum(lesson_counts.get(u, 0) for u in members),
            courses=sum(course_counts.get(u, 0) for u in members),
            learners=sum(1 for u in members if lesson_counts.get(u, 0)),
        )

    return group(people & recipients), group(people - recipients)


# --- The programme report ---------------------------------------------------------------------


@dataclass
class PeriodFigures:
    period: Period
    entitled: int = 0
    delivered: int = 0


@dataclass
class ProgrammeReport:
    programme: Programme
    period: Period | None
    amounts: Amounts
    beneficiaries: int
    recipients_count: int
    entitled_people: Breakdown
    recipients: Breakdown
    outcomes_recipients: Outcomes
    outcomes_others: Outcomes
    by_period: list[PeriodFigures] = field(default_factory=list)


def _recipient_ids(*, programme: Programme, period: Period | None) -> set[int]:
    return set(
        _payments(programme=programme, period=period)
        .filter(status=Payment.Status.DELIVERED)
        .values_list("entitlement__beneficiary_id", flat=True)
        .distinct()
    )


def period_series(*, programme: Programme) -> list[PeriodFigures]:
    """Entitled and delivered per period, from the ledger (one query, plus the periods)."""
    figures = {p.pk: PeriodFigures(period=p) for p in period_list(programme=programme)}
    rows = (
        _ledger_entries(programme=programme, period=None)
        .annotate(
            period_id=Coalesce(
                "transaction__entitlement__period_id", "transaction__payment__entitlement__period_id"
            )
        )
        .values("period_id", "account__kind", "effective")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    for row in rows:
        target = figures.get(row["period_id"])
        if target is None:
            continue
        amounts = Amounts()
        _add_ledger(amounts, row["account__kind"], row["effective"], int(row["total"] or 0))
        target.entitled += amounts.entitled
        target.delivered += amounts.delivered
    return list(figures.values())


def programme_report(*, programme: Programme, period: Period | None = None) -> ProgrammeReport:
    """Everything on a programme's report page, for one period or the whole programme."""
    amounts = ledger_amounts(programme=programme, period=period)
    payment_amounts(programme=programme, period=period, amounts=amounts)
    entitled_ids = sorted(
        set(_entitlements(programme=programme, period=period).values_list("beneficiary_id", flat=True))
    )
    recipients = _recipient_ids(programme=programme, period=period)
    year = period.ends_on.year if period is not None else timezone.now().year
    shared = demographics_for(programme=programme, user_ids=entitled_ids, year=year)
    with_allowance, without = learning_outcomes(programme=programme, period=period, recipients=recipients)
    return ProgrammeReport(
        programme=programme,
        period=period,
        amounts=amounts,
        beneficiaries=len(entitled_ids),
        recipients_count=len(recipients),
        entitled_people=_breakdown(entitled_ids, shared),
        recipients=_breakdown(sorted(recipients), shared),
        outcomes_recipients=with_allowance,
        outcomes_others=without,
        by_period=period_series(programme=programme) if period is None else [],
    )


# --- Pseudonymised rows (the CSV) -------------------------------------------------------------


def pseudonym(*, programme: Programme, user_id: int) -> str:
    """A stable pseudonym of a person within one programme (HMAC keyed by the site's secret):
    the same person has different pseudonyms in different programmes, and it cannot be turned
    back into an account without the key."""
    digest = salted_hmac("allowances.report.pseudonym", f"{programme.pk}:{user_id}", algorithm="sha256")
    return "P-" + digest.hexdigest()[:16]


@dataclass(frozen=True)
class ExportRow:
    pseudonym: str
    period_start: date | None
    period_end: date | None
    currency: str
    entitled: int
    approved: bool
    delivered: int
    failed: int
    reissued: int
    fees: int
    status: str
    method: str
    sex: str
    age_band: str
    nationality: str


UNLINKED = "unlinked"


def _amounts_per_entitlement(*, programme: Programme, period: Period | None) -> dict[int | None, Amounts]:
    """Ledger amounts per entitlement. A payment's transactions name their entitlement; a
    period's closing is one transaction for all its entitlements, so its leg on a beneficiary's
    payable account belongs to that beneficiary's entitlement in the period (there is at most one).
    The entitled amount is read from those payable legs rather than from the shared expense leg,
    which the transaction balances against them. Anything that matches no entitlement is kept
    under `None`."""
    by_person = {
        (row["period_id"], row["beneficiary_id"]): row["pk"]
        for row in _entitlements(programme=programme, period=period)
        .values("pk", "period_id", "beneficiary_id")
        .order_by()
        .iterator(chunk_size=2000)
    }
    per_entitlement: dict[int | None, Amounts] = defaultdict(Amounts)
    rows = (
        _ledger_entries(programme=programme, period=period)
        .annotate(
            entitlement_key=Coalesce("transaction__entitlement_id", "transaction__payment__entitlement_id"),
        )
        # A reversal carries the period (and entitlement, payment) of what it reverses.
        .values(
            "entitlement_key",
            "transaction__period_id",
            "account__beneficiary_id",
            "account__kind",
            "effective",
        )
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    for row in rows:
        kind, effective, total = row["account__kind"], row["effective"], int(row["total"] or 0)
        key = row["entitlement_key"]
        if key is None and row["account__beneficiary_id"] is not None:
            key = by_person.get((row["transaction__period_id"], row["account__beneficiary_id"]))
        if kind == LedgerAccount.Kind.ENTITLEMENTS:
            continue  # the closing's expense leg: its payable legs carry the same amount, per person
        amounts = per_entitlement[key]
        if kind == LedgerAccount.Kind.PAYABLE and effective == LedgerTransaction.Kind.ENTITLEMENT:
            amounts.entitled -= total
        _add_ledger(amounts, kind, effective, total)
    return per_entitlement


def export_rows(*, programme: Programme, period: Period | None = None) -> Iterator[ExportRow]:
    """One row per entitlement, amounts from the ledger; a last row holds any ledger amount not
    linked to an entitlement, so that the rows always add up to the report's totals."""
    per_entitlement = _amounts_per_entitlement(programme=programme, period=period)
    payments: dict[int, dict[str, Any]] = defaultdict(lambda: {"failed": 0, "reissued": 0, "last": None})
    for pay in (
        _payments(programme=programme, period=period)
        .order_by("entitlement_id", "created_at", "pk")
        .values("entitlement_id", "amount_minor", "status", "method", "reissue_of_id")
        .iterator(chunk_size=2000)
    ):
        slot = payments[pay["entitlement_id"]]
        if pay["status"] == Payment.Status.FAILED:
            slot["failed"] += pay["amount_minor"]
        if pay["reissue_of_id"] and pay["status"] != Payment.Status.CANCELLED:
            slot["reissued"] += pay["amount_minor"]
        slot["last"] = pay
    entitlements = (
        _entitlements(programme=programme, period=period)
        .annotate(approved=_approved_exists())
        .values("pk", "beneficiary_id", "currency", "approved", "period__starts_on", "period__ends_on")
        .order_by("period__starts_on", "pk")
    )
    year = period.ends_on.year if period is not None else timezone.now().year
    shared = demographics_for(programme=programme, user_ids=entitlements.values("beneficiary_id"), year=year)
    for ent in entitlements.iterator(chunk_size=2000):
        money = per_entitlement.pop(ent["pk"], Amounts())
        pay_info = payments.get(ent["pk"], {"failed": 0, "reissued": 0, "last": None})
        last = pay_info["last"]
        person = shared.get(ent["beneficiary_id"])
        yield ExportRow(
            pseudonym=pseudonym(programme=programme, user_id=ent["beneficiary_id"]),
            period_start=ent["period__starts_on"],
            period_end=ent["period__ends_on"],
            currency=ent["currency"],
            entitled=money.entitled,
            approved=bool(ent["approved"]),
            delivered=money.delivered,
            failed=pay_info["failed"],
            reissued=pay_info["reissued"],
            fees=money.fees,
            status=last["status"] if last else "",
            method=last["method"] if last else "",
            sex=person.sex if person else NOT_SHARED,
            age_band=person.age_band if person else NOT_SHARED,
            nationality=person.nationality if person else NOT_SHARED,
        )
    rest = Amounts()
    for money in per_entitlement.values():
        rest.entitled += money.entitled
        rest.delivered += money.delivered
        rest.fees += money.fees
    if rest.entitled or rest.delivered or rest.fees:
        yield ExportRow(
            pseudonym=UNLINKED,
            period_start=None,
            period_end=None,
            currency=programme.currency,
            entitled=rest.entitled,
            approved=False,
            delivered=rest.delivered,
            failed=0,
            reissued=0,
            fees=rest.fees,
            status="",
            method="",
            sex="",
            age_band="",
            nationality="",
        )


# --- The digital-needs questionnaire ----------------------------------------------------------


@dataclass
class AssessmentSummary:
    respondents: int
    devices: dict[str, int | None]
    connections: dict[str, int | None]
    needs_tech: int | None
    needs_connectivity: int | None
    # Currency -> (median monthly cost in minor units, number of answers); only with SMALL or more.
    median_cost: dict[str, tuple[int, int]]


def assessment_summary(*, programme: Programme | None = None) -> AssessmentSummary:
    """The newest answer of each person (of a programme's people, or of everyone), counted: devices,
    connection, need for support, median monthly data cost per currency. Aggregates only."""
    newest = Assessment.objects.filter(
        pk=Assessment.objects.filter(user=OuterRef("user")).order_by("-answered_at", "-pk").values("pk")[:1]
    )
    if programme is not None:
        newest = newest.filter(
            user__allowance_consents__programme=programme, user__allowance_consents__withdrawn_at__isnull=True
        )
    devices: Counter[str] = Counter()
    connections: Counter[str] = Counter()
    costs: dict[str, list[int]] = defaultdict(list)
    tech = connectivity = respondents = 0
    for row in newest.values(
        "devices",
        "connection",
        "monthly_data_cost_minor",
        "currency",
        "needs_tech_support",
        "needs_connectivity_support",
    ).iterator(chunk_size=2000):
        respondents += 1
        for device in set(row["devices"] or []):
            devices[device] += 1
        connections[row["connection"]] += 1
        tech += bool(row["needs_tech_support"])
        connectivity += bool(row["needs_connectivity_support"])
        if row["monthly_data_cost_minor"] is not None and row["currency"]:
            costs[row["currency"]].append(int(row["monthly_data_cost_minor"]))
    too_few = respondents < SMALL
    return AssessmentSummary(
        respondents=respondents,
        devices={}
        if too_few
        else {d: (None if 0 < devices[d] < SMALL else devices[d]) for d in Device.values},
        connections={} if too_few else suppress({c: connections[c] for c in Connection.values}),
        needs_tech=None if too_few or 0 < tech < SMALL or 0 < respondents - tech < SMALL else tech,
        needs_connectivity=None
        if too_few or 0 < connectivity < SMALL or 0 < respondents - connectivity < SMALL
        else connectivity,
        median_cost={
            currency: (round(statistics.median(values)), len(values))
            for currency, values in sorted(costs.items())
            if len(values) >= SMALL
        },
    )


# --- The coordinator's dashboard card ---------------------------------------------------------


@dataclass
class KeyFigures:
    programmes: int
    delivered: dict[str, int]
    people: int
    failed: int


def organisation_key_figures(*, organisation: Organisation) -> KeyFigures:
    """This month (UTC) for the organisation's programmes: delivered per currency, people paid,
    payments that failed and are not re-issued yet."""
    programmes = Programme.objects.filter(organisation=organisation)
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    delivered = Payment.objects.filter(
        batch__programme__in=programmes, status=Payment.Status.DELIVERED, updated_at__gte=month_start
    )
    per_currency = {
        row["currency"]: int(row["total"])
        for row in delivered.values("currency").annotate(total=Sum("amount_minor")).order_by()
    }
    people = delivered.values("entitlement__beneficiary_id").distinct().count()
    failed = Payment.objects.filter(
        batch__programme__in=programmes, status=Payment.Status.FAILED, reissued_as__isnull=True
    ).count()
    return KeyFigures(programmes=programmes.count(), delivered=per_currency, people=people, failed=failed)
