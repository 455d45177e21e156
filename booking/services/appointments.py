"""Appointments: book, cancel, reschedule, mark. No double booking: advisory locks and a check
on every database, plus exclusion constraints on PostgreSQL (migration 0002)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.reference import Topic
from booking import selectors
from booking.models import Appointment, Modality, Notice
from booking.notifications import notices_create
from booking.services.availability import refresh_next_free_after_commit
from booking.slots import Slot
from counselling.services import conversation_get_or_create

# Advisory-lock namespaces (pg_advisory_xact_lock(namespace, id)).
_LOCK_COUNSELLOR, _LOCK_CLIENT = 1, 2


class BookingError(Exception):
    """A booking request that cannot be honoured; `code` is stable, `message` translated."""

    def __init__(self, code: str, message: str, *, next_slots: Sequence[Slot] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.next_slots = list(next_slots)


@dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    created: bool


def booking_locks(*, counsellor_ids: Iterable[int], client_id: int) -> None:
    """Serialise changes of these counsellors' and this client's appointments until the
    transaction ends. PostgreSQL: advisory locks, so that simultaneous bookings queue here instead
    of deadlocking on the exclusion constraints' index; always counsellors in id order, then the
    client, so that two changes never wait on each other in a circle. SQLite's IMMEDIATE
    transactions already serialise writers."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for counsellor_id in sorted(set(counsellor_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_COUNSELLOR, counsellor_id])
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLIENT, client_id])


def _next_slots(*, counsellor: User, client: User, after: datetime, duration: int) -> list[Slot]:
    return selectors.slot_list(
        counsellor=counsellor,
        client=client,
        duration=duration,
        window_start=after,
        window_end=after + timedelta(days=14),
    )[:3]


def _slot_is_free(
    *, counsellor: User, client: User, start_at: datetime, duration: int, exclude_id: int | None = None
) -> bool:
    day_start = start_at - timedelta(minutes=1)
    slots = selectors.slot_list(
        counsellor=counsellor,
        client=client,
        duration=duration,
        window_start=day_start,
        window_end=start_at + timedelta(minutes=1),
        exclude_appointment_id=exclude_id,
    )
    return any(slot.start == start_at for slot in slots)


def _validate_request(
    *, client: User, counsellor: User, duration: int, modality: str, topic: str, language: str
) -> None:
    if not counsellor.is_active or not counsellor.has_role(Role.COUNSELLOR):
        raise BookingError("unknown_counsellor", _("This counsellor does not exist."))
    if client.pk == counsellor.pk:
        raise BookingError("own_appointment", _("You cannot book an appointment with yourself."))
    if modality not in Modality.values:
        raise BookingError("invalid_modality", _("Choose chat, audio call or video call."))
    if topic not in Topic.values:
        raise BookingError("invalid_topic", _("Choose a topic from the list."))
    schedule = selectors.schedule_get(counsellor=counsellor)
    if schedule is None or duration not in schedule.durations:
        raise BookingError(
            "invalid_duration", _("This counsellor does not offer appointments of this length.")
        )
    if not counsellor.languages.filter(code=language).exists():
        raise BookingError("invalid_language", _("This counsellor does not speak the language you chose."))
    profile = getattr(counsellor, "counsellor_profile", None)
    is_new_client = not client.client_conversations.filter(counsellor=counsellor).exists()
    if is_new_client and (profile is None or not profile.accepting_new_clients):
        raise BookingError("counsellor_paused", _("This counsellor is not taking new clients at the moment."))


