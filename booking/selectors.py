from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from booking.models import Appointment, Schedule
from booking.slots import Availability, Slot, free_slots


def schedule_get(*, counsellor: User) -> Schedule | None:
    return Schedule.objects.filter(counsellor=counsellor).prefetch_related("rules", "overrides").first()


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
    for override in schedule.overrides.all():
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
