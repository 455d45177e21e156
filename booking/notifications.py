"""Telling people about their appointments and group sessions: e-mail with a calendar file, or
SMS for phone-only accounts; each in the recipient's language and time zone. Never the note's
text."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.notify import Attachment, calendar_attachment, person_notify
from booking.ics import appointment_ics, group_session_ics
from booking.models import Appointment, GroupRegistration, GroupSession, Notice
from config.celery import enqueue_on_commit

logger = logging.getLogger(__name__)

ACTIVE_ONLY = {
    Notice.Event.REMINDER_24H,
    Notice.Event.REMINDER_1H,
    Notice.Event.BOOKED,
    Notice.Event.RESCHEDULED,
}


def _notices(appointment: Appointment, event: str) -> list[Notice]:
    return [
        Notice(appointment=appointment, recipient_id=user_id, event=event, sequence=appointment.sequence)
        for user_id in (appointment.client_id, appointment.counsellor_id)
    ]


def notices_create(*, appointment: Appointment, event: str) -> None:
    """Queue `event` for both people (inside the caller's transaction); duplicates are ignored."""
    from booking.tasks import notices_send

    Notice.objects.bulk_create(_notices(appointment, event), ignore_conflicts=True)
    enqueue_on_commit(notices_send)


def group_notices_create(*, session: GroupSession, event: str, recipients: dict[int, int]) -> None:
    """Queue `event` about `session` for each recipient id (mapped to the notice's sequence)."""
    from booking.tasks import notices_send

    Notice.objects.bulk_create(
        [
            Notice(group_session=session, recipient_id=user_id, event=event, sequence=sequence)
            for user_id, sequence in recipients.items()
        ],
        ignore_conflicts=True,
    )
    enqueue_on_commit(notices_send)


# Which registration a group notice needs to still be true when it goes out.
_GROUP_NEEDS: dict[str, str] = {
    Notice.Event.REGISTERED: GroupRegistration.Status.REGISTERED,
    Notice.Event.PROMOTED: GroupRegistration.Status.REGISTERED,
    Notice.Event.WAITLISTED: GroupRegistration.Status.WAITLISTED,
    Notice.Event.RESCHEDULED: GroupRegistration.Status.REGISTERED,
    Notice.Event.REMINDER_24H: GroupRegistration.Status.REGISTERED,
    Notice.Event.REMINDER_1H: GroupRegistration.Status.REGISTERED,
}
_REGISTRATION_EVENTS: set[str] = {Notice.Event.REGISTERED, Notice.Event.PROMOTED, Notice.Event.WAITLISTED}


def _group_notice_current(notice: Notice, session: GroupSession) -> bool:
    """False when the notice has been overtaken: the session or the person's place changed."""
    if notice.event == Notice.Event.CANCELLED:
        return session.status == GroupSession.Status.CANCELLED
    if session.status != GroupSession.Status.SCHEDULED:
        return False
    registration = session.registrations.filter(participant_id=notice.recipient_id).first()
    if registration is None or registration.status != _GROUP_NEEDS.get(notice.event):
        return False
    if notice.event in _REGISTRATION_EVENTS:
        return registration.revision == notice.sequence
    return session.sequence == notice.sequence


def _group_notice_send(notice: Notice, session: GroupSession) -> str:
    if not _group_notice_current(notice, session):
        return "none"
    recipient = notice.recipient
    context = {
        "notice": notice,
        "session": session,
        "recipient": recipient,
        "url": settings.SITE_URL.rstrip("/") + reverse("booking:group_session", args=[session.pk]),
    }

    def calendar() -> list[Attachment]:
        if notice.event == Notice.Event.WAITLISTED:
            return []  # nothing to put in a calendar yet
        cancel = notice.event == Notice.Event.CANCELLED
        return [calendar_attachment("session.ics", group_session_ics(session, cancel=cancel), cancel=cancel)]

    return person_notify(
        recipient=recipient, templates="booking/notices/group", context=context, attachments=calendar
    )


def _context(notice: Notice, appointment: Appointment) -> dict[str, object]:
    recipient = notice.recipient
    other = appointment.counsellor if recipient.pk == appointment.client_id else appointment.client
    return {
        "notice": notice,
        "appointment": appointment,
        "recipient": recipient,
        "other": other,
        "url": settings.SITE_URL.rstrip("/") + reverse("booking:appointment", args=[appointment.pk]),
    }


def notice_send(notice: Notice) -> str:
    """Send one notice; returns the channel used ("email", "sms" or "none")."""
    if notice.group_session is not None:
        return _group_notice_send(notice, notice.group_session)
    appointment = notice.appointment
    if appointment is None:
        return "none"
    if notice.event in ACTIVE_ONLY and appointment.status != Appointment.Status.BOOKED:
        return "none"  # cancelled since: no reminder, no stale confirmation
    if notice.sequence != appointment.sequence and notice.event != Notice.Event.CANCELLED:
        return "none"  # superseded by a later change, which has its own notice
    cancel = notice.event == Notice.Event.CANCELLED
    return person_notify(
        recipient=notice.recipient,
        templates="booking/notices/appointment",
        context=_context(notice, appointment),
        attachments=lambda: [
            calendar_attachment("appointment.ics", appointment_ics(appointment, cancel=cancel), cancel=cancel)
        ],
    )


def notices_send_pending(*, limit: int = 200) -> int:
    """Send queued notices, each at most once; safe to run in parallel and again."""
    sent = 0
    pending = Notice.objects.filter(sent_at__isnull=True, attempts__lt=5).order_by("created_at")
    for notice_id in list(pending.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(
                    "appointment__counsellor", "appointment__client", "group_session", "recipient"
                )
                .filter(pk=notice_id, sent_at__isnull=True)
                .first()
            )
            if notice is None:
                continue
            try:
                notice.channel = notice_send(notice)
            except Exception:  # noqa: BLE001 - a gateway error must not stop the queue
                notice.attempts += 1
                notice.save(update_fields=["attempts"])
                logger.warning("notice %s could not be sent (attempt %s)", notice.pk, notice.attempts)
                continue
            notice.sent_at = timezone.now()
            notice.attempts += 1
            notice.save(update_fields=["channel", "sent_at", "attempts"])
            sent += 1
    return sent


def reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the reminders that are due: 24 h before, and 1 h before, for appointments (both
    people) and group sessions (registered people). A reminder the worker missed while down goes
    out late; once the 1-hour one is due the 24-hour one is skipped. Returns how many
    appointments and sessions have a reminder due (queued now or before)."""
    from booking.tasks import notices_send

    now = now or timezone.now()
    upcoming = Appointment.objects.filter(
        status=Appointment.Status.BOOKED, start_at__gt=now, start_at__lte=now + timedelta(hours=24)
    ).only("pk", "client_id", "counsellor_id", "sequence", "start_at")
    notices: list[Notice] = []
    for appointment in upcoming:
        soon = appointment.start_at - now <= timedelta(hours=1)
        notices += _notices(appointment, Notice.Event.REMINDER_1H if soon else Notice.Event.REMINDER_24H)
    due = len(notices) // 2
    registrations = GroupRegistration.objects.filter(
        status=GroupRegistration.Status.REGISTERED,
        session__status=GroupSession.Status.SCHEDULED,
        session__start_at__gt=now,
        session__start_at__lte=now + timedelta(hours=24),
    ).values_list("session_id", "participant_id", "session__sequence", "session__start_at")
    sessions = set()
    for session_id, participant_id, sequence, start_at in registrations:
        soon = start_at - now <= timedelta(hours=1)
        event = Notice.Event.REMINDER_1H if soon else Notice.Event.REMINDER_24H
        notices.append(
            Notice(group_session_id=session_id, recipient_id=participant_id, event=event, sequence=sequence)
        )
        sessions.add(session_id)
    with transaction.atomic():
        # The unique key drops reminders already queued by an earlier run.
        Notice.objects.bulk_create(notices, ignore_conflicts=True)
        if notices:
            enqueue_on_commit(notices_send)
    return due + len(sessions)
