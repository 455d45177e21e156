"""Demo allowances for `manage.py seed_demo` (idempotent): a programme of the Lagos organisation
with one month already closed and paid, so that "My allowance", the batches and the donor report
show real figures at once.

Everything that has a service goes through it: the programme (`programme_create`), consents,
the questionnaire, payout contacts, closing the month (`period_close`, which writes the
entitlements and the ledger), and the batch (prepared by one coordinator, approved by another,
sent to the simulated provider, whose outcomes go through the callback path). The ledger and the
audit log are never written here directly.

Only the *past* needs writing by hand, because no service back-dates: a month can be closed
only after it has ended, and the demo learners did their lessons when courses/demo.py seeded
them (now). So, marked DEMO HISTORY below: the programme, the consents and one completed lesson
per demo learner are moved into the previous month, and Amina gets a completed counselling
session in it. The demo month is the month the programme (back-dated) started in, so seeding
again in a later month finds the same, closed month and changes nothing.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User
from allowances.models import Assessment, Batch, Consent, Method, PayoutContact, Period, Programme, Sex
from allowances.services import payments
from allowances.services.contacts import payout_contact_set
from allowances.services.people import assessment_record, consent_give
from allowances.services.periods import period_close, period_for, today_utc
from allowances.services.programmes import programme_create

NAME = "Stay connected to learn"
MAKER = "coordinator@demo.test"  # Sofia, Demo Partner Lagos: creates the programme, prepares
CHECKER = "coordinator3@demo.test"  # Ngozi, Demo Partner Lagos: approves (maker-checker)
AMINA = "migrant@demo.test"
COUNSELLOR = "counsellor@demo.test"  # Chinedu, Lagos, counsels people returning to Nigeria
# Amina's counselling session of the demo month, found again by this key on the next seeding.
SESSION_KEY = uuid.UUID("5e55a0d1-0000-4000-8000-00000000a11a")
AMINA_PHONE = "+4915112345678"  # fictitious German mobile number: she lives in Germany

# Further beneficiaries: the demo learners of courses/demo.py, so that the report has groups of
# five or more (smaller ones are hidden). Learners 1 to 8 took part in the demo month (one of
# their completed lessons is moved into it); 9 to 12 joined but learnt only this month, so they
# are counted and not entitled. Learner 8 gave no payout contact: entitled but not paid (owed).
LEARNERS = 12
ACTIVE_IN_DEMO_MONTH = range(1, 9)
WITHOUT_CONTACT = {8}


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _demo_month_start() -> date:
    """First day of the month before the current one (UTC): the latest month that has ended."""
    return (today_utc().replace(day=1) - timedelta(days=1)).replace(day=1)


@transaction.atomic
def seed(*, write: Callable[[str], None]) -> None:
    maker = User.objects.filter(email=MAKER).first()
    checker = User.objects.filter(email=CHECKER).first()
    amina = User.objects.filter(email=AMINA).first()
    if maker is None or checker is None or amina is None or maker.organisation_id is None:
        return  # accounts/demo.py did not run: nothing to build on
    programme = _programme(maker, write)
    period = period_for(programme=programme, day=programme.created_at.astimezone(UTC).date())
    people = _people(amina)
    for n, person in people:
        _join(person, programme, n=n, month_start=period.starts_on)
    if period.closed_at is None:
        _demo_history(people, period=period)
        closing = period_close(programme=programme, period=period, actor=maker)
        write(
            f"allowances: {period.starts_on:%B %Y} closed, {closing.entitlements} entitlements, "
            f"{closing.total_minor / 100:.2f} {programme.currency}"
        )
    if period.entitlements.exists() and not Batch.objects.filter(period=period).exists():
        _pay(period, maker=maker, checker=checker, write=write)


def _programme(maker: User, write: Callable[[str], None]) -> Programme:
    found = Programme.objects.filter(name=NAME, organisation_id=maker.organisation_id).first()
    if found is not None:
        return found
    programme = programme_create(
        actor=maker,
        name=NAME,
        funding_source="Demo donor",
        grant_code="DEMO-2026-01",
        currency="EUR",
        period=Programme.Period.MONTHLY,
        amount_per_period_minor=1000,
        cap_per_period_minor=1500,
        lifetime_cap_minor=6000,
        methods=[Method.AIRTIME, Method.DATA_BUNDLE],
        # One lesson finished or one counselling session attended in the month, and consent.
        rule={
            "min_lessons_completed": 1,
            "min_sessions_attended": 1,
            "any_activity": True,
            "require_consent": True,
        },
    )
    # DEMO HISTORY: the programme has run since the start of last month, so that last month is
    # one of its periods (and the month seeding again finds).
    started = _noon(_demo_month_start())
    Programme.objects.filter(pk=programme.pk).update(created_at=started)
    programme.created_at = started
    write(f"allowance programme {NAME!r} of {maker.organisation}")
    return programme


def _people(amina: User) -> list[tuple[int, User]]:
    """(number, person): Amina is 0, demo learner n is n."""
    emails = [f"learner{n:02d}@demo.test" for n in range(1, LEARNERS + 1)]
    learners = {user.email: user for user in User.objects.filter(email__in=emails)}
    found = [(0, amina)]
    for n in range(1, LEARNERS + 1):
        learner = learners.get(f"learner{n:02d}@demo.test")
        if learner is not None:
            found.append((n, learner))
    return found


def _profile(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(consent, questionnaire answers) of demo person n: Amina's own, then a spread over the
    learners (most allow counting, two do not, so the report shows "not shared" too)."""
    if n == 0:
        consent = {"sex": Sex.FEMALE, "birth_year": 1994, "share_demographics": True}
        answers = {
            "devices": ["smartphone"],
            "connection": "mobile_data",
            "monthly_data_cost_minor": 1500,
            "needs_tech_support": False,
            "needs_connectivity_support": True,
        }
        return consent, answers
    consent = {
        "sex": Sex.FEMALE if n % 2 else Sex.MALE,
        "birth_year": 1980 + 2 * n,
        "share_demographics": n % 6 != 0,
    }
    answers = {
        "devices": ["smartphone", "computer"] if n % 4 == 0 else ["smartphone"],
        "connection": "public_wifi" if n % 3 == 0 else "mobile_data",
        "monthly_data_cost_minor": 800 + 100 * n,
        "needs_tech_support": n % 2 == 0,
        "needs_connectivity_support": n % 5 != 0,
    }
    return consent, answers


