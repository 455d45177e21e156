"""Group information sessions and webinars: offer, change, cancel; register, leave, and the
waiting list. Capacity holds under concurrency twice over: the session row is locked for every
change of places, and a database check refuses `seats_taken > capacity` whatever the code does."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.reference import LANGUAGE_CODES, Topic, country_codes
from booking.models import GroupRegistration, GroupSession, Notice
from booking.notifications import group_notices_create
from booking.services.appointments import BookingError

GROUP_DURATIONS = (30, 45, 60, 90, 120, 180)
MAX_CAPACITY = 500
HOST_ROLES = frozenset({Role.COUNSELLOR, Role.COORDINATOR})


def group_session_may_host(user: User) -> bool:
    return user.is_active and bool(user.role_set & HOST_ROLES)


def group_session_may_manage(session: GroupSession, user: User) -> bool:
    """The host, and the coordinators of the host's organisation."""
    if not user.is_active:
        return False
    if session.host_id == user.pk:
        return True
    return (
        user.has_role(Role.COORDINATOR)
        and session.organisation_id is not None
        and session.organisation_id == user.organisation_id
    )


def _check_details(
    *, topic: str, language: str, country: str, start_at: datetime | None, duration: int, capacity: int
) -> None:
    """Every refusal at once, by field (`start_at` None: the time is not being set)."""
    errors: dict[str, str] = {}
    if topic not in Topic.values:
        errors["topic"] = _("Choose a topic from the list.")
    if language not in LANGUAGE_CODES:
        errors["language"] = _("Choose a language from the list.")
    if country and country not in country_codes():
        errors["country"] = _("Choose a country from the list.")
    if start_at is None:
        pass
    elif timezone.is_naive(start_at):
        errors["start_at"] = _("The time must include its time zone.")
    elif start_at <= timezone.now():
        errors["start_at"] = _("Choose a time in the future.")
    if duration not in GROUP_DURATIONS:
        errors["duration"] = _("Choose a length from the list.")
    if not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("A session has between 1 and %(max)d places.") % {"max": MAX_CAPACITY}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def group_session_create(
    *,
    host: User,
    kind: str,
    title: str,
    topic: str,
    language: str,
    start_at: datetime,
    duration: int,
    capacity: int,
    description: str = "",
    country: str = "",
    location: str = "",
) -> GroupSession:
    """Offer a group session; counsellors and coordinators only."""
    if not group_session_may_host(host):
        raise ValidationError(_("Only counsellors and coordinators can offer group sessions."))
    _check_details(
        topic=topic,
        language=language,
        country=country,
        start_at=start_at,
        duration=duration,
        capacity=capacity,
    )
    session = GroupSession(
        host=host,
        organisation_id=host.organisation_id,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        topic=topic,
        language=language,
        country=country,
        location=location.strip(),
        start_at=start_at,
        end_at=start_at + timedelta(minutes=duration),
        capacity=capacity,
    )
    session.full_clean(exclude=["host", "organisation"])
    session.save()
    return session


def _locked(session: GroupSession) -> GroupSession:
    return GroupSession.objects.select_for_update(of=("self",)).get(pk=session.pk)


