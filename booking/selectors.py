from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from accounts.models import CounsellorCountry, CounsellorTopic, Role, User, UserLanguage
from accounts.reference import Topic, country_name, language_name
from booking.models import Appointment, DateOverride, GroupRegistration, GroupSession, Schedule, WeeklyRule
from booking.slots import Availability, Slot, free_slots


def schedule_get(*, counsellor: User) -> Schedule | None:
    return Schedule.objects.filter(counsellor=counsellor).first()


def availability_get(
    *, counsellor: User, busy_from: datetime, busy_to: datetime, exclude_id: int | None = None
) -> Availability | None:
    """The counsellor's availability with the active appointments in [busy_from, busy_to)
    (less `exclude_id`: the appointment being moved)."""
    schedule = schedule_get(counsellor=counsellor)
    if schedule is None or not schedule.durations:
        return None
    rules: dict[int, list[tuple[time, time]]] = {}
    for rule in schedule.rules.all():
        rules.setdefault(rule.weekday, []).append((rule.start, rule.end))
    overrides: dict[date, list[tuple[time, time]]] = {}
    # Only the dates the window can touch (a day either side covers every time zone).
    first_day, last_day = (busy_from - timedelta(days=1)).date(), (busy_to + timedelta(days=1)).date()
    for override in schedule.overrides.filter(date__range=(first_day, last_day)):
        day = overrides.setdefault(override.date, [])
        if not override.is_day_off:
            day.append((override.start, override.end))  # type: ignore[arg-type]
    appointments = Appointment.objects.filter(
        counsellor=counsellor,
        status=Appointment.Status.BOOKED,
        start_at__lt=busy_to,
        end_at__gt=busy_from,
    )
    if exclude_id is not None:
        appointments = appointments.exclude(pk=exclude_id)
    busy = tuple(appointments.values_list("start_at", "end_at"))
    return _availability(counsellor, schedule, rules, overrides, busy)


def _availability(
    counsellor: User,
    schedule: Schedule,
    rules: dict[int, list[tuple[time, time]]],
    overrides: dict[date, list[tuple[time, time]]],
    busy: tuple[tuple[datetime, datetime], ...],
) -> Availability:
    return Availability(
        zone=ZoneInfo(counsellor.time_zone),
        rules=rules,
        overrides=overrides,
        durations=tuple(schedule.durations),
        buffer_before=timedelta(minutes=schedule.buffer_before),
        buffer_after=timedelta(minutes=schedule.buffer_after),
        min_notice=timedelta(minutes=schedule.min_notice),
        horizon=timedelta(days=schedule.horizon_days),
        max_per_day=schedule.max_per_day,
        busy=busy,
    )


def client_busy(
    *, client: User, start: datetime, end: datetime, exclude_id: int | None = None
) -> list[tuple[datetime, datetime]]:
    appointments = Appointment.objects.filter(
        client=client, status=Appointment.Status.BOOKED, start_at__lt=end, end_at__gt=start
    )
    if exclude_id is not None:
        appointments = appointments.exclude(pk=exclude_id)
    return list(appointments.values_list("start_at", "end_at"))


def slot_list(
    *,
    counsellor: User,
    duration: int,
    window_start: datetime,
    window_end: datetime,
    client: User | None = None,
    now: datetime | None = None,
    exclude_appointment_id: int | None = None,
) -> list[Slot]:
    """Free slots of `duration` minutes starting in [window_start, window_end)."""
    now = now or timezone.now()
    # Appointments that can touch the window: a day either side covers any buffer and length.
    margin = timedelta(days=1)
    availability = availability_get(
        counsellor=counsellor,
        busy_from=window_start - margin,
        busy_to=window_end + margin,
        exclude_id=exclude_appointment_id,
    )
    if availability is None:
        return []
    extra: list[tuple[datetime, datetime]] = []
    if client is not None:
        extra = client_busy(
            client=client,
            start=window_start - margin,
            end=window_end + margin,
            exclude_id=exclude_appointment_id,
        )
    return free_slots(
        availability,
        duration_minutes=duration,
        window_start=window_start,
        window_end=window_end,
        now=now,
        extra_busy=extra,
    )


