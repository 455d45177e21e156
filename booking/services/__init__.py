"""Every write to booking: keyword-only, validated, atomic. One module per subject."""

from booking.services.appointments import (
    BookingError,
    BookingResult,
    appointment_book,
    appointment_cancel,
    appointment_mark,
    appointment_reschedule,
)
from booking.services.availability import (
    ALLOWED_DURATIONS,
    date_override_clear,
    date_override_set,
    schedule_update,
    schedules_refresh_next_free,
    time_ranges_check,
    weekly_rules_set,
)
from booking.services.groups import (
    GROUP_DURATIONS,
    group_register,
    group_session_cancel,
    group_session_create,
    group_session_may_host,
    group_session_may_manage,
    group_session_update,
    group_unregister,
)
from booking.services.transfer import appointment_transfer

__all__ = [
    "ALLOWED_DURATIONS",
    "GROUP_DURATIONS",
    "BookingError",
    "BookingResult",
    "appointment_book",
    "appointment_cancel",
    "appointment_mark",
    "appointment_reschedule",
    "appointment_transfer",
    "date_override_clear",
    "date_override_set",
    "group_register",
    "group_session_cancel",
    "group_session_create",
    "group_session_may_host",
    "group_session_may_manage",
    "group_session_update",
    "group_unregister",
    "schedule_update",
    "schedules_refresh_next_free",
    "time_ranges_check",
    "weekly_rules_set",
]
