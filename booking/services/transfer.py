"""Moving an upcoming appointment to another counsellor of the same organisation, when a
coordinator reassigns the client: the old appointment is cancelled (it stays, as history) and the
same time is booked with the new counsellor when they are free then."""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from booking.models import Appointment, Notice
from booking.notifications import notices_create
from booking.services.appointments import BookingError, booking_locks
from booking.services.availability import refresh_next_free_after_commit
from counselling.services import conversation_get_or_create


def _may_transfer(appointment: Appointment, to_counsellor: User, by: User, now: datetime) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError("not_active", _("This appointment is no longer active."))
    if appointment.start_at <= now:
        raise BookingError("started", _("This appointment has already started."))
    if not to_counsellor.is_active or not to_counsellor.has_role(Role.COUNSELLOR):
        raise BookingError("unknown_counsellor", _("This counsellor does not exist."))
    if to_counsellor.pk == appointment.counsellor_id:
        raise BookingError("same_counsellor", _("The appointment is already with this counsellor."))
    if to_counsellor.pk == appointment.client_id:
        raise BookingError("own_appointment", _("Nobody can have an appointment with themselves."))
    organisation_id = appointment.counsellor.organisation_id
    if (
        organisation_id is None
        or not by.has_role(Role.COORDINATOR)
        or by.organisation_id != organisation_id
        or to_counsellor.organisation_id != organisation_id
    ):
        raise BookingError(
            "not_allowed",
            _("Only a coordinator of the organisation can move appointments between its counsellors."),
        )


def _cancel_reason(client: User, to_counsellor: User, *, moved: bool) -> str:
    # Stored once and read by the client (and the old counsellor): in the client's language.
    with translation.override(client.language or settings.LANGUAGE_CODE):
        if moved:
            text = _("Counsellor changed to %(name)s: this appointment is now with them, at the same time.")
        else:
            text = _(
                "Counsellor changed to %(name)s, who is not free at this time: please choose a new time."
            )
        return (text % {"name": to_counsellor.display_name})[:300]


def appointment_transfer(*, appointment: Appointment, to_counsellor: User, by: User) -> Appointment | None:
    """Cancel an upcoming appointment and book the same time, length, way, topic and language
    with `to_counsellor` (in their conversation with the client) unless they already have an
    appointment then. Both people of each appointment get its notice. Returns the new
    appointment, or None when the client has to choose another time."""
    with transaction.atomic():
        booking_locks(
            counsellor_ids=(appointment.counsellor_id, to_counsellor.pk), client_id=appointment.client_id
        )
        old = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "counsellor")
            .get(pk=appointment.pk)
        )
        _may_transfer(old, to_counsellor, by, timezone.now())
        # Buffers are the new counsellor's own business; an overlap is not (nor for the
        # database: PostgreSQL's exclusion constraint refuses it too).
        free = not Appointment.objects.filter(
            counsellor=to_counsellor,
            status=Appointment.Status.BOOKED,
            start_at__lt=old.end_at,
            end_at__gt=old.start_at,
        ).exists()
        # Cancelled first: the client may not hold two active appointments at one time.
        old.status = Appointment.Status.CANCELLED
        old.cancelled_at = timezone.now()
        old.cancelled_by = by
        old.cancel_reason = _cancel_reason(old.client, to_counsellor, moved=free)
        old.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        notices_create(appointment=old, event=Notice.Event.CANCELLED)
        refresh_next_free_after_commit(old.counsellor_id)

        new: Appointment | None = None
        if free:
            new = Appointment(
                counsellor=to_counsellor,
                client=old.client,
                conversation=conversation_get_or_create(client=old.client, counsellor=to_counsellor),
                start_at=old.start_at,
                end_at=old.end_at,
                modality=old.modality,
                topic=old.topic,
                language=old.language,
                interpreter_requested=old.interpreter_requested,
                # The note was written to the old counsellor: it does not travel.
                idempotency_key=uuid.uuid4(),
            )
            try:
                # A savepoint: losing a race for this time must not undo the cancellation.
                with transaction.atomic():
                    new.save()
            except IntegrityError:
                new = None
                old.cancel_reason = _cancel_reason(old.client, to_counsellor, moved=False)
                old.save(update_fields=["cancel_reason"])
        if new is not None:
            notices_create(appointment=new, event=Notice.Event.BOOKED)
            refresh_next_free_after_commit(to_counsellor.pk)
    return new
