"""Free appointment times: pure computation, no database.

Rules and overrides are wall-clock times in the counsellor's zone. Each local day's ranges are
stepped through in wall-clock time and every candidate is turned into a UTC instant once, so:
- a wall-clock time that does not exist (clocks jump forward) yields no slot;
- a wall-clock time that exists twice (clocks fall back) yields one slot, at its first instant;
- a slot lasts its real duration, and must end by the real end of its range;
- slots start every 30 minutes (every `duration` when shorter) from the start of each range.
"""

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Range = tuple[time, time]


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime

    def as_json(self) -> dict[str, str]:
        return {"start": iso_utc(self.start), "end": iso_utc(self.end)}


@dataclass(frozen=True)
class Availability:
    """Everything slot computation needs about one counsellor, loaded once."""

    zone: ZoneInfo
    rules: dict[int, list[Range]]  # weekday -> ranges
    overrides: dict[date, list[Range]]  # date -> ranges ([] = day off)
    durations: tuple[int, ...]
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=28)
    max_per_day: int = 8
    busy: Sequence[tuple[datetime, datetime]] = field(default_factory=tuple)  # active appointments


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of `wall` on `day` in `zone`, or None if that wall-clock time is skipped."""
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return utc


def end_wall(day: date, wall: time) -> datetime:
    """The wall-clock end of a range on `day`: 00:00 as an end means midnight at the end of the
    day (a range "20:00-00:00" is the evening until midnight)."""
    if wall == time(0):
        return datetime.combine(day + timedelta(days=1), time(0))
    return datetime.combine(day, wall)


def _range_end(day: date, wall: time, zone: ZoneInfo) -> datetime:
    # A range ending inside a skipped hour ends at the jump (the first valid instant after it).
    local = end_wall(day, wall)
    end = local_instant(local.date(), local.time(), zone)
    if end is None:
        end = local.replace(tzinfo=zone).astimezone(UTC)
    return end


def ranges_for(availability: Availability, day: date) -> list[Range]:
    if day in availability.overrides:
        return availability.overrides[day]
    return availability.rules.get(day.weekday(), [])


def _steady_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset on `day` when its clocks do not change that day (almost every day)."""
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    offset = midnight.utcoffset()
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    if offset is None or next_midnight.utcoffset() != offset:
        return None
    # The same offset at both ends still hides a change if the day is not 24 hours long.
    if next_midnight.astimezone(UTC) - midnight.astimezone(UTC) != timedelta(days=1):
        return None
    return offset


def _candidates(availability: Availability, day: date, duration: timedelta) -> Iterable[Slot]:
    zone = availability.zone
    # Start times every half hour (every quarter for short appointments), as Cal.com offers.
    step = min(duration, timedelta(minutes=30))
    offset = _steady_offset(day, zone)
    for start_wall, end_time in ranges_for(availability, day):
        range_end = _range_end(day, end_time, zone)
        wall = datetime.combine(day, start_wall)
        last_wall = end_wall(day, end_time)
        while wall < last_wall:
            if offset is not None:
                # No clock change today: every wall time exists once, at a fixed offset.
                start: datetime | None = (wall - offset).replace(tzinfo=UTC)
            else:
                start = local_instant(day, wall.time(), zone)
            if start is not None:
                end = start + duration
                if end > range_end:
                    break
                yield Slot(start, end)
            wall += step


