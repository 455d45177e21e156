"""Calendar files (RFC 5545) for appointments: UTC instants, one UID per appointment,
METHOD:REQUEST for a booking or a change, METHOD:CANCEL with the same UID to remove it."""

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from booking.models import Appointment, GroupSession, Modality


def appointment_uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.public_id}@passage"


def _event(appointment: Appointment, *, cancelled: bool) -> Event:
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start_at)
    event.add("dtend", appointment.end_at)
    event.add("sequence", appointment.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add(
        "summary",
        _("Passage appointment (%(modality)s)") % {"modality": Modality(appointment.modality).label},
    )
    event.add("url", settings.SITE_URL.rstrip("/") + reverse("booking:appointment", args=[appointment.pk]))
    return event


def appointment_ics(appointment: Appointment, *, cancel: bool = False) -> bytes:
    """The calendar file for `appointment`, in the current language. No notes, no message text."""
    calendar = Calendar()
    calendar.add("prodid", "-//Passage//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    calendar.add_component(_event(appointment, cancelled=cancel))
    return bytes(calendar.to_ical())


def group_session_ics(session: GroupSession, *, cancel: bool = False) -> bytes:
    """The calendar file of a group session for one registered person (the place is theirs to see)."""
    event = Event()
    event.add("uid", f"group-session-{session.public_id}@passage")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.start_at)
    event.add("dtend", session.end_at)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("summary", session.title)
    if session.location:
        event.add("location", session.location)
    event.add("url", settings.SITE_URL.rstrip("/") + reverse("booking:group_session", args=[session.pk]))
    calendar = Calendar()
    calendar.add("prodid", "-//Passage//Group sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def calendar_feed_ics(appointments: Iterable[Appointment], *, name: str) -> bytes:
    """A subscribable calendar (METHOD:PUBLISH) of a counsellor's appointments: times and the
    kind of meeting only, never client names or notes (calendar apps sync to other clouds)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Passage//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for appointment in appointments:
        calendar.add_component(_event(appointment, cancelled=False))
    return bytes(calendar.to_ical())
