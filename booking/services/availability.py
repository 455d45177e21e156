"""Counsellors' booking settings: weekly hours, date overrides, lengths, buffers, limits."""

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from booking import selectors
from booking.models import DateOverride, Schedule, WeeklyRule
from config.celery import enqueue_on_commit

ALLOWED_DURATIONS = (15, 20, 30, 45, 60, 90)


def _require_counsellor(user: User) -> None:
    if not user.has_role(Role.COUNSELLOR):
        raise ValidationError(_("Only counsellors have a booking schedule."))


@transaction.atomic
def schedule_update(
    *,
    counsellor: User,
    durations: Iterable[int],
    buffer_before: int = 0,
    buffer_after: int = 0,
    min_notice: int = 120,
    horizon_days: int = 28,
    max_per_day: int = 8,
) -> Schedule:
    """Save a counsellor's booking settings."""
    _require_counsellor(counsellor)
    durations = sorted(set(durations))
    if not durations or set(durations) - set(ALLOWED_DURATIONS):
        raise ValidationError({"durations": _("Choose at least one appointment length from the list.")})
    schedule, _created = Schedule.objects.select_for_update().get_or_create(counsellor=counsellor)
    schedule.durations = durations
    schedule.buffer_before = buffer_before
    schedule.buffer_after = buffer_after
    schedule.min_notice = min_notice
    schedule.horizon_days = horizon_days
    schedule.max_per_day = max_per_day
    schedule.full_clean()
    schedule.save()
    refresh_next_free_after_commit(counsellor.pk)
    return schedule


def _minutes(moment: time, *, end: bool = False) -> int:
    # As an end, 00:00 is midnight at the end of the day.
    minutes = moment.hour * 60 + moment.minute
    return 24 * 60 if end and minutes == 0 else minutes


def time_ranges_check(ranges: Sequence[tuple[time, time]]) -> None:
    """Raise ValidationError unless every range ends after it starts (00:00 as an end is the
    midnight that ends the day) and none overlap."""
    spans = sorted((_minutes(start), _minutes(end, end=True)) for start, end in ranges)
    for start, end in spans:
        if end <= start:
            raise ValidationError(_("Each time range must end after it starts."))
    for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
        if s2 < e1:
            raise ValidationError(_("Time ranges on the same day must not overlap."))


@transaction.atomic
def weekly_rules_set(*, counsellor: User, rules: Iterable[tuple[int, time, time]]) -> list[WeeklyRule]:
    """Replace the weekly hours (weekday 0 = Monday, local times of the counsellor)."""
    _require_counsellor(counsellor)
    rules = list(rules)
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in rules:
        if not 0 <= weekday <= 6:
            raise ValidationError(_("Unknown day of the week."))
        by_day.setdefault(weekday, []).append((start, end))
    for ranges in by_day.values():
        time_ranges_check(ranges)
    schedule, _created = Schedule.objects.get_or_create(counsellor=counsellor)
    WeeklyRule.objects.filter(schedule=schedule).delete()
    refresh_next_free_after_commit(counsellor.pk)
    return WeeklyRule.objects.bulk_create(
        [WeeklyRule(schedule=schedule, weekday=w, start=s, end=e) for w, s, e in sorted(rules)]
    )


@transaction.atomic
def date_override_set(
    *, counsellor: User, day: date, ranges: Sequence[tuple[time, time]], note: str = ""
) -> list[DateOverride]:
    """Set one date's hours (no ranges: a day off), replacing what that date had."""
    _require_counsellor(counsellor)
    time_ranges_check(ranges)
    schedule, _created = Schedule.objects.get_or_create(counsellor=counsellor)
    DateOverride.objects.filter(schedule=schedule, date=day).delete()
    refresh_next_free_after_commit(counsellor.pk)
    if not ranges:
        return [DateOverride.objects.create(schedule=schedule, date=day, note=note)]
    return DateOverride.objects.bulk_create(
        [DateOverride(schedule=schedule, date=day, start=s, end=e, note=note) for s, e in sorted(ranges)]
    )


@transaction.atomic
def date_override_clear(*, counsellor: User, day: date) -> None:
    """Back to the weekly hours on `day`."""
    DateOverride.objects.filter(schedule__counsellor=counsellor, date=day).delete()
    refresh_next_free_after_commit(counsellor.pk)


def schedules_refresh_next_free(*, counsellor_ids: Iterable[int] | None = None) -> int:
    """Recompute `Schedule.next_free_at` (all schedules when no ids are given); returns how many."""
    schedules = Schedule.objects.select_related("counsellor")
    if counsellor_ids is not None:
        schedules = schedules.filter(counsellor_id__in=list(counsellor_ids))
    now = timezone.now()
    updated = 0
    for chunk in itertools.batched(schedules.order_by("pk").iterator(chunk_size=200), 200):
        found = selectors.next_free_slot_map(counsellors=[s.counsellor for s in chunk], now=now)
        for schedule in chunk:
            slot = found.get(schedule.counsellor_id)
            schedule.next_free_at = slot[0].start if slot else None
        Schedule.objects.bulk_update(chunk, ["next_free_at"])
        updated += len(chunk)
    return updated


def refresh_next_free_after_commit(counsellor_id: int) -> None:
    from booking.tasks import schedule_next_free_refresh

    enqueue_on_commit(schedule_next_free_refresh, counsellor_id)