def free_slots(
    availability: Availability,
    *,
    duration_minutes: int,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    extra_busy: Iterable[tuple[datetime, datetime]] = (),
    limit: int | None = None,
) -> list[Slot]:
    """Bookable slots starting in [window_start, window_end), in time order (the first `limit`
    only, computed day by day until found: "the next free time" costs one or two days)."""
    if duration_minutes not in availability.durations:
        return []
    duration = timedelta(minutes=duration_minutes)
    zone = availability.zone
    earliest = max(window_start, now + availability.min_notice)
    latest = min(window_end, now + availability.horizon)
    if earliest >= latest:
        return []

    before, after = availability.buffer_before, availability.buffer_after
    busy = sorted([*availability.busy, *extra_busy])
    per_day = Counter(start.astimezone(zone).date() for start, _end in availability.busy)

    # Buffered ranges of busy times, sorted by start; a slot conflicts when its own buffered
    # range overlaps one (the gap between two appointments is at least after + before).
    blocked = [(s - before, e + after) for s, e in busy]
    starts = [b[0] for b in blocked]
    longest = max((e - s for s, e in blocked), default=timedelta(0))

    def is_free(slot: Slot) -> bool:
        lo, hi = slot.start - before, slot.end + after
        # Only ranges starting in (lo - longest, hi) can overlap [lo, hi).
        i = bisect.bisect_right(starts, lo - longest)
        j = bisect.bisect_left(starts, hi)
        return not any(blocked[k][1] > lo for k in range(i, j))

    free: list[Slot] = []
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        # A local day that is over before `earliest` has nothing to offer (the day before the
        # window, and days inside the minimum notice): skip it without making its candidates.
        over = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) <= earliest
        if not over and per_day[day] < availability.max_per_day:
            # One local day's starts are later than the previous day's: order holds across days.
            candidates = {s for s in _candidates(availability, day, duration) if earliest <= s.start < latest}
            for slot in sorted(candidates):
                if is_free(slot):
                    free.append(slot)
                    if limit is not None and len(free) >= limit:
                        return free
        day += timedelta(days=1)
    return free


def _constant_offset_pieces(day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime, timedelta]]:
    """The local `day` as UTC intervals in which the zone's offset does not change, each with
    that offset: one interval on almost every day, two on a day when the clocks change."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    steady = _steady_offset(day, zone)
    if steady is not None:
        return [(start, end, steady)]

    def offset_at(moment: datetime) -> timedelta:
        return moment.astimezone(zone).utcoffset() or timedelta(0)

    before, last = offset_at(start), end - timedelta(seconds=1)
    if offset_at(last) == before:
        return [(start, end, before)]
    # Bisect to the second of the change (zones change on whole seconds; 17 steps for a day).
    low, high = start, last
    while high - low > timedelta(seconds=1):
        middle = (low + (high - low) / 2).replace(microsecond=0)
        if offset_at(middle) == before:
            low = middle
        else:
            high = middle
    return [(start, high, before), (high, end, offset_at(high))]


def open_time(availability: Availability, *, window_start: datetime, window_end: datetime) -> timedelta:
    """How long the counsellor is open within [window_start, window_end): the real time during
    which their own clock shows a time inside one of that day's ranges (weekly rules, or the
    date's override). Clocks that jump forward make a range across the jump shorter by the
    skipped hour; clocks that fall back make it longer by the repeated hour. Buffers, notice,
    horizon and booked times play no part: this is the time offered, not the time still free."""
    zone = availability.zone
    total = timedelta(0)
    day = window_start.astimezone(zone).date()
    last_day = window_end.astimezone(zone).date()
    while day <= last_day:
        ranges = ranges_for(availability, day)
        if ranges:
            for piece_start, piece_end, offset in _constant_offset_pieces(day, zone):
                for start_wall, end in ranges:
                    # While the offset holds, an instant's wall-clock time is instant + offset.
                    low = (datetime.combine(day, start_wall) - offset).replace(tzinfo=UTC)
                    high = (end_wall(day, end) - offset).replace(tzinfo=UTC)
                    low, high = max(low, piece_start, window_start), min(high, piece_end, window_end)
                    if high > low:
                        total += high - low
        day += timedelta(days=1)
    return total


def next_working_time(
    availability: Availability, *, now: datetime, days: int = 14
) -> tuple[datetime, bool] | None:
    """When the counsellor is next at work (weekly hours, or the date's own): (now, True) while a
    range is under way, else (its start, False); None when no range comes within `days`. Their
    working hours are also when they answer messages, so clients see when to expect an answer."""
    zone = availability.zone
    day = now.astimezone(zone).date() - timedelta(days=1)  # a range of yesterday may run past midnight
    for _ in range(days + 2):
        for start_wall, end_time in sorted(ranges_for(availability, day)):
            start = local_instant(day, start_wall, zone) or datetime.combine(day, start_wall, tzinfo=zone)
            end = _range_end(day, end_time, zone)
            if start <= now < end:
                return now, True
            if start > now:
                return start.astimezone(UTC), False
        day += timedelta(days=1)
    return None