def _join(person: User, programme: Programme, *, n: int, month_start: date) -> None:
    """Consent, the questionnaire and a payout contact, each once, through the services."""
    consent_fields, answers = _profile(n)
    if not Consent.objects.filter(user=person, programme=programme).exists():
        consent = consent_give(user=person, programme=programme, **consent_fields)
        # DEMO HISTORY: they joined on the first day of the demo month.
        Consent.objects.filter(pk=consent.pk).update(given_at=_noon(month_start))
    if not Assessment.objects.filter(user=person).exists():
        assessment_record(user=person, currency="EUR", **answers)
    if n not in WITHOUT_CONTACT and not PayoutContact.objects.filter(user=person).exists():
        # Fictitious, distinct numbers: shared ones would (rightly) hold up the approval.
        value = AMINA_PHONE if n == 0 else f"+49151123456{n:02d}"
        method = Method.DATA_BUNDLE if n % 2 == 0 else Method.AIRTIME
        payout_contact_set(user=person, method=method, value=value)


def _demo_history(people: list[tuple[int, User]], *, period: Period) -> None:
    """DEMO HISTORY: participation in the demo month. Lessons done through the learning services
    when courses/demo.py ran are moved into the month (one per person); Amina also attended a
    counselling session in it. Runs only while the month is open; its closing freezes it."""
    from courses.models import Enrolment, LessonProgress

    for n, person in people:
        if n != 0 and n not in ACTIVE_IN_DEMO_MONTH:
            continue
        day = period.starts_on + timedelta(days=5 if n == 0 else 1 + 3 * n)
        when = _noon(min(day, period.ends_on))
        progress = (
            LessonProgress.objects.filter(user=person, completed_at__isnull=False)
            .select_related("lesson__module")
            .order_by("completed_at", "pk")
            .first()
        )
        if progress is None:
            continue  # did no lesson (demo learner 7): counted, not entitled
        LessonProgress.objects.filter(pk=progress.pk).update(
            started_at=when, updated_at=when, completed_at=when
        )
        # The enrolment cannot start after its first lesson was finished.
        Enrolment.objects.filter(
            user=person, course_id=progress.lesson.module.course_id, enrolled_at__gt=when
        ).update(enrolled_at=when - timedelta(hours=1))
    amina = people[0][1]
    _session(amina, day=period.starts_on + timedelta(days=7))


def _session(client: User, *, day: date) -> None:
    """A completed video session with Chinedu, 10:00 Lagos time (written directly: booking
    refuses times in the past, as it should)."""
    from booking.models import Appointment
    from counselling.services import conversation_get_or_create

    counsellor = User.objects.filter(email=COUNSELLOR).first()
    if counsellor is None or Appointment.objects.filter(client=client, idempotency_key=SESSION_KEY).exists():
        return
    start = datetime.combine(day, time(10), tzinfo=ZoneInfo("Africa/Lagos"))
    Appointment.objects.create(
        counsellor=counsellor,
        client=client,
        conversation=conversation_get_or_create(client=client, counsellor=counsellor),
        start_at=start,
        end_at=start + timedelta(minutes=45),
        modality="video",
        topic="work",
        language="en",
        status=Appointment.Status.COMPLETED,
        idempotency_key=SESSION_KEY,
        created_at=start - timedelta(days=3),
    )


def _pay(period: Period, *, maker: User, checker: User, write: Callable[[str], None]) -> None:
    """Prepared and submitted by one coordinator, approved and sent by the other, paid by the
    simulated provider (its outcomes applied as callbacks, posting the ledger)."""
    prepared = payments.batch_prepare(period=period, provider="simulated", actor=maker)
    payments.batch_submit(batch=prepared.batch, actor=maker)
    payments.batch_approve(batch=prepared.batch, actor=checker)
    submission = payments.batch_send(batch=prepared.batch, actor=checker)
    delivered = sum(1 for outcome in submission.outcomes if outcome.status == "delivered")
    write(
        f"allowances: batch {prepared.batch.pk} prepared by {maker.email}, approved by {checker.email}: "
        f"{delivered} of {prepared.payments} delivered, {prepared.without_contact} without a payout contact"
    )
