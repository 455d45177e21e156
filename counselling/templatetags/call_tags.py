"""`{{ appointment|joinable }}`: whether "Join" is shown for an appointment now."""

from django import template

from booking.models import Appointment
from counselling.selectors.calls import appointment_joinable

register = template.Library()


@register.filter
def joinable(appointment: Appointment | None) -> bool:
    return appointment is not None and appointment_joinable(appointment=appointment)
