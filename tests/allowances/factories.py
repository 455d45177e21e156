"""Factories for allowance tests: programmes, rule versions, consents, and people with recorded
participation (completed lessons, learning days, attended counselling sessions) on given dates.

Rows are written directly: these helpers are about the data a test starts from, not about the
services that would normally write them.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from accounts.models import Organisation, Role, User
from allowances.models import Assessment, Connection, Consent, Programme, RuleVersion
from tests.factories import make_user


def noon(day: date) -> datetime:
    """Midday UTC of `day`: inside that UTC calendar day whatever the period arithmetic."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def make_programme(
    *,
    coordinator: User | None = None,
    organisation: Organisation | None = None,
    name: str = "Connect",
    currency: str = "EUR",
    period: str = Programme.Period.MONTHLY,
    amount: int = 1000,
    cap: int | None = None,
    lifetime_cap: int | None = None,
    methods: Sequence[str] = ("airtime",),
    created_at: datetime | None = None,
    rule: dict[str, object] | None = None,
) -> Programme:
    """A programme (with a first rule version, which `rule` may adjust) of `coordinator`'s
    organisation; a coordinator is made when none is given."""
    if coordinator is None:
        coordinator = make_user(Role.COORDINATOR, mfa=False, organisation=organisation)
    programme = Programme.objects.create(
        name=name,
        funding_source="Demo donor",
        grant_code="GR-1",
        currency=currency,
        period=period,
        amount_per_period_minor=amount,
        cap_per_period_minor=amount if cap is None else cap,
        lifetime_cap_minor=amount * 12 if lifetime_cap is None else lifetime_cap,
        methods=list(methods),
        organisation=organisation or coordinator.organisation,
        created_by=coordinator,
        **({"created_at": created_at} if created_at else {}),
    )
    make_rule(programme, **(rule or {}))
    return programme


def make_rule(programme: Programme, *, used: bool = False, **fields: object) -> RuleVersion:
    """The programme's next rule version. Defaults: one lesson or one learning day or one session
    is enough, consent needed, connectivity need not."""
    last = programme.rule_versions.order_by("-version").first()
    defaults: dict[str, object] = {
        "min_lessons_completed": 1,
        "min_active_days": 1,
        "min_sessions_attended": 1,
        "any_activity": True,
        "require_consent": True,
        "require_connectivity_need": False,
    }
    return RuleVersion.objects.create(
        programme=programme,
        version=(last.version + 1) if last else 1,
        created_by=programme.created_by,
        used_at=noon(date(2020, 1, 1)) if used else None,
        **{**defaults, **fields},
    )


def make_consent(user: User, programme: Programme, **fields: object) -> Consent:
    fields.setdefault("given_at", noon(date(2020, 1, 1)))
    return Consent.objects.create(user=user, programme=programme, **fields)


def make_assessment(
    user: User, *, needs_connectivity: bool, answered_at: datetime | None = None
) -> Assessment:
    return Assessment.objects.create(
        user=user,
        devices=["smartphone"],
        connection=Connection.MOBILE_DATA,
        needs_tech_support=False,
        needs_connectivity_support=needs_connectivity,
        **({"answered_at": answered_at} if answered_at else {}),
    )


def make_lessons(count: int) -> list:
    """`count` new text lessons in one published course."""
    from courses.models import Course, Lesson, Module

    author = make_user(Role.AUTHOR)
    slug = f"allowance-course-{uuid.uuid4().hex[:10]}"
    course = Course.objects.create(
        slug=slug,
        title="Course",
        summary="A course",
        language="en",
        category="digital_literacy",
        estimated_hours=1,
        author=author,
        status="published",
        published_at=noon(date(2020, 1, 1)),
    )
    module = Module.objects.create(course=course, title="Module")
    return [
        Lesson.objects.create(module=module, title=f"Lesson {n}", kind="text", position=n)
        for n in range(count)
    ]


def make_participant(
    *,
    programme: Programme | None = None,
    lessons_on: Iterable[date] = (),
    learning_days: Iterable[date] = (),
    xapi_days: Iterable[date] = (),
    sessions_on: Iterable[date] = (),
    no_shows_on: Iterable[date] = (),
    consent: bool = True,
    needs_connectivity: bool | None = None,
    user: User | None = None,
    **user_fields: object,
) -> User:
    """A migrant who completed one lesson on each of `lessons_on`, reported progress (no
    completion) on each of `learning_days`, sent an xAPI statement on each of `xapi_days`, and
    attended a counselling session on each of `sessions_on` (and missed one on `no_shows_on`).
    With a programme and `consent`, they have joined it; `needs_connectivity` adds an answer to
    the questionnaire."""
    from booking.models import Appointment
    from courses.models import LessonProgress, ProgressEvent, XAPIStatement

    person = user or make_user(Role.MIGRANT, **user_fields)
    if programme is not None and consent:
        make_consent(person, programme)
    if needs_connectivity is not None:
        make_assessment(person, needs_connectivity=needs_connectivity)
    lessons_on, learning_days, xapi_days = list(lessons_on), list(learning_days), list(xapi_days)
    lessons = make_lessons(len(lessons_on) + len(learning_days) + len(xapi_days))
    for lesson, day in zip(lessons, lessons_on, strict=False):
        LessonProgress.objects.create(
            user=person, lesson=lesson, started_at=noon(day), updated_at=noon(day), completed_at=noon(day)
        )
    for lesson, day in zip(lessons[len(lessons_on) :], learning_days, strict=False):
        ProgressEvent.objects.create(
            event_id=uuid.uuid4(), user=person, lesson=lesson, digest="x", received_at=noon(day)
        )
    for lesson, day in zip(lessons[len(lessons_on) + len(learning_days) :], xapi_days, strict=False):
        XAPIStatement.objects.create(
            statement_id=uuid.uuid4(),
            user=person,
            lesson=lesson,
            verb="http://adlnet.gov/expapi/verbs/experienced",
            object_id="http://example.org/activity",
            statement={},
            digest="x",
            stored_at=noon(day),
        )
    sessions = [(day, Appointment.Status.COMPLETED) for day in sessions_on]
    sessions += [(day, Appointment.Status.NO_SHOW) for day in no_shows_on]
    if sessions:
        from counselling.services import conversation_get_or_create

        counsellor = make_user(Role.COUNSELLOR, mfa=False)
        conversation = conversation_get_or_create(client=person, counsellor=counsellor)
        for day, status in sessions:
            Appointment.objects.create(
                counsellor=counsellor,
                client=person,
                conversation=conversation,
                start_at=noon(day),
                end_at=noon(day) + timedelta(minutes=45),
                modality="chat",
                topic="return",
                language="en",
                status=status,
                idempotency_key=uuid.uuid4(),
            )
    return person
