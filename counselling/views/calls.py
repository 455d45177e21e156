"""Joining an appointment: from `JOIN_EARLY` before it starts, "Join" leads both people to
their conversation page, where the client waits until the counsellor lets them in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from booking import selectors as booking_selectors
from counselling.selectors import calls as call_selectors


@login_required
@require_GET
def appointment_join(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    appointment = booking_selectors.appointment_get_for_party(user=user, appointment_id=appointment_id)
    if appointment is None:
        raise Http404
    if not call_selectors.appointment_joinable(appointment=appointment):
        messages.info(request, _("You can join from 10 minutes before the start until the end."))
        return redirect("booking:appointment", appointment.pk)
    url = reverse("counselling:conversation", args=[appointment.conversation_id])
    if appointment.modality == "chat":
        return redirect(url)  # the conversation is the session: nobody waits to be let in
    return redirect(f"{url}?appointment={appointment.pk}#call")


urlpatterns: list[URLPattern] = [
    path("appointments/<int:appointment_id>/join/", appointment_join, name="appointment_join"),
]
