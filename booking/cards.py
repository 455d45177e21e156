"""Dashboard cards that booking contributes; registered in BookingConfig.ready()."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.reference import zone_for
from booking import selectors
from booking.forms_coordinator import THIS_WEEK, period_for
from booking.models import Appointment
from frontend.dashboard import Card


def organisation_card(user: User) -> Card | None:
    """Coordinators: this week's appointments in their organisation, and the way to its pages."""
    if not user.has_role(Role.COORDINATOR):
        return None
    organisation = user.organisation
    if organisation is None:
        return Card(
            title=_("Your organisation"),
            template="booking/cards/organisation.html",
            context={"organisation": None},
            order=15,
            needs_action=True,
        )
    zone = zone_for(user.time_zone)
    start, end = period_for(THIS_WEEK, timezone.now().astimezone(zone).date()).bounds(zone)
    counts = selectors.appointment_status_counts(organisation=organisation, start=start, end=end)
    Status = Appointment.Status
    return Card(
        title=organisation.name,
        template="booking/cards/organisation.html",
        context={
            "organisation": organisation,
            "figures": [
                (Status.BOOKED.label, counts.get(Status.BOOKED, 0)),
                (Status.COMPLETED.label, counts.get(Status.COMPLETED, 0)),
                (Status.NO_SHOW.label, counts.get(Status.NO_SHOW, 0)),
                (Status.CANCELLED.label, counts.get(Status.CANCELLED, 0)),
            ],
        },
        order=15,
    )