def appointment_list_for_client(*, client: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(client=client).select_related("counsellor", "conversation")


def appointment_list_for_counsellor(*, counsellor: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(counsellor=counsellor).select_related("client", "conversation")


# --- Group sessions -------------------------------------------------------------------------


def group_session_list_upcoming(
    *, viewer: User | None, now: datetime, language: str = "", topic: str = "", country: str = ""
) -> QuerySet[GroupSession]:
    """Scheduled sessions that have not started, with the viewer's own status (`my_status`)."""
    sessions = GroupSession.objects.filter(status=GroupSession.Status.SCHEDULED, start_at__gt=now)
    if language:
        sessions = sessions.filter(language=language)
    if topic:
        sessions = sessions.filter(topic=topic)
    if country:
        # Sessions about that country, and those for everyone.
        sessions = sessions.filter(Q(country=country) | Q(country=""))
    mine = GroupRegistration.objects.filter(session=OuterRef("pk"), participant=viewer).exclude(
        status=GroupRegistration.Status.CANCELLED
    )
    status = Subquery(mine.values("status")[:1]) if viewer is not None else Value("")
    return sessions.select_related("host").annotate(my_status=status).order_by("start_at", "pk")


def group_session_languages(*, now: datetime) -> list[str]:
    """Languages of the sessions that can still be joined (for the filter)."""
    upcoming = GroupSession.objects.filter(status=GroupSession.Status.SCHEDULED, start_at__gt=now)
    return list(upcoming.order_by().values_list("language", flat=True).distinct())


def group_session_get(*, session_id: int) -> GroupSession | None:
    return GroupSession.objects.select_related("host", "organisation").filter(pk=session_id).first()


def group_registration_get(*, session: GroupSession, participant: User) -> GroupRegistration | None:
    """The person's active registration (place or waiting list), if any."""
    return (
        GroupRegistration.objects.filter(session=session, participant=participant)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .first()
    )


def group_waitlist_position(*, registration: GroupRegistration) -> int:
    """1 for the first person waiting."""
    ahead = GroupRegistration.objects.filter(
        session_id=registration.session_id,
        status=GroupRegistration.Status.WAITLISTED,
    ).filter(
        Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def group_registration_list(*, session: GroupSession) -> QuerySet[GroupRegistration]:
    """Who has a place, then who is waiting (in order): for the host and coordinators only."""
    return (
        GroupRegistration.objects.filter(session=session)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .select_related("participant")
        .order_by(
            Case(When(status=GroupRegistration.Status.REGISTERED, then=0), default=1), "queued_at", "pk"
        )
    )


def group_session_list_for_manager(*, user: User, now: datetime) -> QuerySet[GroupSession]:
    """Sessions `user` hosts, and for coordinators their organisation's; recent and upcoming."""
    scope = Q(host=user)
    if user.has_role(Role.COORDINATOR) and user.organisation_id is not None:
        scope |= Q(organisation_id=user.organisation_id)
    return (
        GroupSession.objects.filter(scope, end_at__gt=now - timedelta(days=7))
        .select_related("host")
        .order_by("start_at", "pk")
    )


def group_registration_list_for_participant(*, user: User, now: datetime) -> QuerySet[GroupRegistration]:
    """The person's places and waiting-list entries in sessions that have not ended."""
    return (
        GroupRegistration.objects.filter(participant=user, session__end_at__gt=now)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .select_related("session__host")
        .order_by("session__start_at")
    )


# --- Directory ------------------------------------------------------------------------------


def counsellor_directory_list(*, language: str = "", country: str = "", topic: str = "") -> QuerySet[User]:
    """Active counsellors with a booking schedule, matching the filters (empty: any), with
    their organisation and profile joined."""
    matching = User.objects.filter(is_active=True, roles__role=Role.COUNSELLOR, schedule__isnull=False)
    if language:
        matching = matching.filter(languages__code=language)
    if country:
        matching = matching.filter(counsellor_profile__countries__country=country)
    if topic:
        matching = matching.filter(counsellor_profile__topics__topic=topic)
    # A subquery instead of DISTINCT over every column: the filters' joins may repeat a row, and
    # counting and paging DISTINCT rows of the full user table is what made the page slow.
    return (
        User.objects.filter(pk__in=matching.values("pk"))
        .select_related("organisation", "counsellor_profile")
        .order_by("display_name", "pk")
    )


@dataclass
class CounsellorCard:
    """What the directory and the profile page show about one counsellor (names in the
    current language)."""

    user: User
    languages: list[str]
    countries: list[str]
    topics: list[str]
    bio: str
    organisation: str
    paused: bool
    next_slot: Slot | None = None
    url: str = ""


def counsellor_cards(*, counsellors: Sequence[User]) -> list[CounsellorCard]:
    """Cards for counsellors loaded with `organisation` and `counsellor_profile` joined: three
    small queries of plain values whatever their number (no model instances per language,
    country or topic)."""
    ids = [c.pk for c in counsellors]
    languages: dict[int, list[str]] = {}
    for user_id, code in (
        UserLanguage.objects.filter(user_id__in=ids)
        .order_by("user_id", "position")
        .values_list("user_id", "code")
    ):
        languages.setdefault(user_id, []).append(language_name(code))
    countries: dict[int, list[str]] = {}
    for user_id, code in CounsellorCountry.objects.filter(profile__user_id__in=ids).values_list(
        "profile__user_id", "country"
    ):
        countries.setdefault(user_id, []).append(country_name(code))
    topics: dict[int, list[str]] = {}
    for user_id, code in CounsellorTopic.objects.filter(profile__user_id__in=ids).values_list(
        "profile__user_id", "topic"
    ):
        topics.setdefault(user_id, []).append(str(Topic(code).label))
    cards = []
    for counsellor in counsellors:
        profile = getattr(counsellor, "counsellor_profile", None)
        cards.append(
            CounsellorCard(
                user=counsellor,
                languages=languages.get(counsellor.pk, []),
                countries=sorted(countries.get(counsellor.pk, [])),
                topics=topics.get(counsellor.pk, []),
                bio=profile.bio if profile else "",
                organisation=counsellor.organisation.name if counsellor.organisation else "",
                paused=profile is None or not profile.accepting_new_clients,
            )
        )
    return cards


def counsellor_get(*, counsellor_id: int) -> User | None:
    """One active counsellor with everything their profile page shows, or None."""
    return (
        User.objects.filter(pk=counsellor_id, is_active=True, roles__role=Role.COUNSELLOR)
        .select_related("organisation", "counsellor_profile", "schedule")
        .prefetch_related("languages", "counsellor_profile__countries", "counsellor_profile__topics")
        .first()
    )


# The directory's filter choices change when a counsellor's profile does; a minute old is fine
# (a choice that is asked for is always kept), and it spares two scans of every counsellor.
CHOICES_TTL = 60


def directory_languages() -> list[str]:
    """Codes of the languages that bookable counsellors speak."""
    return cache.get_or_set("booking:directory:languages", _directory_languages, CHOICES_TTL) or []


def directory_countries() -> list[str]:
    """Codes of the countries that bookable counsellors serve."""
    return cache.get_or_set("booking:directory:countries", _directory_countries, CHOICES_TTL) or []


def _directory_languages() -> list[str]:
    return list(
        UserLanguage.objects.filter(
            user__is_active=True, user__roles__role=Role.COUNSELLOR, user__schedule__isnull=False
        )
        # Without the model's ordering, which would make every (user, position) distinct.
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
    )


def _directory_countries() -> list[str]:
    return list(
        CounsellorCountry.objects.filter(
            profile__user__is_active=True,
            profile__user__roles__role=Role.COUNSELLOR,
            profile__user__schedule__isnull=False,
        )
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )


def next_free_slot_map(
    *,
    counsellors: Sequence[User],
    now: datetime,
    duration: int | None = None,
    horizon_days: int = 14,
    client: User | None = None,
) -> dict[int, tuple[Slot, int]]:
    """counsellor id -> (their first free slot within `horizon_days`, its length in minutes).

    `duration` None means each counsellor's shortest length. Five queries at most, whatever the
    number of counsellors: schedules, weekly rules, date overrides, their appointments, and the
    client's own appointments (a client cannot be in two places at once)."""
    ids = [c.pk for c in counsellors]
    if not ids:
        return {}
    window_end = now + timedelta(days=horizon_days)
    # A day either side covers any buffer, length and zone offset (as slot_list does).
    margin = timedelta(days=1)
    schedules = {s.counsellor_id: s for s in Schedule.objects.filter(counsellor_id__in=ids)}
    rules: dict[int, dict[int, list[tuple[time, time]]]] = {}
    # Plain values, not model instances: a page of counsellors has hundreds of rules.
    for schedule_id, weekday, start, end in WeeklyRule.objects.filter(
        schedule__counsellor_id__in=ids
    ).values_list("schedule_id", "weekday", "start", "end"):
        rules.setdefault(schedule_id, {}).setdefault(weekday, []).append((start, end))
    overrides: dict[int, dict[date, list[tuple[time, time]]]] = {}
    for override in DateOverride.objects.filter(
        schedule__counsellor_id__in=ids,
        # Local dates: two days either side of the UTC dates cover every zone.
        date__gte=(now - 2 * margin).date(),
        date__lte=(window_end + 2 * margin).date(),
    ):
        day = overrides.setdefault(override.schedule_id, {}).setdefault(override.date, [])
        if not override.is_day_off:
            day.append((override.start, override.end))  # type: ignore[arg-type]
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for counsellor_id, start_at, end_at in Appointment.objects.filter(
        counsellor_id__in=ids,
        status=Appointment.Status.BOOKED,
        start_at__lt=window_end + margin,
        end_at__gt=now - margin,
    ).values_list("counsellor_id", "start_at", "end_at"):
        busy.setdefault(counsellor_id, []).append((start_at, end_at))
    extra: list[tuple[datetime, datetime]] = []
    if client is not None and client.is_authenticated:
        extra = client_busy(client=client, start=now - margin, end=window_end + margin)

    found: dict[int, tuple[Slot, int]] = {}
    for counsellor in counsellors:
        schedule = schedules.get(counsellor.pk)
        if schedule is None or not schedule.durations:
            continue
        length = duration if duration is not None else min(schedule.durations)
        availability = _availability(
            counsellor,
            schedule,
            rules.get(schedule.pk, {}),
            overrides.get(schedule.pk, {}),
            tuple(busy.get(counsellor.pk, ())),
        )
        slots = free_slots(
            availability,
            duration_minutes=length,
            window_start=now,
            window_end=window_end,
            now=now,
            extra_busy=extra,
            limit=1,
        )
        if slots:
            found[counsellor.pk] = (slots[0], length)
    return found


def appointment_next_for_client(*, client: User, now: datetime) -> Appointment | None:
    """The client's next booked appointment that has not ended yet."""
    return (
        appointment_list_for_client(client=client)
        .filter(status=Appointment.Status.BOOKED, end_at__gt=now)
        .order_by("start_at")
        .first()
    )


def appointment_get_for_party(*, user: User, appointment_id: int) -> Appointment | None:
    """An appointment seen by one of its two people; None for anyone else."""
    return (
        Appointment.objects.filter(Q(client=user) | Q(counsellor=user), pk=appointment_id)
        .select_related("client", "counsellor", "counsellor__organisation", "conversation")
        .first()
    )