def appointment_book(
    *,
    client: User,
    counsellor: User,
    start_at: datetime,
    duration: int,
    modality: str,
    topic: str,
    language: str,
    idempotency_key: uuid.UUID,
    interpreter_requested: bool = False,
    note: str = "",
) -> BookingResult:
    """Book a free slot for `client`; a replay of `idempotency_key` returns the first booking."""
    earlier = Appointment.objects.filter(client=client, idempotency_key=idempotency_key).first()
    if earlier is not None:
        return BookingResult(earlier, created=False)
    if timezone.is_naive(start_at):
        raise BookingError("invalid_time", _("The time must include its time zone."))
    _validate_request(
        client=client,
        counsellor=counsellor,
        duration=duration,
        modality=modality,
        topic=topic,
        language=language,
    )
    try:
        with transaction.atomic():
            booking_locks(counsellor_ids=[counsellor.pk], client_id=client.pk)
            if not _slot_is_free(counsellor=counsellor, client=client, start_at=start_at, duration=duration):
                raise BookingError(
                    "slot_taken",
                    _("This time was just taken or is not available. Please choose another time."),
                )
            conversation = conversation_get_or_create(client=client, counsellor=counsellor)
            appointment = Appointment(
                counsellor=counsellor,
                client=client,
                conversation=conversation,
                start_at=start_at,
                end_at=start_at + timedelta(minutes=duration),
                modality=modality,
                topic=topic,
                language=language,
                interpreter_requested=interpreter_requested,
                note=note.strip(),
                idempotency_key=idempotency_key,
            )
            # Field checks only (no queries): keys, uniqueness and overlaps are the database's.
            appointment.clean_fields(exclude=["counsellor", "client", "conversation"])
            appointment.save()
            notices_create(appointment=appointment, event=Notice.Event.BOOKED)
            refresh_next_free_after_commit(counsellor.pk)
    except IntegrityError:
        # Another request won the race (database constraint), or this key was just used.
        earlier = Appointment.objects.filter(client=client, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return BookingResult(earlier, created=False)
        raise BookingError(
            "slot_taken",
            _("This time was just taken. Please choose another time."),
            next_slots=_next_slots(counsellor=counsellor, client=client, after=start_at, duration=duration),
        ) from None
    except BookingError as error:
        if error.code == "slot_taken":
            error.next_slots = _next_slots(
                counsellor=counsellor, client=client, after=start_at, duration=duration
            )
        raise
    return BookingResult(appointment, created=True)


def _may_change(appointment: Appointment, by: User, now: datetime) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError("not_active", _("This appointment is no longer active."))
    if by.pk == appointment.counsellor_id:
        return
    if by.pk != appointment.client_id:
        raise BookingError("not_yours", _("This is not your appointment."))
    organisation = appointment.counsellor.organisation
    notice = timedelta(minutes=organisation.client_change_notice if organisation else 120)
    if appointment.start_at - now < notice:
        hours = notice.total_seconds() / 3600
        raise BookingError(
            "too_late",
            _("Appointments can be changed until %(hours)s hours before. Please write to your counsellor.")
            % {"hours": f"{hours:g}"},
        )


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, by: User, reason: str = "") -> Appointment:
    """Cancel (either side, within the organisation's policy); the time becomes free again."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("counsellor__organisation")
        .get(pk=appointment.pk)
    )
    _may_change(appointment, by, timezone.now())
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = by
    appointment.cancel_reason = reason.strip()[:300]
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    notices_create(appointment=appointment, event=Notice.Event.CANCELLED)
    refresh_next_free_after_commit(appointment.counsellor_id)
    return appointment


def appointment_reschedule(
    *, appointment: Appointment, by: User, start_at: datetime, reason: str = ""
) -> Appointment:
    """Move an appointment to another free time of the same counsellor, keeping its length."""
    if timezone.is_naive(start_at):
        raise BookingError("invalid_time", _("The time must include its time zone."))
    try:
        with transaction.atomic():
            booking_locks(counsellor_ids=[appointment.counsellor_id], client_id=appointment.client_id)
            current = (
                Appointment.objects.select_for_update(of=("self",))
                .select_related("counsellor__organisation", "client")
                .get(pk=appointment.pk)
            )
            _may_change(current, by, timezone.now())
            duration = current.duration_minutes
            if not _slot_is_free(
                counsellor=current.counsellor,
                client=current.client,
                start_at=start_at,
                duration=duration,
                exclude_id=current.pk,
            ):
                raise BookingError("slot_taken", _("This time is not available. Please choose another time."))
            current.start_at = start_at
            current.end_at = start_at + timedelta(minutes=duration)
            current.sequence += 1
            current.reschedule_reason = reason.strip()[:300]
            current.save(update_fields=["start_at", "end_at", "sequence", "reschedule_reason"])
            notices_create(appointment=current, event=Notice.Event.RESCHEDULED)
            refresh_next_free_after_commit(current.counsellor_id)
            return current
    except IntegrityError:
        raise BookingError("slot_taken", _("This time was just taken. Please choose another time.")) from None


@transaction.atomic
def appointment_mark(*, appointment: Appointment, by: User, status: str) -> Appointment:
    """The counsellor records how an appointment went: completed, or the client did not come."""
    if status not in (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW):
        raise BookingError("invalid_status", _("Mark the appointment as completed or as not attended."))
    current = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if by.pk != current.counsellor_id:
        raise BookingError("not_yours", _("This is not your appointment."))
    if current.status not in (
        Appointment.Status.BOOKED,
        Appointment.Status.COMPLETED,
        Appointment.Status.NO_SHOW,
    ):
        raise BookingError("not_active", _("This appointment is no longer active."))
    if current.start_at > timezone.now():
        raise BookingError("not_started", _("An appointment can be marked only after it has started."))
    current.status = status
    current.save(update_fields=["status"])
    return current
