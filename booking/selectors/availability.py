"""Reads of availability: a counsellor's schedule, free slots, and the next free time of many."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from booking.models import Appointment, DateOverride, Schedule, WeeklyRule
from booking.slots import Availability, Slot, free_slots, next_working_time


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


def counsellor_next_working_time(
    *, counsellor: User, now: datetime, days: int = 14
) -> tuple[datetime, bool] | None:
    """When the counsellor is next at work: (now, True) while at work, else (start, False); None
    without hours in the next `days`. Their working hours are also when they answer messages."""
    availability = availability_get(
        counsellor=counsellor, busy_from=now, busy_to=now + timedelta(days=days + 1)
    )
    if availability is None:
        return None
    return next_working_time(availability, now=now, days=days)
