"""What a coordinator sees of their organisation: the appointments of its counsellors (never
the client's note, which is not even loaded), the clients of its counsellors, and utilisation."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Prefetch, QuerySet, Sum

from accounts.models import Organisation, Role, User
from accounts.reference import zone_for
from booking.models import Appointment, DateOverride, Schedule, WeeklyRule
from booking.slots import Availability, open_time
from counselling.models import Conversation

# What a coordinator sees of their organisation: the appointments of its counsellors (never the
# client's note, which is not even loaded), the clients of its counsellors, and utilisation.
# The imports of this section stay with it, so that it remains one block of its own.


def organisation_counsellor_list(*, organisation: Organisation) -> QuerySet[User]:
    """Everyone with the counsellor role in the organisation, by name; closed accounts too
    (their past appointments still count)."""
    return User.objects.filter(organisation=organisation, roles__role=Role.COUNSELLOR).order_by(
        "display_name", "pk"
    )


def appointment_list_for_organisation(
    *,
    organisation: Organisation,
    start: datetime,
    end: datetime,
    country: str = "",
    language: str = "",
    counsellor_id: int | None = None,
    status: str = "",
) -> QuerySet[Appointment]:
    """Appointments with the organisation's counsellors that start in [start, end), filtered by
    the client's country of origin, language, counsellor and status (empty: any)."""
    appointments = Appointment.objects.filter(
        counsellor__organisation=organisation, start_at__gte=start, start_at__lt=end
    )
    if country:
        appointments = appointments.filter(client__country_of_origin=country)
    if language:
        appointments = appointments.filter(language=language)
    if counsellor_id is not None:
        appointments = appointments.filter(counsellor_id=counsellor_id)
    if status:
        appointments = appointments.filter(status=status)
    return appointments.select_related("client", "counsellor").defer("note").order_by("start_at", "pk")


def appointment_tally(*, appointments: QuerySet[Appointment]) -> tuple[Counter[str], Counter[str]]:
    """How many of `appointments` there are by the client's country of origin and by language
    (one query)."""
    by_country: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    rows = (
        appointments.order_by()
        .values("client__country_of_origin", "language")
        .annotate(n=Count("pk"))
        .values_list("client__country_of_origin", "language", "n")
    )
    for country, language, n in rows:
        by_country[country] += n
        by_language[language] += n
    return by_country, by_language


def organisation_appointment_options(*, organisation: Organisation) -> tuple[list[str], list[str]]:
    """The clients' countries of origin and the languages found in the organisation's
    appointments: what its filters offer, so that no choice is bound to show nothing."""
    countries: set[str] = set()
    languages: set[str] = set()
    rows = (
        Appointment.objects.filter(counsellor__organisation=organisation)
        .order_by()
        .values_list("client__country_of_origin", "language")
        .distinct()
    )
    for country, language in rows:
        countries.add(country)
        languages.add(language)
    return sorted(c for c in countries if c), sorted(lang for lang in languages if lang)