def _promote(session: GroupSession, now: datetime) -> list[GroupRegistration]:
    """Give free places to the waiting list, first come first served (session row locked)."""
    promoted = []
    waiting = GroupRegistration.objects.filter(session=session, status=GroupRegistration.Status.WAITLISTED)
    for registration in waiting.order_by("queued_at", "pk"):
        took_seat = GroupSession.objects.filter(pk=session.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        if not took_seat:
            break
        registration.status = GroupRegistration.Status.REGISTERED
        registration.promoted_at = now
        registration.revision += 1
        registration.save(update_fields=["status", "promoted_at", "revision"])
        promoted.append(registration)
    if promoted:
        group_notices_create(
            session=session,
            event=Notice.Event.PROMOTED,
            recipients={r.participant_id: r.revision for r in promoted},
        )
    return promoted


@transaction.atomic
def group_session_update(
    *,
    session: GroupSession,
    by: User,
    title: str,
    start_at: datetime,
    duration: int,
    capacity: int,
    description: str = "",
    location: str = "",
) -> GroupSession:
    """Change a session. A new time tells everyone registered; more places go to the waiting list;
    fewer places than people already registered is refused (nobody loses a confirmed place)."""
    current = _locked(session)
    if not group_session_may_manage(current, by):
        raise BookingError("not_yours", _("Only the host or a coordinator can change this session."))
    if current.status != GroupSession.Status.SCHEDULED or current.start_at <= timezone.now():
        raise BookingError("not_active", _("This session can no longer be changed."))
    new_time = start_at != current.start_at or duration != current.duration_minutes
    _check_details(
        topic=current.topic,
        language=current.language,
        country=current.country,
        start_at=start_at if new_time else None,
        duration=duration,
        capacity=capacity,
    )
    if capacity < current.seats_taken:
        raise ValidationError(
            {
                "capacity": _(
                    "%(count)d people already have a place; the session needs at least that many places."
                )
                % {"count": current.seats_taken}
            }
        )
    current.title = title.strip()
    current.description = description.strip()
    current.location = location.strip()
    current.capacity = capacity
    if new_time:
        current.start_at = start_at
        current.end_at = start_at + timedelta(minutes=duration)
        current.sequence += 1
    current.full_clean(exclude=["host", "organisation"])
    current.save()
    if new_time:
        registered = current.registrations.filter(status=GroupRegistration.Status.REGISTERED)
        group_notices_create(
            session=current,
            event=Notice.Event.RESCHEDULED,
            recipients=dict.fromkeys(registered.values_list("participant_id", flat=True), current.sequence),
        )
    _promote(current, timezone.now())
    current.refresh_from_db(fields=["seats_taken"])
    return current


@transaction.atomic
def group_session_cancel(*, session: GroupSession, by: User, reason: str = "") -> GroupSession:
    """Cancel a session; everyone registered or waiting is told."""
    current = _locked(session)
    if not group_session_may_manage(current, by):
        raise BookingError("not_yours", _("Only the host or a coordinator can cancel this session."))
    if current.status != GroupSession.Status.SCHEDULED:
        raise BookingError("not_active", _("This session is already cancelled."))
    current.status = GroupSession.Status.CANCELLED
    current.cancelled_at = timezone.now()
    current.cancel_reason = reason.strip()[:300]
    current.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    told = current.registrations.exclude(status=GroupRegistration.Status.CANCELLED)
    group_notices_create(
        session=current,
        event=Notice.Event.CANCELLED,
        recipients=dict.fromkeys(told.values_list("participant_id", flat=True), current.sequence),
    )
    return current


@transaction.atomic
def group_register(*, session: GroupSession, participant: User) -> GroupRegistration:
    """Take a place, or a place on the waiting list when the session is full. Registering again
    while registered or waiting changes nothing (a double tap registers once)."""
    current = _locked(session)
    if current.status != GroupSession.Status.SCHEDULED or current.start_at <= timezone.now():
        raise BookingError("not_active", _("Registration for this session is closed."))
    if participant.pk == current.host_id:
        raise BookingError("own_session", _("You are hosting this session."))
    registration = GroupRegistration.objects.filter(session=current, participant=participant).first()
    if registration is not None and registration.status != GroupRegistration.Status.CANCELLED:
        return registration
    took_seat = GroupSession.objects.filter(pk=current.pk, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    status = GroupRegistration.Status.REGISTERED if took_seat else GroupRegistration.Status.WAITLISTED
    if registration is None:
        registration = GroupRegistration(session=current, participant=participant)
    registration.status = status
    registration.queued_at = timezone.now()
    registration.promoted_at = None
    registration.cancelled_at = None
    registration.revision += 1
    registration.save()
    group_notices_create(
        session=current,
        event=Notice.Event.REGISTERED if took_seat else Notice.Event.WAITLISTED,
        recipients={participant.pk: registration.revision},
    )
    return registration


@transaction.atomic
def group_unregister(*, session: GroupSession, participant: User) -> GroupRegistration:
    """Give up a place (the first person waiting gets it, and is told) or leave the waiting list."""
    current = _locked(session)
    registration = (
        GroupRegistration.objects.select_for_update()
        .filter(session=current, participant=participant)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .first()
    )
    if registration is None:
        raise BookingError("not_registered", _("You are not registered for this session."))
    if current.start_at <= timezone.now():
        raise BookingError("not_active", _("This session has already started."))
    had_seat = registration.status == GroupRegistration.Status.REGISTERED
    registration.status = GroupRegistration.Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.revision += 1
    registration.save(update_fields=["status", "cancelled_at", "revision"])
    if had_seat:
        GroupSession.objects.filter(pk=current.pk).update(seats_taken=F("seats_taken") - 1)
        if current.status == GroupSession.Status.SCHEDULED:
            _promote(current, timezone.now())
    return registration
