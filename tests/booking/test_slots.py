"""Slot computation across real zone pairs and both DST changes of 2026."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.slots import Availability, free_slots, local_instant, next_working_time, open_time

MON, SUN = 0, 6
BERLIN, KABUL, ATHENS, LAGOS = (
    ZoneInfo(z) for z in ("Europe/Berlin", "Asia/Kabul", "Europe/Athens", "Africa/Lagos")
)
NEW_YORK, CARACAS, TEHRAN = (ZoneInfo(z) for z in ("America/New_York", "America/Caracas", "Asia/Tehran"))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def availability(zone: ZoneInfo, **overrides) -> Availability:
    defaults = {
        "zone": zone,
        "rules": {},
        "overrides": {},
        "durations": (30, 60),
        "min_notice": timedelta(0),
        "horizon": timedelta(days=400),
        "max_per_day": 48,
    }
    defaults.update(overrides)
    return Availability(**defaults)


def slots_on(av: Availability, day: date, duration: int = 30, now: datetime = LONG_AGO, **kwargs):
    start = datetime.combine(day, time(0), tzinfo=av.zone)
    return free_slots(
        av,
        duration_minutes=duration,
        window_start=start.astimezone(UTC),
        window_end=(start + timedelta(days=1)).astimezone(UTC),
        now=now,
        **kwargs,
    )


def local_times(slots, zone: ZoneInfo) -> list[str]:
    return [s.start.astimezone(zone).strftime("%H:%M%z") for s in slots]


def test_no_slot_in_the_hour_skipped_when_berlin_moves_clocks_forward():
    av = availability(BERLIN, rules={SUN: [(time(1), time(4))]})

    slots = slots_on(av, date(2026, 3, 29))

    assert local_times(slots, BERLIN) == ["01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_no_slot_twice_when_berlin_moves_clocks_back():
    av = availability(BERLIN, rules={SUN: [(time(1), time(4))]})

    slots = slots_on(av, date(2026, 10, 25))

    starts = [s.start for s in slots]
    assert len(starts) == len(set(starts))
    walls = [s.start.astimezone(BERLIN).strftime("%H:%M") for s in slots]
    assert walls == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]


def test_kabul_morning_hours_are_the_same_utc_instants_before_and_after_berlin_changes_clocks():
    av = availability(KABUL, rules={MON: [(time(9), time(10))]})

    winter = slots_on(av, date(2026, 3, 23))  # Berlin on +01:00
    summer = slots_on(av, date(2026, 3, 30))  # Berlin on +02:00

    assert [s.start for s in winter] == [utc(2026, 3, 23, 4, 30), utc(2026, 3, 23, 5, 0)]
    assert [s.start for s in summer] == [utc(2026, 3, 30, 4, 30), utc(2026, 3, 30, 5, 0)]
    # The migrant in Berlin sees them an hour later after the change.
    assert local_times(winter, BERLIN) == ["05:30+0100", "06:00+0100"]
    assert local_times(summer, BERLIN) == ["06:30+0200", "07:00+0200"]


def test_lagos_nine_oclock_is_ten_in_athens_in_winter_and_eleven_in_summer():
    av = availability(LAGOS, rules={MON: [(time(9), time(9, 30))]})

    assert local_times(slots_on(av, date(2026, 3, 23)), ATHENS) == ["10:00+0200"]
    assert local_times(slots_on(av, date(2026, 3, 30)), ATHENS) == ["11:00+0300"]
    assert local_times(slots_on(av, date(2026, 10, 19)), ATHENS) == ["11:00+0300"]
    assert local_times(slots_on(av, date(2026, 10, 26)), ATHENS) == ["10:00+0200"]


def test_caracas_slots_move_for_new_york_across_both_us_changes():
    av = availability(CARACAS, rules={MON: [(time(10), time(10, 30))]})

    assert local_times(slots_on(av, date(2026, 3, 2)), NEW_YORK) == ["09:00-0500"]
    assert local_times(slots_on(av, date(2026, 3, 9)), NEW_YORK) == ["10:00-0400"]
    assert local_times(slots_on(av, date(2026, 10, 26)), NEW_YORK) == ["10:00-0400"]
    assert local_times(slots_on(av, date(2026, 11, 2)), NEW_YORK) == ["09:00-0500"]


def test_a_berlin_counsellor_keeps_wall_clock_hours_for_a_client_in_tehran():
    av = availability(BERLIN, rules={MON: [(time(9), time(9, 30))]})

    assert local_times(slots_on(av, date(2026, 3, 23)), TEHRAN) == ["11:30+0330"]
    assert local_times(slots_on(av, date(2026, 3, 30)), TEHRAN) == ["10:30+0330"]


def test_a_range_is_cut_into_slots_of_the_chosen_length_that_end_within_it():
    av = availability(LAGOS, rules={MON: [(time(9), time(10, 45))]})

    assert local_times(slots_on(av, date(2026, 6, 1), duration=30), LAGOS) == [
        "09:00+0100",
        "09:30+0100",
        "10:00+0100",
    ]
    assert local_times(slots_on(av, date(2026, 6, 1), duration=60), LAGOS) == ["09:00+0100", "09:30+0100"]


def test_a_length_the_counsellor_does_not_offer_has_no_slots():
    av = availability(LAGOS, rules={MON: [(time(9), time(12))]}, durations=(60,))

    assert slots_on(av, date(2026, 6, 1), duration=45) == []


def test_a_day_off_override_removes_the_weekly_hours_and_an_hours_override_replaces_them():
    av = availability(
        LAGOS,
        rules={MON: [(time(9), time(10))]},
        overrides={date(2026, 6, 1): [], date(2026, 6, 8): [(time(14), time(15))]},
    )

    assert slots_on(av, date(2026, 6, 1)) == []
    assert local_times(slots_on(av, date(2026, 6, 8)), LAGOS) == ["14:00+0100", "14:30+0100"]
    assert local_times(slots_on(av, date(2026, 6, 15)), LAGOS) == ["09:00+0100", "09:30+0100"]


def test_booked_times_and_their_buffers_are_not_offered():
    booked = (utc(2026, 6, 1, 9, 0), utc(2026, 6, 1, 9, 30))  # 10:00-10:30 in Lagos
    av = availability(
        LAGOS,
        rules={MON: [(time(9), time(12))]},
        busy=[booked],
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
    )

    # 09:30 would end at 10:00 but needs 15 + 15 free minutes before the booked 10:00.
    assert local_times(slots_on(av, date(2026, 6, 1)), LAGOS) == [
        "09:00+0100",
        "11:00+0100",
        "11:30+0100",
    ]


def test_past_times_and_times_inside_the_minimum_notice_are_not_offered():
    av = availability(LAGOS, rules={MON: [(time(9), time(12))]}, min_notice=timedelta(hours=2))
    now = utc(2026, 6, 1, 8, 10)  # 09:10 in Lagos

    assert local_times(slots_on(av, date(2026, 6, 1), now=now), LAGOS) == ["11:30+0100"]


def test_times_beyond_the_booking_horizon_are_not_offered():
    av = availability(LAGOS, rules={MON: [(time(9), time(10))]}, horizon=timedelta(days=7))
    now = utc(2026, 6, 1, 0, 0)

    assert slots_on(av, date(2026, 6, 8), now=now) == []
    assert slots_on(av, date(2026, 6, 1), now=now)


def test_a_full_day_offers_nothing_more():
    booked = [
        (utc(2026, 6, 1, 8, 0), utc(2026, 6, 1, 8, 30)),
        (utc(2026, 6, 1, 9, 0), utc(2026, 6, 1, 9, 30)),
    ]
    av = availability(LAGOS, rules={MON: [(time(9), time(17))]}, busy=booked, max_per_day=2)

    assert slots_on(av, date(2026, 6, 1)) == []
    assert slots_on(av, date(2026, 6, 8))


def test_the_clients_own_appointments_elsewhere_are_not_offered():
    av = availability(LAGOS, rules={MON: [(time(9), time(10))]})
    elsewhere = [(utc(2026, 6, 1, 8, 0), utc(2026, 6, 1, 8, 30))]  # 09:00 in Lagos

    slots = slots_on(av, date(2026, 6, 1), extra_busy=elsewhere)

    assert local_times(slots, LAGOS) == ["09:30+0100"]


@pytest.mark.parametrize(
    ("zone", "day", "wall", "exists"),
    [
        (BERLIN, date(2026, 3, 29), time(2, 30), False),
        (BERLIN, date(2026, 3, 29), time(3, 0), True),
        (NEW_YORK, date(2026, 3, 8), time(2, 0), False),
        (KABUL, date(2026, 3, 29), time(2, 30), True),
    ],
)
def test_skipped_wall_clock_times_have_no_instant(zone, day, wall, exists):
    assert (local_instant(day, wall, zone) is not None) is exists


def test_asking_for_the_first_slot_only_gives_the_same_first_slot():
    booked = [(utc(2026, 6, 1, 8, 0), utc(2026, 6, 1, 16, 0))]  # Monday fully booked in Lagos
    av = availability(LAGOS, rules={MON: [(time(9), time(17))], 1: [(time(9), time(17))]}, busy=booked)
    window = {
        "duration_minutes": 30,
        "window_start": utc(2026, 6, 1, 0, 0),
        "window_end": utc(2026, 6, 9, 0, 0),
        "now": LONG_AGO,
    }

    everything = free_slots(av, **window)
    first = free_slots(av, **window, limit=1)

    assert first == everything[:1]
    assert local_times(first, LAGOS) == ["09:00+0100"]
    assert first[0].start.date() == date(2026, 6, 2)


def test_a_range_ending_at_midnight_offers_the_last_slot_of_the_day():
    kabul = ZoneInfo("Asia/Kabul")
    availability = Availability(
        zone=kabul,
        rules={day: [(time(20), time(0))] for day in range(7)},
        overrides={},
        durations=(30,),
        min_notice=timedelta(0),
    )
    day_start = datetime(2026, 6, 1, 0, 0, tzinfo=kabul)

    slots = free_slots(
        availability,
        duration_minutes=30,
        window_start=day_start,
        window_end=day_start + timedelta(days=1),
        now=day_start - timedelta(days=1),
    )

    local = [s.start.astimezone(kabul).strftime("%H:%M") for s in slots]
    assert local[0] == "20:00"
    assert local[-1] == "23:30"
    assert len(local) == 8


def test_open_time_counts_a_range_until_midnight_as_four_hours():
    availability = Availability(
        zone=ZoneInfo("Asia/Kabul"), rules={0: [(time(20), time(0))]}, overrides={}, durations=(30,)
    )
    monday = datetime(2026, 6, 1, 0, 0, tzinfo=ZoneInfo("Asia/Kabul"))

    assert open_time(availability, window_start=monday, window_end=monday + timedelta(days=7)) == timedelta(
        hours=4
    )


def _kabul_weekdays_nine_to_five() -> Availability:
    return Availability(
        zone=ZoneInfo("Asia/Kabul"),
        rules={d: [(time(9), time(17))] for d in range(5)},
        overrides={date(2026, 6, 2): []},  # Tuesday off
        durations=(30,),
    )


def test_during_working_hours_the_counsellor_is_at_work_now():
    now = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday 10:30 in Kabul

    assert next_working_time(_kabul_weekdays_nine_to_five(), now=now) == (now, True)


def test_after_hours_the_next_start_skips_a_day_off():
    now = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # Monday 18:30 in Kabul; Tuesday is off

    start, working = next_working_time(_kabul_weekdays_nine_to_five(), now=now)

    assert not working
    assert start == datetime(2026, 6, 3, 4, 30, tzinfo=UTC)  # Wednesday 09:00 in Kabul


def test_without_any_hours_there_is_no_next_working_time():
    availability = Availability(zone=ZoneInfo("Asia/Kabul"), rules={}, overrides={}, durations=(30,))

    assert next_working_time(availability, now=datetime(2026, 6, 1, tzinfo=UTC)) is None