def appointment_status_counts(
    *, organisation: Organisation, start: datetime, end: datetime
) -> dict[str, int]:
    """status -> how many of the organisation's appointments start in [start, end)."""
    rows = (
        Appointment.objects.filter(
            counsellor__organisation=organisation, start_at__gte=start, start_at__lt=end
        )
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return dict(rows)


def _organisation_conversations(organisation: Organisation) -> "Prefetch[str, QuerySet[Conversation], str]":
    # Each client's conversations with the organisation's counsellors, oldest first.
    return Prefetch(
        "client_conversations",
        queryset=Conversation.objects.filter(counsellor__organisation=organisation)
        .select_related("counsellor")
        .order_by("created_at", "pk"),
        to_attr="organisation_conversations",
    )


def organisation_client_list(
    *, organisation: Organisation, search: str = "", counsellor_id: int | None = None
) -> QuerySet[User]:
    """People with a conversation with one of the organisation's counsellors (that one, when
    given), by name, each with `organisation_conversations`."""
    conversations = Conversation.objects.filter(counsellor__organisation=organisation)
    if counsellor_id is not None:
        conversations = conversations.filter(counsellor_id=counsellor_id)
    clients = User.objects.filter(pk__in=conversations.values("client_id"))
    if search:
        clients = clients.filter(display_name__icontains=search)
    return clients.order_by("display_name", "pk").prefetch_related(_organisation_conversations(organisation))


def organisation_client_get(*, organisation: Organisation, client_id: int) -> User | None:
    """A client of one of the organisation's counsellors, with their languages and
    `organisation_conversations`; None for anyone else."""
    return (
        User.objects.filter(pk=client_id)
        .filter(pk__in=Conversation.objects.filter(counsellor__organisation=organisation).values("client_id"))
        .prefetch_related("languages", _organisation_conversations(organisation))
        .first()
    )


def appointment_list_for_organisation_client(
    *, organisation: Organisation, client: User
) -> QuerySet[Appointment]:
    """The client's appointments with the organisation's counsellors, newest first, each with
    what a reassignment did to it (`reassigned`, when one did); never the note."""
    return (
        Appointment.objects.filter(client=client, counsellor__organisation=organisation)
        .select_related("counsellor", "reassigned__new__counsellor")
        .defer("note", "reassigned__new__note")
        .order_by("-start_at", "-pk")
    )


def reassignment_candidate_list(*, organisation: Organisation, client: User) -> tuple[list[User], list[User]]:
    """Active counsellors of the organisation who could take the client: (those who speak one of
    the client's languages, the others), each by name, with languages and profile loaded."""
    spoken = {lang.code for lang in client.languages.all()}  # prefetched by organisation_client_get
    counsellors = (
        organisation_counsellor_list(organisation=organisation)
        .filter(is_active=True)
        .exclude(pk=client.pk)
        .select_related("counsellor_profile")
        .prefetch_related("languages")
    )
    speaking: list[User] = []
    others: list[User] = []
    for counsellor in counsellors:
        codes = {lang.code for lang in counsellor.languages.all()}
        (speaking if codes & spoken else others).append(counsellor)
    return speaking, others


# Statuses that held the counsellor's time (a client who did not come still took it).
_HELD = (Appointment.Status.BOOKED, Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW)


@dataclass(frozen=True)
class Utilisation:
    counsellor: User
    offered: timedelta  # open hours in the period
    held: timedelta  # booked, completed or not attended
    booked: int  # still booked (coming, or not marked yet)
    completed: int
    no_shows: int
    cancelled: int

    @property
    def percent(self) -> int | None:
        """Time held as a share of time offered; None when nothing was offered."""
        if not self.offered:
            return None
        return round(100 * (self.held / self.offered))


def utilisation_list(*, organisation: Organisation, start: datetime, end: datetime) -> list[Utilisation]:
    """Per counsellor of the organisation, for [start, end): hours offered (weekly hours and
    dates that differ, each in the counsellor's own zone), hours held by appointments starting
    then, and how those appointments went. Five queries, whatever the number of counsellors.
    Closed accounts appear only when they had appointments in the period."""
    counsellors = list(organisation_counsellor_list(organisation=organisation))
    ids = [c.pk for c in counsellors]
    schedules = {s.counsellor_id: s for s in Schedule.objects.filter(counsellor_id__in=ids)}
    rules: dict[int, dict[int, list[tuple[time, time]]]] = {}
    for schedule_id, weekday, rule_start, rule_end in WeeklyRule.objects.filter(
        schedule__counsellor_id__in=ids
    ).values_list("schedule_id", "weekday", "start", "end"):
        rules.setdefault(schedule_id, {}).setdefault(weekday, []).append((rule_start, rule_end))
    overrides: dict[int, dict[date, list[tuple[time, time]]]] = {}
    # Local dates: two days either side of the UTC dates cover every zone.
    for override in DateOverride.objects.filter(
        schedule__counsellor_id__in=ids,
        date__gte=start.date() - timedelta(days=2),
        date__lte=end.date() + timedelta(days=2),
    ):
        day = overrides.setdefault(override.schedule_id, {}).setdefault(override.date, [])
        if not override.is_day_off:
            day.append((override.start, override.end))  # type: ignore[arg-type]
    stats: dict[int, dict[str, tuple[int, timedelta]]] = {}
    for counsellor_id, status, n, length in (
        Appointment.objects.filter(counsellor_id__in=ids, start_at__gte=start, start_at__lt=end)
        .order_by()
        .values("counsellor_id", "status")
        .annotate(n=Count("pk"), length=Sum(F("end_at") - F("start_at")))
        .values_list("counsellor_id", "status", "n", "length")
    ):
        stats.setdefault(counsellor_id, {})[status] = (n, length or timedelta(0))

    rows: list[Utilisation] = []
    for counsellor in counsellors:
        counts = stats.get(counsellor.pk, {})
        if not counsellor.is_active and not counts:
            continue
        offered = timedelta(0)
        schedule = schedules.get(counsellor.pk)
        if schedule is not None:
            availability = Availability(
                zone=zone_for(counsellor.time_zone),
                rules=rules.get(schedule.pk, {}),
                overrides=overrides.get(schedule.pk, {}),
                durations=tuple(schedule.durations),
            )
            offered = open_time(availability, window_start=start, window_end=end)
        rows.append(
            Utilisation(
                counsellor=counsellor,
                offered=offered,
                held=sum((counts.get(s, (0, timedelta(0)))[1] for s in _HELD), timedelta(0)),
                booked=counts.get(Appointment.Status.BOOKED, (0, timedelta(0)))[0],
                completed=counts.get(Appointment.Status.COMPLETED, (0, timedelta(0)))[0],
                no_shows=counts.get(Appointment.Status.NO_SHOW, (0, timedelta(0)))[0],
                cancelled=counts.get(Appointment.Status.CANCELLED, (0, timedelta(0)))[0],
            )
        )
    return rows
