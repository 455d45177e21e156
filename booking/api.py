"""Booking over JSON: free slots, book, cancel, reschedule (see DESIGN.md, "Booking API")."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from accounts.models import Role, User
from booking import selectors, services
from booking.models import Appointment
from booking.services import BookingError
from booking.slots import iso_utc
from config.api import error_response

router = Router(tags=["booking"])
MAX_WINDOW_DAYS = 31


class SlotOut(Schema):
    start: str
    end: str


class AppointmentIn(Schema):
    counsellor: int
    start: datetime
    duration: int = Field(..., ge=15, le=90)
    modality: Literal["chat", "audio", "video"]
    topic: str = Field(..., max_length=24)
    language: str | None = Field(None, max_length=3)
    interpreter: bool = False
    note: str = Field("", max_length=1000)
    idempotency_key: uuid.UUID


class AppointmentOut(Schema):
    id: int
    counsellor: int
    client: int
    conversation: int
    start: str
    end: str
    duration: int
    modality: str
    topic: str
    language: str
    status: str


class CancelIn(Schema):
    reason: str = Field("", max_length=300)


class RescheduleIn(Schema):
    start: datetime
    reason: str = Field("", max_length=300)


def appointment_out(appointment: Appointment) -> dict[str, object]:
    return {
        "id": appointment.pk,
        "counsellor": appointment.counsellor_id,
        "client": appointment.client_id,
        "conversation": appointment.conversation_id,
        "start": iso_utc(appointment.start_at),
        "end": iso_utc(appointment.end_at),
        "duration": appointment.duration_minutes,
        "modality": appointment.modality,
        "topic": appointment.topic,
        "language": appointment.language,
        "status": appointment.status,
    }


def booking_error(request: HttpRequest, error: BookingError) -> HttpResponse:
    status = {"slot_taken": 409, "not_yours": 404, "unknown_counsellor": 404, "not_active": 409}.get(
        error.code, 400
    )
    return error_response(
        request, status, error.code, error.message, next_slots=[s.as_json() for s in error.next_slots]
    )


def _counsellor(counsellor_id: int) -> User:
    return get_object_or_404(User, pk=counsellor_id, is_active=True, roles__role=Role.COUNSELLOR)


@router.get(
    "/counsellors/{counsellor_id}/slots", response=list[SlotOut], summary="Free times of a counsellor"
)
def slots(
    request: HttpRequest, counsellor_id: int, start: date, end: date, duration: int = 30
) -> list[dict[str, str]] | HttpResponse:
    """Free slots starting between `start` 00:00 UTC and the end of `end` (UTC dates)."""
    if end < start or (end - start).days > MAX_WINDOW_DAYS:
        return error_response(
            request,
            400,
            "invalid_window",
            _("Ask for at most %(days)d days, with the end after the start.") % {"days": MAX_WINDOW_DAYS},
        )
    counsellor = _counsellor(counsellor_id)
    window_start = datetime.combine(start, time(0), tzinfo=UTC)
    window_end = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    found = selectors.slot_list(
        counsellor=counsellor,
        client=request.auth,
        duration=duration,
        window_start=window_start,
        window_end=window_end,
    )
    return [slot.as_json() for slot in found]


@router.post("/appointments", response={201: AppointmentOut}, summary="Book an appointment")
def book(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, object]] | HttpResponse:
    """Book for the signed-in person. A replay of `idempotency_key` returns the first answer."""
    client: User = request.auth
    counsellor = _counsellor(payload.counsellor)
    language = payload.language or _default_language(client, counsellor)
    try:
        result = services.appointment_book(
            client=client,
            counsellor=counsellor,
            start_at=payload.start,
            duration=payload.duration,
            modality=payload.modality,
            topic=payload.topic,
            language=language,
            interpreter_requested=payload.interpreter,
            note=payload.note,
            idempotency_key=payload.idempotency_key,
        )
    except BookingError as error:
        return booking_error(request, error)
    return Status(201, appointment_out(result.appointment))


def _default_language(client: User, counsellor: User) -> str:
    """The client's most preferred language that the counsellor speaks."""
    theirs = [lang.code for lang in counsellor.languages.all()]
    for code in client.languages.values_list("code", flat=True):
        if code in theirs:
            return code
    return theirs[0] if theirs else ""


def _own_appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    """Only the two people of an appointment see it; for anyone else it does not exist."""
    user: User = request.auth
    mine = Appointment.objects.filter(Q(counsellor=user) | Q(client=user))
    return get_object_or_404(mine.select_related("counsellor__organisation", "client"), pk=appointment_id)


@router.post(
    "/appointments/{appointment_id}/cancel", response=AppointmentOut, summary="Cancel an appointment"
)
def cancel(request: HttpRequest, appointment_id: int, payload: CancelIn) -> dict[str, object] | HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    try:
        appointment = services.appointment_cancel(
            appointment=appointment, by=request.auth, reason=payload.reason
        )
    except BookingError as error:
        return booking_error(request, error)
    return appointment_out(appointment)


@router.post(
    "/appointments/{appointment_id}/reschedule", response=AppointmentOut, summary="Move an appointment"
)
def reschedule(
    request: HttpRequest, appointment_id: int, payload: RescheduleIn
) -> dict[str, object] | HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    try:
        appointment = services.appointment_reschedule(
            appointment=appointment, by=request.auth, start_at=payload.start, reason=payload.reason
        )
    except BookingError as error:
        return booking_error(request, error)
    return appointment_out(appointment)
